// simdnet's ModelSpec <-> the Keras JSON topology that TensorFlow.js's layers format carries
// (model.json's modelTopology). Writing mirrors what tfjs-layers 4.22 itself saves; reading also
// takes what the Python tensorflowjs converter writes (an InputLayer first, Keras 3's batch_shape,
// kernel_size as a number), and refuses anything simdnet cannot run, naming the layer and field.
// What each layer's config holds is the layer module's business (its toKeras / fromKeras); this
// file only handles the Sequential container around them.
import type { LayerSpec, ModelSpec } from '../nn/spec.js';
import { KERAS_CLASSES, kerasLayer, layerDefinition } from '../nn/layers/index.js';
import { fail, intIn, isObject } from '../nn/layers/fields.js';
import { MAX_CHANNELS, MAX_LAYERS, MAX_SIDE, planModel } from '../nn/model-spec.js';

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
  const counts = new Map<string, number>();
  return spec.layers.map((layer) => {
    const n = (counts.get(layer.type) ?? 0) + 1;
    counts.set(layer.type, n);
    return `${layerDefinition(layer).kerasName}_${n}`;
  });
}

export function toKerasTopology(spec: ModelSpec): KerasTopology {
  const names = layerNames(spec);
  const layers = spec.layers.map((layer, i): KerasLayer => {
    const common: Record<string, unknown> = { name: names[i], trainable: true };
    if (i === 0) Object.assign(common, { batch_input_shape: [null, ...spec.inputShape], dtype: 'float32' });
    const definition = layerDefinition(layer);
    return { class_name: definition.kerasClass, config: { ...definition.toKeras(layer), ...common } };
  });
  return { class_name: 'Sequential', config: { name: spec.name, layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' };
}

/** One weight tensor of a topology, named as Keras names it (layer name / weight name). */
export interface WeightShape {
  layer: number;
  name: string;
  shape: number[];
}

/** Every layer's weights in Keras order, named `${layer name}/${weight}` (conv2d_1/kernel, ...). */
export function weightShapes(spec: ModelSpec, names: string[]): WeightShape[] {
  return planModel(spec).layers.flatMap((layer, i) => layer.weights.map((w) => ({ layer: i, name: `${names[i]}/${w.name}`, shape: w.shape })));
}

// ---- reading ----

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
    if (raw.class_name === 'InputLayer') {
      if (layers.length > 0) fail(where, 'InputLayer must come first');
      if (!declared) fail(where, 'InputLayer has no batch_input_shape');
      return;
    }
    const definition = kerasLayer(raw.class_name);
    if (!definition) fail(where, `layer class ${raw.class_name} is not supported (${KERAS_CLASSES.join(', ')})`);
    layers.push(definition.fromKeras(c, where));
    names.push(name);
  });
  if (!inputShape) fail(file, 'the first layer declares no batch_input_shape');
  if (new Set(names).size !== names.length) fail(file, 'two layers share a name, so their weights cannot be told apart');
  const spec: ModelSpec = { name: modelName, inputShape, layers };
  // The shapes must work out and the model must end in a softmax, with the layer named if not.
  planModel(spec, file, (i) => `${file}: layer ${i} (${layers[i].type} '${names[i]}')`);
  return { spec, names };
}
