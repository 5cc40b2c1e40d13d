// simdnet in web pages: the embedding API. Training runs in a Web Worker (simdnet.worker.js,
// beside this module with the wasm files), so the page stays responsive.
//
//   const engine = await createEngine();
//   const mnist = await fetchDataset('mnist');              // data/mnist/*.gz, as `simdnet serve` serves
//   const model = await engine.model('cnn');                // or a custom ModelSpec
//   await model.fit(mnist.train, { epochs: 1, onEpoch: (r) => console.log(r) });
//   const { accuracy } = await model.evaluate(mnist.test);
//   const probs = await model.predict(pixels);              // 784 bytes (or 0..1 floats) per image
//   const weights = await model.getWeights();               // Float32Array; setWeights(weights) restores
import { SimdnetError } from '../engine/errors.js';
import type { FmaChoice } from '../engine/wasm.js';
import { MODELS, MODEL_NAMES, modelSpec } from '../nn/models.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import type { ImageSplit } from '../train/trainer.js';
import type { Throughput, ThroughputOptions } from '../train/throughput.js';
import type { BatchProgress, EpochRecord } from '../train/types.js';
import type { EvaluateResult, FitOptions, FitResult, ModelOptions, Samples } from '../api/model.js';
import type { BenchmarkOptions, BuildResult, FromWorker, InitResult, ModelFiles, Request, Results, SpecInput } from './protocol.js';
import type { ModelMetadata } from '../io/model-format.js';
import { suiteImages, suiteThreadCounts, type MachineInfo, type SuiteProgress, type SuiteResult } from '../bench/suite.js';

export { fetchDataset, type WebDataset, type FetchDatasetOptions } from './data.js';
export { MODELS, MODEL_NAMES, SimdnetError };
export type { Throughput, ThroughputOptions, ImageSplit };
export type { BatchProgress, EpochRecord, EvaluateResult, FitOptions, FitResult, ModelOptions, ModelSpec, Samples, TrainingSpec };
export type { LayerSpec } from '../nn/spec.js';
export type { ModelFiles, ModelMetadata };
export { registry as DATASETS } from '../data/registry.js';
export { suiteHeadline, suiteMarkdown, suiteTables, markdownTable, type SuiteTable } from '../bench/suite-report.js';
export type { MachineInfo, SuiteProgress, SuiteResult };

export interface CreateEngineOptions {
  /**
   * Folder URL holding simdnet.worker.js, simdnet.kernel-worker.js and the .wasm files, for a page
   * that serves them from elsewhere. By default they are found beside this module, written as
   * `new URL('./file', import.meta.url)` so that bundlers (Vite, webpack, esbuild) copy them.
   */
  baseUrl?: string | URL;
  /** Threads to train with: a number, or 'auto' (the machine's cores when the page allows threads). */
  threads?: number | 'auto';
  /** Relaxed-SIMD FMA kernels: 'auto' (where the browser has them), 'on' or 'off'. */
  fma?: FmaChoice;
}

export interface EngineInfo {
  /** Which kernels run: FMA (relaxed SIMD) or plain SIMD; shared memory or private. */
  variant: { fma: boolean; shared: boolean };
  threads: number;
  requestedThreads: number;
  crossOriginIsolated: boolean;
  /** One plain sentence on how many threads train and why: show it to users. */
  threadNote: string;
}

export interface SuiteRunOptions {
  /** The largest thread count (1, 2, 4, ... up to it are measured): a number, or 'auto' for navigator.hardwareConcurrency; one thread when the page is not cross-origin isolated. */
  threads?: number | 'auto';
  /** One short repeat of everything: seconds instead of minutes, rough figures (for tests and a first look). */
  quick?: boolean;
  /** Repeats of every measurement instead of the suite's. */
  repeats?: number;
  onProgress?: (progress: SuiteProgress) => void;
}

export interface WebFitOptions extends FitOptions {
  onBatch?: (progress: BatchProgress) => void;
  onEpoch?: (record: EpochRecord) => void;
  /** Least time between onBatch calls, in ms (default 100). */
  progressMs?: number;
}

/** Why the engine trains on the threads it does, in words for the page. */
export function threadNote(requested: number, threads: number, isolated: boolean): string {
  if (threads > 1) return `Training on ${threads} threads (shared WebAssembly memory; the page is cross-origin isolated).`;
  if (!isolated) {
    return (
      'Training on one thread: this page is not cross-origin isolated, so the browser withholds SharedArrayBuffer, which threads need. ' +
      'Serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (simdnet serve does).'
    );
  }
  if (requested <= 1) return 'Training on one thread, as chosen.';
  return 'Training on one thread: the engine could not start more (see the console).';
}

type Listener = (message: FromWorker) => void;

