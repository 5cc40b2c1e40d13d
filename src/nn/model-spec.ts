// Model and training specs: reading them from what a user wrote (a JSON file, a web page's
// object) and walking a model's layers through the registry. The walk is the one place a model's
// shapes are computed, layer by layer, by each layer's own rule, and the one place the rule on the
// model's end is checked: the last layer's softmax is the loss's.
import { SimdnetError } from '../engine/errors.js';
import { layerDefinition, type LayerSpec } from './layers/index.js';
import type { LayerDefinition, WeightSpec } from './layers/layer.js';
import { fail, intIn, isObject } from './layers/fields.js';
import { shapeSize, type LossSpec, type ModelSpec, type Shape, type TrainingSpec } from './spec.js';
import { parseOptimizer } from '../optim/optimizer.js';
import { parseSchedule } from '../optim/schedule.js';
import { parseAugmentation, type AugmentationSpec } from './augmentation.js';

/** Upper bounds on what a spec may ask for, checked before any size is used. */
export const MAX_SIDE = 1024;
export const MAX_CHANNELS = 64;
export const MAX_LAYERS = 64;
export const MAX_INPUT = 1 << 20;

export interface LayerPlan {
  spec: LayerSpec;
  definition: LayerDefinition;
  inputShape: Shape;
  outputShape: Shape;
  weights: WeightSpec[];
}

export interface ModelPlan {
  layers: LayerPlan[];
  /** Output classes: the size of the last layer's output. */
  classes: number;
}

/**
 * Walks the layers from the input shape: each layer's output shape by its own rule, its weights,
 * and the check that the model ends in the softmax the loss needs. `source` names the model in
 * errors and `describe(i)` layer i (a file and the layer's Keras name, say).
 */
export function planModel(
  spec: ModelSpec,
  source = `model '${spec.name}'`,
  describe: (index: number) => string = (i) => `${source}: layer ${i} (${spec.layers[i].type})`,
): ModelPlan {
  let shape: Shape = [...spec.inputShape];
  const layers = spec.layers.map((layerSpec, i): LayerPlan => {
    const where = describe(i);
    const definition = layerDefinition(layerSpec, where);
    if ('activation' in layerSpec && layerSpec.activation === 'softmax' && i !== spec.layers.length - 1) {
      fail(where, 'softmax is only supported as the last layer\'s activation (the loss computes it)');
    }
    const inputShape = shape;
    const outputShape = definition.outputShape(layerSpec, inputShape, where);
    shape = outputShape;
    return { spec: layerSpec, definition, inputShape, outputShape, weights: definition.weights(layerSpec, inputShape) };
  });
  const last = spec.layers[spec.layers.length - 1];
  if (!last || last.type !== 'dense' || last.activation !== 'softmax') {
    throw new SimdnetError(`${source}: the last layer must be a Dense layer with softmax activation`);
  }
  return { layers, classes: shapeSize(shape) };
}

/**
 * Multiply-adds of one sample's forward pass through the layers with a kernel (convolutions and
 * dense layers): the kernel's size times the output pixels it is applied at. A measure of a
 * model's work that does not depend on the machine.
 */
export function macsPerSample(spec: ModelSpec): number {
  let macs = 0;
  for (const layer of planModel(spec).layers) {
    const kernel = layer.weights.find((w) => w.name === 'kernel');
    if (!kernel) continue;
    const pixels = layer.outputShape.length === 3 ? layer.outputShape[0] * layer.outputShape[1] : 1;
    macs += kernel.shape.reduce((a, b) => a * b, 1) * pixels;
  }
  return macs;
}

function inputShape(value: unknown, where: string): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3) fail(where, `inputShape must be [height, width, channels], got ${JSON.stringify(value)}`);
  const shape: [number, number, number] = [
    intIn(value[0], 1, MAX_SIDE, where, 'input height'),
    intIn(value[1], 1, MAX_SIDE, where, 'input width'),
    intIn(value[2], 1, MAX_CHANNELS, where, 'input channels'),
  ];
  if (shapeSize(shape) > MAX_INPUT) fail(where, `an input of ${shapeSize(shape)} values is too large (at most ${MAX_INPUT})`);
  return shape;
}

