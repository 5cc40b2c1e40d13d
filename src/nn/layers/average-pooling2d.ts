// AveragePooling2D: the mean of each poolSize x poolSize window, windows every `strides` pixels
// (default: poolSize, Keras's default), 'valid' padding (windows past the edge are dropped), NHWC.
// Nothing is saved for backward: every pixel of a window gets doutput / poolSize².
import type { Shape } from '../spec.js';
import { BaseLayer, type LayerDefinition } from './layer.js';
import { expectValue, fail, intIn, onlyFields, squarePair } from './fields.js';

export interface AveragePooling2DSpec {
  type: 'averagePooling2d';
  poolSize: number;
  strides: number;
}

const MAX_POOL = 64;

class AveragePooling2D extends BaseLayer<AveragePooling2DSpec> {
  private get geometry(): [number, number, number, number, number, number, number] {
    const [h, w, c] = this.inputShape;
    const [oh, ow] = this.outputShape;
    return [h, w, c, this.spec.poolSize, this.spec.strides, oh, ow];
  }

  forward(batch: number): void {
    this.k.averagePool2dForward(this.context.input, this.context.output, batch, ...this.geometry);
  }

  backward(batch: number): void {
    if (this.context.dInput) this.k.averagePool2dBackward(this.context.dOutput, this.context.dInput, batch, ...this.geometry);
  }
}

export const averagePooling2d: LayerDefinition<AveragePooling2DSpec> = {
  type: 'averagePooling2d',
  kerasClass: 'AveragePooling2D',
  kerasName: 'average_pooling2d',

  parse(raw, where) {
    onlyFields(raw, ['poolSize', 'strides'], where);
    const poolSize = raw.poolSize === undefined ? 2 : intIn(raw.poolSize, 1, MAX_POOL, where, 'poolSize');
    const strides = raw.strides === undefined ? poolSize : intIn(raw.strides, 1, MAX_POOL, where, 'strides');
    return { type: 'averagePooling2d', poolSize, strides };
  },

  toKeras: (spec) => ({ pool_size: [spec.poolSize, spec.poolSize], padding: 'valid', strides: [spec.strides, spec.strides], data_format: 'channels_last' }),

  fromKeras(c, where) {
    expectValue(c, 'padding', ['valid'], where);
    expectValue(c, 'data_format', ['channels_last'], where);
    const poolSize = c.pool_size === undefined ? 2 : squarePair(c.pool_size, 1, MAX_POOL, where, 'pool_size');
    const strides = c.strides === undefined || c.strides === null ? poolSize : squarePair(c.strides, 1, MAX_POOL, where, 'strides');
    return { type: 'averagePooling2d', poolSize, strides };
  },

  outputShape(spec, input: Shape, where) {
    if (input.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${input}]`);
    const [h, w, c] = input;
    if (h < spec.poolSize || w < spec.poolSize) fail(where, `input ${h}x${w} is smaller than the ${spec.poolSize}x${spec.poolSize} pool`);
    return [Math.floor((h - spec.poolSize) / spec.strides) + 1, Math.floor((w - spec.poolSize) / spec.strides) + 1, c];
  },

  weights: () => [],

  create: (spec, inputShape, outputShape) => new AveragePooling2D(spec, inputShape, outputShape),
};
