// The layer registry: every layer type simdnet knows, each defined whole in its own module. The
// model, the topology reader and writer, checkpoints and the memory estimate look layers up here.
import { SimdnetError } from '../../engine/errors.js';
import { activation } from './activation.js';
import { averagePooling2d } from './average-pooling2d.js';
import { batchNormalization } from './batch-normalization.js';
import { conv2d } from './conv2d.js';
import { dense } from './dense.js';
import { dropout } from './dropout.js';
import { flatten } from './flatten.js';
import { globalAveragePooling2d } from './global-average-pooling2d.js';
import { maxPooling2d } from './max-pooling2d.js';
import type { LayerDefinition } from './layer.js';

export const LAYERS = [conv2d, maxPooling2d, averagePooling2d, globalAveragePooling2d, flatten, dense, dropout, batchNormalization, activation] as const;

/** A layer spec of any registered type (each module declares its own). */
export type LayerSpec = ReturnType<(typeof LAYERS)[number]['parse']>;
export type LayerType = LayerSpec['type'];

export const LAYER_TYPES = LAYERS.map((layer) => layer.type) as LayerType[];

const byType = new Map<string, LayerDefinition>(LAYERS.map((layer) => [layer.type, layer as unknown as LayerDefinition]));
const byKerasClass = new Map<string, LayerDefinition>(LAYERS.map((layer) => [layer.kerasClass, layer as unknown as LayerDefinition]));

/** The definition of a spec's layer type; `where` names the layer in the error. */
export function layerDefinition<S extends LayerSpec>(spec: S | { type?: unknown }, where = 'layer'): LayerDefinition<S> {
  const definition = byType.get(spec.type as string);
  if (!definition) throw new SimdnetError(`${where}: unknown layer type ${JSON.stringify(spec.type)} (expected one of ${LAYER_TYPES.join(', ')})`);
  return definition as unknown as LayerDefinition<S>;
}

/** The definition for a Keras class name, or undefined. */
export function kerasLayer(className: string): LayerDefinition | undefined {
  return byKerasClass.get(className);
}

export const KERAS_CLASSES = LAYERS.map((layer) => layer.kerasClass);
