// Running a loaded model: a Sequential sized for inference within a memory budget, with the
// file's weights in its blocks (nn/predict.ts then runs it).
import type { Engine } from '../engine/engine.js';
import { Sequential, bytesPerSample } from '../nn/sequential.js';
import type { ModelSpec } from '../nn/spec.js';
import { SimdnetError } from '../engine/errors.js';
import { writeWeights } from '../nn/weights.js';
import type { LoadedModel } from './model-files.js';

/**
 * Memory a loaded model's batches may take. The layer sizes come from a file: a few hundred bytes
 * of model.json (a 1x1 convolution with 4,096 filters, say) must not reserve gigabytes.
 */
export const INFERENCE_MEMORY_BUDGET = 512 * 2 ** 20;

/** The largest batch up to `requested` whose memory plan fits the budget; throws if one image does not. */
export function inferenceBatch(spec: ModelSpec, requested: number, source: string): number {
  const perSample = bytesPerSample(spec);
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
  const batch = inferenceBatch(loaded.spec, maxBatch, `${loaded.dir}/model.json`);
  const model = new Sequential(engine, loaded.spec, { maxBatch: batch, seed: 0, training: false });
  writeWeights(model, loaded.weights.map((w) => w.values), `${loaded.dir}/model.json`);
  return model;
}