class Channel {
  private nextId = 1;
  private listeners = new Map<number, Listener>();

  constructor(readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.listeners.get(event.data.id)?.(event.data);
    worker.onerror = (event) => {
      const error = new SimdnetError(`the simdnet worker failed: ${event.message || 'it could not be loaded (check that simdnet.worker.js is served beside simdnet.js)'}`, 1);
      for (const listener of this.listeners.values()) listener({ id: 0, type: 'error', message: error.message, name: error.name });
      this.listeners.clear();
    };
  }

  call<K extends Request['op']>(request: Extract<Request, { op: K }>, onEvent?: Listener, transfer: Transferable[] = []): Promise<Results[K]> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.listeners.set(id, (message) => {
        if (message.type === 'result') {
          this.listeners.delete(id);
          resolve(message.value as Results[K]);
        } else if (message.type === 'error') {
          this.listeners.delete(id);
          const error = message.name === 'SimdnetError' ? new SimdnetError(message.message, 1) : new Error(message.message);
          reject(error);
        } else {
          onEvent?.(message);
        }
      });
      this.worker.postMessage({ id, ...request }, transfer);
    });
  }
}

export class WebModel {
  constructor(
    private readonly channel: Channel,
    private readonly owner: WebEngine,
    readonly spec: SpecInput,
    readonly paramCount: number,
    readonly inputSize: number,
    readonly classes: number,
  ) {}

  private check(): void {
    if (this.owner.current !== this) throw new SimdnetError(`model '${this.spec.name}' was replaced by a newer engine.model(...) call; an engine holds one model at a time`);
  }

  /** Trains on `data` (e.g. a WebDataset's train split); resolves when done or stopped. */
  async fit(data: Samples, options: WebFitOptions = {}): Promise<FitResult> {
    this.check();
    const { onBatch, onEpoch, progressMs = 100, ...fitOptions } = options;
    const samples = { images: data.images, labels: data.labels, count: data.count };
    return this.channel.call({ op: 'fit', data: samples, options: fitOptions, progressMs }, (message) => {
      if (message.type === 'batch') onBatch?.(message.progress);
      else if (message.type === 'epoch') onEpoch?.(message.record);
    });
  }

  /** Ends a running fit after its current batch; the model keeps what it learnt. */
  async stop(): Promise<void> {
    await this.channel.call({ op: 'stop' });
  }

  async evaluate(data: Samples): Promise<EvaluateResult> {
    this.check();
    return this.channel.call({ op: 'evaluate', data: { images: data.images, labels: data.labels, count: data.count } });
  }

  /** Class probabilities [count, classes]; pixels are bytes 0..255 or floats 0..1, inputSize per image. */
  async predict(pixels: Uint8Array | Float32Array, count = Math.floor(pixels.length / this.inputSize)): Promise<Float32Array> {
    this.check();
    return this.channel.call({ op: 'predict', pixels, count });
  }

  /** Every weight and bias, layer by layer, as one Float32Array of paramCount values. */
  async getWeights(): Promise<Float32Array> {
    this.check();
    return this.channel.call({ op: 'getWeights' });
  }

  async setWeights(weights: Float32Array): Promise<void> {
    this.check();
    await this.channel.call({ op: 'setWeights', weights });
  }

  /**
   * The model in the TensorFlow.js layers format, as `simdnet train --save` writes it: model.json's
   * text and its one weights file (group1-shard1of1.bin); tf.loadLayersModel and engine.load read them.
   */
  async save(metadata: ModelMetadata = {}): Promise<ModelFiles> {
    this.check();
    return this.channel.call({ op: 'save', metadata });
  }
}

export class WebEngine {
  /** The model the worker holds now. */
  current: WebModel | undefined;

  constructor(
    private readonly channel: Channel,
    readonly info: EngineInfo,
  ) {}

  /**
   * Builds a named model ('cnn', 'cnn-tuned', 'mlp', 'mlp-tuned') or a custom spec (a model spec,
   * or a training spec with its optimizer and schedule), replacing the previous one.
   */
  async model(nameOrSpec: string | SpecInput, options: ModelOptions = {}): Promise<WebModel> {
    const spec = typeof nameOrSpec === 'string' ? modelSpec(nameOrSpec) : nameOrSpec;
    this.current = undefined;
    const built: BuildResult = await this.channel.call({ op: 'build', spec, options });
    this.current = new WebModel(this.channel, this, spec, built.paramCount, built.inputSize, built.classes);
    return this.current;
  }

