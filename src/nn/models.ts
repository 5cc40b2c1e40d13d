// The four architectures of the study (the notebook's Keras models), exactly.
import type { ModelSpec } from './spec.js';
import { SimdnetError } from '../engine/errors.js';

const input: [number, number, number] = [28, 28, 1];

export const MODELS: Record<string, ModelSpec> = {
  cnn: {
    name: 'cnn',
    inputShape: input,
    learningRate: 0.001,
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
    learningRate: 0.0001,
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
    learningRate: 0.001,
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
    learningRate: 0.0001,
    layers: [
      { type: 'flatten' },
      { type: 'dense', units: 256, activation: 'relu' },
      { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 128, activation: 'relu' },
      { type: 'dense', units: 10, activation: 'softmax' },
    ],
  },
};

export const MODEL_NAMES = Object.keys(MODELS);

export function modelSpec(name: string): ModelSpec {
  const spec = MODELS[name];
  if (!spec) throw new SimdnetError(`unknown model '${name}': expected one of ${MODEL_NAMES.join(', ')}`);
  return spec;
}
