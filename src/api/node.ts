// The Node API's models: a named model or a spec of your own, on its own engine (wasm memory
// and, with threads, a pool of worker threads), with everything of ResidentModel (fit, evaluate,
// predict, weights) plus saving and loading the TensorFlow.js layers format.
import { availableParallelism } from 'node:os';
import { Engine } from '../engine/engine.js';
import { SimdnetError } from '../engine/errors.js';
import type { FmaChoice } from '../engine/wasm.js';
import { modelSpec, MODEL_NAMES } from '../nn/models.js';
import { parseTrainingSpec } from '../nn/model-spec.js';
import { forData } from '../nn/for-data.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import { writeWeights } from '../nn/weights.js';
import { loadModel as readModelDir, saveModel, type ModelMetadata } from '../io/model-files.js';
import { INFERENCE_MEMORY_BUDGET, inferenceBatch } from '../io/inference.js';
import { ResidentModel, type ModelOptions } from './model.js';

/** The names of the notebook's four models. */
export type ModelName = 'cnn' | 'cnn-tuned' | 'mlp' | 'mlp-tuned';

export interface EngineChoice {
  /** Threads to train with: a number, or 'auto' for every core (default 1). */
  threads?: number | 'auto';
  /** Relaxed-SIMD FMA kernels: 'auto' (where the runtime has them, the default), 'on' or 'off'. */
  fma?: FmaChoice;
}

/** What a model needs to know of its data: the image shape and the class names. */
export interface DataShape {
  classNames: string[];
  train: { rows: number; cols: number; channels: number };
}

export interface CreateModelOptions extends ModelOptions, EngineChoice {
  /**
   * The data the model is for (a loaded Dataset): a named model takes its image shape and class
   * count (the notebook's layers in between, unchanged; MNIST gives the notebook's models exactly),
   * and the model keeps its class names. A spec of your own must already match it.
   */
  data?: DataShape;
  /** The class names, in label order, kept with the model and written by save() (default: the data's). */
  classNames?: string[];
}

async function startEngine(choice: EngineChoice): Promise<Engine> {
  const threads = choice.threads === 'auto' ? availableParallelism() : (choice.threads ?? 1);
  return Engine.create({ threads, fma: choice.fma ?? 'auto' });
}

/** A model with its own engine. Call close() when done with it, to stop its worker threads. */
export class Model extends ResidentModel {
  constructor(
    engine: Engine,
    spec: TrainingSpec,
    options: ModelOptions,
    /** The class names, in label order, when known. */
    readonly classNames: string[] | undefined,
  ) {
    super(engine, spec, options);
    if (classNames !== undefined && classNames.length !== this.classes) {
      throw new SimdnetError(`classNames: model '${spec.name}' has ${this.classes} output classes, got ${classNames.length} names`);
    }
  }

  /** Writes DIR/model.json and DIR/group1-shard1of1.bin (tf.loadLayersModel reads them); returns the paths. */
  save(dir: string, metadata: ModelMetadata = {}): string[] {
    return saveModel(dir, this.model, { ...(this.classNames ? { classNames: this.classNames } : {}), ...metadata });
  }

  /** Stops the engine's worker threads; the model cannot be used afterwards. */
  close(): void {
    this.engine.close();
  }
}

/**
 * A new model: one of the notebook's four by name, or a spec of your own (the JSON of
 * `simdnet train --spec`: layers, and optionally optimizer, schedule and loss), with fresh
 * Glorot-uniform weights from `seed`.
 */
export async function createModel(model: ModelName | TrainingSpec | ModelSpec, options: CreateModelOptions = {}): Promise<Model> {
  if (typeof model === 'string' && !MODEL_NAMES.includes(model)) throw new SimdnetError(`unknown model '${model}': expected one of ${MODEL_NAMES.join(', ')}`);
  let spec = typeof model === 'string' ? modelSpec(model) : parseTrainingSpec(model, 'model spec');
  const data = options.data;
  if (data) {
    const shape = [data.train.rows, data.train.cols, data.train.channels] as const;
    if (typeof model === 'string') spec = forData(spec, shape, data.classNames.length);
    else if (spec.inputShape.some((n, i) => n !== shape[i])) throw new SimdnetError(`model spec '${spec.name}' takes ${spec.inputShape.join('x')} images, but the data's are ${shape.join('x')}`);
  }
  const engine = await startEngine(options);
  try {
    return new Model(engine, spec, options, options.classNames ?? data?.classNames);
  } catch (error) {
    engine.close();
    throw error;
  }
}

/** A model saved by Model.save() or `simdnet train --save`, or any TF.js layers model of simdnet's layer types. */
export async function loadModel(dir: string, options: ModelOptions & EngineChoice = {}): Promise<Model> {
  const loaded = readModelDir(dir);
  // The layer sizes come from a file: check the batch's memory against the budget before reserving it.
  const batchSize = options.batchSize ?? 64;
  const fits = inferenceBatch(loaded.spec, batchSize, `${loaded.dir}/model.json`);
  if (fits < batchSize) throw new SimdnetError(`${loaded.dir}/model.json: batches of ${batchSize} would need more than ${INFERENCE_MEMORY_BUDGET / 2 ** 20} MiB; pass a batchSize of at most ${fits}`);
  const engine = await startEngine(options);
  try {
    const model = new Model(engine, parseTrainingSpec(loaded.spec, dir), options, loaded.metadata.classNames);
    writeWeights(model.model, loaded.weights.map((w) => w.values), dir);
    return model;
  } catch (error) {
    engine.close();
    throw error;
  }
}
