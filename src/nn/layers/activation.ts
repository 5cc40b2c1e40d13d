// Activation (Keras class Activation): an activation function on its own, so a model can read
// conv2d (linear) -> batchNormalization -> activation (relu). In place: the ReLU overwrites its
// input, and its backward masks the incoming gradient where the output is not > 0. That is safe
// because no layer before it reads its own output in backward except through "> 0" (a ReLU's or a
// max pool's test), which max(x, 0) leaves as it was; batch normalization reads its input. Folds:
// a 2x2 max pool after it may apply the ReLU's backward for it; a conv and batch norm before it
// may apply the ReLU in their folded inference passes (batch-norm-fold.ts).
import { shapeSize } from '../spec.js';
import { BaseLayer, type Layer, type LayerDefinition } from './layer.js';
import { fail, onlyFields } from './fields.js';

export type ActivationFunction = 'relu' | 'linear';

export interface ActivationSpec {
  type: 'activation';
  activation: ActivationFunction;
}

const FUNCTIONS: ActivationFunction[] = ['relu', 'linear'];

function activationFunction(value: unknown, where: string): ActivationFunction {
  if (value === 'softmax') fail(where, `activation "softmax" is only supported as the last Dense layer's activation (the loss computes it)`);
  if (!FUNCTIONS.includes(value as ActivationFunction)) fail(where, `activation must be one of ${FUNCTIONS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as ActivationFunction;
}

class Activation extends BaseLayer<ActivationSpec> {
  readonly inPlace = true;
  private backwardDeferred = false;
  private inferenceDeferred = false;
  private next: Layer | undefined;

  fold(_previous: Layer | undefined, next: Layer | undefined): void {
    this.next = next;
  }

  deferReluBackward(): boolean {
    this.backwardDeferred = this.spec.activation === 'relu';
    return this.backwardDeferred;
  }

  deferInferenceRelu(): { next: Layer | undefined } | null {
    if (this.spec.activation !== 'relu') return null;
    this.inferenceDeferred = true;
    return { next: this.next };
  }

  forward(batch: number, training: boolean): void {
    if (this.spec.activation !== 'relu' || (this.inferenceDeferred && !training)) return;
    this.k.reluForward(this.context.output, batch * shapeSize(this.inputShape));
  }

  backward(batch: number): void {
    const { output, dOutput, dInput } = this.context;
    if (this.spec.activation !== 'relu' || this.backwardDeferred || !dInput) return;
    this.k.reluBackward(output, dOutput, batch * shapeSize(this.inputShape));
  }
}

export const activation: LayerDefinition<ActivationSpec> = {
  type: 'activation',
  kerasClass: 'Activation',
  kerasName: 'activation',
  parse(raw, where) {
    onlyFields(raw, ['activation'], where);
    return { type: 'activation', activation: activationFunction(raw.activation, where) };
  },
  toKeras: (spec) => ({ activation: spec.activation }),
  fromKeras: (c, where) => ({ type: 'activation', activation: activationFunction(c.activation, where) }),
  outputShape: (_spec, input) => input,
  weights: () => [],
  create: (spec, inputShape, outputShape) => new Activation(spec, inputShape, outputShape),
};
