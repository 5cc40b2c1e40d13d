// The training loop: Keras's fit() for one Sequential model on one dataset. Seeded: the same
// seed gives the same shuffles, dropout masks and weights, so the same numbers run after run.
import type { Engine } from '../engine/engine.js';
import type { Ptr } from '../engine/kernels.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../nn/adam.js';
import type { ModelSpec } from '../nn/spec.js';
import { Random, deriveSeed } from '../util/random.js';
import { SimdnetError } from '../engine/errors.js';
import { evaluate, range, type ResidentImages } from './evaluate.js';
import { confusionMatrix, misclassifiedExamples, perClassAccuracy, topMisclassifications } from './metrics.js';
import type { EpochRecord, RunResult } from './types.js';
import { checkResumeOptions, writeCheckpoint, type Checkpoint, type RunOptions } from './checkpoint.js';

export interface ImageSplit {
  images: Uint8Array; // count * rows * cols bytes
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface DatasetLike {
  name: string;
  classNames: string[];
  train: ImageSplit;
  test: ImageSplit;
}

export interface BatchProgress {
  epoch: number;
  batch: number; // 1-based, batches done
  batches: number;
  samples: number; // samples done this epoch
  loss: number; // running mean this epoch
  accuracy: number;
  seconds: number; // since the epoch started
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
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

/**
 * The loop is synchronous wasm calls; it hands the event loop a turn this often (ms) so that a
 * SIGINT handler or a timer can run. A turn costs microseconds, so this is far below 1%.
 */
const YIELD_EVERY_MS = 25;
const WASM32_MAX_BYTES = 2 ** 32;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The options a checkpoint records and a resume must repeat. */
export function runOptions(engine: Engine, spec: ModelSpec, dataset: Pick<DatasetLike, 'name'>, options: TrainOptions): RunOptions {
  return {
    model: spec.name,
    dataset: dataset.name,
    seed: options.seed,
    learningRate: options.learningRate,
    batchSize: options.batchSize,
    limit: options.limit ?? null,
    validationSplit: options.validationSplit,
    fma: engine.variant.fma,
  };
}

/**
 * Builds the model; when wasm memory cannot hold it, says which model and batch size did not fit
 * and about how much memory it needed (measured from the plans of batches of 1 and 2). A plan that
 * cannot fit in wasm32 is refused before anything is reserved: growing a shared memory by
 * gigabytes only to fail on a later buffer takes seconds.
 */
function buildModel(engine: Engine, spec: ModelSpec, batchSize: number, seed: number): Sequential {
  const before = engine.mark();
  const planBytes = (batch: number): number => {
    const mark = engine.mark();
    try {
      new Sequential(engine, spec, { maxBatch: batch, seed });
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
    return new Sequential(engine, spec, { maxBatch: batchSize, seed });
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
  const pixels = split.rows * split.cols;
  return {
    images: engine.storeU8(split.images.subarray(0, count * pixels), `${what} images`),
    labels: engine.storeU8(split.labels.subarray(0, count), `${what} labels`),
    count,
  };
}

export function checkTrainOptions(options: TrainOptions): void {
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new SimdnetError(`--epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new SimdnetError(`--batch-size must be a positive integer, got ${options.batchSize}`);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) throw new SimdnetError(`--lr must be a positive number, got ${options.learningRate}`);
  if (!(options.validationSplit >= 0 && options.validationSplit < 1)) throw new SimdnetError(`--validation-split must be in [0, 1), got ${options.validationSplit}`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new SimdnetError(`--limit must be a positive integer, got ${options.limit}`);
}

export async function train(engine: Engine, spec: ModelSpec, dataset: DatasetLike, options: TrainOptions): Promise<RunResult> {
  checkTrainOptions(options);
  const pixels = dataset.train.rows * dataset.train.cols;
  const total = Math.min(options.limit ?? dataset.train.count, dataset.train.count);
  const trainCount = Math.floor(total * (1 - options.validationSplit));
  if (trainCount < 1) throw new SimdnetError(`no training images left: --limit ${total} with --validation-split ${options.validationSplit}`);
  const runOpts = runOptions(engine, spec, dataset, options);
  const resume = options.resume;
  const checkpointDir = options.checkpointDir;
  if (resume) {
    checkResumeOptions(resume.meta.options, runOpts, checkpointDir ?? 'the checkpoint');
    if (resume.meta.epoch > options.epochs) {
      throw new SimdnetError(`cannot resume from ${checkpointDir ?? 'the checkpoint'}: it has ${resume.meta.epoch} epochs done, more than --epochs ${options.epochs}`);
    }
  }

  const mark = engine.mark();
  try {
    const trainData = makeResident(engine, dataset.train, total, 'training');
    const testData = makeResident(engine, dataset.test, dataset.test.count, 'test');
    const model = buildModel(engine, spec, options.batchSize, options.seed);
    const optimizer = new Adam(options.learningRate);
    const shuffler = new Random(deriveSeed(options.seed, 1));
    let order = range(0, trainCount);
    const validation = range(trainCount, total);
    const batches = Math.ceil(trainCount / options.batchSize);
    const history: EpochRecord[] = [];
    // Where the loop starts: epoch `firstEpoch`, batch `firstBatch` (0-based), with the running
    // sums of that epoch so far.
    let firstEpoch = 1;
    let firstBatch = 0;
    let carried = { lossSum: 0, correct: 0, seconds: 0 };
    if (resume) {
      const m = resume.meta;
      if (m.paramFloats !== model.paramFloats || m.trainCount !== trainCount || m.batch >= batches) {
        throw new SimdnetError(
          `cannot resume from ${checkpointDir ?? 'the checkpoint'}: it holds ${m.paramFloats} parameters, ${m.trainCount} training images and batch ${m.batch}, this run has ${model.paramFloats}, ${trainCount} and ${batches} batches per epoch`,
        );
      }
      engine.f32(model.params, model.paramFloats).set(resume.params);
      engine.f32(model.adamM, model.paramFloats).set(resume.adamM);
      engine.f32(model.adamV, model.paramFloats).set(resume.adamV);
      engine.u8(model.scratch.rngState, 16).set(resume.rngState);
      optimizer.step = m.adamStep;
      shuffler.setState(m.shufflerState);
      order = resume.order.slice();
      history.push(...m.history);
      firstEpoch = m.epoch + 1;
      firstBatch = m.batch;
      carried = { lossSum: m.lossSum, correct: m.correct, seconds: m.epochSeconds };
    }

    // Where the newest checkpoint on disk stands, for the divergence message.
    let saved = resume ? `epoch ${resume.meta.epoch}${resume.meta.batch ? `, batch ${resume.meta.batch}` : ''}` : '';
    const save = (epochsDone: number, batchesDone: number, lossSum: number, correct: number, epochSeconds: number): void => {
      if (!checkpointDir) return;
      const params = engine.f32(model.params, model.paramFloats);
      for (let i = 0; i < params.length; i++) {
        if (!Number.isFinite(params[i])) throw new SimdnetError(`training diverged in epoch ${epochsDone + 1}: a weight became ${params[i]}${lastGood()}; try a lower --lr than ${options.learningRate}`, 1);
      }
      writeCheckpoint(checkpointDir, {
        meta: {
          options: runOpts,
          epochs: options.epochs,
          epoch: epochsDone,
          batch: batchesDone,
          lossSum,
          correct,
          epochSeconds,
          adamStep: optimizer.step,
          shufflerState: shuffler.getState(),
          history,
          paramFloats: model.paramFloats,
          trainCount,
        },
        params,
        adamM: engine.f32(model.adamM, model.paramFloats),
        adamV: engine.f32(model.adamV, model.paramFloats),
        rngState: engine.u8(model.scratch.rngState, 16),
        order,
      });
      saved = `epoch ${epochsDone}${batchesDone ? `, batch ${batchesDone}` : ''}`;
    };
    const lastGood = (): string => {
      if (!checkpointDir) return '';
      return saved ? `; the last good checkpoint (${saved}) in ${checkpointDir} is intact` : `; no epoch finished, so ${checkpointDir} holds no checkpoint`;
    };

    let lastYield = performance.now();
    for (let epoch = firstEpoch; epoch <= options.epochs; epoch++) {
      const resumedMidEpoch = epoch === firstEpoch && firstBatch > 0;
      const started = performance.now() - (resumedMidEpoch ? carried.seconds * 1000 : 0);
      if (!resumedMidEpoch) shuffler.shuffle(order);
      let lossSum = resumedMidEpoch ? carried.lossSum : 0;
      let correct = resumedMidEpoch ? carried.correct : 0;
      for (let b = resumedMidEpoch ? firstBatch : 0; b < batches; b++) {
        const start = b * options.batchSize;
        const count = Math.min(options.batchSize, trainCount - start);
        model.loadBatch(trainData.images, trainData.labels, order, start, count);
        model.zeroGrads();
        const loss = model.forward(count, true);
        if (!Number.isFinite(loss)) {
          throw new SimdnetError(
            `training diverged: the loss became ${loss} in epoch ${epoch}, batch ${b + 1} of ${batches}${lastGood()}; try a lower --lr than ${options.learningRate}`,
            1,
          );
        }
        lossSum += loss;
        correct += model.correct(count);
        model.backward(count);
        optimizer.update(model);
        options.onBatch?.({
          epoch,
          batch: b + 1,
          batches,
          samples: start + count,
          loss: lossSum / (start + count),
          accuracy: correct / (start + count),
          seconds: (performance.now() - started) / 1000,
        });
        if (performance.now() - lastYield >= YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        if (options.signal?.aborted && b + 1 < batches) {
          save(epoch - 1, b + 1, lossSum, correct, (performance.now() - started) / 1000);
          const where = `epoch ${epoch}, batch ${b + 1} of ${batches}`;
          throw new TrainingInterrupted(
            checkpointDir ? `interrupted in ${where}; checkpoint written to ${checkpointDir}; continue with: simdnet train --resume ${checkpointDir}` : `interrupted in ${where}; nothing saved (no --checkpoint)`,
          );
        }
      }
      const val = validation.length ? evaluate(model, trainData, validation) : null;
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / trainCount,
        trainAccuracy: correct / trainCount,
        valLoss: val ? val.loss : null,
        valAccuracy: val ? val.accuracy : null,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(record);
      save(epoch, 0, 0, 0, 0);
      options.onEpoch?.(record);
      if (options.signal?.aborted && epoch < options.epochs) {
        throw new TrainingInterrupted(
          checkpointDir
            ? `interrupted after epoch ${epoch}; checkpoint written to ${checkpointDir}; continue with: simdnet train --resume ${checkpointDir}`
            : `interrupted after epoch ${epoch}; nothing saved (no --checkpoint)`,
        );
      }
    }

    const testOrder = range(0, testData.count);
    const test = evaluate(model, testData, testOrder);
    const labels = dataset.test.labels.subarray(0, testData.count);
    const matrix = confusionMatrix(labels, test.predictions, model.classes);
    const top = topMisclassifications(matrix, dataset.classNames);
    options.onTrained?.(model);
    return {
      model: spec.name,
      dataset: dataset.name,
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      seed: options.seed,
      threads: engine.threads,
      fma: engine.variant.fma,
      trainSamples: trainCount,
      validationSamples: validation.length,
      classNames: dataset.classNames,
      history,
      trainSeconds: history.reduce((sum, r) => sum + r.seconds, 0),
      testAccuracy: test.accuracy,
      testLoss: test.loss,
      confusionMatrix: matrix,
      perClassAccuracy: perClassAccuracy(matrix),
      topMisclassifications: top,
      misclassifiedExamples: misclassifiedExamples(top.slice(0, 5), labels, test.predictions, test.confidences, dataset.test.images, pixels),
    };
  } finally {
    engine.release(mark);
  }
}
