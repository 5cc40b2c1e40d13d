// Flatten: NHWC is already row-major per sample, so flattening is a change of shape only.
import type { LayerSpec, Shape } from '../spec.js';
import { shapeSize } from '../spec.js';
import type { Layer } from './layer.js';

export class Flatten implements Layer {
  readonly outputShape: Shape;
  readonly paramCount = 0;
  readonly inPlace = true;

  constructor(
    readonly spec: Extract<LayerSpec, { type: 'flatten' }>,
    readonly inputShape: Shape,
  ) {
    this.outputShape = [shapeSize(inputShape)];
  }

  scratchFloats(): number {
    return 0;
  }

  bindParams(): void {}

  initParams(): void {}

  allocate(): void {}

  forward(): void {}

  backward(): void {}
}
