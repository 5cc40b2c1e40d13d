// Dense: y[batch, units] = act(x[batch, in] · W[in, units] + b). W is stored [in, units] as Keras does.
// A softmax activation is left to the loss, which takes this layer's output as logits.
import type { Kernels } from '../../engine/kernel-table.js';
import { shapeSize, type Activation } from '../spec.js';
import { BaseLayer, type LayerDefinition } from './layer.js';
import { activation, expectValue, fail, intIn, onlyFields } from './fields.js';

export interface DenseSpec {
  type: 'dense';
  units: number;
  activation: Activation;
}

const MAX_UNITS = 1 << 16;

class Dense extends BaseLayer<DenseSpec> {
  private get inputs(): number {
    return shapeSize(this.inputShape);
  }

  scratchFloats(kernels: Kernels, maxBatch: number): number {
    const n = this.inputs;
    const u = this.spec.units;
    // Forward packs W (in×units), the input gradient packs Wᵀ, the weight gradient packs dy.
    return Math.max(kernels.gemmPackFloats(n, u), kernels.gemmPackFloats(u, n), kernels.gemmPackFloats(maxBatch, u));
  }

  forward(batch: number): void {
    const { input, output, weights, scratch } = this.context;
    const n = this.inputs;
    const u = this.spec.units;
    this.k.gemmNN(input, weights[0], output, batch, n, u, n, u, u, 0, scratch.pack);
    if (this.spec.activation === 'relu') this.k.biasReluForward(output, weights[1], batch, u);
    else this.k.biasForward(output, weights[1], batch, u);
  }

  backward(batch: number): void {
    const { input, output, dInput, dOutput, weights, gradients, scratch } = this.context;
    const n = this.inputs;
    const u = this.spec.units;
    if (this.spec.activation === 'relu') this.k.reluBiasBackward(output, dOutput, gradients[1], batch, u);
    else this.k.biasBackward(dOutput, gradients[1], batch, u);
    // dW[n×u] += xᵀ[n×batch] · dy[batch×u]
    this.k.gemmTN(input, dOutput, gradients[0], n, batch, u, n, u, u, 1, scratch.pack);
    // dx[batch×n] = dy[batch×u] · Wᵀ, with W[n×u] read as the n×u "B" of an NT product
    if (dInput) this.k.gemmNT(dOutput, weights[0], dInput, batch, u, n, u, u, n, 0, scratch.pack);
  }
}

export const dense: LayerDefinition<DenseSpec> = {
  type: 'dense',
  kerasClass: 'Dense',
  kerasName: 'dense',
  parse(raw, where) {
    onlyFields(raw, ['units', 'activation'], where);
    return { type: 'dense', units: intIn(raw.units, 1, MAX_UNITS, where, 'units'), activation: activation(raw.activation, where) };
  },
  toKeras: (spec) => ({ units: spec.units, activation: spec.activation, use_bias: true }),
  fromKeras(c, where) {
    expectValue(c, 'use_bias', [true], where);
    return { type: 'dense', units: intIn(c.units, 1, MAX_UNITS, where, 'units'), activation: activation(c.activation, where) };
  },
  outputShape(spec, input, where) {
    if (input.length !== 1) fail(where, `needs a flat input; add a Flatten before it (input is [${input}])`);
    return [spec.units];
  },
  weights: (spec, input) => [
    { name: 'kernel', shape: [shapeSize(input), spec.units], init: 'glorotUniform', trainable: true },
    { name: 'bias', shape: [spec.units], init: 'zeros', trainable: true },
  ],
  create: (spec, inputShape, outputShape) => new Dense(spec, inputShape, outputShape),
};
