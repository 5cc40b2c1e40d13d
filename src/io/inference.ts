// Running a loaded model: a Sequential sized for inference, with the file's weights in its
// parameter block, and a forward pass over float images.
import type { Engine } from '../engine/engine.js';
import type { Kernels } from '../engine/kernels.js';
import { Sequential, bytesPerSample } from '../nn/sequential.js';
import type { ModelSpec } from '../nn/spec.js';
import { SimdnetError } from '../engine/errors.js';
import { writeWeights, type LoadedModel } from './model-files.js';

/**
 * Memory a loaded model's batches may take. The layer sizes come from a file: a few hundred bytes
 * of model.json (a 1x1 convolution with 4,096 filters, say) must not reserve gigabytes.
 */
export const INFERENCE_MEMORY_BUDGET = 512 * 2 ** 20;

/** The largest batch up to `requested` whose memory plan fits the budget; throws if one image does not. */
export function inferenceBatch(spec: ModelSpec, kernels: Kernels, requested: number, source: string): number {
  const perSample = bytesPerSample(spec, kernels);
  const fits = Math.floor(INFERENCE_MEMORY_BUDGET / perSample);
  if (fits < 1) {
    throw new SimdnetError(
      `${source}: the model needs about ${Math.ceil(perSample / 2 ** 20)} MiB of working memory per image, ` +
        `more than the ${INFERENCE_MEMORY_BUDGET / 2 ** 20} MiB simdnet gives a loaded model`,
    );
  }
  return Math.min(requested, fits);
}

/** Builds the model's memory plan for batches of up to `maxBatch` (less if memory says so) and copies its weights in. */
export function instantiate(engine: Engine, loaded: LoadedModel, maxBatch: number): Sequential {
  const batch = inferenceBatch(loaded.spec, engine.kernels, maxBatch, `${loaded.dir}/model.json`);
  const model = new Sequential(engine, loaded.spec, { maxBatch: batch, seed: 0 });
  writeWeights(model, loaded.weights);
  return model;
}

/**
 * Class probabilities for `count` images, given as floats in [0, 1], [count, ...inputShape]
 * row-major (NHWC). Returns [count, classes].
 */
export function predictProbabilities(model: Sequential, images: Float32Array, count: number): Float32Array {
  const probs = new Float32Array(count * model.classes);
  for (let start = 0; start < count; start += model.maxBatch) {
    const n = Math.min(model.maxBatch, count - start);
    model.engine.f32(model.input, n * model.inputSize).set(images.subarray(start * model.inputSize, (start + n) * model.inputSize));
    // The loss needs labels; any valid class will do, its value is not used here.
    model.engine.i32(model.labels, n).fill(0);
    model.forward(n, false);
    probs.set(model.engine.f32(model.probs, n * model.classes), start * model.classes);
  }
  return probs;
}
