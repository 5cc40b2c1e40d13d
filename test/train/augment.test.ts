// Augmentation and label smoothing through the trainer: the spec's options change what a run
// learns, the run is the same on 1 and 2 threads, a run stopped in the middle of an epoch and
// resumed ends bit for bit where an uninterrupted one ends (the draws are keyed by the optimizer's
// step, which the checkpoint holds), and the result carries the report's augmented images.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { modelSpec } from '../../src/nn/models.js';
import { parseTrainingSpec } from '../../src/nn/model-spec.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { TrainingSpec } from '../../src/nn/spec.js';
import { train, TrainingInterrupted, type TrainOptions } from '../../src/train/trainer.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import type { RunResult } from '../../src/train/types.js';
import { syntheticDataset } from './helpers.js';

const data = syntheticDataset(500, 100);
const base = { epochs: 2, batchSize: 64, seed: 3, validationSplit: 0.1 };
const withOptions = (spec: TrainingSpec, extra: Record<string, unknown>): TrainingSpec => parseTrainingSpec({ ...spec, ...extra }, 'test');
const augmented = withOptions(modelSpec('mlp'), { augmentation: { translate: 2, rotate: 10, scale: 0.1 } });
const smoothed = withOptions(modelSpec('mlp'), { loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.1 } });
const both = withOptions(modelSpec('mlp'), { augmentation: { translate: 2, flipHorizontal: true }, loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.2 } });
const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-augment-'));

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));
let one: Engine;
let two: Engine;
beforeAll(async () => {
  one = await Engine.create({ threads: 1 });
  two = await Engine.create({ threads: 2 });
  engines.push(one, two);
});

async function run(engine: Engine, spec: TrainingSpec, options: Partial<TrainOptions> = {}): Promise<{ result: RunResult; weights: Float32Array }> {
  let weights = new Float32Array(0);
  const result = await train(engine, spec, data, { ...base, ...options, onTrained: (m) => (weights = engine.f32(m.params, m.paramFloats).slice()) });
  return { result, weights };
}
const same = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer), Buffer.from(b.buffer)) === 0;
const withoutTimes = (r: RunResult) => ({ ...r, trainSeconds: 0, history: r.history.map((h) => ({ ...h, seconds: 0 })) });

