// Softmax + cross-entropy over rows of class scores. Rows are a batch's logits (10 classes for
// the datasets here), so these loops are scalar: the exp calls cost more than the arithmetic.

/**
 * probs[r, :] = softmax(logits[r, :]) and returns Σ_r -log p[r, labels[r]] as f64.
 * logits, probs: f32[rows, classes]; labels: i32[rows], each in [0, classes).
 * The row maximum is subtracted before exp, and the loss is taken in log-sum-exp form
 * (log Σ exp(z - max) - (z[label] - max)), in f64, so it stays finite even when p[label]
 * underflows to 0 in f32.
 */
export function softmaxCrossEntropyForward(logits: usize, labels: usize, probs: usize, rows: i32, classes: i32): f64 {
  let loss: f64 = 0;
  const stride = <usize>classes << 2;
  let z = logits;
  let p = probs;
  for (let r = 0; r < rows; r++) {
    const max = rowMax(z, classes);
    const sum = softmaxRow(z, p, classes, max);
    const label = load<i32>(labels + (<usize>r << 2));
    loss += Math.log(sum) - (<f64>load<f32>(z + (<usize>label << 2)) - <f64>max);
    z += stride;
    p += stride;
  }
  return loss;
}

/** The largest of a row's `classes` logits. */
// @ts-ignore: decorator
@inline
export function rowMax(z: usize, classes: i32): f32 {
  let max = load<f32>(z);
  for (let c = 1; c < classes; c++) {
    const v = load<f32>(z + (<usize>c << 2));
    if (v > max) max = v;
  }
  return max;
}

/** p[c] = exp(z[c] - max) / Σ, the softmax of one row; returns Σ = Σ_c exp(z[c] - max) in f64. */
// @ts-ignore: decorator
@inline
export function softmaxRow(z: usize, p: usize, classes: i32, max: f32): f64 {
  let sum: f64 = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(<f64>load<f32>(z + (<usize>c << 2)) - <f64>max);
  const inv = 1.0 / sum;
  // Each p from its own f64 exp, so that it rounds once.
  for (let c = 0; c < classes; c++) store<f32>(p + (<usize>c << 2), <f32>(Math.exp(<f64>load<f32>(z + (<usize>c << 2)) - <f64>max) * inv));
  return sum;
}

/**
 * dlogits[r, c] = (probs[r, c] - (c == labels[r] ? 1 : 0)) * scale, overwriting dlogits.
 * probs, dlogits: f32[rows, classes]; labels: i32[rows]. scale is usually 1/batch for a mean loss.
 */
export function softmaxCrossEntropyBackward(probs: usize, labels: usize, dlogits: usize, rows: i32, classes: i32, scale: f32): void {
  const n = rows * classes;
  const s = f32x4.splat(scale);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const off = <usize>i << 2;
    v128.store(dlogits + off, f32x4.mul(v128.load(probs + off), s));
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(dlogits + off, load<f32>(probs + off) * scale);
  }
  for (let r = 0; r < rows; r++) {
    const off = <usize>(r * classes + load<i32>(labels + (<usize>r << 2))) << 2;
    store<f32>(dlogits + off, (load<f32>(probs + off) - 1) * scale);
  }
}

/**
 * Number of rows r whose first largest score is at column labels[r].
 * scores: f32[rows, classes] (logits or probs); labels: i32[rows].
 */
export function countCorrect(scores: usize, labels: usize, rows: i32, classes: i32): i32 {
  let correct = 0;
  let p = scores;
  for (let r = 0; r < rows; r++) {
    let best = load<f32>(p);
    let arg = 0;
    for (let c = 1; c < classes; c++) {
      const v = load<f32>(p + (<usize>c << 2));
      if (v > best) { best = v; arg = c; }
    }
    if (arg == load<i32>(labels + (<usize>r << 2))) correct++;
    p += <usize>classes << 2;
  }
  return correct;
}
