// A loaded model's layer sizes come from its model.json: memory for its batches is budgeted from
// the spec before anything is reserved.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Sequential, bytesPerSample } from '../../src/nn/sequential.js';
import { modelSpec, MODEL_NAMES, NOTEBOOK_MODELS } from '../../src/nn/models.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { INFERENCE_MEMORY_BUDGET, inferenceBatch } from '../../src/io/inference.js';

const hostile = (filters: number): ModelSpec => ({
  name: 'hostile',
  inputShape: [28, 28, 1],
  layers: [
    { type: 'conv2d', filters, kernelSize: 1, activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
});

describe('memory budget of loaded models', () => {
  it('bounds what the memory plan really reserves, per sample', async () => {
    const engine = await Engine.create({ fma: 'off' });
    for (const name of MODEL_NAMES) {
      const spec = modelSpec(name);
      const mark = engine.mark();
      const model = new Sequential(engine, spec, { maxBatch: 32, seed: 0 });
      const reserved = engine.mark() - mark - model.paramFloats * 8;
      expect(reserved, name).toBeLessThanOrEqual(bytesPerSample(spec) * 32 * 1.05 + 2 ** 20);
      engine.release(mark);
    }
  });

  it('keeps the requested batch for the notebook models; cnn-plus (28x28x32 maps, padded copies) gets most of it', async () => {
    const { kernels } = await Engine.create({ fma: 'off' });
    for (const name of NOTEBOOK_MODELS) expect(inferenceBatch(modelSpec(name), 256, 'x')).toBe(256);
    expect(inferenceBatch(modelSpec('cnn-plus'), 256, 'x')).toBeGreaterThanOrEqual(192);
  });

  it('shrinks the batch of a huge model to fit, and refuses one that cannot hold one image', async () => {
    const { kernels } = await Engine.create({ fma: 'off' });
    const batch = inferenceBatch(hostile(4096), 256, 'x');
    expect(batch).toBeGreaterThanOrEqual(1);
    expect(batch).toBeLessThan(256);
    expect(batch * bytesPerSample(hostile(4096))).toBeLessThanOrEqual(INFERENCE_MEMORY_BUDGET);
    expect(() => inferenceBatch(hostile(200_000), 256, 'dir/model.json')).toThrow(/dir\/model.json: the model needs about \d+ MiB of working memory per image/);
  });
});
