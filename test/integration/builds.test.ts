// The FMA and plain-SIMD builds, on one and two threads, train to the same test accuracy for the
// same seed (within 0.2 points); the thread count changes no bit at all.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.js';
import { loadDataset } from '../../src/data/resolve.js';
import { modelSpec } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

describe.skipIf(!existsSync(`${dataDir}/mnist`))('builds and thread counts agree', () => {
  it('cnn on 6,000 MNIST images: FMA/plain x 1/2 threads', async () => {
    const mnist = await loadDataset('mnist', { dataDir, onProgress: () => {} });
    const options = { epochs: 1, batchSize: 64, seed: 1, validationSplit: 0.1, limit: 6000 };
    const runs: Record<string, Awaited<ReturnType<typeof train>>> = {};
    for (const fma of ['on', 'off'] as const) {
      for (const threads of [1, 2]) {
        const engine = await Engine.create({ fma, threads });
        engines.push(engine);
        expect(engine.variant.fma).toBe(fma === 'on');
        runs[`${fma}/${threads}`] = await train(engine, modelSpec('cnn'), mnist, options);
      }
    }
    expect(runs['on/2'].threads).toBe(2);
    // Threads: identical to the last bit.
    expect(runs['on/2'].testLoss).toBe(runs['on/1'].testLoss);
    expect(runs['off/2'].testLoss).toBe(runs['off/1'].testLoss);
    // FMA rounds differently, so the runs drift apart a little, but not in accuracy.
    expect(Math.abs(runs['on/1'].testAccuracy - runs['off/1'].testAccuracy)).toBeLessThanOrEqual(0.002);
    expect(runs['on/1'].testAccuracy).toBeGreaterThan(0.9);
  }, 180_000);
});
