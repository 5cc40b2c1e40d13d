// Batch normalization over the last axis. x is viewed as rows × channels (rows = batch·height·width
// for NHWC, batch for [batch, units]); each channel's statistics run over every row. A call covers
// `channels` channels of rows `ld` floats apart, so a block of channels can run on its own (as a
// thread would; the table says why the kernels do not split); every per-channel array (gamma,
// mean, ...) starts at the call's first channel. Channels are innermost, so a row is f32x4 groups
// of four channels and a scalar tail for the rest.
//
// No fused multiply-add, in either build: the tail channels run in scalar code, which must round
// as the lanes do, so a channel's result is the same whichever group or block it falls in. Each
// channel's sums add its rows in order from zero.

/** p[i] = 0 for i < count. */
// @ts-ignore: decorator
@inline
function zero(p: usize, count: i32): void {
  memory.fill(p, 0, <usize>count << 2);
}

/**
 * Training pass: statistics of the batch. y = (x - mean)·(gamma·invstd) + beta with mean and the
 * biased variance of each channel over the rows, invstd = 1/√(variance + epsilon); mean and invstd
 * are saved for backward; the moving statistics move toward the batch's as Keras moves them,
 * moving -= (moving - batch)·decay (decay = 1 - momentum). x, y: f32[rows, ld]; the others f32[channels].
 */
export function batchNormForwardTraining(
  x: usize, y: usize, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize,
  mean: usize, invstd: usize, rows: i32, channels: i32, ld: i32, epsilon: f32, decay: f32,
): void {
  const c4 = channels & ~3;
  const stride = <usize>ld << 2;
  const n = <f32>rows;
  // Sums of x, then mean.
  zero(mean, channels);
  let px = x;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      v128.store(mean + o, f32x4.add(v128.load(mean + o), v128.load(px + o)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(mean + o, load<f32>(mean + o) + load<f32>(px + o));
    }
    px += stride;
  }
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(mean + o, load<f32>(mean + o) / n);
  }
  // Sums of squared deviations from the mean (two passes: no cancellation when |mean| >> std).
  zero(invstd, channels);
  px = x;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const d = f32x4.sub(v128.load(px + o), v128.load(mean + o));
      v128.store(invstd + o, f32x4.add(v128.load(invstd + o), f32x4.mul(d, d)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      const d = load<f32>(px + o) - load<f32>(mean + o);
      store<f32>(invstd + o, load<f32>(invstd + o) + d * d);
    }
    px += stride;
  }
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    const variance = load<f32>(invstd + o) / n;
    const mm = load<f32>(movingMean + o);
    const mv = load<f32>(movingVariance + o);
    store<f32>(movingMean + o, mm - (mm - load<f32>(mean + o)) * decay);
    store<f32>(movingVariance + o, mv - (mv - variance) * decay);
    store<f32>(invstd + o, <f32>1 / Mathf.sqrt(variance + epsilon));
  }
  normalize(x, y, gamma, beta, mean, invstd, rows, channels, stride);
}

/** y = (x - center)·(gamma·invstd) + beta, the scale formed per row exactly as the lanes form it. */
// @ts-ignore: decorator
@inline
function normalize(x: usize, y: usize, gamma: usize, beta: usize, center: usize, invstd: usize, rows: i32, channels: i32, stride: usize): void {
  const c4 = channels & ~3;
  let px = x;
  let py = y;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const scale = f32x4.mul(v128.load(gamma + o), v128.load(invstd + o));
      const centered = f32x4.sub(v128.load(px + o), v128.load(center + o));
      v128.store(py + o, f32x4.add(f32x4.mul(centered, scale), v128.load(beta + o)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      const scale = load<f32>(gamma + o) * load<f32>(invstd + o);
      store<f32>(py + o, (load<f32>(px + o) - load<f32>(center + o)) * scale + load<f32>(beta + o));
    }
    px += stride;
    py += stride;
  }
}

/**
 * Inference pass: y = (x - movingMean)·(gamma·invstd) + beta, invstd = 1/√(movingVariance +
 * epsilon), written into `invstd` (f32[channels] of scratch) first. Element-wise: any split of
 * the rows or channels gives the same bits.
 */
export function batchNormForwardInference(
  x: usize, y: usize, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize,
  invstd: usize, rows: i32, channels: i32, ld: i32, epsilon: f32,
): void {
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(invstd + o, <f32>1 / Mathf.sqrt(load<f32>(movingVariance + o) + epsilon));
  }
  normalize(x, y, gamma, beta, movingMean, invstd, rows, channels, <usize>ld << 2);
}

