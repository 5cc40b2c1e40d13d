// Inference: forward passes in inference mode (no dropout, no backward), `model.maxBatch` images
// at a time. One loop serves every caller: predict from host images (simdnet predict, the Node
// API, the browser worker), evaluation over a dataset resident in wasm memory (simdnet evaluate,
// validation and test passes) and the inference benchmark, which times predictProbabilities.
import { SimdnetError } from '../engine/errors.js';
import type { Ptr } from '../engine/kernel-table.js';
import type { Sequential } from './sequential.js';

/**
 * Runs the model over `count` samples in batches of up to `model.maxBatch`: `load(start, n)` fills
 * the model's input and label buffers with samples start..start+n-1, then the forward pass runs
 * and `visit(start, n, lossSum)` reads what it needs (model.probs) before the next batch overwrites it.
 */
export function inferBatches(model: Sequential, count: number, load: (start: number, n: number) => void, visit: (start: number, n: number, lossSum: number) => void): void {
  for (let start = 0; start < count; start += model.maxBatch) {
    const n = Math.min(model.maxBatch, count - start);
    load(start, n);
    visit(start, n, model.forward(n, false));
  }
}

/** Gathers samples order[start..start+n) of a u8 dataset already in wasm memory (the training batches' path). */
export function residentLoader(model: Sequential, images: Ptr, labels: Ptr, order: Int32Array): (start: number, n: number) => void {
  return (start, n) => model.loadBatch(images, labels, order, start, n);
}

/**
 * Copies images start..start+n-1 from host memory into the model's input. Bytes are copied as
 * bytes and widened and scaled (by 1/255, as training's gather does) by the wasm gather kernel:
 * a JavaScript loop over the pixels cost ~7% of an MLP's forward pass at batch 256. Labels are
 * set to class 0 (the loss needs a valid class; its value is not used) unless given.
 */
export function hostLoader(model: Sequential, pixels: Uint8Array | Float32Array, labels?: ArrayLike<number>): (start: number, n: number) => void {
  const size = model.inputSize;
  const engine = model.engine;
  let identity = -1;
  return (start, n) => {
    const chunk = pixels.subarray(start * size, (start + n) * size);
    if (chunk instanceof Float32Array) {
      engine.f32(model.input, n * size).set(chunk);
    } else {
      engine.u8(model.inputBytes, n * size).set(chunk);
      if (identity < n) {
        const indices = engine.i32(model.indices, n);
        for (let i = 0; i < n; i++) indices[i] = i;
        identity = n;
      }
      model.kernels.gatherImages(model.inputBytes, model.indices, model.input, n, size, 1 / 255);
    }
    const target = engine.i32(model.labels, n);
    if (labels) for (let i = 0; i < n; i++) target[i] = labels[start + i];
    else target.fill(0);
  };
}

/**
 * Probabilities [count, classes], row-major, for `count` images of `model.inputSize` values each
 * (NHWC): bytes 0..255 (Uint8Array, scaled by 1/255 as training does) or floats already in 0..1.
 */
export function predictProbabilities(model: Sequential, pixels: Uint8Array | Float32Array, count = Math.floor(pixels.length / model.inputSize)): Float32Array {
  const size = model.inputSize;
  if (!Number.isInteger(count) || count < 0) throw new SimdnetError(`predict: count must be a non-negative integer, got ${count}`);
  if (pixels.length < count * size) throw new SimdnetError(`predict: ${count} samples of ${size} values need ${count * size} values, got ${pixels.length}`);
  const probs = new Float32Array(count * model.classes);
  inferBatches(model, count, hostLoader(model, pixels), (start, n) => probs.set(model.engine.f32(model.probs, n * model.classes), start * model.classes));
  return probs;
}
