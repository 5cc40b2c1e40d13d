// simdnet's ModelSpec <-> the Keras JSON topology that TensorFlow.js's layers format carries
// (model.json's modelTopology). Writing mirrors what tfjs-layers 4.22 itself saves; reading also
// takes what the Python tensorflowjs converter writes (an InputLayer first, Keras 3's batch_shape,
// kernel_size as a number), and refuses anything simdnet cannot run, naming the layer and field.
import { SimdnetError } from '../engine/errors.js';
import type { Activation, LayerSpec, ModelSpec } from '../nn/spec.js';

/** Upper bounds on what a topology may ask for, checked before any size is used. */
const MAX_SIDE = 1024;
const MAX_CHANNELS = 64;
const MAX_FILTERS = 4096;
const MAX_UNITS = 1 << 16;
const MAX_LAYERS = 64;

export interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

export interface KerasTopology {
  class_name: 'Sequential';
  config: { name: string; layers: KerasLayer[] };
  keras_version: string;
  backend: string;
}

/** Keras's default layer names: conv2d_1, conv2d_2, max_pooling2d_1, ... */
export function layerNames(spec: ModelSpec): string[] {
  const base: Record<LayerSpec['type'], string> = { conv2d: 'conv2d', maxPooling2d: 'max_pooling2d', flatten: 'flatten', dense: 'dense', dropout: 'dropout' };
  const counts = new Map<string, number>();
  return spec.layers.map((layer) => {
    const n = (counts.get(layer.type) ?? 0) + 1;
    counts.set(layer.type, n);
    return `${base[layer.type]}_${n}`;
  });
}

