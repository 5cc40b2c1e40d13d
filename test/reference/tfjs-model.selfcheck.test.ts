// Self-check of the TF.js reference (test/reference/tfjs-model.ts) before simdnet is compared
// against it: its gradients against finite differences of its own loss, its forward pass and one
// SGD step against a plain tf.sequential Keras model, its optimizer steps against the formulas
// written out here, and no leaked tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { tfjsReference, type RefInput, type RefLayer } from './tfjs-model.js';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (n: number, scale: number, r: () => number) => Float32Array.from({ length: n }, () => (2 * r() - 1) * scale);

/** Weight sizes of the conv2d/dense layers, in Keras order, by walking the shapes. */
function weightSizes(shape: [number, number, number], layers: RefLayer[]): number[] {
  let [h, w, c] = shape;
  let flat = 0;
  const sizes: number[] = [];
  for (const l of layers) {
    if (l.type === 'conv2d') {
      sizes.push(l.kernelSize * l.kernelSize * c * l.filters, l.filters);
      const s = l.strides ?? 1;
      if (l.padding === 'same') [h, w] = [Math.ceil(h / s), Math.ceil(w / s)];
      else [h, w] = [Math.floor((h - l.kernelSize) / s) + 1, Math.floor((w - l.kernelSize) / s) + 1];
      c = l.filters;
    } else if (l.type === 'maxPooling2d' || l.type === 'averagePooling2d') {
      const s = l.strides ?? l.poolSize;
      [h, w] = [Math.floor((h - l.poolSize) / s) + 1, Math.floor((w - l.poolSize) / s) + 1];
    } else if (l.type === 'globalAveragePooling2d') [h, w] = [1, 1];
    else if (l.type === 'flatten') flat = h * w * c;
    else if (l.type === 'dense') {
      const inputs = flat || c;
      sizes.push(inputs * l.units, l.units);
      flat = l.units;
    }
  }
  return sizes;
}

function makeInput(seed: number, shape: [number, number, number], layers: RefLayer[], batch: number, classes: number): RefInput {
  const r = rng(seed);
  const weights = weightSizes(shape, layers).map((n) => uniform(n, 0.5, r));
  const images = uniform(batch * shape[0] * shape[1] * shape[2], 1, r);
  const labels = Int32Array.from({ length: batch }, (_, i) => i % classes);
  return { inputShape: shape, layers, weights, images, labels, optimizer: { type: 'sgd', learningRate: 0.1 }, steps: 1 };
}

