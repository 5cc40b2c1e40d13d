// The public Node API, bundled as dist/simdnet-lib.js for scripts (bench/training.js) that need
// more than the CLI: the engine, models as data, training and the dataset loader.
export { Engine, type EngineOptions } from './engine/engine.js';
export { SimdnetError } from './engine/errors.js';
export { Sequential, type SequentialOptions } from './nn/sequential.js';
export { Adam } from './nn/adam.js';
export { MODELS, MODEL_NAMES, modelSpec } from './nn/models.js';
export type { LayerSpec, ModelSpec } from './nn/spec.js';
export { train, type TrainOptions, type DatasetLike, type ImageSplit } from './train/trainer.js';
export { evaluate } from './train/evaluate.js';
export { measureThroughput, type Throughput, type ThroughputOptions } from './train/throughput.js';
export { loadDataset, type Dataset, type LoadDatasetOptions } from './data/resolve.js';
export { describeMachine } from './util/machine.js';
