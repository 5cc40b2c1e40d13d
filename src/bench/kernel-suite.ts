// The kernel table of the benchmark suite (`simdnet bench --suite`, the page's "Benchmark this
// device"): every conv and dense layer of the four models, its forward and its backward pass at
// the training batch, run exactly as training runs them (the kernels the layer picks for its
// shape, the fused epilogues, the split over the engine's threads), in GFLOP/s beside the measured
// peak of a register-only multiply-add loop. The layer shapes and the timing against the peak are
// shared with bench/kernels.js, which times the raw kernels of both builds.
import type { Engine } from '../engine/engine.js';
import { KERNEL_NAMES, type Kernels } from '../engine/kernel-table.js';
import { planModel } from '../nn/model-spec.js';
import { MODELS, NOTEBOOK_MODELS } from '../nn/models.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import type { ImageSplit } from '../train/split.js';
import { stepper } from '../train/throughput.js';
import { median } from '../util/median.js';

/** The batch the table's layer passes run at: training's. */
export const KERNEL_BATCH = 64;

/** One conv or dense layer of a model, with the geometry its kernels take. */
export interface LayerShape {
  model: string;
  /** Index in the model's layer list. */
  index: number;
  /** conv1, conv2, dense1, ...: counted per type within the model. */
  layer: string;
  /** 28x28x1->32 k3 (a convolution), 784->128 (a dense layer). */
  shape: string;
  /** Multiply-adds of one sample's forward pass. */
  macsPerSample: number;
  conv?: { h: number; w: number; inC: number; oh: number; ow: number; outC: number; kernel: number };
  dense?: { inputs: number; units: number };
}

/** Every conv and dense layer of `models` (default: the four named ones), in model and layer order. */
export function layerShapes(models: Record<string, ModelSpec> = Object.fromEntries(NOTEBOOK_MODELS.map((name) => [name, MODELS[name]]))): LayerShape[] {
  const shapes: LayerShape[] = [];
  for (const [model, spec] of Object.entries(models)) {
    const counts = { conv2d: 0, dense: 0 };
    planModel(spec).layers.forEach((layer, index) => {
      if (layer.spec.type === 'conv2d') {
        const [h, w, inC] = layer.inputShape;
        const [oh, ow, outC] = layer.outputShape;
        const kernel = layer.spec.kernelSize;
        shapes.push({ model, index, layer: `conv${++counts.conv2d}`, shape: `${h}x${w}x${inC}->${outC} k${kernel}`, macsPerSample: oh * ow * kernel * kernel * inC * outC, conv: { h, w, inC, oh, ow, outC, kernel } });
      } else if (layer.spec.type === 'dense') {
        const [inputs, units] = layer.weights[0].shape;
        shapes.push({ model, index, layer: `dense${++counts.dense}`, shape: `${inputs}->${units}`, macsPerSample: inputs * units, dense: { inputs, units } });
      }
    });
  }
  return shapes;
}

// ---- Timing against the peak

/** Rounds of the peak loop per call, and its flops (12 f32x4 multiply-adds per round). */
export const PEAK_ITERATIONS = 1 << 15;
export const PEAK_FLOPS = PEAK_ITERATIONS * 96;

export interface KernelTiming {
  /** Calls before timing, for at least this long (V8 tiers wasm up from its baseline compiler). */
  warmupMs: number;
  /** Timed reps; the median is the figure. */
  reps: number;
  /** Each rep calls the function until at least this long has passed. */
  repMs: number;
}

/** Seconds per call of `fn`, calling it until `ms` have passed. */
export function secondsPerCall(fn: () => void, ms: number): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  do {
    fn();
    calls++;
    now = performance.now();
  } while (now - start < ms);
  return (now - start) / 1000 / calls;
}


/**
 * Median seconds per call of `fn` after a warm-up, and the peak multiply-add rate (GFLOP/s, one
 * thread) measured between its reps: a shared machine's load changes by the second, so a figure
 * is only compared with the peak that ran under the same load. `kernels` are the engine's own
 * (unsplit), whose peakMaddLoop runs on this thread.
 */
