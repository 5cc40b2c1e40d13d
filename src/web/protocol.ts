// Messages between the page (src/web/index.ts) and the training worker (src/web/worker.ts).
// Every request carries an id; the worker answers it with one 'result' or 'error', and a fit
// also streams 'batch' and 'epoch' messages under the same id, a suite 'suiteProgress' ones. 'stop' is answered at once, even
// mid-fit; every other request waits for the one before it.
import type { FmaChoice, WasmVariant } from '../engine/wasm.js';
import type { ModelSpec, TrainingSpec } from '../nn/spec.js';
import type { ImageSplit } from '../train/trainer.js';
import type { Throughput, ThroughputOptions } from '../train/throughput.js';
import type { BatchProgress, EpochRecord } from '../train/types.js';
import type { EvaluateResult, FitOptions, FitResult, ModelOptions, Samples } from '../api/model.js';
import type { ModelMetadata } from '../io/model-format.js';
import type { MachineInfo, SuiteOptions, SuiteProgress, SuiteResult } from '../bench/suite.js';

/** A training spec, or a model spec (Adam at 0.001, constant rate); the worker checks it whole. */
export type SpecInput = TrainingSpec | ModelSpec;
/** A benchmark's options; without warmupBatches the worker takes simdnet bench's default for the model. */
export type BenchmarkOptions = Omit<ThroughputOptions, 'warmupBatches'> & { warmupBatches?: number };

export type Request =
  | { op: 'init'; fma: FmaChoice; threads: number; /** Where the kernel worker and the wasm files are, when not beside the worker. */ baseUrl?: string }
  | { op: 'build'; spec: SpecInput; options: ModelOptions }
  | { op: 'fit'; data: Samples; options: FitOptions; progressMs: number }
  | { op: 'evaluate'; data: Samples }
  | { op: 'predict'; pixels: Uint8Array | Float32Array; count: number }
  | { op: 'getWeights' }
  | { op: 'setWeights'; weights: Float32Array }
  | { op: 'save'; metadata: ModelMetadata }
  | { op: 'load'; files: ModelFiles; options: ModelOptions }
  | { op: 'benchmark'; spec: SpecInput; data: ImageSplit; options: BenchmarkOptions }
  /** The benchmark suite (src/bench/suite.ts) on engines of its own, one per thread count; streams 'suiteProgress'. */
  | { op: 'suite'; data: ImageSplit; options: SuiteOptions; machine: MachineInfo }
  | { op: 'stop' };

export interface InitResult {
  variant: WasmVariant;
  /** Threads the engine trains with. */
  threads: number;
}

export interface BuildResult {
  paramCount: number;
  inputSize: number;
  classes: number;
}

/** A model in the TF.js layers format: model.json's text and its weight shards by file name. */
export interface ModelFiles {
  modelJson: string;
  shards: Record<string, Uint8Array>;
}

export interface LoadResult extends BuildResult {
  spec: TrainingSpec;
  metadata: ModelMetadata;
}

export interface Results {
  init: InitResult;
  build: BuildResult;
  fit: FitResult;
  evaluate: EvaluateResult;
  predict: Float32Array;
  getWeights: Float32Array;
  save: ModelFiles;
  load: LoadResult;
  setWeights: null;
  benchmark: Throughput;
  suite: SuiteResult;
  stop: null;
}

export type ToWorker = { id: number } & Request;

export type FromWorker =
  | { id: number; type: 'result'; value: unknown }
  | { id: number; type: 'error'; message: string; name: string }
  | { id: number; type: 'batch'; progress: BatchProgress }
  | { id: number; type: 'epoch'; record: EpochRecord }
  | { id: number; type: 'suiteProgress'; progress: SuiteProgress };
