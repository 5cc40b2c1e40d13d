// Conv2D, valid padding, stride 1, NHWC: y[b, oy, ox, f] = act(Σ x[b, oy+ky, ox+kx, c] · W[ky, kx, c, f] + bias[f]).
// Computed as an implicit GEMM (assembly/conv-*.ts): nothing is saved for backward but the input
// and output, which the model keeps anyway. Folds: a 2x2 max pool right after it is done inline in
// the forward, and a following max pool may apply this layer's ReLU backward for it.
import type { Kernels, Ptr } from '../../engine/kernel-table.js';
import type { Activation, Shape } from '../spec.js';
import { BaseLayer, type Layer, type LayerDefinition } from './layer.js';
import { activation, expectValue, fail, intIn, onlyFields, squarePair } from './fields.js';

export interface Conv2DSpec {
  type: 'conv2d';
  filters: number;
  kernelSize: number;
  activation: Activation;
}

/** Bounds on what a spec or a topology may ask for, checked before any size is used. */
const MAX_FILTERS = 4096;
const MAX_KERNEL = 1024;

class Conv2D extends BaseLayer<Conv2DSpec> {
  private reluBackwardDeferred = false;
  private poolInline: { output: Ptr; argmax: Ptr } | null = null;

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
    return kernels.conv2dScratchFloats(h, w, c, this.spec.filters, this.spec.kernelSize);
  }

  deferReluBackward(): boolean {
    this.reluBackwardDeferred = this.spec.activation === 'relu';
    return this.reluBackwardDeferred;
  }

  fold(_previous: Layer | undefined, next: Layer | undefined): void {
    const [oh, ow] = this.outputShape;
    if (!next?.deferPoolForward || !this.k.conv2dPoolsInline(oh, ow)) return;
    this.poolInline = next.deferPoolForward();
  }

  forward(batch: number): void {
    const { input, output, weights, scratch } = this.context;
    const relu = this.spec.activation === 'relu' ? 1 : 0;
    const pool = this.poolInline;
    this.k.conv2dForward(input, weights[0], weights[1], output, scratch.pack, batch, ...this.geometry, relu, pool ? pool.output : 0, pool ? pool.argmax : 0);
  }

  backward(batch: number): void {
    const { input, output, dInput, dOutput, weights, gradients, scratch } = this.context;
    const geometry = this.geometry;
    const filters = this.spec.filters;
    // The bias gradient is the weight gradient's extra row (A = 1; dBias follows dWeights), so
    // it needs no pass of its own unless the ReLU's backward must run here first.
    let gradientRows = this.patch + 1;
    if (this.spec.activation === 'relu' && !this.reluBackwardDeferred) {
      this.k.reluBiasBackward(output, dOutput, gradients[1], batch * this.outputShape[0] * this.outputShape[1], filters);
      gradientRows = this.patch;
    }
    this.k.conv2dBackwardWeights(input, dOutput, gradients[0], scratch.pack, batch, ...geometry, 0, gradientRows, 0, filters);
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

  create: (spec, inputShape, outputShape) => new Conv2D(spec, inputShape, outputShape),
};
