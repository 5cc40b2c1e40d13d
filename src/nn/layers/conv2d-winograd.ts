// Conv2D's Winograd path (assembly/winograd.ts): the same layer, fewer multiplications. The kernel
// is transformed once per forward pass (U), the forward runs through the transform domain, and the
// backward builds the operands of every tile once (V from the input, Z from doutput), from which
// come the weight gradient (per-element GEMMs, then the kernel transform) and the input gradient
// (the forward's adjoint). conv2d.ts decides when this path runs.
import type { Ptr } from '../../engine/kernel-table.js';
import type { LayerContext } from './layer.js';

export interface WinogradGeometry {
  height: number;
  width: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  relu: boolean;
  variant: number;
}

export class WinogradConvolution {
  private context!: LayerContext;
  private u: Ptr = 0;
  private v: Ptr = 0;
  private z: Ptr = 0;
  private du: Ptr = 0;
  private tiles = 0;
  private elements = 0;

  constructor(private readonly g: WinogradGeometry) {}

  /** Reserves the transformed kernel and, for training, the operands of the largest batch. */
  bind(context: LayerContext): void {
    this.context = context;
    const { engine, kernels: k, maxBatch } = context;
    const g = this.g;
    this.tiles = k.winogradTiles(g.outHeight, g.outWidth, g.variant);
    this.elements = k.winogradTileElements(g.variant);
    const kernelFloats = this.elements * g.inChannels * g.outChannels;
    this.u = engine.reserve(kernelFloats * 4, 'Winograd kernel');
    if (!context.training) return;
    this.du = engine.reserve(kernelFloats * 4, 'Winograd kernel gradient');
    this.v = engine.reserve(maxBatch * this.tiles * this.elements * g.inChannels * 4, 'Winograd input tiles');
    this.z = engine.reserve(maxBatch * this.tiles * this.elements * g.outChannels * 4, 'Winograd gradient tiles');
  }

  /** The layer's forward, or with other operands (a batch norm's folded weights, batch-norm-fold.ts). */
  forward(batch: number, kernel = this.context.weights[0], bias = this.context.weights[1], output = this.context.output, relu = this.g.relu): void {
    const { input, scratch, kernels: k } = this.context;
    const g = this.g;
    k.winogradTransformKernel(kernel, this.u, scratch.pack, g.inChannels, g.outChannels, 0, g.variant, 0, g.inChannels);
    k.winogradForward(input, this.u, bias, output, scratch.pack, batch, g.height, g.width, g.inChannels, g.outHeight, g.outWidth, g.outChannels, 0, relu ? 1 : 0, g.variant);
  }

  /**
   * The weight and input gradients from doutput (its ReLU backward already applied by the caller),
   * and with `bias` the bias gradient too: Aᵀ's column for the interpolation point 1 is all ones,
   * so element (1, 1) of a tile's Z = A·dY·Aᵀ is the sum of the tile's doutput, and the bias
   * gradient is that element's column sums over the tiles: tiles × outC floats read instead of
   * doutput's batch × outH × outW × outC.
   */
  backward(batch: number, bias: boolean): void {
    const { input, dInput, dOutput, gradients, scratch, kernels: k } = this.context;
    const g = this.g;
    const shape = [batch, g.height, g.width, g.inChannels, g.outHeight, g.outWidth, g.outChannels] as const;
    k.winogradGradientOperands(input, dOutput, this.v, this.z, scratch.pack, ...shape, this.tiles, this.elements, g.variant);
    if (bias) {
      const onesElement = Math.round(Math.sqrt(this.elements)) + 1;
      k.biasBackwardStrided(this.z + onesElement * g.outChannels * 4, gradients[1], batch * this.tiles, g.outChannels, this.elements * g.outChannels);
    }
    k.winogradGradientProducts(this.v, this.z, this.du, scratch.pack, batch * this.tiles, g.inChannels, g.outChannels, 0, this.elements, g.variant);
    k.winogradGradientKernel(this.du, gradients[0], scratch.pack, g.inChannels, g.outChannels, 0, g.inChannels, g.variant);
    if (dInput) k.winogradInputGradient(this.z, this.u, dInput, scratch.pack, ...shape, this.tiles, this.elements, g.variant);
  }
}
