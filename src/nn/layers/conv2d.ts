// Conv2D, valid padding, stride 1, NHWC: y[b, oy, ox, f] = act(Σ x[b, oy+ky, ox+kx, c] · W[ky, kx, c, f] + bias[f]).
// Computed as im2col + GEMM; the columns are kept from forward for the weight gradient.
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
  /** Floats per sample of the im2col matrix. */
  private readonly colsPerSample: number;
  private weights = 0;
  private bias = 0;
  private dWeights = 0;
  private dBias = 0;
  private cols: Ptr = 0;
  private scratch!: Scratch;
  private wiring!: Wiring;

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
    this.colsPerSample = outH * outW * this.kernel * this.kernel * this.channels;
    this.paramCount = this.kernel * this.kernel * this.channels * this.filters + this.filters;
  }

  private get patch(): number {
    return this.kernel * this.kernel * this.channels;
  }

  scratchFloats(kernels: Kernels, maxBatch: number): [number, number] {
    const rows = maxBatch * this.outputShape[0] * this.outputShape[1];
    const pack = Math.max(
      kernels.gemmPackFloats(this.patch, this.filters),
      kernels.gemmPackFloats(this.filters, this.patch),
      kernels.gemmPackFloats(rows, this.filters),
    );
    return [pack, maxBatch * this.colsPerSample];
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

  allocate(engine: Engine, maxBatch: number, wiring: Wiring, scratch: Scratch): void {
    this.wiring = wiring;
    this.scratch = scratch;
    this.cols = engine.reserve(maxBatch * this.colsPerSample * 4, 'conv2d im2col columns');
  }

  forward(batch: number): void {
    const { input, output } = this.wiring;
    this.k.conv2dForward(input, this.weights, output, this.cols, this.scratch.pack, batch, this.height, this.width, this.channels, this.filters, this.kernel);
    const rows = batch * this.outputShape[0] * this.outputShape[1];
    if (this.spec.activation === 'relu') this.k.biasReluForward(output, this.bias, rows, this.filters);
    else this.k.biasForward(output, this.bias, rows, this.filters);
  }

  backward(batch: number): void {
    const { output, dInput, dOutput } = this.wiring;
    const rows = batch * this.outputShape[0] * this.outputShape[1];
    if (this.spec.activation === 'relu') this.k.reluBackward(output, dOutput, rows * this.filters);
    this.k.biasBackward(dOutput, this.dBias, rows, this.filters);
    const { pack, dcols } = this.scratch;
    this.k.conv2dBackwardWeights(this.cols, dOutput, this.dWeights, pack, batch, this.height, this.width, this.channels, this.filters, this.kernel);
    if (dInput) {
      this.k.zeroF32(dInput, batch * this.height * this.width * this.channels);
      this.k.conv2dBackwardInput(dOutput, this.weights, dcols, dInput, pack, batch, this.height, this.width, this.channels, this.filters, this.kernel);
    }
  }
}
