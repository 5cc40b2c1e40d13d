// The benchmark suite for comparing CPUs: the kernel table (kernel-suite.ts), training throughput
// (the code of `simdnet bench`) and inference throughput (that of `simdnet bench --inference`) of
// the notebook's four models (a fixed workload, comparable across machines and versions), each at
// 1, 2, 4, ... and N threads, with the machine described. The CLI (`simdnet bench --suite`) and
// the browser worker run this same function; each host supplies
// engines of a given thread count and says what machine it is. Free of Node and DOM APIs.
import type { Engine } from '../engine/engine.js';
import { SimdnetError } from '../engine/errors.js';
import { MODELS, NOTEBOOK_MODELS } from '../nn/models.js';
import { INFERENCE_BATCH, measureInferenceThroughput } from '../train/inference-throughput.js';
import type { ImageSplit } from '../train/split.js';
import { defaultWarmupBatches, measureThroughput } from '../train/throughput.js';
import { median } from '../util/median.js';
import { VERSION } from '../version.js';
import { KERNEL_BATCH, kernelRows, layerShapes, type KernelRow, type KernelTiming } from './kernel-suite.js';

/** The training batch the suite times (the study's). */
export const TRAINING_BATCH = 64;
/** Images the suite trains and predicts on: MNIST's first ones (enough to cycle through). */
export const SUITE_IMAGES = 8192;

/** The machine, as the host sees it. */
export interface MachineInfo {
  /** CPU model, where the host can tell (browsers cannot). */
  cpu?: string;
  /** Logical cores (navigator.hardwareConcurrency in a browser). */
  cores: number;
  /** Memory in GiB, where the host can tell (browsers round it, or say nothing). */
  memoryGiB?: number;
  /** Node and its version, or the browser's user agent. */
  runtime: string;
}

/** Steps of one model's measurement: warm-up steps, then repeats of `steps` timed steps. */
export interface StepCounts {
  warmup: number;
  steps: number;
}

export interface SuiteTiming {
  kernels: KernelTiming;
  /**
   * Per model, a fixed number of steps rather than a time, so that every machine does the same
   * work and reaches the same training state (see timeSteps: the state changes the speed).
   */
  training: Record<string, StepCounts>;
  inference: Record<string, StepCounts>;
  /** Timed repeats of each training and inference measurement; the median is the figure. */
  repeats: number;
}

/** `steps` timed steps after simdnet bench's warm-up for the model (defaultWarmupBatches: the steady speed). */
const warmed = (name: string, batchSize: number, steps: number): StepCounts => ({ warmup: defaultWarmupBatches(MODELS[name], batchSize, steps), steps });
const everyModel = (counts: StepCounts): Record<string, StepCounts> => Object.fromEntries(NOTEBOOK_MODELS.map((name) => [name, counts]));

/**
 * standard: about 19 s per thread count on this project's 2-core machine, each training or
 * inference repeat 0.2-0.3 s there on one thread, well short of the ~1,000 mlp steps after which
 * training slows; quick: one step of everything, a smoke test whose figures are rough.
 */
export const SUITE_TIMINGS: Record<'standard' | 'quick', SuiteTiming> = {
  standard: {
    kernels: { warmupMs: 50, reps: 5, repMs: 25 },
    training: { cnn: warmed('cnn', TRAINING_BATCH, 20), 'cnn-tuned': warmed('cnn-tuned', TRAINING_BATCH, 6), mlp: warmed('mlp', TRAINING_BATCH, 60), 'mlp-tuned': warmed('mlp-tuned', TRAINING_BATCH, 40) },
    inference: { cnn: warmed('cnn', INFERENCE_BATCH, 20), 'cnn-tuned': warmed('cnn-tuned', INFERENCE_BATCH, 6), mlp: warmed('mlp', INFERENCE_BATCH, 200), 'mlp-tuned': warmed('mlp-tuned', INFERENCE_BATCH, 100) },
    repeats: 5,
  },
  quick: {
    kernels: { warmupMs: 0, reps: 1, repMs: 0 },
    training: everyModel({ warmup: 1, steps: 1 }),
    inference: everyModel({ warmup: 1, steps: 1 }),
    repeats: 1,
  },
};

export interface SuiteOptions {
  /** Thread counts, e.g. suiteThreadCounts(cores). */
  threads: number[];
  quick?: boolean;
  /** Repeats (kernel-table reps) of every measurement, instead of the timing's. */
  repeats?: number;
}

export interface SuiteProgress {
  /** Measurements done, of `steps`. */
  step: number;
  steps: number;
  /** What was just measured, in words. */
  text: string;
}

export interface TrainingRow {
  model: string;
  batchSize: number;
  results: { threads: number; samplesPerSecond: number; repeats: number[] }[];
}

export interface InferenceRow {
  model: string;
  batchSize: number;
  results: { threads: number; imagesPerSecond: number; repeats: number[] }[];
}

export interface KernelTableRow extends Omit<KernelRow, 'threads' | 'gflops' | 'peakGflops' | 'ofPeak'> {
  results: { threads: number; gflops: number; peakGflops: number; ofPeak: number }[];
}

export interface SuiteResult {
  type: 'suite';
  simdnet: string;
  machine: MachineInfo;
  /** The relaxed-SIMD FMA build ran (else plain SIMD). */
  fma: boolean;
  /** The thread counts measured (each result row has one result per count, in this order). */
  threads: number[];
  timing: 'standard' | 'quick';
  repeats: number;
  /** When the suite started, ISO 8601. */
  date: string;
  /** Wall seconds the whole suite took. */
  seconds: number;
  /** Median over the kernel table of the one-thread multiply-add loop's peak, GFLOP/s. */
  peakGflops: number;
  kernels: KernelTableRow[];
  /** Training samples per second (batch 64, the model's optimizer). */
  training: TrainingRow[];
  /** Inference images per second (batch 256, forward only). */
  inference: InferenceRow[];
}

