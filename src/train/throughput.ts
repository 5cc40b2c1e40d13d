// Training throughput: full training steps (the loop's trainStep: gather, forward, backward,
// optimizer) of one model on real images, timed after a warm-up that lets V8 tier the wasm up to
// optimised code.
import type { Engine } from '../engine/engine.js';
import type { ConvolutionChoice } from '../nn/layers/layer.js';
import { Sequential } from '../nn/sequential.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import { Optimizer } from '../optim/optimizer.js';
import { median } from '../util/median.js';
import { macsPerSample } from '../nn/model-spec.js';
import { Random } from '../util/random.js';
import { trainStep, type StepContext } from './loop.js';
import { SimdnetError } from '../engine/errors.js';
import { imageBytes, type ImageSplit } from './split.js';

export interface ThroughputOptions {
  batchSize: number;
  /** Timed steps per repeat. */
  batches: number;
  warmupBatches: number;
  repeats: number;
  seed: number;
  /** How the convolutions are computed (default 'auto'). */
  convolution?: ConvolutionChoice;
}

export interface Throughput {
  /** Median over repeats. */
  samplesPerSecond: number;
  /** Every repeat's figure, in order. */
  repeats: number[];
}

/** A model, its optimizer and a shuffled dataset in engine memory, stepping through the data in a cycle. */
export function stepper(engine: Engine, spec: TrainingSpec, split: ImageSplit, batchSize: number, seed: number, convolution: ConvolutionChoice = 'auto'): { context: StepContext; step: () => void } {
  const [h, w, c] = spec.inputShape;
  if (h * w * c !== imageBytes(split)) throw new SimdnetError(`model '${spec.name}' takes ${h}x${w}x${c} inputs, but the benchmark's images are ${split.rows}x${split.cols}x${split.channels ?? 1}`);
  if (split.count < batchSize) throw new SimdnetError(`a benchmark of batch ${batchSize} needs at least ${batchSize} training images, the data has ${split.count}; use a smaller batch size`);
  const data = {
    images: engine.storeU8(split.images.subarray(0, split.count * imageBytes(split)), 'benchmark images'),
    labels: engine.storeU8(split.labels.subarray(0, split.count), 'benchmark labels'),
  };
  const model = new Sequential(engine, spec, { maxBatch: batchSize, seed, convolution });
  const optimizer = new Optimizer(spec.optimizer, engine, { kernels: model.kernels, params: model.params, grads: model.grads, count: model.paramFloats });
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  new Random(seed).shuffle(order);
  const stepsPerEpoch = Math.floor(split.count / batchSize);
  const context: StepContext = { model, optimizer, spec, data, stepsPerEpoch, totalSteps: Number.MAX_SAFE_INTEGER };
  let cursor = 0;
  const step = (): void => {
    if (cursor + batchSize > order.length) cursor = 0;
    trainStep(context, order, cursor, batchSize);
    cursor += batchSize;
  };
  return { context, step };
}

/**
 * Forward multiply-adds of warm-up before a throughput is timed. Measured on this project's 2-core
 * machines, a fresh process reaches its steady speed only after this much work: V8 tiers the
 * kernels and the host code up, and the threaded pool settles (mlp-tuned at 2 threads ran 37-41K
 * samples/s in its first 50 steps and 55-67K from about step 200 on). Counted in work rather
 * than time so that every machine takes the same steps (see timeSteps).
 */
export const WARMUP_MACS = 4e9;

/**
 * The warm-up steps `simdnet bench` and the page take by default: enough for WARMUP_MACS of
 * forward work (mlp 573 steps, mlp-tuned 267, cnn 45 at batch 64), at least a third of the timed
 * steps and at least 5.
 */
export function defaultWarmupBatches(spec: ModelSpec, batchSize: number, batches: number): number {
  return Math.max(5, Math.ceil(batches / 3), Math.ceil(WARMUP_MACS / (macsPerSample(spec) * batchSize)));
}

/**
 * Samples per second of `step` (each step `samplesPerStep` samples): `warmupBatches` steps, then
 * `repeats` timed repeats of `batches` steps; the median is the figure. Training and inference
 * throughput are both timed by this. The work is a fixed number of steps, not a time: a training
 * run's speed depends on its state (Adam's moments of dead units decay into subnormal floats after
 * ~1,000 mlp steps, which then train a third slower), so every machine must take the same steps.
 */
export function timeSteps(step: () => void, samplesPerStep: number, options: Pick<ThroughputOptions, 'batches' | 'warmupBatches' | 'repeats'>): Throughput {
  for (let i = 0; i < options.warmupBatches; i++) step();
  const repeats: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    const started = performance.now();
    for (let i = 0; i < options.batches; i++) step();
    const seconds = (performance.now() - started) / 1000;
    repeats.push((options.batches * samplesPerStep) / seconds);
  }
  return { samplesPerSecond: median(repeats), repeats };
}


export function measureThroughput(engine: Engine, spec: TrainingSpec, split: ImageSplit, options: ThroughputOptions): Throughput {
  const mark = engine.mark();
  try {
    const { step } = stepper(engine, spec, split, options.batchSize, options.seed, options.convolution);
    return timeSteps(step, options.batchSize, options);
  } finally {
    engine.release(mark);
  }
}
