// GlobalAveragePooling2D: each channel's mean over all pixels, [height, width, channels] ->
// [channels] (Keras's default, keepdims false), so a dense layer can follow it directly.
import type { Shape } from '../spec.js';
import { BaseLayer, type LayerDefinition } from './layer.js';
import { expectValue, fail, onlyFields } from './fields.js';

export interface GlobalAveragePooling2DSpec {
  type: 'globalAveragePooling2d';
}

class GlobalAveragePooling2D extends BaseLayer<GlobalAveragePooling2DSpec> {
  forward(batch: number): void {
    const [h, w, c] = this.inputShape;
    this.k.globalAveragePool2dForward(this.context.input, this.context.output, batch, h * w, c);
  }

  backward(batch: number): void {
    const [h, w, c] = this.inputShape;
    if (this.context.dInput) this.k.globalAveragePool2dBackward(this.context.dOutput, this.context.dInput, batch, h * w, c);
  }
}

export const globalAveragePooling2d: LayerDefinition<GlobalAveragePooling2DSpec> = {
  type: 'globalAveragePooling2d',
  kerasClass: 'GlobalAveragePooling2D',
  kerasName: 'global_average_pooling2d',
  parse(raw, where) {
    onlyFields(raw, [], where);
    return { type: 'globalAveragePooling2d' };
  },
  toKeras: () => ({ data_format: 'channels_last' }),
  fromKeras(c, where) {
    expectValue(c, 'data_format', ['channels_last', null], where);
    expectValue(c, 'keepdims', [false], where);
    return { type: 'globalAveragePooling2d' };
  },
  outputShape(_spec, input: Shape, where) {
    if (input.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${input}]`);
    return [input[2]];
  },
  weights: () => [],
  create: (spec, inputShape, outputShape) => new GlobalAveragePooling2D(spec, inputShape, outputShape),
};
