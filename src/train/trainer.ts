// The training loop: Keras's fit() for one Sequential model on one dataset. Seeded: the same
// seed gives the same shuffles, dropout masks and weights, so the same numbers run after run.
import type { Engine } from '../engine/engine.js';
import type { Ptr } from '../engine/kernels.js';
import { Sequential } from '../nn/sequential.js';
import { Adam } from '../nn/adam.js';
import type { ModelSpec } from '../nn/spec.js';
import { Random, deriveSeed } from '../util/random.js';
import { SimdnetError } from '../engine/errors.js';
import { confusionMatrix, misclassifiedExamples, perClassAccuracy, topMisclassifications } from './metrics.js';
import type { EpochRecord, RunResult } from './types.js';

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
}

/** A u8 split copied into wasm memory once. */
interface ResidentSplit {
  images: Ptr;
  labels: Ptr;
  count: number;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  predictions: Int32Array;
  confidences: Float32Array;
}

function makeResident(engine: Engine, split: ImageSplit, count: number, what: string): ResidentSplit {
  const pixels = split.rows * split.cols;
  return {
    images: engine.storeU8(split.images.subarray(0, count * pixels), `${what} images`),
    labels: engine.storeU8(split.labels.subarray(0, count), `${what} labels`),
    count,
  };
}

/** Forward passes in inference mode over `order`, in batches; loss is the mean cross-entropy. */
export function evaluate(model: Sequential, data: ResidentSplit, order: Int32Array): Evaluation {
  const n = order.length;
  const predictions = new Int32Array(n);
  const confidences = new Float32Array(n);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += model.maxBatch) {
    const count = Math.min(model.maxBatch, n - start);
    model.loadBatch(data.images, data.labels, order, start, count);
    lossSum += model.forward(count, false);
    correct += model.correct(count);
    const probs = model.engine.f32(model.probs, count * model.classes);
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let c = 1; c < model.classes; c++) if (probs[i * model.classes + c] > probs[i * model.classes + best]) best = c;
      predictions[start + i] = best;
      confidences[start + i] = probs[i * model.classes + best];
    }
  }
  return { loss: n ? lossSum / n : 0, accuracy: n ? correct / n : 0, predictions, confidences };
}

function range(from: number, to: number): Int32Array {
  const order = new Int32Array(Math.max(0, to - from));
  for (let i = 0; i < order.length; i++) order[i] = from + i;
  return order;
}

export function checkTrainOptions(options: TrainOptions): void {
  if (!Number.isInteger(options.epochs) || options.epochs < 1) throw new SimdnetError(`--epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new SimdnetError(`--batch-size must be a positive integer, got ${options.batchSize}`);
  if (!(options.learningRate > 0) || !Number.isFinite(options.learningRate)) throw new SimdnetError(`--lr must be a positive number, got ${options.learningRate}`);
  if (!(options.validationSplit >= 0 && options.validationSplit < 1)) throw new SimdnetError(`--validation-split must be in [0, 1), got ${options.validationSplit}`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new SimdnetError(`--limit must be a positive integer, got ${options.limit}`);
}

export function train(engine: Engine, spec: ModelSpec, dataset: DatasetLike, options: TrainOptions): RunResult {
  checkTrainOptions(options);
  const pixels = dataset.train.rows * dataset.train.cols;
  const total = Math.min(options.limit ?? dataset.train.count, dataset.train.count);
  const trainCount = Math.floor(total * (1 - options.validationSplit));
  if (trainCount < 1) throw new SimdnetError(`no training images left: --limit ${total} with --validation-split ${options.validationSplit}`);

  const mark = engine.mark();
  try {
    const trainData = makeResident(engine, dataset.train, total, 'training');
    const testData = makeResident(engine, dataset.test, dataset.test.count, 'test');
    const model = new Sequential(engine, spec, { maxBatch: options.batchSize, seed: options.seed });
    const optimizer = new Adam(options.learningRate);
    const shuffler = new Random(deriveSeed(options.seed, 1));
    const order = range(0, trainCount);
    const validation = range(trainCount, total);
    const batches = Math.ceil(trainCount / options.batchSize);
    const history: EpochRecord[] = [];

    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const started = performance.now();
      shuffler.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * options.batchSize;
        const count = Math.min(options.batchSize, trainCount - start);
        model.loadBatch(trainData.images, trainData.labels, order, start, count);
        model.zeroGrads();
        lossSum += model.forward(count, true);
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
      options.onEpoch?.(record);
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
      threads: 1,
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
