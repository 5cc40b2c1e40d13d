// Learning-rate schedules as data. The rate of each step is a function of the step's place in the
// run (steps taken before it, steps per epoch, steps in all) and the optimizer's base rate, so a
// resumed run continues on the same curve. Every schedule may start with a linear warm-up.
//   constant    the base rate
//   stepDecay   the base rate × factor^⌊epoch / every⌋   (epoch counted from 0)
//   cosine      from the base rate down to minLearningRate along half a cosine, over the steps after the warm-up
import { fail, isObject, onlyFields } from '../nn/layers/fields.js';

interface Warmup {
  /** Epochs (fractions allowed) over which the rate climbs linearly to the base rate; 0 for none. */
  warmupEpochs: number;
}

export type ScheduleSpec =
  | ({ type: 'constant' } & Warmup)
  | ({ type: 'stepDecay'; every: number; factor: number } & Warmup)
  | ({ type: 'cosine'; minLearningRate: number } & Warmup);

export const CONSTANT: ScheduleSpec = { type: 'constant', warmupEpochs: 0 };

/** Where a step sits in its run. */
export interface StepPosition {
  /** Steps taken before this one (0 for the first). */
  step: number;
  stepsPerEpoch: number;
  totalSteps: number;
}

function nonNegative(value: unknown, fallback: number, where: string, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) fail(where, `${field} must be a number >= 0, got ${JSON.stringify(value)}`);
  return value;
}

export function parseSchedule(raw: unknown, where: string): ScheduleSpec {
  if (raw === undefined) return CONSTANT;
  if (!isObject(raw)) fail(where, `schedule must be an object such as {"type": "cosine"}, got ${JSON.stringify(raw)}`);
  const at = `${where}: schedule`;
  const warmupEpochs = nonNegative(raw.warmupEpochs, 0, at, 'warmupEpochs');
  switch (raw.type) {
    case 'constant':
      onlyFields(raw, ['warmupEpochs'], at);
      return { type: 'constant', warmupEpochs };
    case 'stepDecay': {
      onlyFields(raw, ['every', 'factor', 'warmupEpochs'], at);
      const every = raw.every;
      if (typeof every !== 'number' || !Number.isInteger(every) || every < 1) fail(at, `every must be a whole number of epochs >= 1, got ${JSON.stringify(every)}`);
      const factor = raw.factor ?? 0.1;
      if (typeof factor !== 'number' || !(factor > 0 && factor <= 1)) fail(at, `factor must be a number in (0, 1], got ${JSON.stringify(raw.factor)}`);
      return { type: 'stepDecay', every, factor, warmupEpochs };
    }
    case 'cosine':
      onlyFields(raw, ['minLearningRate', 'warmupEpochs'], at);
      return { type: 'cosine', minLearningRate: nonNegative(raw.minLearningRate, 0, at, 'minLearningRate'), warmupEpochs };
    default:
      fail(at, `type ${JSON.stringify(raw.type)} is not supported (constant, stepDecay, cosine)`);
  }
}

/** The learning rate of the step at `at`, for base rate `base`. The constant schedule returns `base` itself. */
export function scheduledRate(schedule: ScheduleSpec, base: number, at: StepPosition): number {
  const warmup = Math.min(Math.round(schedule.warmupEpochs * at.stepsPerEpoch), at.totalSteps);
  if (at.step < warmup) return (base * (at.step + 1)) / warmup;
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'stepDecay':
      return base * schedule.factor ** Math.floor(Math.floor(at.step / at.stepsPerEpoch) / schedule.every);
    case 'cosine': {
      const progress = Math.min(1, (at.step - warmup) / Math.max(1, at.totalSteps - warmup));
      return schedule.minLearningRate + (base - schedule.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  }
}

/** True when the schedule's curve depends on how many epochs the run has (so a resume must keep them). */
export function spansRun(schedule: ScheduleSpec): boolean {
  return schedule.type === 'cosine';
}
