// A model that stays resident in one Engine between calls: fit, evaluate, predict, weights.
// Free of DOM and Node APIs: the browser worker runs it, and the Node API (node.ts) builds on it,
// so page and Node train through one code path. Training goes through the shared epoch loop
// (train/loop.ts), as `simdnet train` does: same shuffles, batches and optimizer steps for a seed,
// same stop mechanism and divergence message.
import type { Engine } from '../engine/engine.js';
import { SimdnetError } from '../engine/errors.js';
import { Sequential } from '../nn/sequential.js';
import type { TrainingSpec } from '../nn/spec.js';
import { withLearningRate } from '../nn/model-spec.js';
import { predictProbabilities } from '../nn/predict.js';
import { flatWeights, setFlatWeights } from '../nn/weights.js';
import { Optimizer } from '../optim/optimizer.js';
import { confusionMatrix, perClassAccuracy } from '../train/metrics.js';
import { evaluate, range, type ResidentImages } from '../train/evaluate.js';
import { runEpochs, type LoopState } from '../train/loop.js';
import type { BatchProgress, EpochRecord } from '../train/types.js';
import { Random, deriveSeed } from '../util/random.js';

/**
 * Images as the datasets hold them: `count` images of the model's input shape, bytes 0..255,
 * NHWC (row-major, channels last), and one label (class index) each. A dataset's split (with
 * rows, cols and channels) is checked against the model's input shape too.
 */
export interface Samples {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows?: number;
  cols?: number;
  channels?: number;
}

export interface FitOptions {
  epochs?: number;
  /** The optimizer's base learning rate; default: the training spec's. */
  learningRate?: number;
  /** Fraction held out from the end, as Keras does (default 0.1). */
  validationSplit?: number;
  /** Train on the first N samples only. */
  limit?: number;
  /** Seed for the shuffles (default: the model's seed). */
  seed?: number;
}

export interface FitCallbacks {
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Aborting it ends training after the current batch. */
  signal?: AbortSignal;
}

export interface FitResult {
  /** One record per finished epoch. */
  history: EpochRecord[];
  trainSamples: number;
  validationSamples: number;
  stopped: boolean;
  /** Where a stopped fit stopped: epochs finished, and batches done of the next. */
  stoppedAt: { epoch: number; batch: number } | null;
  /** Training samples per second over all epochs (validation passes excluded). */
  samplesPerSecond: number;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  /** Predicted class per sample. */
  predictions: Int32Array;
  /** Probability of the predicted class per sample. */
  confidences: Float32Array;
  /** [true][predicted] counts. */
  confusionMatrix: number[][];
  perClassAccuracy: number[];
}

export interface ModelOptions {
  /** Mini-batch size, also the largest batch the memory plan holds (default 64). */
  batchSize?: number;
  /** Seed for weights, shuffles and dropout (default 0). */
  seed?: number;
}

function checkFitOptions(o: { epochs: number; learningRate: number; validationSplit: number; limit?: number }): void {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new SimdnetError(`epochs must be a positive integer, got ${o.epochs}`);
  if (!(o.learningRate > 0) || !Number.isFinite(o.learningRate)) throw new SimdnetError(`learningRate must be a positive number, got ${o.learningRate}`);
  if (!(o.validationSplit >= 0 && o.validationSplit < 1)) throw new SimdnetError(`validationSplit must be in [0, 1), got ${o.validationSplit}`);
  if (o.limit !== undefined && (!Number.isInteger(o.limit) || o.limit < 1)) throw new SimdnetError(`limit must be a positive integer, got ${o.limit}`);
}


export class ResidentModel {
  readonly model: Sequential;
  readonly batchSize: number;
  readonly seed: number;
  private readonly optimizer: Optimizer;
  /** Engine memory above the model (datasets copied in per call) is released back to here. */
  private readonly top: number;

  constructor(
    readonly engine: Engine,
    readonly spec: TrainingSpec,
    options: ModelOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new SimdnetError(`batchSize must be a positive integer, got ${this.batchSize}`);
    this.model = new Sequential(engine, spec, { maxBatch: this.batchSize, seed: this.seed });
    this.optimizer = new Optimizer(spec.optimizer, engine, { kernels: this.model.kernels, params: this.model.params, grads: this.model.grads, count: this.model.paramFloats });
    this.top = engine.mark();
  }

  get inputSize(): number {
    return this.model.inputSize;
  }

  get classes(): number {
    return this.model.classes;
  }

  get paramCount(): number {
    return this.model.paramCount;
  }

