// Plain references for the batch-normalization kernels, in float64 over x viewed as rows ×
// channels (NHWC with the channel innermost). Keras/TF.js semantics: the biased variance, and
// moving statistics moved by moving - (moving - batch)·(1 - momentum).

export interface BatchNormTraining {
  y: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  invstd: Float64Array;
  movingMean: Float64Array;
  movingVariance: Float64Array;
}

/** `unbiased` divides the squared deviations by N - 1 (not Keras's; for the test that must fail). */
export function batchNormTrainingRef(
  x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, movingMean: ArrayLike<number>, movingVariance: ArrayLike<number>,
  rows: number, channels: number, epsilon: number, momentum: number, unbiased = false,
): BatchNormTraining {
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) mean[c] += x[r * channels + c];
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) variance[c] += (x[r * channels + c] - mean[c]) ** 2;
  for (let c = 0; c < channels; c++) variance[c] /= unbiased ? Math.max(rows - 1, 1) : rows;
  const invstd = variance.map((v) => 1 / Math.sqrt(v + epsilon));
  const y = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) for (let c = 0; c < channels; c++) y[r * channels + c] = (x[r * channels + c] - mean[c]) * invstd[c] * gamma[c] + beta[c];
  const decay = 1 - momentum;
  return {
    y,
    mean,
    variance,
    invstd,
    movingMean: Float64Array.from(movingMean, (m, c) => m - (m - mean[c]) * decay),
    movingVariance: Float64Array.from(movingVariance, (v, c) => v - (v - variance[c]) * decay),
  };
}

export function batchNormInferenceRef(
  x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, movingMean: ArrayLike<number>, movingVariance: ArrayLike<number>,
  rows: number, channels: number, epsilon: number,
): Float64Array {
  const y = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) y[r * channels + c] = ((x[r * channels + c] - movingMean[c]) * gamma[c]) / Math.sqrt(movingVariance[c] + epsilon) + beta[c];
  }
  return y;
}

/**
 * Gradients of the training pass (the batch statistics depend on x): with x̂ = (x - mean)·invstd,
 * dgamma = Σ dy·x̂, dbeta = Σ dy, dx = gamma·invstd·(dy - mean(dy) - x̂·mean(dy·x̂)).
 */
export function batchNormBackwardRef(
  x: ArrayLike<number>, dy: ArrayLike<number>, gamma: ArrayLike<number>, rows: number, channels: number, epsilon: number,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const { mean, invstd } = batchNormTrainingRef(x, gamma, new Float64Array(channels), new Float64Array(channels), new Float64Array(channels), rows, channels, epsilon, 0);
  const dgamma = new Float64Array(channels);
  const dbeta = new Float64Array(channels);
  const xhat = (r: number, c: number) => (x[r * channels + c] - mean[c]) * invstd[c];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      dbeta[c] += dy[r * channels + c];
      dgamma[c] += dy[r * channels + c] * xhat(r, c);
    }
  }
  const dx = new Float64Array(rows * channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) dx[r * channels + c] = gamma[c] * invstd[c] * (dy[r * channels + c] - dbeta[c] / rows - (xhat(r, c) * dgamma[c]) / rows);
  }
  return { dx, dgamma, dbeta };
}

/** The inference pass folded into a linear layer's weights [rows, channels] and bias: W·s and (b - mean)·s + beta, s = gamma/√(variance + ε). */
export function batchNormFoldRef(
  weights: ArrayLike<number>, bias: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, movingMean: ArrayLike<number>, movingVariance: ArrayLike<number>,
  rows: number, channels: number, epsilon: number,
): { weights: Float64Array; bias: Float64Array } {
  const s = Float64Array.from(gamma, (g, c) => g / Math.sqrt(movingVariance[c] + epsilon));
  return {
    weights: Float64Array.from({ length: rows * channels }, (_, i) => weights[i] * s[i % channels]),
    bias: Float64Array.from(bias, (b, c) => (b - movingMean[c]) * s[c] + beta[c]),
  };
}
