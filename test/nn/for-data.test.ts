// forData fits the named models to a dataset's shape and class count, leaving MNIST's alone.
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { forData } from '../../src/nn/for-data.js';
import { MODELS, MODEL_NAMES } from '../../src/nn/models.js';
import { planModel } from '../../src/nn/model-spec.js';

describe('forData', () => {
  it('gives every named model back itself for MNIST: [28, 28, 1] and 10 classes', () => {
    for (const name of MODEL_NAMES) expect(forData(MODELS[name], [28, 28, 1], 10), name).toBe(MODELS[name]);
  });

  it('fits the input shape and the last dense layer, and nothing else', () => {
    const before = JSON.stringify(MODELS);
    for (const name of ['cnn', 'mlp', 'mlp-tuned']) {
      const spec = forData(MODELS[name], [12, 16, 3], 4);
      expect(spec.inputShape).toEqual([12, 16, 3]);
      expect(spec.layers.slice(0, -1)).toEqual(MODELS[name].layers.slice(0, -1));
      expect(spec.layers.at(-1)).toEqual({ type: 'dense', units: 4, activation: 'softmax' });
      expect({ ...spec, inputShape: undefined, layers: undefined }).toEqual({ ...MODELS[name], inputShape: undefined, layers: undefined });
      expect(planModel(spec).classes).toBe(4);
    }
    expect(JSON.stringify(MODELS), 'the registry of models is not touched').toBe(before);
    expect(forData(MODELS.cnn, [28, 28, 1], 3).inputShape).toEqual([28, 28, 1]);
  });

  it('says in one line when the layers cannot take images that small', () => {
    let error: unknown;
    try {
      forData(MODELS['cnn-tuned'], [12, 12, 1], 3);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimdnetError);
    expect((error as Error).message).toMatch(/^model 'cnn-tuned' cannot take 12x12x1 images: layer \d+ \(\w+\)/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(() => forData(MODELS.cnn, [10, 10, 1], 2)).not.toThrow();
    expect(() => forData(MODELS.cnn, [9, 9, 1], 2)).toThrow(/model 'cnn' cannot take 9x9x1 images/);
  });
});