  /**
   * A model from TF.js layers files (what model.save(), `simdnet train --save` or TF.js itself
   * write): model.json's text and the weight shards it names, by file name. Replaces the engine's
   * model, as engine.model does.
   */
  async load(files: ModelFiles, options: ModelOptions = {}): Promise<WebModel & { metadata: ModelMetadata }> {
    this.current = undefined;
    const loaded = await this.channel.call({ op: 'load', files, options });
    const model = Object.assign(new WebModel(this.channel, this, loaded.spec, loaded.paramCount, loaded.inputSize, loaded.classes), { metadata: loaded.metadata });
    this.current = model;
    return model;
  }

  /**
   * Training samples/s of a model: the median of `repeats` runs of `batches` full steps after a
   * warm-up (by default simdnet bench's: defaultWarmupBatches), the very code of `simdnet bench`,
   * so page and Node compare like for like.
   */
  async benchmark(nameOrSpec: string | SpecInput, data: ImageSplit, options: Partial<ThroughputOptions> = {}): Promise<Throughput> {
    const spec = typeof nameOrSpec === 'string' ? modelSpec(nameOrSpec) : nameOrSpec;
    const batches = options.batches ?? 30;
    const full: BenchmarkOptions = {
      batchSize: options.batchSize ?? 64,
      batches,
      warmupBatches: options.warmupBatches,
      repeats: options.repeats ?? 5,
      seed: options.seed ?? 0,
    };
    const split = { images: data.images, labels: data.labels, count: data.count, rows: data.rows, cols: data.cols, channels: data.channels ?? 1 };
    return this.channel.call({ op: 'benchmark', spec, data: split, options: full });
  }

  /**
   * The benchmark suite of `simdnet bench --suite`, the same code in the worker: GFLOP/s of every
   * conv and dense layer pass of the four models, and their training and inference throughput, at
   * 1, 2, 4, ... threads, on `data` (MNIST's training split; its first 8,192 images are used).
   * Render the result with suiteTables or suiteMarkdown. Takes about 19 s per thread count on a
   * 2-core machine; the engine's model is kept.
   */
  async benchmarkSuite(data: ImageSplit, options: SuiteRunOptions = {}): Promise<SuiteResult> {
    const cores = globalThis.navigator?.hardwareConcurrency || 1;
    const wanted = options.threads === undefined || options.threads === 'auto' ? cores : options.threads;
    if (!Number.isInteger(wanted) || wanted < 1) throw new SimdnetError(`threads must be 'auto' or a positive integer, got ${options.threads}`);
    const most = this.info.crossOriginIsolated ? wanted : 1;
    const subset = suiteImages(data);
    // Copies, so that only the images used cross to the worker (a view would send its whole buffer).
    const split = { ...subset, images: subset.images.slice(), labels: subset.labels.slice() };
    const nav = globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined;
    const machine: MachineInfo = { cores, runtime: nav?.userAgent ?? 'unknown browser', ...(nav?.deviceMemory ? { memoryGiB: nav.deviceMemory } : {}) };
    return this.channel.call(
      { op: 'suite', data: split, options: { threads: suiteThreadCounts(most), quick: options.quick, repeats: options.repeats }, machine },
      (message) => {
        if (message.type === 'suiteProgress') options.onProgress?.(message.progress);
      },
      [split.images.buffer, split.labels.buffer],
    );
  }

  /** Ends the worker; the engine cannot be used afterwards. */
  terminate(): void {
    this.channel.worker.terminate();
    this.current = undefined;
  }
}

/** Starts the worker, loads the wasm kernels into it and reports how it will train. */
export async function createEngine(options: CreateEngineOptions = {}): Promise<WebEngine> {
  if (typeof Worker === 'undefined') throw new SimdnetError('this environment has no Web Workers; simdnet trains in a worker');
  const base = options.baseUrl === undefined ? undefined : new URL(options.baseUrl, globalThis.location?.href);
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const requested = options.threads === undefined || options.threads === 'auto' ? cores : options.threads;
  if (!Number.isInteger(requested) || requested < 1) throw new SimdnetError(`threads must be 'auto' or a positive integer, got ${options.threads}`);
  // The literal new URL(..., import.meta.url) form is what bundlers recognise and rewrite.
  const worker = base ? new Worker(new URL('simdnet.worker.js', base), { type: 'module', name: 'simdnet' }) : new Worker(new URL('./simdnet.worker.js', import.meta.url), { type: 'module', name: 'simdnet' });
  const channel = new Channel(worker);
  let init: InitResult;
  try {
    init = await channel.call({ op: 'init', fma: options.fma ?? 'auto', threads: isolated ? requested : 1, baseUrl: base?.href });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return new WebEngine(channel, {
    variant: init.variant,
    threads: init.threads,
    requestedThreads: requested,
    crossOriginIsolated: isolated,
    threadNote: threadNote(requested, init.threads, isolated),
  });
}
