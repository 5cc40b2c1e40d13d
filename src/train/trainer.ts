// The Node training run: Keras's fit() for one model on one dataset, with checkpoints, then the
// test set. The epochs themselves are the shared loop's (loop.ts). Seeded: the same seed gives the
// same shuffles, dropout masks and weights, so the same numbers run after run.
import type { Engine } from '../engine/engine.js';
import type { Ptr } from '../engine/kernel-table.js';
import { Sequential } from '../nn/sequential.js';
import type { ConvolutionChoice } from '../nn/layers/layer.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import { planModel } from '../nn/model-spec.js';
import { Optimizer } from '../optim/optimizer.js';
import { spansRun } from '../optim/schedule.js';
import { Random, deriveSeed } from '../util/random.js';
import { SimdnetError } from '../engine/errors.js';
import { evaluate, range, type ResidentImages } from './evaluate.js';
import { confusionMatrix, misclassifiedExamples, perClassAccuracy, topMisclassifications } from './metrics.js';
import type { BatchProgress, EpochRecord, RunResult } from './types.js';
import { imageBytes, type ImageSplit } from './split.js';
import { checkResumeOptions, writeCheckpoint, type Checkpoint, type RunOptions } from './checkpoint.js';
import { checkWeightsFinite, runEpochs, type LoopState, type StepContext } from './loop.js';
import { augmentedExample } from './augment-gallery.js';

export type { BatchProgress, ImageSplit };

const shapeOf = (split: ImageSplit): string => `${split.rows}x${split.cols}x${split.channels ?? 1}`;

/**
 * Refuses a model that does not take the dataset's images or has another number of classes, and a
 * dataset whose arrays are shorter than its counts say or whose labels name classes it lacks.
 */
export function checkModelAgainstData(spec: ModelSpec, dataset: DatasetLike, trainCount = dataset.train.count): void {
  const [h, w, c] = spec.inputShape;
  const { train: tr, test: te } = dataset;
  if (shapeOf(te) !== shapeOf(tr)) throw new SimdnetError(`${dataset.name}: the training images are ${shapeOf(tr)}, the test images ${shapeOf(te)}; they must be one size`);
  if (h !== tr.rows || w !== tr.cols || c !== (tr.channels ?? 1)) {
    throw new SimdnetError(`model '${spec.name}' takes ${h}x${w}x${c} inputs, but ${dataset.name} images are ${shapeOf(tr)}`);
  }
  const classes = planModel(spec).classes;
  if (classes !== dataset.classNames.length) {
    throw new SimdnetError(`model '${spec.name}' has ${classes} output classes, but ${dataset.name} has ${dataset.classNames.length}`);
  }
  for (const [split, count, what] of [[tr, trainCount, 'training'], [te, te.count, 'test']] as const) {
    if (split.images.length < count * imageBytes(split) || split.labels.length < count) {
      throw new SimdnetError(`${dataset.name}: ${count} ${what} images of ${shapeOf(split)} need ${count * imageBytes(split)} bytes and ${count} labels, got ${split.images.length} and ${split.labels.length}`);
    }
    for (let i = 0; i < count; i++) {
      if (split.labels[i] >= classes) throw new SimdnetError(`${dataset.name}: ${what} label ${split.labels[i]} at index ${i} is out of range for its ${classes} classes`);
    }
  }
}

export interface DatasetLike {
  name: string;
  classNames: string[];
  train: ImageSplit;
  test: ImageSplit;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /** How convolutions are computed (default 'auto'; 'direct' gives the numbers of before Winograd and the one-channel kernels). */
  convolution?: ConvolutionChoice;
  /** Fraction of the (limited) training images held out, taken from the end as Keras does. */
  validationSplit: number;
  /** Use only the first N training images. */
  limit?: number;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Called with the trained model before its memory is released (train --save reads the weights here). */
  onTrained?: (model: Sequential) => void;
  /** Write a checkpoint into this folder after every epoch, and when `signal` stops the run. */
  checkpointDir?: string;
  /** Continue from this checkpoint (its options must match the run's). */
  resume?: Checkpoint;
  /** Aborting it stops the run after the current batch: a checkpoint is written, then TrainingInterrupted is thrown. */
  signal?: AbortSignal;
}

/** The run stopped on request after saving a checkpoint; the CLI exits 130 as for SIGINT. */
export class TrainingInterrupted extends SimdnetError {
  constructor(message: string) {
    super(message, 130);
  }
}

const WASM32_MAX_BYTES = 2 ** 32;

/** The options a checkpoint records and a resume must repeat. */
export function runOptions(engine: Engine, spec: TrainingSpec, dataset: Pick<DatasetLike, 'name'>, options: TrainOptions): RunOptions {
  return {
    spec,
    dataset: dataset.name,
    seed: options.seed,
    batchSize: options.batchSize,
    limit: options.limit ?? null,
    validationSplit: options.validationSplit,
    fma: engine.variant.fma,
    convolution: options.convolution ?? 'auto',
  };
}

