// Inverted dropout in place: training multiplies by a saved 0 or 1/(1-rate) mask, evaluation is
// the identity. In place is safe here: a ReLU before it sees zero gradient wherever the mask
// dropped, and scaling keeps the sign its backward tests. Folds: a max pool before it may apply
// the mask in its own backward.
import type { Ptr } from '../../engine/kernel-table.js';
import { shapeSize } from '../spec.js';
import { BaseLayer, type LayerContext, type LayerDefinition } from './layer.js';
import { fraction, onlyFields } from './fields.js';

export interface DropoutSpec {
  type: 'dropout';
  rate: number;
}

class Dropout extends BaseLayer<DropoutSpec> {
  readonly inPlace = true;
  private mask: Ptr = 0;
  private backwardDeferred = false;
  private maskValid = false;

  bind(context: LayerContext): void {
    super.bind(context);
    this.mask = context.engine.reserve(context.maxBatch * shapeSize(this.inputShape) * 4, 'dropout mask');
  }

  /** The saved mask (f32, one per element), for tests that replay a training step elsewhere. */
  get maskPtr(): Ptr {
    return this.mask;
  }

  deferMaskBackward(): Ptr {
    if (this.spec.rate === 0) return 0;
    this.backwardDeferred = true;
    return this.mask;
  }

  forward(batch: number, training: boolean): void {
    this.maskValid = training;
    if (!training || this.spec.rate === 0) return;
    this.k.dropoutForward(this.context.output, this.mask, batch * shapeSize(this.inputShape), this.spec.rate, this.context.scratch.rngState);
  }

  backward(batch: number): void {
    if (!this.maskValid) throw new Error('dropout backward without a training forward pass');
    if (this.spec.rate === 0 || this.backwardDeferred) return;
    this.k.dropoutBackward(this.context.dOutput, this.mask, batch * shapeSize(this.inputShape));
  }
}

export const dropout: LayerDefinition<DropoutSpec> = {
  type: 'dropout',
  kerasClass: 'Dropout',
  kerasName: 'dropout',
  parse(raw, where) {
    onlyFields(raw, ['rate'], where);
    return { type: 'dropout', rate: fraction(raw.rate, where, 'rate') };
  },
  toKeras: (spec) => ({ rate: spec.rate, noise_shape: null, seed: null }),
  fromKeras: (c, where) => ({ type: 'dropout', rate: fraction(c.rate, where, 'rate') }),
  outputShape: (_spec, input) => input,
  weights: () => [],
  create: (spec, inputShape, outputShape) => new Dropout(spec, inputShape, outputShape),
};
