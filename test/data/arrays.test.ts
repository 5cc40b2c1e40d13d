// datasetFromArrays: typed arrays of any shape as a Dataset, every length and label checked, and
// train() on it (a colour dataset of the user's own, the named mlp fitted to it).
import { afterAll, describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { datasetFromArrays, type ArrayDatasetInput } from '../../src/data/arrays.js';
import { forData } from '../../src/nn/for-data.js';
import { MODELS } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';
import { measureThroughput } from '../../src/train/throughput.js';
import { classImage, lcg } from './folder-fixtures.js';

/** `count` learnable h x w x 3 images (a red, green or blue square), labels cycling 0, 1, 2. */
function colourArrays(count: number, size = 10): { images: Uint8Array; labels: number[] } {
  const random = lcg(3);
  const images = new Uint8Array(count * size * size * 3);
  const labels = Array.from({ length: count }, (_, i) => i % 3);
  labels.forEach((k, i) => {
    const pixel = classImage(k, size, true, random);
    for (let p = 0; p < size * size; p++) images.set(pixel(p % size, Math.floor(p / size)), (i * size * size + p) * 3);
  });
  return { images, labels };
}

function arraysError(input: ArrayDatasetInput): string {
  try {
    datasetFromArrays(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SimdnetError);
    expect((error as Error).message).not.toMatch(/\n/);
    return (error as Error).message;
  }
  throw new Error('datasetFromArrays accepted the input');
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

describe('datasetFromArrays', () => {
  it('takes bytes of any [h, w, c], copies them, and holds out 20% of each class without test arrays', () => {
    const { images, labels } = colourArrays(30, 4);
    const data = datasetFromArrays({ images, labels, shape: [4, 4, 3], classNames: ['red', 'green', 'blue'], name: 'mine' });
    expect(data).toMatchObject({ name: 'mine', displayName: 'mine', classNames: ['red', 'green', 'blue'], source: { kind: 'arrays' }, testSplit: 0.2 });
    expect(data.train).toMatchObject({ count: 24, rows: 4, cols: 4, channels: 3 });
    expect(data.test.count).toBe(6);
    images.fill(0);
    expect(data.train.images.some((v) => v > 0), 'the arrays are copied').toBe(true);
  });

  it('takes floats in [0, 1] and a test set of its own; names classes 0..N-1 by default', () => {
    const images = Float32Array.from([0, 0.5, 1, 0.25, 0, 1]);
    const data = datasetFromArrays({ images, labels: [0, 2, 1], shape: [1, 2, 1], testImages: new Float64Array([1, 0]), testLabels: Int32Array.from([2]) });
    expect(Array.from(data.train.images)).toEqual([0, 128, 255, 64, 0, 255]);
    expect(data.classNames).toEqual(['0', '1', '2']);
    expect(data.test).toMatchObject({ count: 1, channels: 1 });
    expect(Array.from(data.test.images)).toEqual([255, 0]);
    expect(data.testSplit).toBeUndefined();
  });

  it('refuses what does not add up, in one line', () => {
    const images = new Uint8Array(2 * 3 * 3);
    expect(arraysError({ images: new Uint8Array(17), labels: [0, 1], shape: [3, 3, 1] })).toBe('arrays: images holds 17 values, not a whole number of 3x3x1 images (9 values each)');
    expect(arraysError({ images, labels: [0, 1, 1], shape: [3, 3, 1] })).toBe('arrays: images holds 2 images but labels holds 3 labels; give one label per image');
    expect(arraysError({ images, labels: [0, 1.5], shape: [3, 3, 1] })).toBe('arrays: labels[1] is 1.5; labels are class indices 0..255');
    expect(arraysError({ images, labels: [-1, 1], shape: [3, 3, 1] })).toBe('arrays: labels[0] is -1; labels are class indices 0..255');
    expect(arraysError({ images, labels: [0, 0], shape: [3, 3, 1] })).toBe('arrays: only one class; a classifier needs at least two');
    expect(arraysError({ images, labels: [0, 2], shape: [3, 3, 1], classNames: ['a', 'b'] })).toBe('arrays: label 2 has no name: classNames names 2 classes (0..1)');
    expect(arraysError({ images, labels: [0, 1], shape: [3, 3, 1], classNames: ['a', 'a'] })).toBe('arrays: classNames holds a name twice; class names must differ');
    expect(arraysError({ images: Float32Array.from({ length: 18 }, (_, i) => (i === 5 ? NaN : 0)), labels: [0, 1], shape: [3, 3, 1] })).toBe('arrays: images[5] is NaN; float pixels must be in [0, 1] (or pass bytes 0..255 as a Uint8Array)');
    expect(arraysError({ images, labels: [0, 1], shape: [3, 3] as unknown as [number, number, number] })).toBe('arrays: shape must be [height, width, channels], got [3,3]');
    expect(arraysError({ images, labels: [0, 1], shape: [3, 0, 1] })).toMatch(/^arrays: images of 3x0x1 are outside what simdnet trains on \(1 to 1024 pixels a side/);
    expect(arraysError({ images, labels: [0, 1], shape: [3, 3, 1], testImages: images })).toBe('arrays: give testImages and testLabels together (or neither, to hold out a test split)');
    expect(arraysError({ images, labels: [0, 1], shape: [3, 3, 1], testImages: images, testLabels: [0, 1], testSplit: 0.5 })).toBe('arrays: testSplit holds out a test set, but testImages are given; give one or the other');
    expect(arraysError({ images: [1, 2] as unknown as Uint8Array, labels: [0, 1], shape: [1, 1, 1] })).toBe('arrays: images must be a Uint8Array (bytes 0..255) or a Float32Array/Float64Array (0..1)');
  });
});

describe('train() on data of another shape', () => {
  it('trains the named mlp fitted to 10x10 RGB arrays above chance, and refuses an unfitted model in one line', async () => {
    const engine = await Engine.create({ threads: 1 });
    engines.push(engine);
    const { images, labels } = colourArrays(300);
    const data = datasetFromArrays({ images, labels, shape: [10, 10, 3], classNames: ['red', 'green', 'blue'] });
    const options = { epochs: 2, batchSize: 16, seed: 0, validationSplit: 0.1 };
    const result = await train(engine, forData(MODELS.mlp, [10, 10, 3], 3), data, options);
    expect(result.spec.inputShape).toEqual([10, 10, 3]);
    expect(result.classNames).toEqual(['red', 'green', 'blue']);
    expect(result.testAccuracy).toBeGreaterThan(0.6);
    expect(result.misclassifiedExamples.every((e) => e.pixels.length === 300)).toBe(true);
    await expect(train(engine, MODELS.mlp, data, options)).rejects.toThrow("model 'mlp' takes 28x28x1 inputs, but arrays images are 10x10x3");
    await expect(train(engine, forData(MODELS.mlp, [10, 10, 3], 4), data, options)).rejects.toThrow("model 'mlp' has 4 output classes, but arrays has 3");
    const bad = { ...data, test: { ...data.test, labels: data.test.labels.map((l, i) => (i === 2 ? 7 : l)) } };
    await expect(train(engine, forData(MODELS.mlp, [10, 10, 3], 3), bad, options)).rejects.toThrow('arrays: test label 7 at index 2 is out of range for its 3 classes');
    const bench = { batchSize: 16, batches: 1, warmupBatches: 1, repeats: 1, seed: 0 };
    expect(measureThroughput(engine, forData(MODELS.mlp, [10, 10, 3], 3), data.train, bench).samplesPerSecond).toBeGreaterThan(0);
    expect(() => measureThroughput(engine, forData(MODELS.mlp, [10, 10, 3], 3), { ...data.train, channels: undefined }, bench)).toThrow("model 'mlp' takes 10x10x3 inputs, but the benchmark's images are 10x10x1");
  }, 30_000);
});