/**
 * Builds the model; when wasm memory cannot hold it, says which model and batch size did not fit
 * and about how much memory it needed (measured from the plans of batches of 1 and 2). A plan that
 * cannot fit in wasm32 is refused before anything is reserved: growing a shared memory by
 * gigabytes only to fail on a later buffer takes seconds.
 */
function buildModel(engine: Engine, spec: TrainingSpec, batchSize: number, seed: number, convolution: ConvolutionChoice): Sequential {
  const before = engine.mark();
  const planBytes = (batch: number): number => {
    const mark = engine.mark();
    try {
      new Sequential(engine, spec, { maxBatch: batch, seed, convolution });
      return engine.mark() - mark;
    } finally {
      engine.release(mark);
    }
  };
  const mib = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20)} MiB`;
  const refuse = (): SimdnetError => {
    let needs: string;
    try {
      const one = planBytes(1);
      const perSample = planBytes(2) - one;
      const fits = Math.floor((WASM32_MAX_BYTES - before - one) / perSample) + 1;
      needs = `needs about ${mib(before + one + perSample * (batchSize - 1))} of WebAssembly memory (datasets included, ${(perSample / 2 ** 20).toFixed(2)} MiB per sample of the batch), more than the ${mib(WASM32_MAX_BYTES)} wasm32 allows or this machine gives; try --batch-size ${Math.max(1, Math.min(fits, batchSize >> 1))} or less`;
    } catch (err) {
      needs = `does not fit even with a batch of one (${(err as Error).message})`;
    }
    return new SimdnetError(`model ${spec.name} with --batch-size ${batchSize} ${needs}`, 1);
  };
  if (batchSize > 2) {
    let estimate = 0;
    try {
      const one = planBytes(1);
      estimate = before + one + (planBytes(2) - one) * (batchSize - 1);
    } catch {
      throw refuse();
    }
    if (estimate > WASM32_MAX_BYTES) throw refuse();
  }
  try {
    return new Sequential(engine, spec, { maxBatch: batchSize, seed, convolution });
  } catch (err) {
    if (!(err instanceof SimdnetError) || !/out of WebAssembly memory/.test(err.message)) throw err;
    throw refuse();
  }
}

/** A u8 split copied into wasm memory once. */
interface ResidentSplit extends ResidentImages {
  count: number;
}

function makeResident(engine: Engine, split: ImageSplit, count: number, what: string): ResidentSplit {
  return {
    images: engine.storeU8(split.images.subarray(0, count * imageBytes(split)), `${what} images`),
    labels: engine.storeU8(split.labels.subarray(0, count), `${what} labels`),
    count,
  };
}

export function checkTrainOptions(options: TrainOptions): void {
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new SimdnetError(`--epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new SimdnetError(`--batch-size must be a positive integer, got ${options.batchSize}`);
  if (!(options.validationSplit >= 0 && options.validationSplit < 1)) throw new SimdnetError(`--validation-split must be in [0, 1), got ${options.validationSplit}`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new SimdnetError(`--limit must be a positive integer, got ${options.limit}`);
}

