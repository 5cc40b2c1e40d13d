// The public Node API (the package's "." export, dist/index.js): the engine, models as data,
// more than the CLI: the engine, models as data, training and the dataset loader.
export { Engine, type EngineOptions } from './engine/engine.js';
export { SimdnetError } from './engine/errors.js';
export { Sequential, type SequentialOptions } from './nn/sequential.js';
export { Optimizer, parseOptimizer, type OptimizerSpec } from './optim/optimizer.js';
export { parseSchedule, scheduledRate, type ScheduleSpec } from './optim/schedule.js';
export { parseModelSpec, parseTrainingSpec, planModel } from './nn/model-spec.js';
export { LAYERS } from './nn/layers/index.js';
export { toKerasTopology } from './io/keras-topology.js';
export { trainStep, runEpochs } from './train/loop.js';
export { stepper } from './train/throughput.js';
export { MODELS, MODEL_NAMES, modelSpec } from './nn/models.js';
export type { LayerSpec, ModelSpec, TrainingSpec } from './nn/spec.js';
export { train, type TrainOptions, type DatasetLike, type ImageSplit } from './train/trainer.js';
export { evaluate } from './train/evaluate.js';
export { measureThroughput, type Throughput, type ThroughputOptions } from './train/throughput.js';
export { loadDataset, type Dataset, type LoadDatasetOptions } from './data/resolve.js';
export { describeMachine } from './util/machine.js';
