// The four architectures of the study (the notebook's Keras models), exactly, with the optimizer
// the notebook trains them with: Adam at Keras's defaults, at the model's learning rate.
import type { LayerSpec, TrainingSpec } from './spec.js';
import { CONSTANT } from '../optim/schedule.js';
import { SimdnetError } from '../engine/errors.js';

const input: [number, number, number] = [28, 28, 1];
const adam = (learningRate: number) => ({ type: 'adam' as const, learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
const training = { schedule: CONSTANT, loss: { type: 'categoricalCrossentropy' as const } };

export const MODELS: Record<string, TrainingSpec> = {
  cnn: {
    name: 'cnn',
    inputShape: input,
    optimizer: adam(0.001),
    ...training,
    layers: [
      { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  'cnn-tuned': {
    name: 'cnn-tuned',
    inputShape: input,
    optimizer: adam(0.0001),
    ...training,
    layers: [
      { type: 'conv2d', filters: 64, kernelSize: 5, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'dropout', rate: 0.5 },
      { type: 'conv2d', filters: 64, kernelSize: 5, activation: 'relu' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'dropout', rate: 0.5 },
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  mlp: {
    name: 'mlp',
    inputShape: input,
    optimizer: adam(0.001),
    ...training,
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dropout', rate: 0.5 },
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
  'mlp-tuned': {
    name: 'mlp-tuned',
    inputShape: input,
    optimizer: adam(0.0001),
    ...training,
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: 256, activation: 'relu' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
};

/**
 * Beyond the notebook: modern small-CNN practice in the same ten epochs (README, "cnn-plus"). Three
 * blocks of 'same' 3x3 convolution, batch normalization and ReLU, widening 32 -> 64 -> 128, the
 * first two halving the image with a max pool (28 -> 14 -> 7); the last block's 7x7x128 map goes
 * to the dense layer whole (pooling it to 3x3 cost 0.6 points on Fashion-MNIST). About as many
 * multiply-adds per image as cnn-tuned. Adam at 0.003 with a half-epoch warm-up and a cosine
 * decay, label smoothing 0.1, and random shifts of up to 2 pixels (no mirror: digits are not
 * symmetric).
 */
const convBlock = (filters: number): LayerSpec[] => [
  { type: 'conv2d', filters, kernelSize: 3, activation: 'linear', padding: 'same' },
  { type: 'batchNormalization', momentum: 0.99, epsilon: 0.001 },
  { type: 'activation', activation: 'relu' },
];
const pool: LayerSpec = { type: 'maxPooling2d', poolSize: 2 };

MODELS['cnn-plus'] = {
  name: 'cnn-plus',
  inputShape: input,
  optimizer: adam(0.003),
  schedule: { type: 'cosine', minLearningRate: 0, warmupEpochs: 0.5 },
  loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.1 },
  augmentation: { translate: 2, rotate: 0, scale: 0, flipHorizontal: false },
  layers: [
    ...convBlock(32),
    pool,
    ...convBlock(64),
    pool,
    ...convBlock(128),
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

export const MODEL_NAMES = Object.keys(MODELS);

/** The notebook's four models: what `simdnet study` runs unless told otherwise, and what the pinned digests hold to. */
export const NOTEBOOK_MODELS = ['cnn', 'cnn-tuned', 'mlp', 'mlp-tuned'];

export function modelSpec(name: string): TrainingSpec {
  const spec = MODELS[name];
  if (!spec) throw new SimdnetError(`unknown model '${name}': expected one of ${MODEL_NAMES.join(', ')}`);
  return spec;
}
