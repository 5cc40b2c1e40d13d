// MaxPooling2D 2x2, stride 2, 'valid' (odd sizes floor, as Keras). The argmax of each window is
// saved in forward so backward is a scatter. Folds: the backward applies a preceding ReLU's
// backward (the window's max is the ReLU output at the argmax) and the mask of a dropout applied
// in place to its output, and a convolution before it may compute the forward inline (or, with
// a batch norm folded into it, the inference passes only).
import type { Ptr } from '../../engine/kernel-table.js';
import { shapeSize, type Shape } from '../spec.js';
import { BaseLayer, type Layer, type LayerContext, type LayerDefinition } from './layer.js';
import { expectValue, fail, onlyFields } from './fields.js';

export interface MaxPooling2DSpec {
  type: 'maxPooling2d';
  poolSize: 2;
}

class MaxPooling2D extends BaseLayer<MaxPooling2DSpec> {
  private argmax: Ptr = 0;
  /** The layer before is a ReLU: backward keeps a window's gradient only where its max is > 0. */
  private reluBefore = false;
  /** The mask of a dropout in place on this output, applied to the incoming gradient (0: none). */
  private maskAfter: Ptr = 0;
  private forwardInline = false;
  /** A convolution before it computes inference passes inline (batch-norm-fold.ts). */
  private inferenceInline = false;

  bind(context: LayerContext): void {
    super.bind(context);
    this.argmax = context.engine.reserve(context.maxBatch * shapeSize(this.outputShape) * 4, 'max-pool argmax');
  }

  deferPoolForward(): { output: Ptr; argmax: Ptr } {
    this.forwardInline = true;
    return { output: this.context.output, argmax: this.argmax };
  }

  deferInferencePoolForward(): { output: Ptr; argmax: Ptr } {
    this.inferenceInline = true;
    return { output: this.context.output, argmax: this.argmax };
  }

  fold(previous: Layer | undefined, next: Layer | undefined): void {
    this.reluBefore = previous?.deferReluBackward?.() ?? false;
    this.maskAfter = next?.deferMaskBackward?.() ?? 0;
  }

  forward(batch: number, training: boolean): void {
    if (this.forwardInline || (this.inferenceInline && !training)) return;
    const [h, w, c] = this.inputShape;
    this.k.maxPool2x2Forward(this.context.input, this.context.output, this.argmax, batch, h, w, c, 0);
  }

  backward(batch: number): void {
    const { dInput, dOutput, output } = this.context;
    if (!dInput) return;
    const [h, w, c] = this.inputShape;
    this.k.maxPool2x2Backward(dOutput, this.argmax, dInput, batch, h, w, c, this.reluBefore ? output : 0, this.maskAfter);
  }
}

export const maxPooling2d: LayerDefinition<MaxPooling2DSpec> = {
  type: 'maxPooling2d',
  kerasClass: 'MaxPooling2D',
  kerasName: 'max_pooling2d',

  parse(raw, where) {
    onlyFields(raw, ['poolSize'], where);
    if (raw.poolSize !== undefined && raw.poolSize !== 2) fail(where, `poolSize must be 2 (the only size simdnet pools by), got ${JSON.stringify(raw.poolSize)}`);
    return { type: 'maxPooling2d', poolSize: 2 };
  },

  toKeras() {
    return { pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' };
  },

  fromKeras(c, where) {
    expectValue(c, 'pool_size', [[2, 2], 2], where);
    expectValue(c, 'strides', [[2, 2], 2, null], where);
    expectValue(c, 'padding', ['valid'], where);
    expectValue(c, 'data_format', ['channels_last'], where);
    return { type: 'maxPooling2d', poolSize: 2 };
  },

  outputShape(_spec, input: Shape, where) {
    if (input.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${input}]`);
    const [h, w, c] = input;
    if (h < 2 || w < 2) fail(where, `input ${h}x${w} is smaller than the 2x2 pool`);
    return [Math.floor(h / 2), Math.floor(w / 2), c];
  },

  weights: () => [],

  create: (spec, inputShape, outputShape) => new MaxPooling2D(spec, inputShape, outputShape),
};

