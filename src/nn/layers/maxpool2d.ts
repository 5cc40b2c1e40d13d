// MaxPooling2D 2x2, stride 2, 'valid' (odd sizes floor, as Keras). The argmax of each window is
// saved in forward so backward is a scatter.
import type { Engine } from '../../engine/engine.js';
import type { Kernels, Ptr } from '../../engine/kernels.js';
import type { LayerSpec, Shape } from '../spec.js';
import { shapeSize } from '../spec.js';
import type { Layer, Wiring } from './layer.js';
import { SimdnetError } from '../../engine/errors.js';

type MaxPoolSpec = Extract<LayerSpec, { type: 'maxPooling2d' }>;

export class MaxPool2D implements Layer {
  readonly outputShape: Shape;
  readonly paramCount = 0;
  readonly inPlace = false;
  private argmax: Ptr = 0;
  private wiring!: Wiring;
  /**
   * Set by Sequential when the layer before is a Conv2D with ReLU: backward then also applies that
   * ReLU's backward (see maxPool2x2Backward), and the conv skips its own pass.
   */
  foldsReluBackward = false;
  /** Set by Sequential when a dropout works in place on this layer's output: its saved mask. */
  dropoutMaskAfter: Ptr = 0;
  /** Set by Sequential when the convolution before computes this layer's forward inline. */
  forwardInline = false;

  /** Where forward writes the pooled values and the argmax (for a convolution doing it inline). */
  get forwardBuffers(): { output: Ptr; argmax: Ptr } {
    return { output: this.wiring.output, argmax: this.argmax };
  }

  constructor(
    readonly spec: MaxPoolSpec,
    readonly inputShape: Shape,
    private readonly k: Kernels,
  ) {
    if (spec.poolSize !== 2) throw new SimdnetError(`maxPooling2d supports poolSize 2 only, got ${spec.poolSize}`);
    if (inputShape.length !== 3 || inputShape[0] < 2 || inputShape[1] < 2) {
      throw new SimdnetError(`maxPooling2d needs a [height, width, channels] input of at least 2x2, got [${inputShape}]`);
    }
    const [h, w, c] = inputShape;
    this.outputShape = [Math.floor(h / 2), Math.floor(w / 2), c];
  }

  scratchFloats(): number {
    return 0;
  }

  bindParams(): void {}

  initParams(): void {}

  allocate(engine: Engine, maxBatch: number, wiring: Wiring): void {
    this.wiring = wiring;
    this.argmax = engine.reserve(maxBatch * shapeSize(this.outputShape) * 4, 'max-pool argmax');
  }

  forward(batch: number): void {
    const [h, w, c] = this.inputShape;
    if (this.forwardInline) return;
    this.k.maxPool2x2Forward(this.wiring.input, this.wiring.output, this.argmax, batch, h, w, c, 0);
  }

  backward(batch: number): void {
    const { dInput, dOutput } = this.wiring;
    if (!dInput) return;
    const [h, w, c] = this.inputShape;
    this.k.maxPool2x2Backward(dOutput, this.argmax, dInput, batch, h, w, c, this.foldsReluBackward ? this.wiring.output : 0, this.dropoutMaskAfter);
  }
}
