// simdnet's Node API (the package's "." export, dist/index.js).
//
//   import { createModel, loadDataset } from 'simdnet';
//   const data = await loadDataset('mnist');
//   const model = await createModel('cnn', { threads: 'auto', classNames: data.classNames });
//   await model.fit(data.train, { epochs: 1, onEpoch: (r) => console.log(r) });
//   console.log(model.evaluate(data.test).accuracy);
//   model.save('models/cnn');
//
// Below the models: the engine, the layer registry, the training loop and the benchmarks, for
// scripts that need more (bench/ uses them).

// ---- Models, training, evaluation, prediction, saving and loading
export { createModel, loadModel, Model, type CreateModelOptions, type DataShape, type EngineChoice, type ModelName } from './api/node.js';
export type { EvaluateResult, FitCallbacks, FitOptions, FitResult, ModelOptions, Samples } from './api/model.js';
export type { BatchProgress, EpochRecord, RunResult } from './train/types.js';
export type { ModelMetadata } from './io/model-files.js';

// ---- Specs: the named models, and parsing a spec of your own
export { MODELS, MODEL_NAMES, modelSpec } from './nn/models.js';
export { macsPerSample, parseModelSpec, parseTrainingSpec, planModel } from './nn/model-spec.js';
export type { Activation, LayerSpec, LossSpec, ModelSpec, Shape, TrainingSpec } from './nn/spec.js';
export type { OptimizerSpec } from './optim/optimizer.js';
export type { AugmentationSpec } from './nn/augmentation.js';
export type { ScheduleSpec } from './optim/schedule.js';
export { LAYERS, LAYER_TYPES } from './nn/layers/index.js';

// ---- Data: the registered datasets, a folder of your own (IDX files or PNGs by class), typed arrays
export { defaultCacheDir, loadDataset, type Dataset, type LoadDatasetOptions } from './data/resolve.js';
export { loadFolderDataset, type FolderDatasetOptions } from './data/folder.js';
export { datasetFromArrays, type ArrayDatasetInput, type PixelArray } from './data/arrays.js';
export type { Split } from './data/idx.js';

// ---- Errors: every error a user can act on is a SimdnetError with a one-line message
export { SimdnetError } from './engine/errors.js';

// ---- Lower level: the engine, the layers, the loop, the benchmarks
export { Engine, type EngineOptions } from './engine/engine.js';
export { Sequential, type SequentialOptions } from './nn/sequential.js';
export { Optimizer, parseOptimizer } from './optim/optimizer.js';
export { parseSchedule, scheduledRate } from './optim/schedule.js';
export { toKerasTopology } from './io/keras-topology.js';
export { train, type TrainOptions, type DatasetLike, type ImageSplit } from './train/trainer.js';
export { evaluate } from './train/evaluate.js';
export { trainStep, runEpochs } from './train/loop.js';
export { defaultWarmupBatches, measureThroughput, stepper, timeSteps, WARMUP_MACS, type Throughput, type ThroughputOptions } from './train/throughput.js';
export { INFERENCE_BATCH, measureInferenceThroughput, type InferenceThroughput } from './train/inference-throughput.js';
export { inferBatches, predictProbabilities } from './nn/predict.js';
export { layerShapes, kernelRows, measurePeak, timeAgainstPeak, secondsPerCall, PEAK_FLOPS, PEAK_ITERATIONS, type KernelRow, type KernelTiming, type LayerShape } from './bench/kernel-suite.js';
export { runSuite, suiteThreadCounts, SUITE_TIMINGS, type MachineInfo, type SuiteOptions, type SuiteProgress, type SuiteResult } from './bench/suite.js';
export { suiteHeadline, suiteMarkdown, suiteTables, markdownTable, describeMachineInfo, type SuiteTable } from './bench/suite-report.js';
export { describeMachine, machineInfo } from './util/machine.js';
export { VERSION } from './version.js';
