// The named models on data of any shape: the notebook's layers, unchanged, fitted at both ends.
import { SimdnetError } from '../engine/errors.js';
import { planModel } from './model-spec.js';
import type { TrainingSpec } from './spec.js';

/**
 * `spec` taking `shape` ([height, width, channels]) inputs, with `classes` units in its last dense
 * layer; every other layer, the optimizer and the schedule stay as they are. MNIST's [28, 28, 1]
 * and 10 classes give back `spec` itself, so the four models on MNIST are the notebook's, bit for bit.
 * Throws one line when the layers cannot take images that small (a convolution or pool would
 * shrink them to nothing).
 */
export function forData(spec: TrainingSpec, shape: readonly [number, number, number], classes: number): TrainingSpec {
  const last = spec.layers[spec.layers.length - 1];
  if (last?.type !== 'dense') throw new SimdnetError(`model '${spec.name}' does not end in a dense layer, so it cannot be fitted to the data's classes`);
  const sameShape = spec.inputShape.every((n, i) => n === shape[i]);
  if (sameShape && last.units === classes) return spec;
  const adapted: TrainingSpec = {
    ...spec,
    inputShape: [shape[0], shape[1], shape[2]],
    layers: [...spec.layers.slice(0, -1), { ...last, units: classes }],
  };
  try {
    planModel(adapted);
  } catch (error) {
    if (!(error instanceof SimdnetError)) throw error;
    throw new SimdnetError(`model '${spec.name}' cannot take ${shape.join('x')} images: ${error.message.replace(/^model '[^']*': /, '')}`);
  }
  return adapted;
}
