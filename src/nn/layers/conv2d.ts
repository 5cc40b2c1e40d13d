// Conv2D, valid padding, stride 1, NHWC: y[b, oy, ox, f] = act(Σ x[b, oy+ky, ox+kx, c] · W[ky, kx, c, f] + bias[f]).
// Two algorithms, chosen per layer shape (convolutionAlgorithm): the direct one, an implicit GEMM
// (assembly/conv-*.ts) that saves nothing for backward but the input and output, and Winograd's
// minimal filtering (conv2d-winograd.ts) for 3x3 and 5x5 layers with enough channels. Folds
// (direct only): a 2x2 max pool right after it is done inline in the forward; a following max pool
// may apply this layer's ReLU backward for it (either algorithm); a linear layer takes over the
// inference passes of a batch norm after it, and of the ReLU and max pool after that (batch-norm-fold.ts).
import type { Kernels, Ptr } from '../../engine/kernel-table.js';
import type { Activation, Shape } from '../spec.js';
import { BaseLayer, type ConvolutionChoice, type Layer, type LayerContext, type LayerDefinition } from './layer.js';
import { activation, expectValue, fail, intIn, onlyFields, squarePair } from './fields.js';
import { WinogradConvolution } from './conv2d-winograd.js';
import { InferenceFold } from './batch-norm-fold.js';

export interface Conv2DSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: number;
  activation: Activation;
}

/** Bounds on what a spec or a topology may ask for, checked before any size is used. */
const MAX_FILTERS = 4096;
const MAX_KERNEL = 1024;

/** Winograd variants (assembly/winograd-transforms.ts), by the kernels' numbers. */
const F4X4_3X3 = 1;
const F2X2_5X5 = 2;

export type ConvolutionAlgorithm = { kind: 'direct' } | { kind: 'single' } | { kind: 'winograd'; variant: number };

/**
 * How a layer of this shape is computed. Winograd needs a 3x3 or 5x5 kernel and channel counts
 * that are multiples of 4 (its transforms take four channels at a time); 'auto' also wants 16
 * channels or more on both sides, where it was measured to win (batch 64, one thread, Intel Xeon,
 * against the direct kernels): cnn-tuned's second layer (12x12x64 -> 64, 5x5) by F(2x2,5x5) 2.1x
 * forward, 1.9x weight gradient, 2.2x input gradient; cnn's second (13x13x32 -> 32, 3x3) by
 * F(4x4,3x3) 1.7x, 1.3x, 2.1x, where F(2x2,3x3) gave 1.0x, 0.7x, 1.1x. One-channel layers with
 * filters in multiples of 16 (first layers on grey images) take the direct one-channel kernels
 * (assembly/conv-single-channel.ts); 'direct' keeps the implicit GEMM everywhere (the numbers of
 * simdnet before either).
 */
export function convolutionAlgorithm(spec: Conv2DSpec, input: Shape, choice: ConvolutionChoice): ConvolutionAlgorithm {
  const c = input[2];
  const k = spec.filters;
  if (choice !== 'direct' && c === 1 && k % 16 === 0) return { kind: 'single' };
  const eligible = (spec.kernelSize === 3 || spec.kernelSize === 5) && c % 4 === 0 && k % 4 === 0;
  const worth = choice === 'winograd' || (choice === 'auto' && c >= 16 && k >= 16);
  if (!eligible || !worth) return { kind: 'direct' };
  return { kind: 'winograd', variant: spec.kernelSize === 5 ? F2X2_5X5 : F4X4_3X3 };
}

class Conv2D extends BaseLayer<Conv2DSpec> {
  private reluBackwardDeferred = false;
  private poolInline: { output: Ptr; argmax: Ptr } | null = null;
  private readonly winograd: WinogradConvolution | null;
  /** The one-channel kernels' per-image partial weight gradients. */
  private partials: Ptr = 0;
  private inferenceFold: InferenceFold | null = null;

