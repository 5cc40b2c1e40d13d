// Every registered layer type in the TF.js layers format, both ways: the topology simdnet writes
// is built by TF.js itself (tf.models.modelFromJSON) into a model with the weights simdnet lists,
// and the topology TF.js writes for that model reads back into the same spec. A layer type added
// to the registry without an example here fails the first test.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LAYERS, LAYER_TYPES } from '../../src/nn/layers/index.js';
import { parseModelSpec } from '../../src/nn/model-spec.js';
import { fromKerasTopology, layerNames, toKerasTopology, weightShapes } from '../../src/io/keras-topology.js';
import type { ModelSpec } from '../../src/nn/spec.js';

const softmax = { type: 'dense', units: 3, activation: 'softmax' };
const examples: Record<string, unknown[]> = {
  conv2d: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }, { type: 'flatten' }],
  maxPooling2d: [{ type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }],
  averagePooling2d: [{ type: 'averagePooling2d', poolSize: 3, strides: 2 }, { type: 'flatten' }],
  globalAveragePooling2d: [{ type: 'conv2d', filters: 6, kernelSize: 2, activation: 'relu' }, { type: 'globalAveragePooling2d' }],
  flatten: [{ type: 'flatten' }],
  dense: [{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'linear' }],
  dropout: [{ type: 'flatten' }, { type: 'dropout', rate: 0.25 }],
  batchNormalization: [{ type: 'conv2d', filters: 5, kernelSize: 2, activation: 'linear' }, { type: 'batchNormalization', momentum: 0.9, epsilon: 0.01 }, { type: 'flatten' }, { type: 'batchNormalization' }],
  activation: [{ type: 'activation', activation: 'relu' }, { type: 'flatten' }, { type: 'activation', activation: 'linear' }],
};

const specOf = (type: string): ModelSpec => parseModelSpec({ name: `one-${type}`, inputShape: [9, 8, 2], layers: [...examples[type], softmax] }, type);

describe('layer formats', () => {
  it('has an example for every registered layer type', () => {
    expect(Object.keys(examples).sort()).toEqual([...LAYER_TYPES].sort());
  });

  for (const layer of LAYERS) {
    it(`${layer.type}: TF.js builds simdnet's topology and simdnet reads TF.js's`, async () => {
      const spec = specOf(layer.type);
      const model = await tf.models.modelFromJSON({ modelTopology: toKerasTopology(spec) as unknown as tf.io.ModelJSON['modelTopology'] });
      const ours = weightShapes(spec, layerNames(spec));
      // Layer by layer: a TF.js model lists every layer's trainable weights before any moving statistics.
      expect(model.layers.flatMap((l) => l.getWeights().map((w) => w.shape))).toEqual(ours.map((w) => w.shape));
      expect(model.layers.flatMap((l) => l.weights.map((w) => `${l.name}/${w.originalName.split('/').pop()}`))).toEqual(ours.map((w) => w.name));
      expect(model.layers.map((l) => l.getClassName())).toEqual(spec.layers.map((l) => LAYERS.find((d) => d.type === l.type)!.kerasClass));
      const back = fromKerasTopology(model.toJSON(null, false), 'tfjs');
      expect(back.spec.layers).toEqual(spec.layers);
      expect(back.spec.inputShape).toEqual(spec.inputShape);
      model.dispose();
    });
  }
});
