// Inverted dropout: kept activations are scaled by 1/(1-rate) at training time, so inference
// needs no rescaling. The mask is saved as f32 for the backward pass.
import { rngNextU32 } from './random';

/**
 * mask[i] = 0 with probability rate, else 1/(1-rate); x[i] *= mask[i]. x, mask: f32[count].
 * One draw per element from the xoshiro128** state at `state` (element i is dropped when its
 * uniform u in [0,1) is < rate). rate 0 sets mask to 1, leaves x alone and draws nothing.
 */
export function dropoutForward(x: usize, mask: usize, count: i32, rate: f32, state: usize): void {
  if (rate <= 0) {
    for (let i = 0; i < count; i++) store<f32>(mask + (<usize>i << 2), 1);
    return;
  }
  const keep: f32 = <f32>(1.0 / (1.0 - <f64>rate));
  // u = (bits >>> 8) · 2^-24 < rate  ⟺  (bits >>> 8) < ceil(rate · 2^24): the same mask, no float conversion.
  const threshold = <u32>Math.ceil(<f64>rate * 16777216.0);
  const keepBits = reinterpret<u32>(keep);
  for (let i = 0; i < count; i++) {
    const bits = rngNextU32(state);
    // Integer masking, not select<f32>: V8 turns a float select into a branch, which a 50% rate
    // mispredicts half the time (~10 ns per element).
    const m = reinterpret<f32>(keepBits & (<u32>((bits >>> 8) < threshold) - 1));
    const off = <usize>i << 2;
    store<f32>(mask + off, m);
    store<f32>(x + off, load<f32>(x + off) * m);
  }
}

/** dy[i] *= mask[i], in place. dy, mask: f32[count]. */
export function dropoutBackward(dy: usize, mask: usize, count: i32): void {
  const n4 = count & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dy + off, f32x4.mul(v128.load(dy + off), v128.load(mask + off)));
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    store<f32>(dy + off, load<f32>(dy + off) * load<f32>(mask + off));
  }
}
