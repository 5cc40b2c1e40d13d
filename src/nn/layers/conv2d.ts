// Conv2D, NHWC: y[b, oy, ox, f] = act(Σ x[b, s·oy+ky-top, s·ox+kx-left, c] · W[ky, kx, c, f] + bias[f]),
// stride s 1 or 2, padding 'valid' (top = left = 0) or 'same' (TensorFlow's: the output is
// ceil(in / s), the zeros split with the odd one at the bottom and right). A 'same' layer copies
// its input into a zero-bordered buffer (zeroPad2d) and runs the valid machinery on it; its input
// gradient is cropped back out of the padded one (crop2d). Algorithms, chosen per layer shape
// (convolutionAlgorithm): the direct one, an implicit GEMM (assembly/conv-*.ts, any stride) that
// saves nothing for backward but the input and output, and, at stride 1, Winograd's minimal
// filtering (conv2d-winograd.ts) for 3x3 and 5x5 layers with enough channels and the one-channel
// kernels. Folds (direct only): a 2x2 max pool right after it is done inline in the forward; a
// following max pool may apply this layer's ReLU backward for it (either algorithm); a linear layer
// takes over the inference passes of a batch norm after it, and of the ReLU and max pool after that
// (batch-norm-fold.ts).
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
  /**
   * Absent means 'valid' and strides absent means 1: parse leaves the defaults out, so a spec
   * written before these fields existed (the named models, a checkpoint's) reads back unchanged.
   */
  padding?: 'valid' | 'same';
  strides?: 1 | 2;
}

const PADDINGS = ['valid', 'same'] as const;
const STRIDES = [1, 2] as const;

/** Where a layer's windows sit: its output size and the (zero-padded) image they slide over. */
export interface ConvWindows {
  outHeight: number;
  outWidth: number;
  stride: number;
  /** The image the kernels read: the input itself, or its zero-padded copy, with the input at (top, left). */
  paddedHeight: number;
  paddedWidth: number;
  top: number;
  left: number;
}

