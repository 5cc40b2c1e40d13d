// The embedding API (dist/web/simdnet.js) as a page's own script uses it, in Chromium: a custom
// model trains in the worker, weights round-trip exactly, errors arrive as one readable line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserTestsBlocked, openBundlePage, type BundlePage } from './helpers.js';
import { threadNote } from '../../src/web/index.js';

describe('threadNote', () => {
  it('says plainly why a page trains on one thread', () => {
    expect(threadNote(4, 1, false)).toMatch(/^Training on one thread: this page is not cross-origin isolated.*SharedArrayBuffer.*Cross-Origin-Embedder-Policy: require-corp/);
    expect(threadNote(1, 1, false)).toMatch(/not cross-origin isolated/);
    expect(threadNote(1, 1, true)).toBe('Training on one thread, as chosen.');
    expect(threadNote(4, 4, true)).toMatch(/^Training on 4 threads/);
  });
});

const blocked = browserTestsBlocked();

describe.skipIf(blocked)('embedding API in Chromium', () => {
  let opened: BundlePage;
  let page: Page;

  beforeAll(async () => {
    opened = await openBundlePage();
    page = opened.page;
  }, 30_000);

  afterAll(() => opened?.close());

  it('trains a custom model, evaluates, predicts, and round-trips its weights', async () => {
    const result = await page.evaluate(async () => {
      const simdnet = (window as unknown as { simdnet: typeof import('../../src/web/index.js') }).simdnet;
      const engine = await simdnet.createEngine({ threads: 1 });
      const mnist = await simdnet.fetchDataset('mnist');
      const spec = {
        name: 'tiny',
        inputShape: [28, 28, 1] as [number, number, number],
        learningRate: 0.002,
        layers: [
          { type: 'flatten' as const },
          { type: 'dense' as const, units: 32, activation: 'relu' as const },
          { type: 'dense' as const, units: 10, activation: 'softmax' as const },
        ],
      };
      const model = await engine.model(spec, { seed: 1 });
      const batches: number[] = [];
      const epochs: number[] = [];
      const fit = await model.fit(mnist.train, { epochs: 2, limit: 6000, progressMs: 0, onBatch: (p) => batches.push(p.batch), onEpoch: (r) => epochs.push(r.valAccuracy!) });
      const test = { images: mnist.test.images, labels: mnist.test.labels, count: 2000 };
      const evaluation = await model.evaluate(test);
      const pixels = mnist.test.images.subarray(0, 3 * 784);
      const probs = await model.predict(pixels);
      const weights = await model.getWeights();

      const copy = await engine.model(spec, { seed: 99 });
      const before = await copy.evaluate(test);
      await copy.setWeights(weights);
      const after = await copy.evaluate(test);
      const probsAfter = await copy.predict(pixels);
      const stale = await model.predict(pixels).then(() => 'no error', (e: Error) => e.message);
      const wrongSize = await copy.setWeights(new Float32Array(10)).then(() => 'no error', (e: Error) => e.message);
      const bench = await engine.benchmark('mlp', mnist.train, { batches: 3, repeats: 1, warmupBatches: 1 });
      engine.terminate();
      return {
        variant: engine.info.variant,
        paramCount: model.paramCount,
        trainSamples: fit.trainSamples,
        history: fit.history.length,
        batchCalls: batches.length,
        epochs,
        accuracy: evaluation.accuracy,
        matrixTotal: evaluation.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0),
        perClass: evaluation.perClassAccuracy.length,
        rowSums: [0, 1, 2].map((i) => Array.from(probs.subarray(i * 10, i * 10 + 10)).reduce((a, b) => a + b, 0)),
        argmax: [0, 1, 2].map((i) => { const row = Array.from(probs.subarray(i * 10, i * 10 + 10)); return row.indexOf(Math.max(...row)); }),
        labels: Array.from(mnist.test.labels.subarray(0, 3)),
        weights: weights.length,
        beforeAccuracy: before.accuracy,
        afterAccuracy: after.accuracy,
        samePredictions: probsAfter.every((p, i) => p === probs[i]),
        stale,
        wrongSize,
        benchSamplesPerSecond: bench.samplesPerSecond,
      };
    });
    expect(result.paramCount).toBe(784 * 32 + 32 + 32 * 10 + 10);
    expect(result.weights).toBe(result.paramCount);
    expect(result.trainSamples).toBe(5400);
    expect(result.history).toBe(2);
    expect(result.batchCalls).toBe(2 * Math.ceil(5400 / 64));
    expect(result.epochs.every((a) => a > 0.85)).toBe(true);
    expect(result.accuracy).toBeGreaterThan(0.85);
    expect(result.matrixTotal).toBe(2000);
    expect(result.perClass).toBe(10);
    for (const sum of result.rowSums) expect(sum).toBeCloseTo(1, 4);
    expect(result.argmax).toEqual(result.labels);
    expect(result.beforeAccuracy).toBeLessThan(0.5);
    expect(result.afterAccuracy).toBe(result.accuracy);
    expect(result.samePredictions).toBe(true);
    expect(result.stale).toMatch(/was replaced by a newer engine\.model/);
    expect(result.wrongSize).toMatch(/model 'tiny' has 25450 parameters, got 10 values/);
    expect(result.benchSamplesPerSecond).toBeGreaterThan(0);
  }, 60_000);

  it('names the file and the remedy when a dataset is not served', async () => {
    const message = await page.evaluate(async () => {
      const simdnet = (window as unknown as { simdnet: typeof import('../../src/web/index.js') }).simdnet;
      return simdnet.fetchDataset('mnist', { baseUrl: '/nowhere/' }).then(() => 'no error', (e: Error) => e.message);
    });
    expect(message).toMatch(/MNIST t10k|MNIST test (images|labels): HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/nowhere\/mnist\//);
  }, 20_000);
});
