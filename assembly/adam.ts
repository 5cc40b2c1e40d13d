// Adam and AdamW over one contiguous block of parameters (all of a model's parameters, gradients
// and moments each sit in one buffer, so a step is one call).
import { madd } from './simd';

/**
 * Keras-form Adam, element-wise over f32[count] params, grads, m, v (m, v updated in place):
 *   m += (g - m)(1 - β1);  v += (g² - v)(1 - β2);  p -= alpha · m / (√v + ε)
 * with alpha = lr·√(1-β2^t)/(1-β1^t) computed by the caller for step t. The multiply-adds are
 * fused in the FMA build. The scalars arrive as f64 and are rounded to f32 once, after 1 - β.
 * decay (AdamW's decoupled weight decay, lr·λ) first shrinks p by p·decay; 0 for Adam, which then
 * gets exactly the same bits (p - 0·p is p).
 */
export function adamUpdate(params: usize, grads: usize, m: usize, v: usize, count: i32, alpha: f64, beta1: f64, beta2: f64, epsilon: f64, decay: f64): void {
  // 1 - β is formed in f64: with β2 = 0.999 rounded to f32 first, 1 - β2 would be off by 1.3e-5.
  const a1 = <f32>(1 - beta1);
  const a2 = <f32>(1 - beta2);
  const lr = <f32>alpha;
  const eps = <f32>epsilon;
  const va1 = f32x4.splat(a1);
  const va2 = f32x4.splat(a2);
  const vnalpha = f32x4.splat(-lr);
  const veps = f32x4.splat(eps);
  const d = <f32>decay;
  const vnd = f32x4.splat(-d);
  const n4 = count & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    const g = v128.load(grads + off);
    let mv = v128.load(m + off);
    let vv = v128.load(v + off);
    mv = madd(f32x4.sub(g, mv), va1, mv);
    vv = madd(f32x4.sub(f32x4.mul(g, g), vv), va2, vv);
    v128.store(m + off, mv);
    v128.store(v + off, vv);
    const step = f32x4.div(mv, f32x4.add(f32x4.sqrt(vv), veps));
    const p = v128.load(params + off);
    v128.store(params + off, madd(vnalpha, step, madd(vnd, p, p)));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    const g = load<f32>(grads + off);
    let mi = load<f32>(m + off);
    let vi = load<f32>(v + off);
    // Scalar tail rounds each step separately (no FMA), as the plain SIMD build does.
    mi += (g - mi) * a1;
    vi += (g * g - vi) * a2;
    store<f32>(m + off, mi);
    store<f32>(v + off, vi);
    const p = load<f32>(params + off);
    store<f32>(params + off, (p - d * p) - lr * (mi / (Mathf.sqrt(vi) + eps)));
  }
}
