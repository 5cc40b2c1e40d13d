// Inference throughput: predictProbabilities (the one predict path: simdnet predict, the Node API,
// the browser) on batches of real images from host memory, forward only in inference mode, timed
// after a warm-up as training steps are (throughput.ts).
import type { Engine } from '../engine/engine.js';
import { SimdnetError } from '../engine/errors.js';
import { predictProbabilities } from '../nn/predict.js';
import { Sequential } from '../nn/sequential.js';
import type { ModelSpec } from '../nn/spec.js';
import { imageBytes, type ImageSplit } from './split.js';
import { timeSteps, type Throughput, type ThroughputOptions } from './throughput.js';

/** The batch `simdnet bench --inference` and `simdnet evaluate` run by default. */
export const INFERENCE_BATCH = 256;

export interface InferenceThroughput {
  /** Median over repeats. */
  imagesPerSecond: number;
  /** Every repeat's figure, in order. */
  repeats: number[];
}

/**
 * Images per second of a model with fresh (Glorot-uniform, from `seed`) weights predicting
 * consecutive batches of `split`'s images, cycling through them. The model's memory plan holds
 * exactly one batch, as `simdnet evaluate --batch-size N` builds it.
 */
export function measureInferenceThroughput(engine: Engine, spec: ModelSpec, split: ImageSplit, options: ThroughputOptions): InferenceThroughput {
  const [h, w, c] = spec.inputShape;
  const size = imageBytes(split);
  if (h * w * c !== size) throw new SimdnetError(`model '${spec.name}' takes ${h}x${w}x${c} inputs, but the benchmark's images are ${split.rows}x${split.cols}x${split.channels ?? 1}`);
  const batch = options.batchSize;
  if (split.count < batch) throw new SimdnetError(`an inference benchmark of batch ${batch} needs at least ${batch} images, the data has ${split.count}; use a smaller batch size`);
  const mark = engine.mark();
  try {
    // Planned as simdnet evaluate and predict plan a loaded model (io/inference.ts): forward only.
    const model = new Sequential(engine, spec, { maxBatch: batch, seed: options.seed, training: false, convolution: options.convolution });
    const batches = Math.floor(split.count / batch);
    let cursor = 0;
    let sink = 0;
    const step = (): void => {
      const probs = predictProbabilities(model, split.images.subarray(cursor * batch * size, (cursor + 1) * batch * size), batch);
      sink += probs[0];
      cursor = (cursor + 1) % batches;
    };
    const timed: Throughput = timeSteps(step, batch, options);
    if (!Number.isFinite(sink)) throw new SimdnetError(`inference benchmark of '${spec.name}': the model's probabilities are not finite`, 1);
    return { imagesPerSecond: timed.samplesPerSecond, repeats: timed.repeats };
  } finally {
    engine.release(mark);
  }
}