describe('augmentation and label smoothing in training', () => {
  it('each changes the weights a run ends with; a spec without them trains as before', async () => {
    const plain = await run(one, modelSpec('mlp'));
    for (const spec of [augmented, smoothed, both]) expect(same((await run(one, spec)).weights, plain.weights), JSON.stringify(spec.augmentation ?? spec.loss)).toBe(false);
    // Off is off: an augmentation of zeros and a smoothing of 0 are the spec without them.
    const zeros = withOptions(modelSpec('mlp'), { augmentation: { translate: 0 }, loss: { type: 'categoricalCrossentropy', labelSmoothing: 0 } });
    expect(zeros).toEqual(modelSpec('mlp'));
    expect(plain.result.augmentedExample).toBeUndefined();
  }, 60_000);

  it('gives the same weights on 1 and 2 threads', async () => {
    for (const spec of [augmented, both]) {
      const a = await run(one, spec);
      const b = await run(two, spec);
      expect(same(a.weights, b.weights), JSON.stringify(spec.augmentation)).toBe(true);
    }
  }, 60_000);

  it('stopped in the middle of an epoch and resumed, ends bit for bit where an uninterrupted run ends', async () => {
    for (const spec of [augmented, both]) {
      const reference = await run(one, spec);
      const dir = tempDir();
      const stop = new AbortController();
      const err = await run(one, spec, { checkpointDir: dir, signal: stop.signal, onBatch: (p) => p.epoch === 1 && p.batch === 3 && stop.abort() }).catch((e) => e);
      expect(err).toBeInstanceOf(TrainingInterrupted);
      const checkpoint = readCheckpoint(dir)!;
      expect([checkpoint.meta.epoch, checkpoint.meta.batch]).toEqual([0, 3]);
      expect(checkpoint.meta.options.spec).toEqual(spec);
      const resumed = await run(two, spec, { checkpointDir: dir, resume: checkpoint });
      expect(same(resumed.weights, reference.weights)).toBe(true);
      expect(withoutTimes({ ...resumed.result, threads: 1 })).toEqual(withoutTimes(reference.result));
      // A resume with the augmentation changed is refused: it could not reproduce the run.
      const other = withOptions(spec, { augmentation: { translate: 1 } });
      await expect(run(one, other, { checkpointDir: dir, resume: readCheckpoint(dir)! })).rejects.toThrow(/another training spec .*augmentation differ/);
    }
  }, 60_000);

  it('the result shows a test image and 8 versions of it, drawn as training draws them', async () => {
    const { result } = await run(one, both, { epochs: 1 });
    const example = result.augmentedExample!;
    expect(example.index).toBe(0);
    expect(example.pixels).toEqual(Array.from(data.test.images.subarray(0, 784)));
    expect(example.versions).toHaveLength(8);
    const distinct = new Set(example.versions.map((v) => v.pixels.join(',')));
    expect(distinct.size).toBeGreaterThan(4);
    for (const v of example.versions) {
      expect(v.pixels).toHaveLength(784);
      expect(Math.abs(v.shift[0])).toBeLessThanOrEqual(2);
      expect(Math.abs(v.degrees)).toBe(0);
      expect(v.zoom).toBe(1);
      // Exact shifts of whole pixels: every value is one of the image's own, or the zero fill.
      for (const p of v.pixels) expect(p === 0 || example.pixels.includes(p)).toBe(true);
    }
    expect(example.versions.some((v) => v.mirror) && example.versions.some((v) => !v.mirror)).toBe(true);
  }, 60_000);

  it('augments training batches only: a batch loaded without a step is the images as they are', () => {
    const mark = one.mark();
    try {
      const model = new Sequential(one, augmented, { maxBatch: 4, seed: 1 });
      const images = one.storeU8(data.train.images.subarray(0, 4 * 784));
      const labels = one.storeU8(data.train.labels.subarray(0, 4));
      const order = Int32Array.from([0, 1, 2, 3]);
      model.loadBatch(images, labels, order, 0, 4);
      const plain = one.f32(model.input, 4 * 784).slice();
      expect(plain).toEqual(Float32Array.from(data.train.images.subarray(0, 4 * 784), (b) => b * Math.fround(1 / 255)));
      model.loadBatch(images, labels, order, 0, 4, 0);
      expect(same(one.f32(model.input, 4 * 784).slice(), plain)).toBe(false);
      // A model built for inference reserves nothing for augmentation.
      expect(new Sequential(one, augmented, { maxBatch: 4, seed: 1, training: false }).augmentation).toBeUndefined();
    } finally {
      one.release(mark);
    }
  });

  it('label smoothing smooths the training loss only: validation and test losses are against the labels', async () => {
    const smooth = await run(one, withOptions(modelSpec('mlp'), { loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.5 } }), { epochs: 3 });
    // With ε = 0.5 over 10 classes the smoothed loss cannot fall below the targets' entropy,
    // -0.55 ln 0.55 - 9 · 0.05 ln 0.05 = 1.677; the plain cross-entropy of a model that learned can.
    const entropy = -0.55 * Math.log(0.55) - 9 * 0.05 * Math.log(0.05);
    for (const h of smooth.result.history) expect(h.trainLoss).toBeGreaterThan(entropy);
    expect(smooth.result.testAccuracy).toBeGreaterThan(0.9);
    expect(smooth.result.testLoss).toBeLessThan(entropy);
    expect(smooth.result.history.at(-1)!.valLoss!).toBeLessThan(entropy);
  }, 60_000);
});