// conv → max pool → flatten → dense softmax.
const cnn = makeInput(1, [6, 6, 1], [
  { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' },
  { type: 'maxPooling2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 3, activation: 'softmax' },
], 4, 3);

// 'same' conv → average pool on an odd size (7 → 3, the last row and column dropped) → dropout
// (given masks, a different one each step) → conv → global average pool → dense softmax.
const BATCH = 4, DROPPED = 3 * 3 * 3;
const pooled = makeInput(2, [7, 7, 2], [
  { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu', padding: 'same' },
  { type: 'averagePooling2d', poolSize: 2 },
  { type: 'dropout', rate: 0.5 },
  { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'linear' },
  { type: 'globalAveragePooling2d' },
  { type: 'dense', units: 3, activation: 'softmax' },
], BATCH, 3);
{
  const r = rng(3);
  pooled.dropoutMasks = [0, 1, 2].map(() => [Float32Array.from({ length: BATCH * DROPPED }, () => (r() < 0.5 ? 0 : 2))]);
}

const models: [string, RefInput][] = [['conv/maxpool/flatten', cnn], ['avgpool/dropout/global-avgpool', pooled]];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(models)('tfjsReference on %s', (_, input) => {
  it('gives gradients that match central finite differences of its loss', async () => {
    const ref = await tfjsReference({ ...input, steps: 0 });
    const lossAt = async (weights: Float32Array[]) => (await tfjsReference({ ...input, weights, steps: 0 })).loss;
    // h = 1e-2 straddles a ReLU/max-pool kink for one of these weights (the gradient jumps from
    // -0.033 to -0.010 within +0.01); at 1e-3 float32 rounding of the loss adds ~6e-5 at most.
    const h = 1e-3;
    let checked = 0;
    for (let wi = 0; wi < input.weights.length; wi++) {
      const n = input.weights[wi]!.length;
      for (const j of new Set([0, Math.floor(n / 2), n - 1])) {
        const shifted = (d: number) => input.weights.map((w, k) => {
          const copy = w.slice();
          if (k === wi) copy[j] = copy[j]! + d;
          return copy;
        });
        const fd = ((await lossAt(shifted(h))) - (await lossAt(shifted(-h)))) / (2 * h);
        const g = ref.gradients[wi]![j]!;
        expect(Math.abs(fd - g), `weight ${wi}[${j}]: fd ${fd}, grad ${g}`).toBeLessThanOrEqual(2e-2 * Math.abs(g) + 2e-4);
        if (Math.abs(g) > 1e-3) checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(6); // the comparison is not vacuous (dead ReLUs etc.)
  });

  it('gives probabilities that are the softmax of its logits and sum to 1, and the mean cross-entropy', async () => {
    const ref = await tfjsReference(input);
    const batch = input.labels.length, classes = ref.logits.length / batch;
    let loss = 0;
    for (let b = 0; b < batch; b++) {
      const z = Array.from(ref.logits.subarray(b * classes, (b + 1) * classes));
      const p = ref.probabilities.subarray(b * classes, (b + 1) * classes);
      expect(p.reduce((a, x) => a + x, 0)).toBeCloseTo(1, 6);
      const max = Math.max(...z), lse = max + Math.log(z.reduce((a, x) => a + Math.exp(x - max), 0));
      z.forEach((x, k) => expect(p[k]).toBeCloseTo(Math.exp(x - lse), 6));
      loss += (lse - z[input.labels[b]!]!) / batch;
    }
    expect(ref.loss).toBeCloseTo(loss, 5);
  });

  it('takes an SGD step of exactly w - lr·g, and momentum steps with the per-step gradients', async () => {
    const lr = 0.1, mu = 0.9;
    const ref = await tfjsReference({ ...input, optimizer: { type: 'sgd', learningRate: lr }, steps: 1 });
    ref.weightsAfter[0]!.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - (input.weights[i]![j]! - lr * ref.gradients[i]![j]!))).toBeLessThanOrEqual(1e-6)));

    for (const nesterov of [false, true]) {
      const mom = await tfjsReference({ ...input, optimizer: { type: 'sgd', learningRate: lr, momentum: mu, nesterov }, steps: 2 });
      // The second step's gradient is at the first step's weights, with the second step's masks.
      const g1 = (await tfjsReference({ ...input, weights: mom.weightsAfter[0]!, dropoutMasks: input.dropoutMasks?.slice(1), steps: 0 })).gradients;
      mom.weightsAfter[1]!.forEach((w, i) => w.forEach((x, j) => {
        const g0 = ref.gradients[i]![j]!, acc = mu * g0 + g1[i]![j]!;
        const w1 = input.weights[i]![j]! - lr * (nesterov ? g0 + mu * g0 : g0);
        expect(Math.abs(mom.weightsAfter[0]![i]![j]! - w1)).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(x - (w1 - lr * (nesterov ? g1[i]![j]! + mu * acc : acc)))).toBeLessThanOrEqual(1e-6);
      }));
    }
  });

  it('takes Keras-form Adam steps, which tf.train.adam matches when ε is tiny', async () => {
    const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-7;
    const keras = await tfjsReference({ ...input, optimizer: { type: 'adam', learningRate: lr }, steps: 3 });
    const alpha = lr * Math.sqrt(1 - b2) / (1 - b1);
    keras.weightsAfter[0]!.forEach((w, i) => w.forEach((x, j) => {
      const g = keras.gradients[i]![j]!, m = (1 - b1) * g, v = (1 - b2) * g * g;
      expect(Math.abs(x - (input.weights[i]![j]! - m * alpha / (Math.sqrt(v) + eps)))).toBeLessThanOrEqual(1e-6);
    }));
    const tiny = { type: 'adam', learningRate: lr, epsilon: 1e-12 } as const;
    const a = await tfjsReference({ ...input, optimizer: tiny, steps: 3, adamImpl: 'keras' });
    const b = await tfjsReference({ ...input, optimizer: tiny, steps: 3, adamImpl: 'tfjs' });
    a.weightsAfter.forEach((step, s) => step.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - b.weightsAfter[s]![i]![j]!)).toBeLessThanOrEqual(1e-5))));
  });

  it('leaves no tensors behind', async () => {
    await tfjsReference({ ...input, optimizer: { type: 'adam', learningRate: 0.01 }, steps: 3 });
    const before = tf.memory().numTensors;
    for (const optimizer of [{ type: 'adam', learningRate: 0.01 }, { type: 'sgd', learningRate: 0.1, momentum: 0.9 }] as const) {
      await tfjsReference({ ...input, optimizer, steps: 3 });
      await tfjsReference({ ...input, optimizer, steps: 2, adamImpl: 'tfjs' });
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('agrees with the same network as a tf.sequential Keras model: predictions, loss and one SGD step', async () => {
  const lr = 0.1;
  const ref = await tfjsReference({ ...cnn, optimizer: { type: 'sgd', learningRate: lr }, steps: 1 });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: cnn.inputShape, filters: 2, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const shapes = model.getWeights().map((w) => w.shape);
  model.setWeights(cnn.weights.map((w, i) => tf.tensor(w, shapes[i])));
  const batch = cnn.labels.length;
  const x = tf.tensor4d(cnn.images, [batch, ...cnn.inputShape]);
  const y = tf.oneHot(tf.tensor1d(cnn.labels, 'int32'), 3).toFloat();
  const p = (model.predict(x) as tf.Tensor).dataSync();
  p.forEach((v, k) => expect(Math.abs(v - ref.probabilities[k]!)).toBeLessThanOrEqual(1e-6));
  model.compile({ optimizer: tf.train.sgd(lr), loss: 'categoricalCrossentropy' });
  const loss = (await model.trainOnBatch(x, y)) as number;
  expect(Math.abs(loss - ref.loss)).toBeLessThanOrEqual(1e-5);
  model.getWeights().forEach((w, i) => w.dataSync().forEach((v, j) => expect(Math.abs(v - ref.weightsAfter[0]![i]![j]!)).toBeLessThanOrEqual(1e-6)));
  tf.dispose([x, y]);
  model.dispose();
});