/** TensorFlow's arithmetic: 'valid' floor((in - k) / s) + 1; 'same' ceil(in / s), padded by max((out - 1)·s + k - in, 0), half of it (rounded down) before. */
export function convWindows(spec: Conv2DSpec, height: number, width: number): ConvWindows {
  const k = spec.kernelSize;
  const s = spec.strides ?? 1;
  if (spec.padding !== 'same') {
    return { outHeight: Math.floor((height - k) / s) + 1, outWidth: Math.floor((width - k) / s) + 1, stride: s, paddedHeight: height, paddedWidth: width, top: 0, left: 0 };
  }
  const outHeight = Math.ceil(height / s);
  const outWidth = Math.ceil(width / s);
  const padH = Math.max((outHeight - 1) * s + k - height, 0);
  const padW = Math.max((outWidth - 1) * s + k - width, 0);
  return { outHeight, outWidth, stride: s, paddedHeight: height + padH, paddedWidth: width + padW, top: padH >> 1, left: padW >> 1 };
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
  // Both of the others tile stride-1 windows.
  if ((spec.strides ?? 1) !== 1) return { kind: 'direct' };
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
  private readonly windows: ConvWindows;
  /** The one-channel kernels' per-image partial weight gradients. */
  private partials: Ptr = 0;
  /**
   * A 'same' layer's zero-padded input (0 when the layer reads its input as it is). Backward
   * reuses it for the padded input gradient once the weight gradient has read it: the next
   * forward pads afresh.
   */
  private padded: Ptr = 0;
  private inferenceFold: InferenceFold | null = null;

  constructor(spec: Conv2DSpec, inputShape: Shape, outputShape: Shape, readonly algorithm: ConvolutionAlgorithm) {
    super(spec, inputShape, outputShape);
    const [height, width, inChannels] = inputShape;
    const [outHeight, outWidth, outChannels] = outputShape;
    this.windows = convWindows(spec, height, width);
    const { paddedHeight, paddedWidth } = this.windows;
    this.winograd =
      algorithm.kind === 'winograd'
        ? new WinogradConvolution({ height: paddedHeight, width: paddedWidth, inChannels, outHeight, outWidth, outChannels, relu: spec.activation === 'relu', variant: algorithm.variant })
        : null;
  }

  private get pads(): boolean {
    const [h, w] = this.inputShape;
    return this.windows.paddedHeight !== h || this.windows.paddedWidth !== w;
  }

  /** [height, width, inChannels, outHeight, outWidth, outChannels, kernel, stride] of the image the kernels read, as they take them. */
  private get geometry(): [number, number, number, number, number, number, number, number] {
    const c = this.inputShape[2];
    const [oh, ow, f] = this.outputShape;
    return [this.windows.paddedHeight, this.windows.paddedWidth, c, oh, ow, f, this.spec.kernelSize, this.windows.stride];
  }

  /** The image the kernels read: the input, or its padded copy. */
  private get source(): Ptr {
    return this.padded || this.context.input;
  }

  private get patch(): number {
    return this.spec.kernelSize * this.spec.kernelSize * this.inputShape[2];
  }

  scratchFloats(kernels: Kernels): number {
    const c = this.inputShape[2];
    if (this.algorithm.kind === 'winograd') return kernels.winogradScratchFloats(c, this.spec.filters, this.algorithm.variant);
    return kernels.conv2dScratchFloats(this.windows.paddedHeight, this.windows.paddedWidth, c, this.spec.filters, this.spec.kernelSize);
  }

  bind(context: LayerContext): void {
    super.bind(context);
    if (this.pads) {
      this.padded = context.engine.reserve(context.maxBatch * this.windows.paddedHeight * this.windows.paddedWidth * this.inputShape[2] * 4, 'conv zero-padded input');
    }
    // Winograd reads (and writes the input gradient of) the padded image in the input's place.
    this.winograd?.bind(this.padded ? { ...context, input: this.padded, dInput: context.dInput ? this.padded : 0 } : context);
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

  /** The padded copy's arguments after (batch, height, width, channels), as zeroPad2d and crop2d take them. */
  private padArgs(batch: number): [number, number, number, number, number, number, number, number] {
    const [h, w, c] = this.inputShape;
    const { paddedHeight, paddedWidth, top, left } = this.windows;
    return [batch, h, w, c, paddedHeight, paddedWidth, top, left];
  }

  forward(batch: number, training: boolean): void {
    if (this.padded) this.k.zeroPad2d(this.context.input, this.padded, ...this.padArgs(batch));
    const { weights, output } = this.context;
    const folded = training ? null : this.inferenceFold?.operands();
    if (folded) return this.convolve(batch, false, folded.weights, folded.bias, folded.output, folded.relu, folded.pool);
    this.convolve(batch, training, weights[0], weights[1], output, this.spec.activation === 'relu', this.poolInline);
  }

  private convolve(batch: number, training: boolean, kernel: Ptr, bias: Ptr, output: Ptr, withRelu: boolean, pool: { output: Ptr; argmax: Ptr } | null): void {
    if (this.winograd) return this.winograd.forward(batch, kernel, bias, output, withRelu);
    const { scratch } = this.context;
    const input = this.source;
    const relu = withRelu ? 1 : 0;
    if (this.algorithm.kind === 'single') {
      const [oh, ow, f] = this.outputShape;
      // A forward pass for prediction needs only the pooled maxima: no output, no argmax (no
      // backward pass follows it).
      const keep = !pool || training;
      this.k.conv2dSingleChannelForward(input, kernel, bias, keep ? output : 0, batch, this.windows.paddedHeight, this.windows.paddedWidth, oh, ow, f, this.spec.kernelSize, relu, pool ? pool.output : 0, pool && keep ? pool.argmax : 0);
      return;
    }
    this.k.conv2dForward(input, kernel, bias, output, scratch.pack, batch, ...this.geometry, relu, pool ? pool.output : 0, pool ? pool.argmax : 0);
  }

  backward(batch: number): void {
    this.gradients(batch);
    if (this.padded && this.context.dInput) this.k.crop2d(this.padded, this.context.dInput, ...this.padArgs(batch));
  }

  /** The weight and bias gradients, and the input gradient of the image the kernels read (the padded one, when there is one). */
  private gradients(batch: number): void {
    const { output, dOutput, weights, gradients, scratch } = this.context;
    const input = this.source;
    const dInput = this.context.dInput && (this.padded || this.context.dInput);
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
      const [oh, ow] = this.outputShape;
      const floats = gradientRows * filters;
      this.k.conv2dSingleChannelPartials(input, dOutput, this.partials, batch, geometry[0], geometry[1], oh, ow, filters, this.spec.kernelSize, gradientRows - this.patch);
      this.k.conv2dSumPartials(this.partials, gradients[0], batch, floats, floats);
    } else {
      this.k.conv2dBackwardWeights(input, dOutput, gradients[0], scratch.pack, batch, ...geometry, 0, gradientRows, 0, filters);
    }
    if (dInput) {
      this.k.zeroF32(dInput, batch * geometry[0] * geometry[1] * geometry[2]);
      this.k.conv2dBackwardInput(dOutput, weights[0], dInput, scratch.pack, batch, ...geometry);
    }
  }
}

