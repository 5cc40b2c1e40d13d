// Inverted dropout: kept activations are scaled by 1/(1-rate) at training time, so inference
// needs no rescaling. The mask is saved as f32 for the backward pass.
//
// Draw i of the call's block (see random.ts) decides element i: it is dropped when the top 24
// bits of the draw, as u in [0, 1), are < rate. Because draws are a pure function of their index,
// a slice of x can be masked on any thread (dropoutForwardSlice) with the bits one thread would use.
import { keyParity, rngAdvance, threefry2x32, threefry4 } from './random';

/**
 * Masks elements first .. first+count-1 of the current call: x[0..count) and mask[0..count) are
 * that slice. first must be a multiple of 8 (a group of draws). The stream does not advance.
 */
export function dropoutForwardSlice(x: usize, mask: usize, count: i32, rate: f32, state: usize, first: i32): void {
  if (rate <= 0) {
    for (let i = 0; i < count; i++) store<f32>(mask + (<usize>i << 2), 1);
    return;
  }
  const keepBits = reinterpret<u32>(<f32>(1.0 / (1.0 - <f64>rate)));
  // u = (bits >>> 8) · 2^-24 < rate  ⟺  (bits >>> 8) < ceil(rate · 2^24): the same decision in integers.
  const threshold = <u32>Math.ceil(<f64>rate * 16777216.0);
  const k0 = load<u32>(state), k1 = load<u32>(state, 4), block = load<u32>(state, 8);
  const k2 = keyParity(k0, k1);
  const keep = i32x4.splat(keepBits);
  const limit = i32x4.splat(threshold);
  const lanes = v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
  let counter = <u32>(first >> 1);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const lo = <usize>i << 2;
    const hi = lo + 16;
    // Word 1 goes to mask[i+4 .. i+8) as raw bits and is turned into its mask right after.
    const bits0 = threefry4(i32x4.add(i32x4.splat(counter), lanes), block, k0, k1, k2, mask + hi);
    const bits1 = v128.load(mask + hi);
    // Integer masking, not a float select: a select becomes a branch that a 50% rate mispredicts.
    const m0 = v128.and(keep, i32x4.ge_u(i32x4.shr_u(bits0, 8), limit));
    const m1 = v128.and(keep, i32x4.ge_u(i32x4.shr_u(bits1, 8), limit));
    v128.store(mask + lo, m0);
    v128.store(mask + hi, m1);
    v128.store(x + lo, f32x4.mul(v128.load(x + lo), m0));
    v128.store(x + hi, f32x4.mul(v128.load(x + hi), m1));
    counter += 4;
  }
  for (let l = 0; i + l < count; l++) {
    const bits = threefry2x32(counter + <u32>(l & 3), block, k0, k1, (l >> 2) & 1);
    const m = reinterpret<f32>(keepBits & (<u32>((bits >>> 8) < threshold) - 1));
    const off = <usize>(i + l) << 2;
    store<f32>(mask + off, m);
    store<f32>(x + off, load<f32>(x + off) * m);
  }
}

/**
 * mask[i] = 0 with probability rate, else 1/(1-rate); x[i] *= mask[i]. x, mask: f32[count].
 * Uses the current block of the stream at `state` and advances it, so every call draws fresh
 * bits. rate 0 sets mask to 1 and leaves x alone (the stream still advances).
 */
export function dropoutForward(x: usize, mask: usize, count: i32, rate: f32, state: usize): void {
  dropoutForwardSlice(x, mask, count, rate, state, 0);
  rngAdvance(state);
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
