// Running a loaded model: a Sequential sized for inference, with the file's weights in its
// parameter block, and a forward pass over float images.
import type { Engine } from '../engine/engine.js';
import { Sequential } from '../nn/sequential.js';
import { writeWeights, type LoadedModel } from './model-files.js';

/** Builds the model's memory plan for batches of up to `maxBatch` and copies its weights in. */
export function instantiate(engine: Engine, loaded: LoadedModel, maxBatch: number): Sequential {
  const model = new Sequential(engine, loaded.spec, { maxBatch, seed: 0 });
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
