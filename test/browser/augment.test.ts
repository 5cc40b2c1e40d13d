// An augmented, label-smoothed training spec in the page: the worker receives the spec whole and
// trains it through the same loop as Node, so the augmentation runs there too (the weights differ
// from the same spec without it), and two models of the same spec and seed end identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { browserTestsBlocked, openBundlePage, type BundlePage } from './helpers.js';

describe.skipIf(browserTestsBlocked())('augmentation and label smoothing in Chromium', () => {
  let opened: BundlePage;
  let page: Page;

  beforeAll(async () => {
    opened = await openBundlePage();
    page = opened.page;
  }, 30_000);

  afterAll(() => opened?.close());

  it('trains an augmented spec in the worker, reproducibly', async () => {
    const result = await page.evaluate(async () => {
      const simdnet = (window as unknown as { simdnet: typeof import('../../src/web/index.js') }).simdnet;
      const engine = await simdnet.createEngine({ threads: 1 });
      const mnist = await simdnet.fetchDataset('mnist');
      const layers = [
        { type: 'flatten' as const },
        { type: 'dense' as const, units: 32, activation: 'relu' as const },
        { type: 'dense' as const, units: 10, activation: 'softmax' as const },
      ];
      const base = { name: 'tiny', inputShape: [28, 28, 1] as [number, number, number], learningRate: 0.002, layers };
      const augmented = { ...base, augmentation: { translate: 2, rotate: 10 }, loss: { type: 'categoricalCrossentropy' as const, labelSmoothing: 0.1 } };
      const trained = async (spec: typeof base | typeof augmented) => {
        const model = await engine.model(spec, { seed: 4 });
        const fit = await model.fit(mnist.train, { epochs: 1, limit: 3000 });
        const evaluation = await model.evaluate({ images: mnist.test.images, labels: mnist.test.labels, count: 1000 });
        return { weights: Array.from(await model.getWeights()), accuracy: evaluation.accuracy, trainLoss: fit.history[0].trainLoss };
      };
      const a = await trained(augmented);
      const b = await trained(augmented);
      const plain = await trained(base);
      engine.terminate();
      return { accuracy: a.accuracy, same: a.weights.every((w, i) => w === b.weights[i]), differs: a.weights.some((w, i) => w !== plain.weights[i]), trainLoss: a.trainLoss };
    });
    expect(result.same).toBe(true);
    expect(result.differs).toBe(true);
    expect(result.accuracy).toBeGreaterThan(0.6); // 42 augmented steps; chance is 0.1
    expect(Number.isFinite(result.trainLoss)).toBe(true);
  }, 60_000);
});
