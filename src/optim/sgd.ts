// Stochastic gradient descent, with momentum and Nesterov's variant, in the form PyTorch and
// TensorFlow.js use: v = μ·v + g; p -= lr·v (Nesterov: p -= lr·(g + μ·v)). Keras accumulates
// -lr·g instead; the two agree at a constant rate and differ only when a schedule moves it.
import { fail, onlyFields } from '../nn/layers/fields.js';
import { learningRateField, type OptimizerDefinition } from './optimizer.js';

export interface SgdSpec {
  type: 'sgd';
  learningRate: number;
  momentum: number;
  nesterov: boolean;
}

export const sgd: OptimizerDefinition<SgdSpec> = {
  type: 'sgd',
  parse(raw, where) {
    onlyFields(raw, ['learningRate', 'momentum', 'nesterov'], where);
    const momentum = raw.momentum ?? 0;
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) fail(where, `momentum must be a number in [0, 1), got ${JSON.stringify(raw.momentum)}`);
    const nesterov = raw.nesterov ?? false;
    if (typeof nesterov !== 'boolean') fail(where, `nesterov must be true or false, got ${JSON.stringify(raw.nesterov)}`);
    if (nesterov && momentum === 0) fail(where, 'nesterov needs a momentum above 0');
    return { type: 'sgd', learningRate: learningRateField(raw.learningRate, where), momentum, nesterov };
  },
  stateBlocks: (spec) => (spec.momentum > 0 ? 1 : 0),
  update(spec, { kernels, params, grads, count }, state, _step, learningRate) {
    kernels.sgdUpdate(params, grads, state[0] ?? 0, count, learningRate, spec.momentum, spec.nesterov ? 1 : 0);
  },
};
