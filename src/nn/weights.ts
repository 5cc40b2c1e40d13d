// A model's weights in Keras's order (each layer's tensors as its module lists them: kernel then
// bias, ...), copied out of and into the model's blocks. Saving, loading, the web API's
// get/setWeights and the tests all go through these two functions.
import { SimdnetError } from '../engine/errors.js';
import type { Sequential } from './sequential.js';

/** Copies of every weight tensor, layer by layer in Keras order (trainable or not). */
export function readWeights(model: Sequential): Float32Array[] {
  return model.slots.map((slot) => model.engine.f32((slot.trainable ? model.params : model.state) + slot.offset * 4, slot.size).slice());
}

/** Writes every weight tensor (the order and sizes readWeights gives); `source` names the weights in errors. */
export function writeWeights(model: Sequential, tensors: ArrayLike<Float32Array>, source = 'weights'): void {
  if (tensors.length !== model.slots.length) throw new SimdnetError(`${source}: model '${model.spec.name}' has ${model.slots.length} weight tensors, got ${tensors.length}`);
  model.slots.forEach((slot, i) => {
    if (tensors[i].length !== slot.size) throw new SimdnetError(`${source}: tensor ${i} of model '${model.spec.name}' has ${slot.size} values, got ${tensors[i].length}`);
  });
  model.slots.forEach((slot, i) => model.engine.f32((slot.trainable ? model.params : model.state) + slot.offset * 4, slot.size).set(tensors[i]));
}

/** All weights as one array (readWeights concatenated): the web API's getWeights. */
export function flatWeights(model: Sequential): Float32Array {
  const tensors = readWeights(model);
  const out = new Float32Array(tensors.reduce((sum, t) => sum + t.length, 0));
  let at = 0;
  for (const t of tensors) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

/** The inverse of flatWeights. */
export function setFlatWeights(model: Sequential, values: Float32Array): void {
  const total = model.slots.reduce((sum, s) => sum + s.size, 0);
  if (values.length !== total) {
    throw new SimdnetError(`setWeights: model '${model.spec.name}' has ${total} parameters, got ${values.length} values (weights saved from another architecture?)`);
  }
  let at = 0;
  writeWeights(
    model,
    model.slots.map((s) => {
      const t = values.subarray(at, at + s.size);
      at += s.size;
      return t;
    }),
  );
}
