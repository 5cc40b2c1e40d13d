// Inverted dropout in place: training multiplies by a saved 0 or 1/(1-rate) mask, evaluation is
// the identity. In place is safe here: a ReLU before it sees zero gradient wherever the mask
// dropped, and scaling keeps the sign its backward tests.
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernels.js';
import type { LayerSpec, Shape } from '../spec.js';
import { shapeSize } from '../spec.js';
import type { Layer, Scratch, Wiring } from './layer.js';
import { SimdnetError } from '../../engine/errors.js';

type DropoutSpec = Extract<LayerSpec, { type: 'dropout' }>;

export class Dropout implements Layer {
  readonly outputShape: Shape;
  readonly paramCount = 0;
  readonly inPlace = true;
  private mask: Ptr = 0;
  /** Set by Sequential when the layer before applies this mask in its own backward (a max pool). */
  backwardFolded = false;
  private wiring!: Wiring;
  private scratch!: Scratch;
  private maskValid = false;

  constructor(
    readonly spec: DropoutSpec,
    readonly inputShape: Shape,
    private readonly k: Kernels,
  ) {
    if (!(spec.rate >= 0 && spec.rate < 1)) throw new SimdnetError(`dropout rate must be in [0, 1), got ${spec.rate}`);
    this.outputShape = inputShape;
  }

  scratchFloats(): number {
    return 0;
  }

  bindParams(): void {}

  initParams(): void {}

  /** The saved mask (f32, one per element), for a layer that folds this backward into its own. */
  get maskPtr(): Ptr {
    return this.mask;
  }

  allocate(engine: Engine, maxBatch: number, wiring: Wiring, scratch: Scratch): void {
    this.wiring = wiring;
    this.scratch = scratch;
    this.mask = engine.reserve(maxBatch * shapeSize(this.inputShape) * 4, 'dropout mask');
  }

  forward(batch: number, training: boolean): void {
    this.maskValid = training;
    if (!training || this.spec.rate === 0) return;
    this.k.dropoutForward(this.wiring.output, this.mask, batch * shapeSize(this.inputShape), this.spec.rate, this.scratch.rngState);
  }

  backward(batch: number): void {
    if (!this.maskValid) throw new Error('dropout backward without a training forward pass');
    if (this.spec.rate === 0 || this.backwardFolded) return;
    this.k.dropoutBackward(this.wiring.dOutput, this.mask, batch * shapeSize(this.inputShape));
  }
}