  constructor(spec: Conv2DSpec, inputShape: Shape, outputShape: Shape, readonly algorithm: ConvolutionAlgorithm) {
    super(spec, inputShape, outputShape);
    const [height, width, inChannels] = inputShape;
    const [outHeight, outWidth, outChannels] = outputShape;
    this.winograd =
      algorithm.kind === 'winograd'
        ? new WinogradConvolution({ height, width, inChannels, outHeight, outWidth, outChannels, relu: spec.activation === 'relu', variant: algorithm.variant })
        : null;
  }

  /** [height, width, inChannels, outHeight, outWidth, outChannels, kernel], as the conv kernels take them. */
  private get geometry(): [number, number, number, number, number, number, number] {
    const [h, w, c] = this.inputShape;
    const [oh, ow, f] = this.outputShape;
    return [h, w, c, oh, ow, f, this.spec.kernelSize];
  }

  private get patch(): number {
    return this.spec.kernelSize * this.spec.kernelSize * this.inputShape[2];
  }

  scratchFloats(kernels: Kernels): number {
    const [h, w, c] = this.inputShape;
    if (this.algorithm.kind === 'winograd') return kernels.winogradScratchFloats(c, this.spec.filters, this.algorithm.variant);
    return kernels.conv2dScratchFloats(h, w, c, this.spec.filters, this.spec.kernelSize);
  }

  bind(context: LayerContext): void {
    super.bind(context);
    this.winograd?.bind(context);
    if (this.algorithm.kind === 'single' && context.training) {
      this.partials = context.engine.reserve(context.maxBatch * (this.patch + 1) * this.spec.filters * 4, 'conv partial weight gradients');
    }
  }

  deferReluBackward(): boolean {
    this.reluBackwardDeferred = this.spec.activation === 'relu';
    return this.reluBackwardDeferred;
  }

  fold(_previous: Layer | undefined, next: Layer | undefined): void {
    const [oh, ow] = this.outputShape;
    const poolsInline = !this.winograd && this.k.conv2dPoolsInline(oh, ow) === 1;
    if (this.spec.activation === 'linear') this.inferenceFold = InferenceFold.after(this.context, next, this.patch, this.spec.filters, poolsInline);
    if (this.winograd || !next?.deferPoolForward || !this.k.conv2dPoolsInline(oh, ow)) return;
    this.poolInline = next.deferPoolForward();
  }

  forward(batch: number, training: boolean): void {
    const { weights, output } = this.context;
    const folded = training ? null : this.inferenceFold?.operands();
    if (folded) return this.convolve(batch, false, folded.weights, folded.bias, folded.output, folded.relu, folded.pool);
    this.convolve(batch, training, weights[0], weights[1], output, this.spec.activation === 'relu', this.poolInline);
  }

  private convolve(batch: number, training: boolean, kernel: Ptr, bias: Ptr, output: Ptr, withRelu: boolean, pool: { output: Ptr; argmax: Ptr } | null): void {
    if (this.winograd) return this.winograd.forward(batch, kernel, bias, output, withRelu);
    const { input, scratch } = this.context;
    const relu = withRelu ? 1 : 0;
    if (this.algorithm.kind === 'single') {
      const [h, w] = this.inputShape;
      const [oh, ow, f] = this.outputShape;
      // A forward pass for prediction needs only the pooled maxima: no output, no argmax (no
      // backward pass follows it).
      const keep = !pool || training;
      this.k.conv2dSingleChannelForward(input, kernel, bias, keep ? output : 0, batch, h, w, oh, ow, f, this.spec.kernelSize, relu, pool ? pool.output : 0, pool && keep ? pool.argmax : 0);
      return;
    }
    this.k.conv2dForward(input, kernel, bias, output, scratch.pack, batch, ...this.geometry, relu, pool ? pool.output : 0, pool ? pool.argmax : 0);
  }

