// The training step and the epoch loop: Keras's fit(), once, for every host. `simdnet train` and
// `study` (train/trainer.ts), the browser worker (web/core.ts), `simdnet bench` (throughput.ts)
// and the profiler (bench/profile.js) all train through trainStep, and the first two through
// runEpochs, so they share one stop mechanism (an AbortSignal), one yield policy, one divergence
// check and one timing rule. Nothing here touches Node or the DOM.
import { SimdnetError } from '../engine/errors.js';
import type { Sequential } from '../nn/sequential.js';
import type { TrainingSpec } from '../nn/spec.js';
import type { Optimizer } from '../optim/optimizer.js';
import { scheduledRate } from '../optim/schedule.js';
import type { Random } from '../util/random.js';
import { evaluate, type ResidentImages } from './evaluate.js';
import type { BatchProgress, EpochRecord } from './types.js';

/**
 * The loop is synchronous wasm calls; it hands the event loop a turn this often (ms), so that a
 * SIGINT handler, a timer or a worker's "stop" message can run. A turn costs microseconds.
 */
export const YIELD_EVERY_MS = 50;

/** A turn of the event loop without timer clamping: setImmediate in Node, a message to itself elsewhere. */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** What one optimizer step trains on and with. */
export interface StepContext {
  model: Sequential;
  optimizer: Optimizer;
  spec: TrainingSpec;
  data: ResidentImages;
  /** Batches per epoch and in the whole run, for the learning-rate schedule. */
  stepsPerEpoch: number;
  totalSteps: number;
}

/** Where a step sits, for the divergence message. */
export interface StepPlace {
  epoch: number;
  batch: number;
  batches: number;
}

/** Training stopped because the loss or a weight stopped being finite; the message says where and what to try. */
export function divergence(what: string, learningRate: number, note = ''): SimdnetError {
  return new SimdnetError(`training diverged: ${what}${note}; try a lower learning rate than ${learningRate}`, 1);
}

/**
 * The training step on samples order[start .. start+count): gather the batch (augmenting it, when
 * the spec says so, by draws keyed by the optimizer's step count), zero the gradients,
 * forward, check the loss, backward, one optimizer step at the schedule's rate. Returns the batch's
 * summed loss and its correct predictions.
 */
export function trainStep(c: StepContext, order: Int32Array, start: number, count: number, place?: StepPlace, note?: () => string): { loss: number; correct: number } {
  const { model, optimizer } = c;
  model.loadBatch(c.data.images, c.data.labels, order, start, count, optimizer.step);
  model.zeroGrads();
  const loss = model.forward(count, true);
  if (!Number.isFinite(loss)) {
    const where = place ? ` in epoch ${place.epoch}, batch ${place.batch} of ${place.batches}` : '';
    throw divergence(`the loss became ${loss}${where}`, c.spec.optimizer.learningRate, note?.() ?? '');
  }
  const correct = model.correct(count);
  model.backward(count);
  const rate = scheduledRate(c.spec.schedule, c.spec.optimizer.learningRate, { step: optimizer.step, stepsPerEpoch: c.stepsPerEpoch, totalSteps: c.totalSteps });
  optimizer.update(rate);
  return { loss, correct };
}

/** Throws the divergence error if any weight is not finite (checked before a checkpoint is written). */
export function checkWeightsFinite(model: Sequential, epoch: number, learningRate: number, note = ''): void {
  const params = model.engine.f32(model.params, model.paramFloats);
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i])) throw divergence(`a weight became ${params[i]} in epoch ${epoch}`, learningRate, note);
  }
}