export async function train(engine: Engine, spec: TrainingSpec, dataset: DatasetLike, options: TrainOptions): Promise<RunResult> {
  checkTrainOptions(options);
  const total = Math.min(options.limit ?? dataset.train.count, dataset.train.count);
  checkModelAgainstData(spec, dataset, total);
  const trainCount = Math.floor(total * (1 - options.validationSplit));
  if (trainCount < 1) throw new SimdnetError(`no training images left: --limit ${total} with --validation-split ${options.validationSplit}`);
  const runOpts = runOptions(engine, spec, dataset, options);
  const resume = options.resume;
  const checkpointDir = options.checkpointDir;
  const source = checkpointDir ?? 'the checkpoint';
  if (resume) {
    checkResumeOptions(resume.meta.options, runOpts, source);
    if (resume.meta.epoch > options.epochs) throw new SimdnetError(`cannot resume from ${source}: it has ${resume.meta.epoch} epochs done, more than --epochs ${options.epochs}`);
    if (spansRun(spec.schedule) && resume.meta.epochs !== options.epochs) {
      throw new SimdnetError(`cannot resume from ${source}: its ${spec.schedule.type} schedule spans the run's ${resume.meta.epochs} epochs, and this run asks for --epochs ${options.epochs}`);
    }
  }

  const mark = engine.mark();
  try {
    const trainData = makeResident(engine, dataset.train, total, 'training');
    const testData = makeResident(engine, dataset.test, dataset.test.count, 'test');
    const model = buildModel(engine, spec, options.batchSize, options.seed, options.convolution ?? 'auto');
    const optimizer = new Optimizer(spec.optimizer, engine, { kernels: model.kernels, params: model.params, grads: model.grads, count: model.paramFloats });
    const shuffler = new Random(deriveSeed(options.seed, 1));
    const batches = Math.ceil(trainCount / options.batchSize);
    const state: LoopState = { epoch: 0, batch: 0, lossSum: 0, correct: 0, epochSeconds: 0, history: [], order: range(0, trainCount) };
    if (resume) {
      const m = resume.meta;
      if (m.paramFloats !== model.paramFloats || m.stateFloats !== model.stateFloats || m.optimizerBlocks !== optimizer.state.length || m.trainCount !== trainCount || m.batch >= batches) {
        throw new SimdnetError(
          `cannot resume from ${source}: it holds ${m.paramFloats} parameters, ${m.trainCount} training images and batch ${m.batch}, this run has ${model.paramFloats}, ${trainCount} and ${batches} batches per epoch`,
        );
      }
      engine.f32(model.params, model.paramFloats).set(resume.params);
      engine.f32(model.state, model.stateFloats).set(resume.layerState);
      optimizer.state.forEach((block, i) => engine.f32(block, model.paramFloats).set(resume.optimizerState[i]));
      engine.u8(model.scratch.rngState, 16).set(resume.rngState);
      optimizer.step = m.optimizerStep;
      shuffler.setState(m.shufflerState);
      Object.assign(state, { epoch: m.epoch, batch: m.batch, lossSum: m.lossSum, correct: m.correct, epochSeconds: m.epochSeconds, history: [...m.history], order: resume.order.slice() });
    }

    // Where the newest checkpoint on disk stands, for the divergence message.
    let saved = resume ? `epoch ${resume.meta.epoch}${resume.meta.batch ? `, batch ${resume.meta.batch}` : ''}` : '';
    const lastGood = (): string => {
      if (!checkpointDir) return '';
      return saved ? `; the last good checkpoint (${saved}) in ${checkpointDir} is intact` : `; no epoch finished, so ${checkpointDir} holds no checkpoint`;
    };
    const save = (s: LoopState): void => {
      if (!checkpointDir) return;
      checkWeightsFinite(model, s.epoch + 1, spec.optimizer.learningRate, lastGood());
      writeCheckpoint(checkpointDir, {
        meta: {
          options: runOpts,
          epochs: options.epochs,
          epoch: s.epoch,
          batch: s.batch,
          lossSum: s.lossSum,
          correct: s.correct,
          epochSeconds: s.epochSeconds,
          optimizerStep: optimizer.step,
          optimizerBlocks: optimizer.state.length,
          shufflerState: shuffler.getState(),
          history: s.history,
          paramFloats: model.paramFloats,
          stateFloats: model.stateFloats,
          trainCount,
        },
        params: engine.f32(model.params, model.paramFloats),
        optimizerState: optimizer.state.map((block) => engine.f32(block, model.paramFloats)),
        layerState: engine.f32(model.state, model.stateFloats),
        rngState: engine.u8(model.scratch.rngState, 16),
        order: s.order,
      });
      saved = `epoch ${s.epoch}${s.batch ? `, batch ${s.batch}` : ''}`;
    };

    const step: StepContext = { model, optimizer, spec, data: trainData, stepsPerEpoch: batches, totalSteps: batches * options.epochs };
    const { stopped } = await runEpochs(step, state, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      trainCount,
      validation: range(trainCount, total),
      shuffler,
      onBatch: options.onBatch,
      onEpoch: options.onEpoch,
      signal: options.signal,
      onSave: save,
      divergenceNote: lastGood,
    });
    if (stopped) {
      const where = stopped.batch ? `in epoch ${stopped.epoch + 1}, batch ${stopped.batch} of ${batches}` : `after epoch ${stopped.epoch}`;
      throw new TrainingInterrupted(
        checkpointDir ? `interrupted ${where}; checkpoint written to ${checkpointDir}; continue with: simdnet train --resume ${checkpointDir}` : `interrupted ${where}; nothing saved (no --checkpoint)`,
      );
    }

    const history = state.history;
    const test = evaluate(model, testData, range(0, testData.count));
    const labels = dataset.test.labels.subarray(0, testData.count);
    const matrix = confusionMatrix(labels, test.predictions, model.classes);
    const top = topMisclassifications(matrix, dataset.classNames);
    options.onTrained?.(model);
    return {
      model: spec.name,
      spec,
      dataset: dataset.name,
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: spec.optimizer.learningRate,
      seed: options.seed,
      threads: engine.threads,
      fma: engine.variant.fma,
      trainSamples: trainCount,
      validationSamples: total - trainCount,
      classNames: dataset.classNames,
      history,
      trainSeconds: history.reduce((sum, r) => sum + r.seconds, 0),
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      confusionMatrix: matrix,
      perClassAccuracy: perClassAccuracy(matrix),
      topMisclassifications: top,
      misclassifiedExamples: misclassifiedExamples(top.slice(0, 5), labels, test.predictions, test.confidences, dataset.test.images, imageBytes(dataset.test)),
      ...(spec.augmentation ? { augmentedExample: augmentedExample(engine, spec.augmentation, spec.inputShape, options.seed, dataset.test.images, 0) } : {}),
    };
  } finally {
    engine.release(mark);
  }
}
