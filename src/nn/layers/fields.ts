// Reading the fields of a layer's spec (as a user wrote it in JSON, or as a Keras topology holds
// it): each check names where the layer is, the field and what was expected, in one line.
import { SimdnetError } from '../../engine/errors.js';
import type { Activation } from '../spec.js';

export function fail(where: string, message: string): never {
  throw new SimdnetError(`${where}: ${message}`);
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function intIn(value: unknown, min: number, max: number, where: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(where, `${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A number in [min, max) (a rate). */
export function fraction(value: unknown, where: string, field: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) fail(where, `${field} must be a number in [0, 1), got ${JSON.stringify(value)}`);
  return value;
}

/** A Keras pair such as kernel_size: [3, 3] or 3; simdnet's layers are square. */
export function squarePair(value: unknown, min: number, max: number, where: string, field: string): number {
  if (typeof value === 'number') return intIn(value, min, max, where, field);
  if (!Array.isArray(value) || value.length !== 2) fail(where, `${field} must be a number or a pair, got ${JSON.stringify(value)}`);
  const a = intIn(value[0], min, max, where, field);
  const b = intIn(value[1], min, max, where, field);
  if (a !== b) fail(where, `${field} ${JSON.stringify(value)} is not square; simdnet supports square ${field} only`);
  return a;
}

/** Refuses a Keras config value simdnet cannot honour; absent means Keras's default, which is allowed. */
export function expectValue(config: Record<string, unknown>, field: string, allowed: unknown[], where: string): void {
  if (!(field in config) || config[field] === undefined) return;
  const value = config[field];
  const ok = allowed.some((a) => JSON.stringify(a) === JSON.stringify(value));
  if (!ok) fail(where, `${field} ${JSON.stringify(value)} is not supported (simdnet supports ${allowed.map((a) => JSON.stringify(a)).join(' or ')})`);
}

const ACTIVATIONS: Activation[] = ['relu', 'linear', 'softmax'];

/** An activation name; absent is 'linear', as in Keras. */
export function activation(value: unknown, where: string): Activation {
  const name = value ?? 'linear';
  if (!ACTIVATIONS.includes(name as Activation)) fail(where, `activation ${JSON.stringify(name)} is not supported (relu, linear or softmax)`);
  return name as Activation;
}

/** Refuses fields a spec does not know (a typo such as "kernelsize" would otherwise be ignored). */
export function onlyFields(raw: Record<string, unknown>, known: string[], where: string): void {
  for (const key of Object.keys(raw)) {
    if (key !== 'type' && !known.includes(key)) fail(where, `unknown field '${key}' (expected ${known.length ? known.join(', ') : 'no fields besides type'})`);
  }
}
