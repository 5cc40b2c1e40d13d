// Softmax cross-entropy against smoothed targets t = (1 - ε)·onehot + ε/K (Keras's and TF.js's
// label_smoothing), beside loss.ts rather than in it so that a loss without smoothing runs the
// plain kernels, whose arithmetic is pinned by the notebook models' digests.
import { rowMax, softmaxRow } from './loss';

/** The off-label target ε/K in f32, as TF.js forms it (ε and K as f32, one division). */
// @ts-ignore: decorator
@inline
function offTarget(smoothing: f32, classes: i32): f32 {
  return smoothing / <f32>classes;
}

/** The label's target (1 - ε) + ε/K in f32, in TF.js's order: onehot·(1 - ε), plus ε/K. */
// @ts-ignore: decorator
@inline
function onTarget(smoothing: f32, classes: i32): f32 {
  return (<f32>1 - smoothing) + offTarget(smoothing, classes);
}

/**
 * probs[r, :] = softmax(logits[r, :]) exactly as softmaxCrossEntropyForward computes it, and
 * returns Σ_r Σ_c -t[r, c]·log p[r, c] as f64, with log p = (z - max) - log Σ exp(z - max) in f64
 * (finite when p underflows). logits, probs: f32[rows, classes]; labels: i32[rows];
 * smoothing ε in [0, 1).
 */
export function softmaxCrossEntropySmoothedForward(logits: usize, labels: usize, probs: usize, rows: i32, classes: i32, smoothing: f32): f64 {
  const off = <f64>offTarget(smoothing, classes);
  const on = <f64>onTarget(smoothing, classes);
  const stride = <usize>classes << 2;
  let loss: f64 = 0;
  let z = logits;
  let p = probs;
  for (let r = 0; r < rows; r++) {
    const max = rowMax(z, classes);
    const logSum = Math.log(softmaxRow(z, p, classes, max));
    const label = load<i32>(labels + (<usize>r << 2));
    for (let c = 0; c < classes; c++) {
      const t = c == label ? on : off;
      loss += t * (logSum - (<f64>load<f32>(z + (<usize>c << 2)) - <f64>max));
    }
    z += stride;
    p += stride;
  }
  return loss;
}

/**
 * dlogits[r, c] = (probs[r, c] - t[r, c]) * scale, overwriting dlogits; t as in the forward.
 * probs, dlogits: f32[rows, classes]; labels: i32[rows]; scale is 1/batch for a mean loss.
 */
export function softmaxCrossEntropySmoothedBackward(probs: usize, labels: usize, dlogits: usize, rows: i32, classes: i32, smoothing: f32, scale: f32): void {
  const off = offTarget(smoothing, classes);
  const on = onTarget(smoothing, classes);
  const n = rows * classes;
  const s = f32x4.splat(scale);
  const t = f32x4.splat(off);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const at = <usize>i << 2;
    v128.store(dlogits + at, f32x4.mul(f32x4.sub(v128.load(probs + at), t), s));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dlogits + at, (load<f32>(probs + at) - off) * scale);
  }
  for (let r = 0; r < rows; r++) {
    const at = <usize>(r * classes + load<i32>(labels + (<usize>r << 2))) << 2;
    store<f32>(dlogits + at, (load<f32>(probs + at) - on) * scale);
  }
}
