// A model that stays resident in one Engine between calls: fit, evaluate, predict, weights.
// Free of DOM and Node APIs: the browser worker runs it, and bench/browser-vs-node.js runs the
// very same code in Node, so the two throughputs compare one code path.
//
// The fit loop mirrors train/trainer.ts (same shuffles, batches and Adam steps for a seed); it
// differs in keeping the model afterwards and in yielding to the event loop every ~200 ms, so a
// worker can receive "stop" mid-epoch. It imports only types from the trainer, which also writes
// checkpoints with node:fs; evaluation is repeated here (a dozen lines) to keep that out.
import type { Engine } from '../engine/engine.js';
import type { Ptr } from '../engine/kernels.js';
import { SimdnetError } from '../engine/errors.js';
import { Adam } from '../nn/adam.js';
import { Sequential } from '../nn/sequential.js';
import { shapeSize, type ModelSpec } from '../nn/spec.js';
import type { BatchProgress } from '../train/trainer.js';
import { confusionMatrix, perClassAccuracy } from '../train/metrics.js';
import { evaluate, range, type ResidentImages } from '../train/evaluate.js';
import type { EpochRecord } from '../train/types.js';
import { Random, deriveSeed } from '../util/random.js';

/** Images as the datasets hold them: count·rows·cols bytes 0..255, row-major, and one label each. */
export interface Samples {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FitOptions {
  epochs?: number;
  /** Adam learning rate; default: the model spec's. */
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
  /** Polled between batches; true ends training after the current batch. */
  shouldStop?: () => boolean;
}

export interface FitResult {
  history: EpochRecord[];
  trainSamples: number;
  validationSamples: number;
  stopped: boolean;
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

const YIELD_MS = 200;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));


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
  private optimizer: Adam;
  /** Engine memory above the model (datasets copied in per call) is released back to here. */
  private readonly top: number;

  constructor(
    readonly engine: Engine,
    readonly spec: ModelSpec,
    options: ModelOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.seed = options.seed ?? 0;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new SimdnetError(`batchSize must be a positive integer, got ${this.batchSize}`);
    this.model = new Sequential(engine, spec, { maxBatch: this.batchSize, seed: this.seed });
    this.optimizer = new Adam(spec.learningRate);
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
    if (!Number.isInteger(data.count) || data.count < 0) throw new SimdnetError(`${what}: count must be a non-negative integer, got ${data.count}`);
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

  async fit(data: Samples, options: FitOptions = {}, callbacks: FitCallbacks = {}): Promise<FitResult> {
    this.checkSamples(data, 'fit');
    const trainOptions = {
      epochs: options.epochs ?? 1,
      learningRate: options.learningRate ?? this.spec.learningRate,
      seed: options.seed ?? this.seed,
      validationSplit: options.validationSplit ?? 0.1,
      limit: options.limit,
    };
    checkFitOptions(trainOptions);
    if (trainOptions.learningRate !== this.optimizer.learningRate) {
      const step = this.optimizer.step;
      this.optimizer = new Adam(trainOptions.learningRate);
      this.optimizer.step = step;
    }
    const total = Math.min(trainOptions.limit ?? data.count, data.count);
    const trainCount = Math.floor(total * (1 - trainOptions.validationSplit));
    if (trainCount < 1) throw new SimdnetError(`fit: no training samples left: ${total} samples with validationSplit ${trainOptions.validationSplit}`);

    const model = this.model;
    const batchSize = this.batchSize;
    const history: EpochRecord[] = [];
    let stopped = false;
    let trainSeconds = 0;
    let trained = 0;
    try {
      const resident = this.resident(data, total, 'training');
      const shuffler = new Random(deriveSeed(trainOptions.seed, 1));
      const order = range(0, trainCount);
      const validation = range(trainCount, total);
      const batches = Math.ceil(trainCount / batchSize);
      for (let epoch = 1; epoch <= trainOptions.epochs && !stopped; epoch++) {
        const started = performance.now();
        let paused = 0;
        let lastYield = started;
        shuffler.shuffle(order);
        let lossSum = 0;
        let correct = 0;
        let done = 0;
        for (let b = 0; b < batches; b++) {
          const start = b * batchSize;
          const count = Math.min(batchSize, trainCount - start);
          model.loadBatch(resident.images, resident.labels, order, start, count);
          model.zeroGrads();
          lossSum += model.forward(count, true);
          correct += model.correct(count);
          model.backward(count);
          this.optimizer.update(model);
          done = start + count;
          const now = performance.now();
          callbacks.onBatch?.({ epoch, batch: b + 1, batches, samples: done, loss: lossSum / done, accuracy: correct / done, seconds: (now - started - paused) / 1000 });
          if (now - lastYield > YIELD_MS) {
            await yieldToEventLoop();
            lastYield = performance.now();
            paused += lastYield - now;
            if (callbacks.shouldStop?.()) {
              stopped = true;
              break;
            }
          }
        }
        const seconds = (performance.now() - started - paused) / 1000;
        trainSeconds += seconds;
        trained += done;
        const val = validation.length && !stopped ? evaluate(model, resident, validation) : null;
        const record: EpochRecord = {
          epoch,
          trainLoss: lossSum / Math.max(done, 1),
          trainAccuracy: correct / Math.max(done, 1),
          valLoss: val ? val.loss : null,
          valAccuracy: val ? val.accuracy : null,
          seconds: (performance.now() - started - paused) / 1000,
        };
        history.push(record);
        callbacks.onEpoch?.(record);
        if (!stopped && callbacks.shouldStop?.()) stopped = true;
      }
      return { history, trainSamples: trainCount, validationSamples: total - trainCount, stopped, samplesPerSecond: trainSeconds > 0 ? trained / trainSeconds : 0 };
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
  predict(pixels: Uint8Array | Float32Array, count = Math.floor(pixels.length / this.inputSize)): Float32Array {
    const size = this.inputSize;
    if (pixels.length < count * size) throw new SimdnetError(`predict: ${count} samples of ${size} values need ${count * size} values, got ${pixels.length}`);
    const model = this.model;
    const out = new Float32Array(count * this.classes);
    const scale = pixels instanceof Uint8Array ? 1 / 255 : 1;
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start);
      const input = this.engine.f32(model.input, n * size);
      const chunk = pixels.subarray(start * size, (start + n) * size);
      for (let i = 0; i < chunk.length; i++) input[i] = chunk[i] * scale;
      // Labels are only read by the loss, which predict ignores; zeros keep them in range.
      this.engine.i32(model.labels, n).fill(0);
      model.forward(n, false);
      out.set(this.engine.f32(model.probs, n * this.classes), start * this.classes);
    }
    return out;
  }

  /** All weights and biases, layer by layer (each kernel then its bias, Keras's order), no padding. */
  getWeights(): Float32Array {
    const block = this.engine.f32(this.model.params, this.model.paramFloats);
    const out = new Float32Array(this.paramCount);
    let at = 0;
    this.model.layers.forEach((layer, i) => {
      out.set(block.subarray(this.model.paramOffsets[i], this.model.paramOffsets[i] + layer.paramCount), at);
      at += layer.paramCount;
    });
    return out;
  }

  /** Loads weights saved by getWeights for the same architecture; resets Adam's state. */
  setWeights(weights: Float32Array): void {
    if (weights.length !== this.paramCount) {
      throw new SimdnetError(`setWeights: model '${this.spec.name}' has ${this.paramCount} parameters, got ${weights.length} values (weights saved from another architecture?)`);
    }
    const block = this.engine.f32(this.model.params, this.model.paramFloats);
    let at = 0;
    this.model.layers.forEach((layer, i) => {
      block.set(weights.subarray(at, at + layer.paramCount), this.model.paramOffsets[i]);
      at += layer.paramCount;
    });
    this.engine.f32(this.model.adamM, this.model.paramFloats).fill(0);
    this.engine.f32(this.model.adamV, this.model.paramFloats).fill(0);
    this.optimizer = new Adam(this.optimizer.learningRate);
  }
}

/** Checks a user-supplied spec enough to give a readable error before the memory plan is made. */
export function checkSpec(spec: ModelSpec): void {
  if (!spec || typeof spec !== 'object') throw new SimdnetError('model spec must be an object with name, inputShape, layers and learningRate');
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length !== 3 || !spec.inputShape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new SimdnetError(`model spec '${spec.name}': inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(spec.inputShape)}`);
  }
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) throw new SimdnetError(`model spec '${spec.name}': layers must be a non-empty list`);
  if (!(spec.learningRate > 0)) throw new SimdnetError(`model spec '${spec.name}': learningRate must be a positive number`);
  if (shapeSize(spec.inputShape) > 1 << 20) throw new SimdnetError(`model spec '${spec.name}': input of ${shapeSize(spec.inputShape)} values is too large`);
}