/**
 * Backward of the training pass, from the mean and invstd it saved. With x̂ = (x - mean)·invstd
 * and N = rows: dgamma += Σ dy·x̂, dbeta += Σ dy, and (when dx is not 0, overwriting it)
 * dx = gamma·invstd·(dy - Σdy/N - x̂·Σ(dy·x̂)/N). sumDy and sumDyXhat are f32[channels] of scratch.
 */
export function batchNormBackward(
  x: usize, dy: usize, dx: usize, gamma: usize, mean: usize, invstd: usize,
  sumDy: usize, sumDyXhat: usize, dgamma: usize, dbeta: usize, rows: i32, channels: i32, ld: i32,
): void {
  const c4 = channels & ~3;
  const stride = <usize>ld << 2;
  const n = <f32>rows;
  zero(sumDy, channels);
  zero(sumDyXhat, channels);
  let px = x;
  let pd = dy;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const g = v128.load(pd + o);
      const xhat = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(mean + o)), v128.load(invstd + o));
      v128.store(sumDy + o, f32x4.add(v128.load(sumDy + o), g));
      v128.store(sumDyXhat + o, f32x4.add(v128.load(sumDyXhat + o), f32x4.mul(g, xhat)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      const g = load<f32>(pd + o);
      const xhat = (load<f32>(px + o) - load<f32>(mean + o)) * load<f32>(invstd + o);
      store<f32>(sumDy + o, load<f32>(sumDy + o) + g);
      store<f32>(sumDyXhat + o, load<f32>(sumDyXhat + o) + g * xhat);
    }
    px += stride;
    pd += stride;
  }
  // The sums go into the gradients, then become the means the input gradient subtracts.
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    const s = load<f32>(sumDy + o);
    const t = load<f32>(sumDyXhat + o);
    store<f32>(dbeta + o, load<f32>(dbeta + o) + s);
    store<f32>(dgamma + o, load<f32>(dgamma + o) + t);
    store<f32>(sumDy + o, s / n);
    store<f32>(sumDyXhat + o, t / n);
  }
  if (dx == 0) return;
  px = x;
  pd = dy;
  let pg = dx;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      const s = v128.load(invstd + o);
      const xhat = f32x4.mul(f32x4.sub(v128.load(px + o), v128.load(mean + o)), s);
      const t = f32x4.sub(f32x4.sub(v128.load(pd + o), v128.load(sumDy + o)), f32x4.mul(xhat, v128.load(sumDyXhat + o)));
      v128.store(pg + o, f32x4.mul(t, f32x4.mul(v128.load(gamma + o), s)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      const s = load<f32>(invstd + o);
      const xhat = (load<f32>(px + o) - load<f32>(mean + o)) * s;
      const t = load<f32>(pd + o) - load<f32>(sumDy + o) - xhat * load<f32>(sumDyXhat + o);
      store<f32>(pg + o, t * (load<f32>(gamma + o) * s));
    }
    px += stride;
    pd += stride;
    pg += stride;
  }
}

/**
 * An inference pass folded into the layer before it (conv or dense, linear, weights [rows,
 * channels]): with s = gamma·invstd, invstd = 1/√(movingVariance + epsilon) as the inference pass
 * forms them, foldedWeights[r, c] = weights[r, c]·s[c] and foldedBias[c] = (bias[c] -
 * movingMean[c])·s[c] + beta[c], so that layer's output is already normalized. f32[rows, channels]
 * and f32[channels]; foldedBias holds s while the weights are scaled.
 */
export function batchNormFoldWeights(
  weights: usize, bias: usize, gamma: usize, beta: usize, movingMean: usize, movingVariance: usize,
  foldedWeights: usize, foldedBias: usize, rows: i32, channels: i32, epsilon: f32,
): void {
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(foldedBias + o, load<f32>(gamma + o) * (<f32>1 / Mathf.sqrt(load<f32>(movingVariance + o) + epsilon)));
  }
  const c4 = channels & ~3;
  const stride = <usize>channels << 2;
  let pw = weights;
  let pf = foldedWeights;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < c4; c += 4) {
      const o = <usize>c << 2;
      v128.store(pf + o, f32x4.mul(v128.load(pw + o), v128.load(foldedBias + o)));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(pf + o, load<f32>(pw + o) * load<f32>(foldedBias + o));
    }
    pw += stride;
    pf += stride;
  }
  for (let c = 0; c < channels; c++) {
    const o = <usize>c << 2;
    store<f32>(foldedBias + o, (load<f32>(bias + o) - load<f32>(movingMean + o)) * load<f32>(foldedBias + o) + load<f32>(beta + o));
  }
}
