// Adam with Keras's defaults (β1 0.9, β2 0.999, ε 1e-7, in Keras's form: ε is added to √v before
// the bias correction is applied to the step size), and AdamW, the same with decoupled weight
// decay (Loshchilov & Hutter): p -= lr·λ·p before each Adam step, as Keras's AdamW does.
import { fail, onlyFields } from '../nn/layers/fields.js';
import { learningRateField, type OptimizerDefinition } from './optimizer.js';

export interface AdamSpec {
  type: 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export interface AdamWSpec extends Omit<AdamSpec, 'type'> {
  type: 'adamw';
  /** λ; the step's decay is lr·λ. Keras's default. */
  weightDecay: number;
}

function unit(value: unknown, fallback: number, where: string, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) fail(where, `${field} must be a number in [0, 1), got ${JSON.stringify(value)}`);
  return value;
}

function positive(value: unknown, fallback: number, where: string, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(where, `${field} must be a positive number, got ${JSON.stringify(value)}`);
  return value;
}

function parseAdam(raw: Record<string, unknown>, where: string, extra: string[] = []): Omit<AdamSpec, 'type'> {
  onlyFields(raw, ['learningRate', 'beta1', 'beta2', 'epsilon', ...extra], where);
  return {
    learningRate: learningRateField(raw.learningRate, where),
    beta1: unit(raw.beta1, 0.9, where, 'beta1'),
    beta2: unit(raw.beta2, 0.999, where, 'beta2'),
    epsilon: positive(raw.epsilon, 1e-7, where, 'epsilon'),
  };
}

/** Keras's step size for step t: lr·√(1-β2^t)/(1-β1^t). */
function alpha(spec: Omit<AdamSpec, 'type'>, step: number, learningRate: number): number {
  return (learningRate * Math.sqrt(1 - spec.beta2 ** step)) / (1 - spec.beta1 ** step);
}

export const adam: OptimizerDefinition<AdamSpec> = {
  type: 'adam',
  parse: (raw, where) => ({ type: 'adam', ...parseAdam(raw, where) }),
  stateBlocks: () => 2,
  update(spec, { kernels, params, grads, count }, [m, v], step, learningRate) {
    kernels.adamUpdate(params, grads, m, v, count, alpha(spec, step, learningRate), spec.beta1, spec.beta2, spec.epsilon, 0);
  },
};

export const adamw: OptimizerDefinition<AdamWSpec> = {
  type: 'adamw',
  parse: (raw, where) => ({ type: 'adamw', ...parseAdam(raw, where, ['weightDecay']), weightDecay: unit(raw.weightDecay, 0.004, where, 'weightDecay') }),
  stateBlocks: () => 2,
  update(spec, { kernels, params, grads, count }, [m, v], step, learningRate) {
    kernels.adamUpdate(params, grads, m, v, count, alpha(spec, step, learningRate), spec.beta1, spec.beta2, spec.epsilon, learningRate * spec.weightDecay);
  },
};