/** The spec with padding and strides set, leaving the defaults out (see Conv2DSpec). */
function withWindows(spec: Conv2DSpec, padding: Conv2DSpec['padding'], strides: Conv2DSpec['strides']): Conv2DSpec {
  if (padding === 'same') spec.padding = padding;
  if (strides === 2) spec.strides = strides;
  return spec;
}

function oneOf<T>(value: unknown, allowed: readonly T[], where: string, field: string): T {
  if (value === undefined) return allowed[0];
  if (!allowed.includes(value as T)) fail(where, `${field} must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export const conv2d: LayerDefinition<Conv2DSpec> = {
  type: 'conv2d',
  kerasClass: 'Conv2D',
  kerasName: 'conv2d',

  parse(raw, where) {
    onlyFields(raw, ['filters', 'kernelSize', 'activation', 'padding', 'strides'], where);
    const spec: Conv2DSpec = {
      type: 'conv2d',
      filters: intIn(raw.filters, 1, MAX_FILTERS, where, 'filters'),
      kernelSize: intIn(raw.kernelSize, 1, MAX_KERNEL, where, 'kernelSize'),
      activation: activation(raw.activation, where),
    };
    return withWindows(spec, oneOf(raw.padding, PADDINGS, where, 'padding'), oneOf(raw.strides, STRIDES, where, 'strides'));
  },

  toKeras(spec) {
    const s = spec.strides ?? 1;
    return {
      filters: spec.filters,
      kernel_size: [spec.kernelSize, spec.kernelSize],
      strides: [s, s],
      padding: spec.padding ?? 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: spec.activation,
      use_bias: true,
    };
  },

  fromKeras(c, where) {
    expectValue(c, 'strides', [[1, 1], [2, 2], 1, 2], where);
    expectValue(c, 'padding', ['valid', 'same'], where);
    expectValue(c, 'data_format', ['channels_last'], where);
    expectValue(c, 'dilation_rate', [[1, 1], 1], where);
    expectValue(c, 'groups', [1], where);
    expectValue(c, 'use_bias', [true], where);
    const spec: Conv2DSpec = {
      type: 'conv2d',
      filters: intIn(c.filters, 1, MAX_FILTERS, where, 'filters'),
      kernelSize: squarePair(c.kernel_size, 1, MAX_KERNEL, where, 'kernel_size'),
      activation: activation(c.activation, where),
    };
    const strides = c.strides === undefined ? 1 : squarePair(c.strides, 1, 2, where, 'strides');
    return withWindows(spec, (c.padding as Conv2DSpec['padding']) ?? 'valid', strides as Conv2DSpec['strides']);
  },

  outputShape(spec, input, where) {
    if (input.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${input}]`);
    const [h, w] = input;
    if (spec.padding !== 'same' && (spec.kernelSize > h || spec.kernelSize > w)) fail(where, `kernel ${spec.kernelSize} is larger than its ${h}x${w} input (padding 'same' would pad it)`);
    const { outHeight, outWidth } = convWindows(spec, h, w);
    return [outHeight, outWidth, spec.filters];
  },

  weights(spec, input: Shape) {
    return [
      { name: 'kernel', shape: [spec.kernelSize, spec.kernelSize, input[2], spec.filters], init: 'glorotUniform', trainable: true },
      { name: 'bias', shape: [spec.filters], init: 'zeros', trainable: true },
    ];
  },

  create: (spec, inputShape, outputShape, settings) => new Conv2D(spec, inputShape, outputShape, convolutionAlgorithm(spec, inputShape, settings.convolution)),
};
