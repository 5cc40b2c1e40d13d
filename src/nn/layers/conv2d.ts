// Conv2D, valid padding, stride 1, NHWC: y[b, oy, ox, f] = act(Σ x[b, oy+ky, ox+kx, c] · W[ky, kx, c, f] + bias[f]).
// Computed as an implicit GEMM (assembly/conv.ts): nothing is saved for backward but the input
// and output, which the model keeps anyway.
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernels.js';
import type { LayerSpec, Shape } from '../spec.js';
import { glorotUniform, type Layer, type Scratch, type Wiring } from './layer.js';
import type { Random } from '../../util/random.js';
import { SimdnetError } from '../../engine/errors.js';

type Conv2DSpec = Extract<LayerSpec, { type: 'conv2d' }>;

export class Conv2D implements Layer {
  readonly outputShape: Shape;
  readonly paramCount: number;
  readonly inPlace = false;
  private readonly height: number;
  private readonly width: number;
  private readonly channels: number;
  private readonly filters: number;
  private readonly kernel: number;
  private weights = 0;
  private bias = 0;
  private dWeights = 0;
  private dBias = 0;
  private scratch!: Scratch;
  private wiring!: Wiring;
  /** Set by Sequential when a max pool after this layer applies the ReLU's backward for it. */
  reluBackwardFolded = false;
  /** Set by Sequential when this layer's forward also does the max pool after it (its output and argmax). */
  poolInline: { output: Ptr; argmax: Ptr } | null = null;

  constructor(
    readonly spec: Conv2DSpec,
    readonly inputShape: Shape,
    private readonly k: Kernels,
  ) {
    if (inputShape.length !== 3) throw new SimdnetError(`conv2d needs a [height, width, channels] input, got [${inputShape}]`);
    [this.height, this.width, this.channels] = inputShape;
    this.kernel = spec.kernelSize;
    this.filters = spec.filters;
    const outH = this.height - this.kernel + 1;
    const outW = this.width - this.kernel + 1;
    if (outH < 1 || outW < 1) throw new SimdnetError(`conv2d kernel ${this.kernel} is larger than its ${this.height}x${this.width} input`);
    this.outputShape = [outH, outW, this.filters];
    this.paramCount = this.kernel * this.kernel * this.channels * this.filters + this.filters;
  }

  private get patch(): number {
    return this.kernel * this.kernel * this.channels;
  }

  scratchFloats(kernels: Kernels): number {
    return kernels.conv2dScratchFloats(this.height, this.width, this.channels, this.filters, this.kernel);
  }

  bindParams(params: Ptr, grads: Ptr): void {
    const weightBytes = this.patch * this.filters * 4;
    this.weights = params;
    this.bias = params + weightBytes;
    this.dWeights = grads;
    this.dBias = grads + weightBytes;
  }

  initParams(params: Float32Array, random: Random): void {
    const k2 = this.kernel * this.kernel;
    glorotUniform(params.subarray(0, this.patch * this.filters), k2 * this.channels, k2 * this.filters, random);
    params.fill(0, this.patch * this.filters);
  }

  allocate(_engine: Engine, _maxBatch: number, wiring: Wiring, scratch: Scratch): void {
    this.wiring = wiring;
    this.scratch = scratch;
  }

  forward(batch: number): void {
    const { input, output } = this.wiring;
    const relu = this.spec.activation === 'relu' ? 1 : 0;
    const pool = this.poolInline;
    this.k.conv2dForward(input, this.weights, this.bias, output, this.scratch.pack, batch, this.height, this.width, this.channels, this.filters, this.kernel, relu, pool ? pool.output : 0, pool ? pool.argmax : 0);
  }

  backward(batch: number): void {
    const { input, output, dInput, dOutput } = this.wiring;
    const { pack } = this.scratch;
    const rows = batch * this.outputShape[0] * this.outputShape[1];
    // The bias gradient is the weight gradient's extra row (A = 1; dBias follows dWeights), so
    // it needs no pass of its own unless the ReLU's backward must run here first.
    let gradientRows = this.patch + 1;
    if (this.spec.activation === 'relu' && !this.reluBackwardFolded) {
      this.k.reluBiasBackward(output, dOutput, this.dBias, rows, this.filters);
      gradientRows = this.patch;
    }
    this.k.conv2dBackwardWeights(input, dOutput, this.dWeights, pack, batch, this.height, this.width, this.channels, this.filters, this.kernel, 0, gradientRows, 0, this.filters);
    if (dInput) {
      this.k.zeroF32(dInput, batch * this.height * this.width * this.channels);
      this.k.conv2dBackwardInput(dOutput, this.weights, dInput, pack, batch, this.height, this.width, this.channels, this.filters, this.kernel);
    }
  }
}
