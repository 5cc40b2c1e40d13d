// Every registered layer type in the TF.js layers format, both ways: the topology simdnet writes
// is built by TF.js itself (tf.models.modelFromJSON) into a model with the weights simdnet lists,
// and the topology TF.js writes for that model reads back into the same spec. A layer type added
// to the registry without an example here fails the first test.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LAYERS, LAYER_TYPES } from '../../src/nn/layers/index.js';
import { parseModelSpec, planModel } from '../../src/nn/model-spec.js';
import { conv2d } from '../../src/nn/layers/conv2d.js';
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

// Conv2D's padding and strides: TF.js builds the topology simdnet writes with the output shapes
// simdnet planned, and the topology TF.js writes reads back into the same spec.
describe('conv2d padding and strides', () => {
  it("TF.js agrees on the output shapes of 'same' and stride-2 layers, both ways", async () => {
    const spec = parseModelSpec(
      {
        name: 'conv-windows',
        inputShape: [9, 8, 2],
        layers: [
          { type: 'conv2d', filters: 4, kernelSize: 4, activation: 'relu', padding: 'same' },
          { type: 'conv2d', filters: 5, kernelSize: 2, activation: 'relu', padding: 'same', strides: 2 },
          { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'linear', strides: 2 },
          { type: 'conv2d', filters: 3, kernelSize: 1, activation: 'linear', padding: 'valid', strides: 1 },
          { type: 'flatten' },
          softmax,
        ],
      },
      'windows',
    );
    const model = await tf.models.modelFromJSON({ modelTopology: toKerasTopology(spec) as unknown as tf.io.ModelJSON['modelTopology'] });
    const planned = planModel(spec).layers.map((p) => [null, ...p.outputShape]);
    expect(model.layers.map((l) => l.outputShape)).toEqual(planned);
    expect(planned.slice(0, 4)).toEqual([[null, 9, 8, 4], [null, 5, 4, 5], [null, 2, 1, 3], [null, 2, 1, 3]]);
    const back = fromKerasTopology(model.toJSON(null, false), 'tfjs');
    expect(back.spec.layers).toEqual(spec.layers);
    // The defaults written out read back as a spec without them (the form the named models have).
    expect(back.spec.layers[3]).toEqual({ type: 'conv2d', filters: 3, kernelSize: 1, activation: 'linear' });
    model.dispose();
  });

  it('reads the strides Keras writes and refuses what simdnet cannot run, in one line', () => {
    const config = { filters: 2, kernel_size: [3, 3], activation: 'relu' };
    expect(conv2d.fromKeras({ ...config, strides: [2, 2], padding: 'same' }, 'c')).toEqual({ type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu', padding: 'same', strides: 2 });
    expect(conv2d.fromKeras({ ...config, strides: 2, padding: 'valid' }, 'c')).toEqual({ type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu', strides: 2 });
    expect(conv2d.fromKeras({ ...config, strides: 1 }, 'c')).toEqual({ type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' });
    expect(() => conv2d.fromKeras({ ...config, strides: [1, 2] }, 'c')).toThrow(/^c: strides \[1,2\] is not supported/);
    expect(() => conv2d.fromKeras({ ...config, strides: [3, 3] }, 'c')).toThrow(/^c: strides \[3,3\] is not supported/);
    expect(() => conv2d.fromKeras({ ...config, padding: 'causal' }, 'c')).toThrow(/^c: padding "causal" is not supported/);
  });
});
