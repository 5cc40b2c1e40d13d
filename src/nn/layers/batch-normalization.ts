// BatchNormalization (Keras, as tfjs-layers 4.22 computes it): each channel (the last axis) is
// normalized over the batch and every pixel, then scaled by gamma and shifted by beta. Training
// passes use the batch's mean and biased variance and move the moving statistics toward them
// (moving -= (moving - batch)·(1 - momentum)); evaluation and prediction use the moving ones.
// Weights in Keras's order: gamma, beta (trainable), moving_mean, moving_variance (the model's
// state block). Backward needs only the input and the saved per-channel mean and 1/std, not the
// output, so a ReLU may be applied in place to the output. Folds: a linear conv before it may take
// over its inference passes (batch-norm-fold.ts).
import type { Ptr } from '../../engine/kernel-table.js';
import { shapeSize, type Shape } from '../spec.js';
import { BaseLayer, type Layer, type LayerContext, type LayerDefinition } from './layer.js';
import type { NormalizationToFold } from './batch-norm-fold.js';
import { expectValue, fail, onlyFields } from './fields.js';

export interface BatchNormalizationSpec {
  type: 'batchNormalization';
  momentum: number;
  epsilon: number;
}

const DEFAULT_MOMENTUM = 0.99;
const DEFAULT_EPSILON = 1e-3;

function momentumOf(value: unknown, where: string, field: string): number {
  if (value === undefined) return DEFAULT_MOMENTUM;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(where, `${field} must be a number in [0, 1], got ${JSON.stringify(value)}`);
  return value;
}

function epsilonOf(value: unknown, where: string, field: string): number {
  if (value === undefined) return DEFAULT_EPSILON;
  // The kernels take epsilon as f32: a value that rounds to 0 there would divide by 0 on a constant channel.
  if (typeof value !== 'number' || !(value >= 1e-30 && value <= 1)) fail(where, `${field} must be a number in [1e-30, 1], got ${JSON.stringify(value)}`);
  return value;
}

class BatchNormalization extends BaseLayer<BatchNormalizationSpec> {
  /** Per channel: the batch's mean and 1/std (saved for backward), then two sums of scratch. */
  private stats: Ptr = 0;
  private statsValid = false;
  private next: Layer | undefined;
  private inferenceFolded = false;

  private get channels(): number {
    return this.inputShape[this.inputShape.length - 1];
  }

  private rows(batch: number): number {
    return (batch * shapeSize(this.inputShape)) / this.channels;
  }

  private stat(i: number): Ptr {
    return this.stats + i * this.channels * 4;
  }

  bind(context: LayerContext): void {
    super.bind(context);
    this.stats = context.engine.reserve(4 * this.channels * 4, 'batch-norm statistics');
  }

  fold(_previous: Layer | undefined, next: Layer | undefined): void {
    this.next = next;
  }

  deferInferenceNormalization(): NormalizationToFold {
    this.inferenceFolded = true;
    const [gamma, beta, movingMean, movingVariance] = this.context.weights;
    return { gamma, beta, movingMean, movingVariance, epsilon: this.spec.epsilon, output: this.context.output, next: this.next };
  }

  forward(batch: number, training: boolean): void {
    const { input, output, weights } = this.context;
    const [gamma, beta, movingMean, movingVariance] = weights;
    const c = this.channels;
    if (!training) {
      this.statsValid = false;
      if (this.inferenceFolded) return;
      this.k.batchNormForwardInference(input, output, gamma, beta, movingMean, movingVariance, this.stat(1), this.rows(batch), c, c, this.spec.epsilon);
      return;
    }
    // 1 - momentum in f64, rounded once to f32 by the kernel's argument, as TF.js's scalar is.
    this.k.batchNormForwardTraining(input, output, gamma, beta, movingMean, movingVariance, this.stat(0), this.stat(1), this.rows(batch), c, c, this.spec.epsilon, 1 - this.spec.momentum);
    this.statsValid = true;
  }

  backward(batch: number): void {
    if (!this.statsValid) throw new Error('batch normalization backward without a training forward pass');
    const { input, dInput, dOutput, weights, gradients } = this.context;
    const c = this.channels;
    this.k.batchNormBackward(input, dOutput, dInput, weights[0], this.stat(0), this.stat(1), this.stat(2), this.stat(3), gradients[0], gradients[1], this.rows(batch), c, c);
  }
}

export const batchNormalization: LayerDefinition<BatchNormalizationSpec> = {
  type: 'batchNormalization',
  kerasClass: 'BatchNormalization',
  kerasName: 'batch_normalization',

  parse(raw, where) {
    onlyFields(raw, ['momentum', 'epsilon'], where);
    return { type: 'batchNormalization', momentum: momentumOf(raw.momentum, where, 'momentum'), epsilon: epsilonOf(raw.epsilon, where, 'epsilon') };
  },

  toKeras: (spec) => ({ axis: -1, momentum: spec.momentum, epsilon: spec.epsilon, center: true, scale: true }),

  fromKeras(c, where) {
    // The last axis, as TF.js writes it (-1) or as tf.keras does for an image input ([3]).
    expectValue(c, 'axis', [-1, [-1], 3, [3]], where);
    expectValue(c, 'center', [true], where);
    expectValue(c, 'scale', [true], where);
    expectValue(c, 'renorm', [false], where);
    expectValue(c, 'synchronized', [false], where);
    for (const field of ['virtual_batch_size', 'adjustment', 'beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint']) {
      if (c[field] !== undefined && c[field] !== null) fail(where, `${field} ${JSON.stringify(c[field])} is not supported (simdnet supports null)`);
    }
    return { type: 'batchNormalization', momentum: momentumOf(c.momentum, where, 'momentum'), epsilon: epsilonOf(c.epsilon, where, 'epsilon') };
  },

  outputShape(_spec, input: Shape, where) {
    if (input.length !== 1 && input.length !== 3) fail(where, `needs a [height, width, channels] or a flat input, but the layer before it outputs [${input}]`);
    return input;
  },

  weights(_spec, input: Shape) {
    const shape = [input[input.length - 1]];
    return [
      { name: 'gamma', shape, init: 'ones', trainable: true },
      { name: 'beta', shape, init: 'zeros', trainable: true },
      { name: 'moving_mean', shape, init: 'zeros', trainable: false },
      { name: 'moving_variance', shape, init: 'ones', trainable: false },
    ];
  },

  create: (spec, inputShape, outputShape) => new BatchNormalization(spec, inputShape, outputShape),
};
