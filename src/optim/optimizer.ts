// The optimizer interface. An optimizer updates the model's whole parameter block in one kernel
// call per step, from the gradient block and its own state blocks (each as long as the parameter
// block). Its spec is data: it travels to the web worker and is written into checkpoints and
// reports, and its state is the step count plus those blocks, so any run resumes bit for bit.
import type { Engine } from '../engine/engine.js';
import type { Kernels, Ptr } from '../engine/kernel-table.js';
import { fail, isObject } from '../nn/layers/fields.js';
import { adam, adamw, type AdamSpec, type AdamWSpec } from './adam.js';
import { sgd, type SgdSpec } from './sgd.js';

export type OptimizerSpec = AdamSpec | AdamWSpec | SgdSpec;

/** The parameter and gradient blocks an optimizer updates, and the kernels it calls. */
export interface ParameterBlocks {
  kernels: Kernels;
  params: Ptr;
  grads: Ptr;
  /** Floats in each block. */
  count: number;
}

export interface OptimizerDefinition<S extends OptimizerSpec = OptimizerSpec> {
  readonly type: S['type'];
  /** Checks a spec as a user wrote it, fills in the defaults. */
  parse(raw: Record<string, unknown>, where: string): S;
  /** State blocks the optimizer keeps (Adam's two moments, SGD's velocity). */
  stateBlocks(spec: S): number;
  /** One step (`step` is 1 for the first) at learning rate `learningRate`. */
  update(spec: S, blocks: ParameterBlocks, state: Ptr[], step: number, learningRate: number): void;
}

const OPTIMIZERS: OptimizerDefinition[] = [adam, adamw, sgd] as OptimizerDefinition[];

function definition(spec: { type: string }): OptimizerDefinition {
  const found = OPTIMIZERS.find((o) => o.type === spec.type);
  if (!found) throw new Error(`unknown optimizer '${spec.type}'`);
  return found;
}

export function parseOptimizer(raw: unknown, where: string): OptimizerSpec {
  if (!isObject(raw)) fail(where, `optimizer must be an object such as {"type": "adam", "learningRate": 0.001}, got ${JSON.stringify(raw)}`);
  const found = OPTIMIZERS.find((o) => o.type === raw.type);
  if (!found) fail(where, `optimizer type ${JSON.stringify(raw.type)} is not supported (${OPTIMIZERS.map((o) => o.type).join(', ')})`);
  return found.parse(raw, `${where}: optimizer`);
}

/** A positive finite learning rate; shared by every optimizer's parse. */
export function learningRateField(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) fail(where, `learningRate must be a positive number, got ${JSON.stringify(value)}`);
  return value;
}

/** An optimizer bound to a model's blocks, with its state in engine memory. */
export class Optimizer {
  /** Steps taken so far (Keras's `iterations`). */
  step = 0;
  readonly state: Ptr[];
  private readonly definition: OptimizerDefinition;

  constructor(
    readonly spec: OptimizerSpec,
    engine: Engine,
    private readonly blocks: ParameterBlocks,
  ) {
    this.definition = definition(spec);
    const bytes = Math.max(blocks.count, 1) * 4;
    this.state = Array.from({ length: this.definition.stateBlocks(spec) }, (_, i) => engine.reserve(bytes, `${spec.type} state ${i + 1}`));
  }

  /** One step at `learningRate` (the schedule's value for this step). */
  update(learningRate: number): void {
    this.step++;
    this.definition.update(this.spec, this.blocks, this.state, this.step, learningRate);
  }
}