/** A model spec from untrusted data: every field checked, each layer by its own module. `source` names it in errors. */
export function parseModelSpec(raw: unknown, source: string): ModelSpec {
  if (!isObject(raw)) fail(source, 'a model spec must be an object with name, inputShape and layers');
  const name = raw.name ?? 'model';
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) fail(source, `name must be a string of 1 to 100 characters, got ${JSON.stringify(raw.name)}`);
  const where = `${source} ('${name}')`;
  const shape = inputShape(raw.inputShape, where);
  if (!Array.isArray(raw.layers) || raw.layers.length === 0) fail(where, 'layers must be a non-empty list');
  if (raw.layers.length > MAX_LAYERS) fail(where, `${raw.layers.length} layers is more than the ${MAX_LAYERS} simdnet accepts`);
  const layers = raw.layers.map((layer: unknown, i: number) => {
    const at = `${where}: layer ${i}`;
    if (!isObject(layer)) fail(at, `must be an object with a type, got ${JSON.stringify(layer)}`);
    return layerDefinition(layer, at).parse(layer, `${at} (${String(layer.type)})`);
  });
  const spec: ModelSpec = { name, inputShape: shape, layers };
  planModel(spec, where);
  return spec;
}

const TRAINING_FIELDS = ['name', 'inputShape', 'layers', 'optimizer', 'schedule', 'loss', 'learningRate', 'augmentation'];

/**
 * A training spec from untrusted data: a model spec plus `optimizer` (default Adam), `schedule`
 * (default constant), `loss` and `augmentation` (default none). A bare `learningRate` (the form
 * of the named models before optimizers were data) means Adam at that rate.
 */
export function parseTrainingSpec(raw: unknown, source: string): TrainingSpec {
  const model = parseModelSpec(raw, source);
  const r = raw as Record<string, unknown>;
  const where = `${source} ('${model.name}')`;
  for (const key of Object.keys(r)) if (!TRAINING_FIELDS.includes(key)) fail(where, `unknown field '${key}' (expected ${TRAINING_FIELDS.join(', ')})`);
  if (r.optimizer !== undefined && r.learningRate !== undefined) fail(where, 'give the learning rate inside optimizer, not beside it');
  const optimizer = parseOptimizer(r.optimizer ?? { type: 'adam', learningRate: r.learningRate ?? 0.001 }, where);
  const schedule = parseSchedule(r.schedule, where);
  if (schedule.type === 'cosine' && schedule.minLearningRate > optimizer.learningRate) {
    fail(`${where}: schedule`, `minLearningRate ${schedule.minLearningRate} is above the optimizer's learningRate ${optimizer.learningRate}`);
  }
  const spec: TrainingSpec = { ...model, optimizer, schedule, loss: parseLoss(r.loss, where) };
  const augmentation = parseAugmentation(r.augmentation, `${where}: augmentation`);
  if (augmentation) spec.augmentation = augmentation;
  return spec;
}

/** The loss; a labelSmoothing of 0 is left out, so that spec is the same spec as one without it. */
function parseLoss(raw: unknown, where: string): LossSpec {
  if (raw === undefined) return { type: 'categoricalCrossentropy' };
  if (!isObject(raw) || raw.type !== 'categoricalCrossentropy' || Object.keys(raw).some((k) => k !== 'type' && k !== 'labelSmoothing')) {
    fail(where, `loss must be {"type": "categoricalCrossentropy"} (softmax cross-entropy), optionally with "labelSmoothing", got ${JSON.stringify(raw)}`);
  }
  const smoothing = raw.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) fail(`${where}: loss`, `labelSmoothing must be a number in [0, 1), got ${JSON.stringify(raw.labelSmoothing)}`);
  return smoothing > 0 ? { type: 'categoricalCrossentropy', labelSmoothing: smoothing } : { type: 'categoricalCrossentropy' };
}

/** The training spec with augmentation fields replaced (the CLI's --augment); none left on removes it. */
export function withAugmentation(spec: TrainingSpec, changes: Partial<AugmentationSpec>, where: string): TrainingSpec {
  const { augmentation: current, ...rest } = spec;
  const augmentation = parseAugmentation({ ...current, ...changes }, where);
  return augmentation ? { ...rest, augmentation } : rest;
}

/** The training spec with another label smoothing (the CLI's --label-smoothing); 0 removes it. */
export function withLabelSmoothing(spec: TrainingSpec, labelSmoothing: number): TrainingSpec {
  return { ...spec, loss: parseLoss({ type: 'categoricalCrossentropy', labelSmoothing }, `--label-smoothing`) };
}

/** The training spec with another base learning rate (the CLI's --lr). */
export function withLearningRate(spec: TrainingSpec, learningRate: number): TrainingSpec {
  return { ...spec, optimizer: { ...spec.optimizer, learningRate } };
}

/** JSON with object keys sorted: two specs are the same spec when these strings are equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}
