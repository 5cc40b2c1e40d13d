// Class probabilities from a built model: forward passes in inference mode, a batch at a time.
// Node (simdnet predict, evaluate) and the browser worker both call this.
import { SimdnetError } from '../engine/errors.js';
import type { Sequential } from './sequential.js';

/**
 * Probabilities [count, classes], row-major, for `count` images of `model.inputSize` values each
 * (NHWC): bytes 0..255 (Uint8Array, scaled by 1/255 as training does) or floats already in 0..1.
 */
export function predictProbabilities(model: Sequential, pixels: Uint8Array | Float32Array, count = Math.floor(pixels.length / model.inputSize)): Float32Array {
  const size = model.inputSize;
  if (!Number.isInteger(count) || count < 0) throw new SimdnetError(`predict: count must be a non-negative integer, got ${count}`);
  if (pixels.length < count * size) throw new SimdnetError(`predict: ${count} samples of ${size} values need ${count * size} values, got ${pixels.length}`);
  const probs = new Float32Array(count * model.classes);
  const scale = pixels instanceof Uint8Array ? 1 / 255 : 1;
  for (let start = 0; start < count; start += model.maxBatch) {
    const n = Math.min(model.maxBatch, count - start);
    const input = model.engine.f32(model.input, n * size);
    const chunk = pixels.subarray(start * size, (start + n) * size);
    if (scale === 1) input.set(chunk);
    else for (let i = 0; i < chunk.length; i++) input[i] = chunk[i] * scale;
    // The loss reads labels; any valid class will do, its value is not used here.
    model.engine.i32(model.labels, n).fill(0);
    model.forward(n, false);
    probs.set(model.engine.f32(model.probs, n * model.classes), start * model.classes);
  }
  return probs;
}
