// Short trainings on the real data: the engine must learn, and the same seed must give the
// same numbers. Needs SIMDNET_DATA (CI points it at the shared offline copy).
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.js';
import { loadDataset } from '../../src/data/resolve.js';
import { modelSpec } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const haveData = existsSync(`${dataDir}/mnist`);
const quiet = { onProgress: () => {} };

describe.skipIf(!haveData)('training on real MNIST', () => {
  it('the MLP passes 93% test accuracy after one epoch on all 54,000 training images', async () => {
    const engine = await Engine.create();
    const mnist = await loadDataset('mnist', { dataDir, ...quiet });
    const result = await train(engine, modelSpec('mlp'), mnist, { epochs: 1, batchSize: 64, seed: 0, validationSplit: 0.1 });
    expect(result.trainSamples).toBe(54000);
    expect(result.validationSamples).toBe(6000);
    expect(result.history[0].valAccuracy).toBeGreaterThan(0.93);
    expect(result.testAccuracy).toBeGreaterThan(0.93);
    expect(result.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(10000);
  }, 60_000);

  it('the CNN passes 93% after one epoch on 8,000 images, and the same seed repeats exactly', async () => {
    const engine = await Engine.create();
    const mnist = await loadDataset('mnist', { dataDir, ...quiet });
    const options = { epochs: 1, batchSize: 64, seed: 3, validationSplit: 0.1, limit: 8000 };
    const first = await train(engine, modelSpec('cnn'), mnist, options);
    const second = await train(engine, modelSpec('cnn'), mnist, options);
    expect(first.testAccuracy).toBeGreaterThan(0.93);
    expect(second.history).toEqual(first.history.map((h, i) => ({ ...h, seconds: second.history[i].seconds })));
    expect(second.testLoss).toBe(first.testLoss);
    const other = await train(engine, modelSpec('cnn'), mnist, { ...options, seed: 4 });
    expect(other.testLoss).not.toBe(first.testLoss);
  }, 120_000);
});