/** Everything the loop carries between batches: what a checkpoint saves and a resume restores. */
export interface LoopState {
  /** Epochs finished. */
  epoch: number;
  /** Batches finished in epoch `epoch + 1` (0 at an epoch boundary). */
  batch: number;
  /** Running sums of the unfinished epoch, so its record comes out as if never interrupted. */
  lossSum: number;
  correct: number;
  /** Seconds already spent on the unfinished epoch. */
  epochSeconds: number;
  history: EpochRecord[];
  /** This epoch's order of the training samples (reshuffled at the start of every epoch). */
  order: Int32Array;
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  /** Samples 0 .. trainCount of the data are trained on. */
  trainCount: number;
  /** Sample indices evaluated after every epoch (empty: no validation). */
  validation: Int32Array;
  shuffler: Random;
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Aborting it stops the loop after the current batch. */
  signal?: AbortSignal;
  /** Called after every finished epoch, and when the loop stops on the signal (Node writes a checkpoint here). */
  onSave?: (state: LoopState) => void;
  /** Appended to a divergence message (where the last good checkpoint is). */
  divergenceNote?: () => string;
}

export interface LoopResult {
  /** Set when the signal stopped the loop: after which epoch, and how many of the next epoch's batches were done. */
  stopped: { epoch: number; batch: number } | null;
  /** Samples trained on and seconds spent on them (validation passes excluded), over the whole loop. */
  trainedSamples: number;
  trainSeconds: number;
}

/**
 * Runs epochs state.epoch + 1 .. options.epochs, continuing mid-epoch where state says so. Times
 * are wall time minus the turns handed to the event loop; an epoch's seconds include its
 * validation pass.
 */
export async function runEpochs(c: StepContext, state: LoopState, options: LoopOptions): Promise<LoopResult> {
  const { batchSize, trainCount } = options;
  const batches = Math.ceil(trainCount / batchSize);
  let trainedSamples = 0;
  let trainSeconds = 0;
  let lastYield = performance.now();
  for (let epoch = state.epoch + 1; epoch <= options.epochs; epoch++) {
    const resumed = state.batch > 0;
    if (!resumed) {
      options.shuffler.shuffle(state.order);
      state.lossSum = 0;
      state.correct = 0;
      state.epochSeconds = 0;
    }
    let started = performance.now() - state.epochSeconds * 1000;
    for (let b = state.batch; b < batches; b++) {
      const start = b * batchSize;
      const count = Math.min(batchSize, trainCount - start);
      const stepStarted = performance.now();
      const { loss, correct } = trainStep(c, state.order, start, count, { epoch, batch: b + 1, batches }, options.divergenceNote);
      trainSeconds += (performance.now() - stepStarted) / 1000;
      trainedSamples += count;
      state.lossSum += loss;
      state.correct += correct;
      state.batch = b + 1;
      const done = start + count;
      options.onBatch?.({ epoch, batch: b + 1, batches, samples: done, loss: state.lossSum / done, accuracy: state.correct / done, seconds: (performance.now() - started) / 1000 });
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        const paused = performance.now();
        await yieldToEventLoop();
        lastYield = performance.now();
        started += lastYield - paused;
      }
      if (options.signal?.aborted && b + 1 < batches) {
        state.epochSeconds = (performance.now() - started) / 1000;
        options.onSave?.(state);
        return { stopped: { epoch: epoch - 1, batch: b + 1 }, trainedSamples, trainSeconds };
      }
    }
    const val = options.validation.length ? evaluate(c.model, c.data, options.validation) : null;
    const record: EpochRecord = {
      epoch,
      trainLoss: state.lossSum / trainCount,
      trainAccuracy: state.correct / trainCount,
      valLoss: val ? val.loss : null,
      valAccuracy: val ? val.accuracy : null,
      seconds: (performance.now() - started) / 1000,
    };
    state.history.push(record);
    state.epoch = epoch;
    state.batch = 0;
    state.lossSum = 0;
    state.correct = 0;
    state.epochSeconds = 0;
    options.onSave?.(state);
    options.onEpoch?.(record);
    if (options.signal?.aborted && epoch < options.epochs) return { stopped: { epoch, batch: 0 }, trainedSamples, trainSeconds };
  }
  return { stopped: null, trainedSamples, trainSeconds };
}

