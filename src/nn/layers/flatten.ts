// Flatten: NHWC is already row-major per sample, so flattening is a change of shape only.
import { shapeSize } from '../spec.js';
import { BaseLayer, type LayerDefinition } from './layer.js';
import { expectValue, onlyFields } from './fields.js';

export interface FlattenSpec {
  type: 'flatten';
}

class Flatten extends BaseLayer<FlattenSpec> {
  readonly inPlace = true;
  forward(): void {}
  backward(): void {}
}

export const flatten: LayerDefinition<FlattenSpec> = {
  type: 'flatten',
  kerasClass: 'Flatten',
  kerasName: 'flatten',
  parse(raw, where) {
    onlyFields(raw, [], where);
    return { type: 'flatten' };
  },
  toKeras: () => ({}),
  fromKeras(c, where) {
    expectValue(c, 'data_format', ['channels_last', null], where);
    return { type: 'flatten' };
  },
  outputShape: (_spec, input) => [shapeSize(input)],
  weights: () => [],
  create: (spec, inputShape, outputShape) => new Flatten(spec, inputShape, outputShape),
};