  backward(batch: number): void {
    const { input, output, dInput, dOutput, weights, gradients, scratch } = this.context;
    const geometry = this.geometry;
    const filters = this.spec.filters;
    if (this.winograd) {
      // The bias gradient in the ReLU's backward pass, or from doutput's transformed tiles when
      // there is no such pass here (a max pool did it, or the layer is linear).
      if (this.spec.activation === 'relu' && !this.reluBackwardDeferred) {
        this.k.reluBiasBackward(output, dOutput, gradients[1], batch * this.outputShape[0] * this.outputShape[1], filters);
        return this.winograd.backward(batch, false);
      }
      return this.winograd.backward(batch, true);
    }
    // The bias gradient is the weight gradient's extra row (A = 1; dBias follows dWeights), so
    // it needs no pass of its own unless the ReLU's backward must run here first.
    let gradientRows = this.patch + 1;
    if (this.spec.activation === 'relu' && !this.reluBackwardDeferred) {
      this.k.reluBiasBackward(output, dOutput, gradients[1], batch * this.outputShape[0] * this.outputShape[1], filters);
      gradientRows = this.patch;
    }
    if (this.algorithm.kind === 'single') {
      const [h, w] = this.inputShape;
      const [oh, ow] = this.outputShape;
      const floats = gradientRows * filters;
      this.k.conv2dSingleChannelPartials(input, dOutput, this.partials, batch, h, w, oh, ow, filters, this.spec.kernelSize, gradientRows - this.patch);
      this.k.conv2dSumPartials(this.partials, gradients[0], batch, floats, floats);
    } else {
      this.k.conv2dBackwardWeights(input, dOutput, gradients[0], scratch.pack, batch, ...geometry, 0, gradientRows, 0, filters);
    }
    if (dInput) {
      const [h, w, c] = this.inputShape;
      this.k.zeroF32(dInput, batch * h * w * c);
      this.k.conv2dBackwardInput(dOutput, weights[0], dInput, scratch.pack, batch, ...geometry);
    }
  }
}

export const conv2d: LayerDefinition<Conv2DSpec> = {
  type: 'conv2d',
  kerasClass: 'Conv2D',
  kerasName: 'conv2d',

  parse(raw, where) {
    onlyFields(raw, ['filters', 'kernelSize', 'activation'], where);
    return {
      type: 'conv2d',
      filters: intIn(raw.filters, 1, MAX_FILTERS, where, 'filters'),
      kernelSize: intIn(raw.kernelSize, 1, MAX_KERNEL, where, 'kernelSize'),
      activation: activation(raw.activation, where),
    };
  },

  toKeras(spec) {
    return {
      filters: spec.filters,
      kernel_size: [spec.kernelSize, spec.kernelSize],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: spec.activation,
      use_bias: true,
    };
  },

  fromKeras(c, where) {
    expectValue(c, 'strides', [[1, 1], 1], where);
    expectValue(c, 'padding', ['valid'], where);
    expectValue(c, 'data_format', ['channels_last'], where);
    expectValue(c, 'dilation_rate', [[1, 1], 1], where);
    expectValue(c, 'groups', [1], where);
    expectValue(c, 'use_bias', [true], where);
    return {
      type: 'conv2d',
      filters: intIn(c.filters, 1, MAX_FILTERS, where, 'filters'),
      kernelSize: squarePair(c.kernel_size, 1, MAX_KERNEL, where, 'kernel_size'),
      activation: activation(c.activation, where),
    };
  },

  outputShape(spec, input, where) {
    if (input.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${input}]`);
    const [h, w] = input;
    if (spec.kernelSize > h || spec.kernelSize > w) fail(where, `kernel ${spec.kernelSize} is larger than its ${h}x${w} input`);
    return [h - spec.kernelSize + 1, w - spec.kernelSize + 1, spec.filters];
  },

  weights(spec, input: Shape) {
    return [
      { name: 'kernel', shape: [spec.kernelSize, spec.kernelSize, input[2], spec.filters], init: 'glorotUniform', trainable: true },
      { name: 'bias', shape: [spec.filters], init: 'zeros', trainable: true },
    ];
  },

  create: (spec, inputShape, outputShape, settings) => new Conv2D(spec, inputShape, outputShape, convolutionAlgorithm(spec, inputShape, settings.convolution)),
};