  private checkSamples(data: Samples, what: string): void {
    if (!data || !(data.images instanceof Uint8Array) || !(data.labels instanceof Uint8Array)) {
      throw new SimdnetError(`${what}: expected { images: Uint8Array, labels: Uint8Array, count }, such as a dataset's train or test split`);
    }
    if (!Number.isInteger(data.count) || data.count < 0) throw new SimdnetError(`${what}: count must be a non-negative integer, got ${data.count}`);
    const [h, w, c] = this.spec.inputShape;
    if (data.rows !== undefined && (data.rows !== h || data.cols !== w || (data.channels ?? 1) !== c)) {
      throw new SimdnetError(`${what}: model '${this.spec.name}' takes ${h}x${w}x${c} images, but these are ${data.rows}x${data.cols}x${data.channels ?? 1}`);
    }
    if (data.images.length < data.count * this.inputSize) {
      throw new SimdnetError(`${what}: ${data.count} samples of ${this.inputSize} pixels need ${data.count * this.inputSize} image bytes, got ${data.images.length}`);
    }
    if (data.labels.length < data.count) throw new SimdnetError(`${what}: ${data.count} samples need ${data.count} labels, got ${data.labels.length}`);
    for (let i = 0; i < data.count; i++) {
      if (data.labels[i] >= this.classes) throw new SimdnetError(`${what}: label ${data.labels[i]} at index ${i} is out of range, expected 0..${this.classes - 1}`);
    }
  }

  /** Copies the first `count` samples into wasm memory; released by the caller via engine.release(this.top). */
  private resident(data: Samples, count: number, what: string): ResidentImages {
    return {
      images: this.engine.storeU8(data.images.subarray(0, count * this.inputSize), `${what} images`),
      labels: this.engine.storeU8(data.labels.subarray(0, count), `${what} labels`),
    };
  }

  /** Trains; the optimizer's state carries over from one fit to the next, as in Keras. */
  async fit(data: Samples, options: FitOptions & FitCallbacks = {}): Promise<FitResult> {
    const callbacks: FitCallbacks = options;
    this.checkSamples(data, 'fit');
    const o = {
      epochs: options.epochs ?? 1,
      learningRate: options.learningRate ?? this.spec.optimizer.learningRate,
      seed: options.seed ?? this.seed,
      validationSplit: options.validationSplit ?? 0.1,
      limit: options.limit,
    };
    checkFitOptions(o);
    const total = Math.min(o.limit ?? data.count, data.count);
    const trainCount = Math.floor(total * (1 - o.validationSplit));
    if (trainCount < 1) throw new SimdnetError(`fit: no training samples left: ${total} samples with validationSplit ${o.validationSplit}`);
    try {
      const resident = this.resident(data, total, 'training');
      const batches = Math.ceil(trainCount / this.batchSize);
      const spec = withLearningRate(this.spec, o.learningRate);
      const state: LoopState = { epoch: 0, batch: 0, lossSum: 0, correct: 0, epochSeconds: 0, history: [], order: range(0, trainCount) };
      const result = await runEpochs({ model: this.model, optimizer: this.optimizer, spec, data: resident, stepsPerEpoch: batches, totalSteps: batches * o.epochs }, state, {
        epochs: o.epochs,
        batchSize: this.batchSize,
        trainCount,
        validation: range(trainCount, total),
        shuffler: new Random(deriveSeed(o.seed, 1)),
        onBatch: callbacks.onBatch,
        onEpoch: callbacks.onEpoch,
        signal: callbacks.signal,
      });
      return {
        history: state.history,
        trainSamples: trainCount,
        validationSamples: total - trainCount,
        stopped: result.stopped !== null,
        stoppedAt: result.stopped,
        samplesPerSecond: result.trainSeconds > 0 ? result.trainedSamples / result.trainSeconds : 0,
      };
    } finally {
      this.engine.release(this.top);
    }
  }

  /** Inference over labelled samples: loss, accuracy, confusion matrix, per-class accuracy. */
  evaluate(data: Samples): EvaluateResult {
    this.checkSamples(data, 'evaluate');
    try {
      const resident = this.resident(data, data.count, 'evaluation');
      const result = evaluate(this.model, resident, range(0, data.count));
      const matrix = confusionMatrix(data.labels.subarray(0, data.count), result.predictions, this.classes);
      return { ...result, confusionMatrix: matrix, perClassAccuracy: perClassAccuracy(matrix) };
    } finally {
      this.engine.release(this.top);
    }
  }

  /**
   * Class probabilities, [count, classes] row-major. `pixels` holds count·inputSize values:
   * bytes 0..255 (Uint8Array), or floats already scaled to 0..1 (Float32Array).
   */
  predict(pixels: Uint8Array | Float32Array, count?: number): Float32Array {
    return predictProbabilities(this.model, pixels, count);
  }

  /** All weights, layer by layer in Keras's order (each kernel then its bias), no padding. */
  getWeights(): Float32Array {
    return flatWeights(this.model);
  }

  /** Loads weights saved by getWeights for the same architecture; resets the optimizer's state. */
  setWeights(weights: Float32Array): void {
    setFlatWeights(this.model, weights);
    for (const block of this.optimizer.state) this.engine.f32(block, this.model.paramFloats).fill(0);
    this.optimizer.step = 0;
  }
}
