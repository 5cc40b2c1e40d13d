// The one inference path (src/nn/predict.ts): predict from host bytes or floats and evaluation over
// a resident dataset run the same batch loop and the same gather kernel, so they agree to the bit,
// whatever batch the memory plan holds and wherever the batches fall.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import { MODELS } from '../../src/nn/models.js';
import { predictProbabilities } from '../../src/nn/predict.js';
import { evaluate, range } from '../../src/train/evaluate.js';

const COUNT = 300; // one batch of 256 and a partial one
const SIZE = 784;

function images(count: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(count * SIZE);
  let s = seed;
  for (let i = 0; i < bytes.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    bytes[i] = s >>> 24 > 150 ? s >>> 16 & 255 : 0; // mostly black, like MNIST
  }
  return bytes;
}

describe.each(['cnn', 'mlp'])('predict and evaluate on %s', (name) => {
  it('give the same probabilities for bytes, resident bytes and floats, across batch boundaries', async () => {
    const engine = await Engine.create({ fma: 'off' });
    const model = new Sequential(engine, MODELS[name], { maxBatch: 256, seed: 3 });
    const bytes = images(COUNT);
    const labels = Uint8Array.from({ length: COUNT }, (_, i) => i % 10);

    const fromBytes = predictProbabilities(model, bytes);
    expect(fromBytes).toHaveLength(COUNT * 10);
    for (let i = 0; i < COUNT; i++) expect(fromBytes.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);

    // Evaluation over the same images in wasm memory: the same gather and forward, so the same bits.
    const resident = { images: engine.storeU8(bytes), labels: engine.storeU8(labels) };
    const evaluation = evaluate(model, resident, range(0, COUNT));
    for (let i = 0; i < COUNT; i++) {
      const row = Array.from(fromBytes.subarray(i * 10, i * 10 + 10));
      expect(evaluation.predictions[i]).toBe(row.indexOf(Math.max(...row)));
      expect(evaluation.confidences[i]).toBe(Math.max(...row));
    }
    let loss = 0;
    for (let i = 0; i < COUNT; i++) loss -= Math.log(fromBytes[i * 10 + labels[i]]);
    expect(evaluation.loss).toBeCloseTo(loss / COUNT, 4);

    // Floats in 0..1 are copied as they are: the gather's bytes x 1/255, rounded to f32, give the same.
    const floats = Float32Array.from(bytes, (b) => Math.fround(b * Math.fround(1 / 255)));
    expect(predictProbabilities(model, floats)).toEqual(fromBytes);
  });

  it('does not depend on the batch the memory plan holds', async () => {
    const engine = await Engine.create({ fma: 'off' });
    const bytes = images(40, 7);
    const big = predictProbabilities(new Sequential(engine, MODELS[name], { maxBatch: 256, seed: 3 }), bytes);
    const small = predictProbabilities(new Sequential(engine, MODELS[name], { maxBatch: 7, seed: 3 }), bytes);
    for (let i = 0; i < big.length; i++) expect(Math.abs(big[i] - small[i])).toBeLessThan(1e-6);
  });
});

it('predict refuses too few values for the count', async () => {
  const engine = await Engine.create({ fma: 'off' });
  const model = new Sequential(engine, MODELS.mlp, { maxBatch: 4, seed: 0 });
  expect(() => predictProbabilities(model, new Uint8Array(SIZE), 2)).toThrow(/predict: 2 samples of 784 values need 1568 values, got 784/);
  expect(predictProbabilities(model, new Uint8Array(0))).toHaveLength(0);
});