export function timeAgainstPeak(kernels: Kernels, fn: () => void, timing: KernelTiming): { seconds: number; peakGflops: number } {
  const warmEnd = performance.now() + timing.warmupMs;
  do fn();
  while (performance.now() < warmEnd);
  const seconds: number[] = [];
  const peak: number[] = [];
  for (let r = 0; r < timing.reps; r++) {
    peak.push(secondsPerCall(() => kernels.peakMaddLoop(PEAK_ITERATIONS), timing.repMs / 4));
    seconds.push(secondsPerCall(fn, timing.repMs));
  }
  return { seconds: median(seconds), peakGflops: PEAK_FLOPS / median(peak) / 1e9 };
}

/** The multiply-add loop's own rate, GFLOP/s on one thread. */
export function measurePeak(kernels: Kernels, timing: KernelTiming): number {
  return timeAgainstPeak(kernels, () => kernels.peakMaddLoop(PEAK_ITERATIONS), timing).peakGflops;
}

// ---- The layer passes

export type LayerPass = 'forward' | 'backward';

export interface KernelRow {
  model: string;
  layer: string;
  shape: string;
  pass: LayerPass;
  /** What the backward computes: the weight (and bias) gradient, and the input gradient unless the layer is the first with weights. */
  gradients?: 'weights' | 'weights + input';
  /** The kernels the pass called, in order of first call. */
  kernels: string[];
  /** Flops of the pass at the batch, counted as the direct convolution or GEMM does them (2 per multiply-add), whatever algorithm runs. */
  flops: number;
  threads: number;
  gflops: number;
  /** One-thread peak measured between this row's reps. */
  peakGflops: number;
  /** gflops / (threads x peakGflops). */
  ofPeak: number;
}

/** The names of the kernels `run` calls on `kernels`, in order of first call; `kernels` is left as it was. */
export function kernelsCalled(kernels: Kernels, run: () => void): string[] {
  const table = kernels as unknown as Record<string, unknown>;
  const called: string[] = [];
  const originals = new Map<string, { value: unknown; own: boolean }>();
  for (const name of KERNEL_NAMES) {
    const value = table[name];
    if (typeof value !== 'function') continue;
    originals.set(name, { value, own: Object.prototype.hasOwnProperty.call(table, name) });
    table[name] = (...args: number[]) => {
      if (!called.includes(name)) called.push(name);
      return (value as (...a: number[]) => unknown).apply(kernels, args);
    };
  }
  try {
    run();
  } finally {
    for (const [name, { value, own }] of originals) {
      if (own) table[name] = value;
      else delete table[name];
    }
  }
  return called;
}

/**
 * Times every conv and dense layer pass of `spec` on `engine` (its threads): the model is built
 * at KERNEL_BATCH, trained one step on `split`'s images so that every buffer holds what training
 * leaves there, then each pass is called on its own. `onRow` sees each row as it is measured.
 */
export function kernelRows(engine: Engine, spec: TrainingSpec, split: ImageSplit, timing: KernelTiming, onRow?: (row: KernelRow) => void): KernelRow[] {
  const mark = engine.mark();
  try {
    const { context, step } = stepper(engine, spec, split, KERNEL_BATCH, 0);
    step();
    const model = context.model;
    const rows: KernelRow[] = [];
    for (const shape of layerShapes({ [spec.name]: spec })) {
      const layer = model.layers[shape.index];
      const inputGradient = model.computesInputGradient(shape.index);
      const passes: [LayerPass, () => void, number][] = [
        ['forward', () => layer.forward(KERNEL_BATCH, true), 1],
        ['backward', () => layer.backward(KERNEL_BATCH), inputGradient ? 2 : 1],
      ];
      for (const [pass, run, products] of passes) {
        const kernels = kernelsCalled(model.kernels, run);
        const flops = 2 * shape.macsPerSample * KERNEL_BATCH * products;
        const { seconds, peakGflops } = timeAgainstPeak(engine.kernels, run, timing);
        const gflops = flops / seconds / 1e9;
        const row: KernelRow = {
          model: shape.model,
          layer: shape.layer,
          shape: shape.shape,
          pass,
          ...(pass === 'backward' ? { gradients: inputGradient ? ('weights + input' as const) : ('weights' as const) } : {}),
          kernels,
          flops,
          threads: engine.threads,
          gflops,
          peakGflops,
          ofPeak: gflops / (engine.threads * peakGflops),
        };
        rows.push(row);
        onRow?.(row);
      }
    }
    return rows;
  } finally {
    engine.release(mark);
  }
}
