// Stochastic gradient descent with momentum over one contiguous block of parameters, in the form
// PyTorch and TensorFlow.js use (the velocity accumulates raw gradients, the learning rate is
// applied on the way out, so a schedule that changes the rate does not rescale the velocity):
//   v = μ·v + g;  p -= lr·v                 (classical)
//   v = μ·v + g;  p -= lr·(g + μ·v)         (Nesterov)
import { madd } from './simd';

/**
 * params, grads, velocity: f32[count]; velocity is updated in place (not read when momentum is
 * 0, so it may be 0 then). nesterov: 1 or 0. The multiply-adds are fused in the FMA build; the
 * scalar tail rounds each step separately, as the plain SIMD build does.
 */
export function sgdUpdate(params: usize, grads: usize, velocity: usize, count: i32, learningRate: f64, momentum: f64, nesterov: i32): void {
  const lr = <f32>learningRate;
  const mu = <f32>momentum;
  const vnlr = f32x4.splat(-lr);
  const vmu = f32x4.splat(mu);
  const n4 = count & ~3;
  let i = 0;
  if (mu == 0) {
    for (; i < n4; i += 4) {
      const off = <usize>i << 2;
      v128.store(params + off, madd(vnlr, v128.load(grads + off), v128.load(params + off)));
    }
    for (; i < count; i++) {
      const off = <usize>i << 2;
      store<f32>(params + off, load<f32>(params + off) - lr * load<f32>(grads + off));
    }
    return;
  }
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const g = v128.load(grads + off);
    const vel = madd(vmu, v128.load(velocity + off), g);
    v128.store(velocity + off, vel);
    const step = nesterov ? madd(vmu, vel, g) : vel;
    v128.store(params + off, madd(vnlr, step, v128.load(params + off)));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    const g = load<f32>(grads + off);
    const vel = mu * load<f32>(velocity + off) + g;
    store<f32>(velocity + off, vel);
    const step = nesterov ? mu * vel + g : vel;
    store<f32>(params + off, load<f32>(params + off) - lr * step);
  }
}