/** 1, 2, 4, 8, ... below `max`, then `max`. */
export function suiteThreadCounts(max: number): number[] {
  if (!Number.isInteger(max) || max < 1) throw new SimdnetError(`threads must be a positive integer, got ${max}`);
  const counts: number[] = [];
  for (let t = 1; t < max; t *= 2) counts.push(t);
  counts.push(max);
  return counts;
}

/** The first SUITE_IMAGES images of a split (all of it when smaller). */
export function suiteImages(split: ImageSplit): ImageSplit {
  const count = Math.min(split.count, SUITE_IMAGES);
  const size = split.rows * split.cols * (split.channels ?? 1);
  return { images: split.images.subarray(0, count * size), labels: split.labels.subarray(0, count), count, rows: split.rows, cols: split.cols, channels: split.channels ?? 1 };
}


/**
 * Runs the suite on MNIST-shaped images (28x28x1; the four named models as the study has them).
 * `engine(threads)` gives a fresh engine, which the suite closes when done with it.
 */
export async function runSuite(
  host: { engine: (threads: number) => Promise<Engine>; machine: MachineInfo },
  data: ImageSplit,
  options: SuiteOptions,
  onProgress?: (progress: SuiteProgress) => void,
): Promise<SuiteResult> {
  if (data.rows !== 28 || data.cols !== 28 || (data.channels ?? 1) !== 1) throw new SimdnetError(`the suite runs on MNIST's 28x28 grey images, got ${data.rows}x${data.cols}x${data.channels ?? 1}`);
  if (data.count < INFERENCE_BATCH) throw new SimdnetError(`the suite needs at least ${INFERENCE_BATCH} images, got ${data.count}`);
  if (options.threads.length === 0 || options.threads.some((t) => !Number.isInteger(t) || t < 1)) throw new SimdnetError(`the suite's thread counts must be positive integers, got ${options.threads.join(', ')}`);
  if (options.repeats !== undefined && (!Number.isInteger(options.repeats) || options.repeats < 1)) throw new SimdnetError(`repeats must be a positive integer, got ${options.repeats}`);
  const timing = SUITE_TIMINGS[options.quick ? 'quick' : 'standard'];
  const repeats = options.repeats ?? timing.repeats;
  const kernelTiming = { ...timing.kernels, reps: options.repeats ?? timing.kernels.reps };
  const images = suiteImages(data);
  const started = performance.now();
  const date = new Date().toISOString();

  const shapes = layerShapes();
  const steps = options.threads.length * (shapes.length * 2 + NOTEBOOK_MODELS.length * 2);
  let step = 0;
  const done = (text: string): void => onProgress?.({ step: ++step, steps, text });

  const kernels = new Map<string, KernelTableRow>();
  const training = NOTEBOOK_MODELS.map((model): TrainingRow => ({ model, batchSize: TRAINING_BATCH, results: [] }));
  const inference = NOTEBOOK_MODELS.map((model): InferenceRow => ({ model, batchSize: INFERENCE_BATCH, results: [] }));
  let fma: boolean | undefined;
  const ran: number[] = [];
  for (const threads of options.threads) {
    const engine = await host.engine(threads);
    try {
      if (ran.includes(engine.threads)) continue; // a host that gave fewer threads than asked
      ran.push(engine.threads);
      fma ??= engine.variant.fma;
      const on = `${engine.threads} thread${engine.threads > 1 ? 's' : ''}`;
      for (const name of NOTEBOOK_MODELS) {
        kernelRows(engine, MODELS[name], images, kernelTiming, (row) => {
          const key = `${row.model} ${row.layer} ${row.pass}`;
          const { threads: t, gflops, peakGflops, ofPeak, ...rest } = row;
          const entry = kernels.get(key) ?? { ...rest, results: [] };
          entry.results.push({ threads: t, gflops, peakGflops, ofPeak });
          kernels.set(key, entry);
          done(`${on}: ${row.model} ${row.layer} ${row.shape} ${row.pass}: ${gflops.toFixed(1)} GFLOP/s`);
        });
      }
      const run = (counts: StepCounts, batchSize: number) => ({ batchSize, warmupBatches: counts.warmup, batches: counts.steps, repeats, seed: 0 });
      NOTEBOOK_MODELS.forEach((name, i) => {
        const measured = measureThroughput(engine, MODELS[name], images, run(timing.training[name], TRAINING_BATCH));
        training[i].results.push({ threads: engine.threads, samplesPerSecond: measured.samplesPerSecond, repeats: measured.repeats });
        done(`${on}: training ${name}: ${Math.round(measured.samplesPerSecond)} samples/s`);
      });
      NOTEBOOK_MODELS.forEach((name, i) => {
        const measured = measureInferenceThroughput(engine, MODELS[name], images, run(timing.inference[name], INFERENCE_BATCH));
        inference[i].results.push({ threads: engine.threads, imagesPerSecond: measured.imagesPerSecond, repeats: measured.repeats });
        done(`${on}: inference ${name}: ${Math.round(measured.imagesPerSecond)} images/s`);
      });
    } finally {
      engine.close();
    }
  }
  const kernelTable = [...kernels.values()];
  return {
    type: 'suite',
    simdnet: VERSION,
    machine: host.machine,
    fma: fma ?? false,
    threads: ran,
    timing: options.quick ? 'quick' : 'standard',
    repeats,
    date,
    seconds: (performance.now() - started) / 1000,
    peakGflops: median(kernelTable.flatMap((row) => row.results.map((r) => r.peakGflops))),
    kernels: kernelTable,
    training,
    inference,
  };
}

export { KERNEL_BATCH };