export function toKerasTopology(spec: ModelSpec): KerasTopology {
  const names = layerNames(spec);
  const layers = spec.layers.map((layer, i): KerasLayer => {
    const common: Record<string, unknown> = { name: names[i], trainable: true };
    if (i === 0) Object.assign(common, { batch_input_shape: [null, ...spec.inputShape], dtype: 'float32' });
    switch (layer.type) {
      case 'conv2d':
        return {
          class_name: 'Conv2D',
          config: {
            filters: layer.filters,
            kernel_size: [layer.kernelSize, layer.kernelSize],
            strides: [1, 1],
            padding: 'valid',
            data_format: 'channels_last',
            dilation_rate: [1, 1],
            activation: layer.activation,
            use_bias: true,
            ...common,
          },
        };
      case 'maxPooling2d':
        return { class_name: 'MaxPooling2D', config: { pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last', ...common } };
      case 'flatten':
        return { class_name: 'Flatten', config: { ...common } };
      case 'dense':
        return { class_name: 'Dense', config: { units: layer.units, activation: layer.activation, use_bias: true, ...common } };
      case 'dropout':
        return { class_name: 'Dropout', config: { rate: layer.rate, noise_shape: null, seed: null, ...common } };
    }
  });
  return { class_name: 'Sequential', config: { name: spec.name, layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}

/** The weights a layer holds, in the order Keras lists them: kernel, then bias. */
export interface WeightShape {
  layer: number;
  name: string;
  shape: number[];
}

/** Kernel [kh, kw, in, filters] and bias [filters] for conv2d, kernel [in, units] and bias [units] for dense. */
export function weightShapes(spec: ModelSpec, names: string[]): WeightShape[] {
  const shapes: WeightShape[] = [];
  let shape: number[] = [...spec.inputShape];
  spec.layers.forEach((layer, i) => {
    switch (layer.type) {
      case 'conv2d': {
        const [h, w, c] = shape;
        shapes.push({ layer: i, name: `${names[i]}/kernel`, shape: [layer.kernelSize, layer.kernelSize, c, layer.filters] });
        shapes.push({ layer: i, name: `${names[i]}/bias`, shape: [layer.filters] });
        shape = [h - layer.kernelSize + 1, w - layer.kernelSize + 1, layer.filters];
        break;
      }
      case 'maxPooling2d':
        shape = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]];
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dense':
        shapes.push({ layer: i, name: `${names[i]}/kernel`, shape: [shape.reduce((a, b) => a * b, 1), layer.units] });
        shapes.push({ layer: i, name: `${names[i]}/bias`, shape: [layer.units] });
        shape = [layer.units];
        break;
      case 'dropout':
        break;
    }
  });
  return shapes;
}

// ---- reading ----

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function fail(where: string, message: string): never {
  throw new SimdnetError(`${where}: ${message}`);
}

function intIn(value: unknown, min: number, max: number, where: string, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(where, `${field} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A Keras pair such as kernel_size: [3, 3] or 3; simdnet's layers are square. */
function squarePair(value: unknown, min: number, max: number, where: string, field: string): number {
  if (typeof value === 'number') return intIn(value, min, max, where, field);
  if (!Array.isArray(value) || value.length !== 2) fail(where, `${field} must be a number or a pair, got ${JSON.stringify(value)}`);
  const a = intIn(value[0], min, max, where, field);
  const b = intIn(value[1], min, max, where, field);
  if (a !== b) fail(where, `${field} ${JSON.stringify(value)} is not square; simdnet supports square ${field} only`);
  return a;
}

function expectValue(config: Record<string, unknown>, field: string, allowed: unknown[], where: string): void {
  if (!(field in config) || config[field] === undefined) return; // Keras's default applies
  const value = config[field];
  const ok = allowed.some((a) => JSON.stringify(a) === JSON.stringify(value));
  if (!ok) fail(where, `${field} ${JSON.stringify(value)} is not supported (simdnet supports ${allowed.map((a) => JSON.stringify(a)).join(' or ')})`);
}

function activation(config: Record<string, unknown>, where: string): Activation {
  const value = config.activation ?? 'linear';
  if (value !== 'relu' && value !== 'linear' && value !== 'softmax') fail(where, `activation ${JSON.stringify(value)} is not supported (relu, linear or softmax)`);
  return value;
}

/** [null, h, w, c] from batch_input_shape (Keras 2, tfjs) or batch_shape (Keras 3). */
function inputShapeOf(config: Record<string, unknown>, where: string): [number, number, number] | undefined {
  const batchShape = config.batch_input_shape ?? config.batch_shape;
  if (batchShape === undefined) return undefined;
  if (!Array.isArray(batchShape) || batchShape.length !== 4 || batchShape[0] !== null) {
    fail(where, `batch_input_shape must be [null, height, width, channels], got ${JSON.stringify(batchShape)}`);
  }
  return [
    intIn(batchShape[1], 1, MAX_SIDE, where, 'input height'),
    intIn(batchShape[2], 1, MAX_SIDE, where, 'input width'),
    intIn(batchShape[3], 1, MAX_CHANNELS, where, 'input channels'),
  ];
}

export interface ParsedTopology {
  spec: ModelSpec;
  /** The file's own layer names, which its weight names start with. */
  names: string[];
}

/** Reads a Sequential Keras topology; `file` names the file in errors. */
export function fromKerasTopology(topology: unknown, file: string): ParsedTopology {
  if (!isObject(topology)) fail(file, 'modelTopology is missing or not an object');
  // tfjs writes {class_name, config, keras_version}; Keras's own model.to_json() nests it under model_config.
  const root = isObject(topology.model_config) ? topology.model_config : topology;
  if (root.class_name !== 'Sequential') fail(file, `only Sequential models are supported, got class_name ${JSON.stringify(root.class_name)}`);
  const config = root.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) fail(file, 'the Sequential model lists no layers');
  if (rawLayers.length > MAX_LAYERS) fail(file, `${rawLayers.length} layers is more than the ${MAX_LAYERS} simdnet accepts`);
  const modelName = isObject(config) && typeof config.name === 'string' ? config.name : 'model';

  let inputShape: [number, number, number] | undefined;
  const layers: LayerSpec[] = [];
  const names: string[] = [];
  rawLayers.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.class_name !== 'string' || !isObject(raw.config)) fail(file, `layer ${i} is not a {class_name, config} object`);
    const c = raw.config;
    const name = typeof c.name === 'string' && c.name ? c.name : `layer_${i}`;
    const where = `${file}: layer ${i} (${raw.class_name} '${name}')`;
    const declared = inputShapeOf(c, where);
    if (declared) {
      if (layers.length > 0) fail(where, 'declares an input shape but is not the first layer');
      inputShape = declared;
    }
    if (c.dtype !== undefined && c.dtype !== 'float32' && !(isObject(c.dtype) && isObject(c.dtype.config) && c.dtype.config.name === 'float32')) {
      fail(where, `dtype ${JSON.stringify(c.dtype)} is not supported (float32 only)`);
    }
    switch (raw.class_name) {
      case 'InputLayer':
        if (layers.length > 0) fail(where, 'InputLayer must come first');
        if (!declared) fail(where, 'InputLayer has no batch_input_shape');
        return;
      case 'Conv2D':
        expectValue(c, 'strides', [[1, 1], 1], where);
        expectValue(c, 'padding', ['valid'], where);
        expectValue(c, 'data_format', ['channels_last'], where);
        expectValue(c, 'dilation_rate', [[1, 1], 1], where);
        expectValue(c, 'groups', [1], where);
        expectValue(c, 'use_bias', [true], where);
        layers.push({ type: 'conv2d', filters: intIn(c.filters, 1, MAX_FILTERS, where, 'filters'), kernelSize: squarePair(c.kernel_size, 1, MAX_SIDE, where, 'kernel_size'), activation: activation(c, where) });
        break;
      case 'MaxPooling2D':
        expectValue(c, 'pool_size', [[2, 2], 2], where);
        expectValue(c, 'strides', [[2, 2], 2, null], where);
        expectValue(c, 'padding', ['valid'], where);
        expectValue(c, 'data_format', ['channels_last'], where);
        layers.push({ type: 'maxPooling2d', poolSize: 2 });
        break;
      case 'Flatten':
        expectValue(c, 'data_format', ['channels_last', null], where);
        layers.push({ type: 'flatten' });
        break;
      case 'Dense':
        expectValue(c, 'use_bias', [true], where);
        layers.push({ type: 'dense', units: intIn(c.units, 1, MAX_UNITS, where, 'units'), activation: activation(c, where) });
        break;
      case 'Dropout': {
        const rate = c.rate;
        if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) fail(where, `rate must be a number in [0, 1), got ${JSON.stringify(rate)}`);
        layers.push({ type: 'dropout', rate });
        break;
      }
      default:
        fail(where, `layer class ${raw.class_name} is not supported (Conv2D, MaxPooling2D, Flatten, Dense, Dropout)`);
    }
    names.push(name);
  });
  if (!inputShape) fail(file, 'the first layer declares no batch_input_shape');
  if (new Set(names).size !== names.length) fail(file, 'two layers share a name, so their weights cannot be told apart');
  const spec: ModelSpec = { name: modelName, inputShape, layers, learningRate: 0.001 };
  checkShapes(spec, file);
  return { spec, names };
}

/** Walks the shapes so that a topology that cannot run fails here, with the layer named. */
function checkShapes(spec: ModelSpec, file: string): void {
  let shape: number[] = [...spec.inputShape];
  spec.layers.forEach((layer, i) => {
    const where = `${file}: layer ${i} (${layer.type})`;
    if ((layer.type === 'conv2d' || layer.type === 'maxPooling2d') && shape.length !== 3) fail(where, `needs a [height, width, channels] input, but the layer before it outputs [${shape}]`);
    if (layer.type === 'dense' && shape.length !== 1) fail(where, `needs a flat input; add a Flatten before it (input is [${shape}])`);
    if (layer.type === 'conv2d') {
      if (layer.kernelSize > shape[0] || layer.kernelSize > shape[1]) fail(where, `kernel ${layer.kernelSize} is larger than its ${shape[0]}x${shape[1]} input`);
      shape = [shape[0] - layer.kernelSize + 1, shape[1] - layer.kernelSize + 1, layer.filters];
    } else if (layer.type === 'maxPooling2d') {
      if (shape[0] < 2 || shape[1] < 2) fail(where, `input ${shape[0]}x${shape[1]} is smaller than the 2x2 pool`);
      shape = [Math.floor(shape[0] / 2), Math.floor(shape[1] / 2), shape[2]];
    } else if (layer.type === 'flatten') shape = [shape.reduce((a, b) => a * b, 1)];
    else if (layer.type === 'dense') shape = [layer.units];
  });
  const last = spec.layers[spec.layers.length - 1];
  if (last.type !== 'dense' || last.activation !== 'softmax') fail(file, 'the last layer must be a Dense layer with softmax activation');
}
