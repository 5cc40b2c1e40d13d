// Dense: y[batch, units] = act(x[batch, in] · W[in, units] + b). W is stored [in, units] as Keras does.
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernels.js';
import type { LayerSpec, Shape } from '../spec.js';
import { shapeSize } from '../spec.js';
import { glorotUniform, type Layer, type Scratch, type Wiring } from './layer.js';
import type { Random } from '../../util/random.js';

type DenseSpec = Extract<LayerSpec, { type: 'dense' }>;

export class Dense implements Layer {
  readonly outputShape: Shape;
  readonly paramCount: number;
  readonly inPlace = false;
  private readonly inputs: number;
  private readonly units: number;
  private weights = 0;
  private bias = 0;
  private dWeights = 0;
  private dBias = 0;
  private wiring!: Wiring;
  private pack: Ptr = 0;

  constructor(
    readonly spec: DenseSpec,
    readonly inputShape: Shape,
    private readonly k: Kernels,
  ) {
    this.inputs = shapeSize(inputShape);
    this.units = spec.units;
    this.outputShape = [spec.units];
    this.paramCount = this.inputs * this.units + this.units;
  }

  scratchFloats(kernels: Kernels, maxBatch: number): number {
    // Forward packs W (in×units), the input gradient packs Wᵀ, the weight gradient packs dy.
    const pack = Math.max(
      kernels.gemmPackFloats(this.inputs, this.units),
      kernels.gemmPackFloats(this.units, this.inputs),
      kernels.gemmPackFloats(maxBatch, this.units),
    );
    return pack;
  }

  bindParams(params: Ptr, grads: Ptr): void {
    this.weights = params;
    this.bias = params + this.inputs * this.units * 4;
    this.dWeights = grads;
    this.dBias = grads + this.inputs * this.units * 4;
  }

  initParams(params: Float32Array, random: Random): void {
    glorotUniform(params.subarray(0, this.inputs * this.units), this.inputs, this.units, random);
    params.fill(0, this.inputs * this.units);
  }

  allocate(_engine: Engine, _maxBatch: number, wiring: Wiring, scratch: Scratch): void {
    this.wiring = wiring;
    this.pack = scratch.pack;
  }

  forward(batch: number): void {
    const { input, output } = this.wiring;
    const n = this.inputs;
    const u = this.units;
    this.k.gemmNN(input, this.weights, output, batch, n, u, n, u, u, 0, this.pack);
    if (this.spec.activation === 'relu') this.k.biasReluForward(output, this.bias, batch, u);
    else this.k.biasForward(output, this.bias, batch, u);
  }

  backward(batch: number): void {
    const { input, output, dInput, dOutput } = this.wiring;
    const n = this.inputs;
    const u = this.units;
    if (this.spec.activation === 'relu') this.k.reluBiasBackward(output, dOutput, this.dBias, batch, u);
    else this.k.biasBackward(dOutput, this.dBias, batch, u);
    // dW[n×u] += xᵀ[n×batch] · dy[batch×u]
    this.k.gemmTN(input, dOutput, this.dWeights, n, batch, u, n, u, u, 1, this.pack);
    // dx[batch×n] = dy[batch×u] · Wᵀ, with W[n×u] read as the n×u "B" of an NT product
    if (dInput) this.k.gemmNT(dOutput, this.weights, dInput, batch, u, n, u, u, n, 0, this.pack);
  }
}
