// simdnet against a framework nobody here wrote (llm.c's test_gpt2.c, with TensorFlow.js in
// PyTorch's place): from the same initial weights and the same batch, TF.js's own layers (cpu
// backend, float32, test/reference/tfjs-model.ts) and simdnet compute the logits, the loss, every
// parameter's gradient, and the weights after three optimizer steps (each step on the same batch,
// with the dropout masks simdnet drew), for every layer type and for the four notebook models.
//
// Tolerances (float32 summation orders differ, the FMA build rounds once where TF.js rounds twice,
// and Winograd convolution rounds in its transforms): logits 1e-5, loss 1e-5 and gradients 1e-4,
// each relative to the largest magnitude in the tensor; the weight changes after 3 steps 1e-3 in
// relative L2 norm (see normError). Worst measured here (Intel Xeon, both builds, the CNNs by
// Winograd): logits 1.1e-6, loss 9e-8, gradients 2.3e-6, weight changes 9.2e-5 (cnn, FMA).
// SIMDNET_PRINT_ERRORS=1 prints every case's worst.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import { NOTEBOOK_MODELS, modelSpec } from '../../src/nn/models.js';
import { CONSTANT } from '../../src/optim/schedule.js';
import { parseTrainingSpec } from '../../src/nn/model-spec.js';
import { readWeights } from '../../src/nn/weights.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import type { TrainingSpec } from '../../src/nn/spec.js';
import { trainStep } from '../../src/train/loop.js';
import { shapeSize } from '../../src/nn/spec.js';
import { tfjsReference, type RefLayer } from '../reference/tfjs-model.js';
import { syntheticDataset } from '../train/helpers.js';

const TOLERANCE = { logits: 1e-5, loss: 1e-5, gradients: 1e-4, weightChange: 1e-3 };
const STEPS = 3;
const BATCH = 5;

/** Layer cases: each layer type on its own, with shapes that are not multiples of anything. */
const custom = (name: string, inputShape: [number, number, number], layers: unknown[], optimizer?: unknown): TrainingSpec =>
  parseTrainingSpec({ name, inputShape, layers: [...layers, { type: 'dense', units: 7, activation: 'softmax' }], optimizer: optimizer ?? { type: 'adam', learningRate: 0.01 } }, name);

const layerCases: TrainingSpec[] = [
  custom('dense', [3, 4, 2], [{ type: 'flatten' }, { type: 'dense', units: 13, activation: 'relu' }, { type: 'dense', units: 9, activation: 'linear' }]),
  custom('conv2d', [9, 8, 3], [{ type: 'conv2d', filters: 5, kernelSize: 3, activation: 'relu' }, { type: 'conv2d', filters: 18, kernelSize: 2, activation: 'linear' }, { type: 'flatten' }]),
  custom('maxPooling2d', [11, 9, 2], [{ type: 'conv2d', filters: 4, kernelSize: 2, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }]),
  custom('averagePooling2d', [9, 7, 3], [{ type: 'conv2d', filters: 5, kernelSize: 2, activation: 'relu' }, { type: 'averagePooling2d', poolSize: 3, strides: 2 }, { type: 'flatten' }]),
  custom('globalAveragePooling2d', [7, 6, 2], [{ type: 'conv2d', filters: 9, kernelSize: 3, activation: 'relu' }, { type: 'globalAveragePooling2d' }, { type: 'dense', units: 8, activation: 'relu' }]),
  custom('dropout', [2, 3, 5], [{ type: 'flatten' }, { type: 'dense', units: 21, activation: 'relu' }, { type: 'dropout', rate: 0.4 }]),
  custom('pool and dropout folded', [10, 10, 1], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'dropout', rate: 0.3 },
    { type: 'flatten' },
  ]),
  // conv -> batch norm -> ReLU -> pool, Keras's usual block; the moving statistics after each step
  // are compared too. The bias before a batch norm has a gradient of rounding noise, which Adam
  // with ε = 1e-7 turns into steps of ±lr, different in each framework, that move the batch mean
  // and so the moving mean: ε = 1e-3 keeps those steps at 1e-6·lr, and every other step near lr.
  custom('batchNormalization', [9, 8, 3], [
    { type: 'conv2d', filters: 6, kernelSize: 3, activation: 'linear' },
    { type: 'batchNormalization' },
    { type: 'activation', activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
  ], { type: 'adam', learningRate: 0.01, epsilon: 1e-3 }),
  custom('batchNormalization (flat)', [3, 4, 2], [
    { type: 'flatten' },
    { type: 'dense', units: 11, activation: 'linear' },
    { type: 'batchNormalization', momentum: 0.9, epsilon: 0.01 },
    { type: 'activation', activation: 'relu' },
  ], { type: 'adam', learningRate: 0.01, epsilon: 1e-3 }),
  custom('sgd momentum', [4, 4, 2], [{ type: 'conv2d', filters: 6, kernelSize: 3, activation: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 11, activation: 'relu' }], { type: 'sgd', learningRate: 0.1, momentum: 0.9 }),
  custom('sgd nesterov', [5, 3, 1], [{ type: 'flatten' }, { type: 'dense', units: 12, activation: 'relu' }], { type: 'sgd', learningRate: 0.05, momentum: 0.8, nesterov: true }),
];
/** The loss's label smoothing, against TF.js's softmaxCrossEntropy with labelSmoothing. */
layerCases.push({ ...custom('label smoothing 0.1', [4, 3, 2], [{ type: 'flatten' }, { type: 'dense', units: 11, activation: 'relu' }]), loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.1 } });

// Padding 'same' and stride 2: even kernels and sizes (TensorFlow puts the odd zero after the
// image); under 'auto' the 16-channel 'same' layer runs by Winograd and the one-channel one by
// the one-channel kernels (pool fused), each on its zero-padded image.
layerCases.push(
  custom('conv2d same', [9, 8, 3], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'linear', padding: 'same' },
    { type: 'conv2d', filters: 6, kernelSize: 2, activation: 'relu', padding: 'same' },
    { type: 'conv2d', filters: 5, kernelSize: 4, activation: 'linear', padding: 'same', strides: 2 },
    { type: 'flatten' },
  ]),
  custom('conv2d same, one channel, pool', [10, 10, 1], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'conv2d', filters: 4, kernelSize: 5, activation: 'relu', padding: 'same' },
    { type: 'flatten' },
  ]),
  custom('conv2d strides 2', [11, 10, 2], [
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu', strides: 2 },
    { type: 'conv2d', filters: 6, kernelSize: 2, activation: 'linear', padding: 'same', strides: 2 },
    { type: 'flatten' },
  ]),
  custom('conv2d strides 2, same, even input, pool', [8, 8, 4], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same', strides: 2 },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
  ]),
);

interface SimdnetRun {
  initial: Float32Array[];
  /** Per weight tensor (Keras order): trainable, and whether its gradient is zero in exact arithmetic. */
  trainable: boolean[];
  noise: boolean[];
  logits: Float32Array;
  loss: number;
  gradients: Float32Array[];
  weightsAfter: Float32Array[][];
  masks: Float32Array[][];
  images: Float32Array;
  labels: Int32Array;
}

/** Three trainStep calls on one batch, recording what the first computed and the weights after each. */
function simdnetRun(engine: Engine, spec: TrainingSpec, seed: number): SimdnetRun {
  const mark = engine.mark();
  try {
    const [h, w, c] = spec.inputShape;
    const pixels = h * w * c;
    const data = syntheticImages(pixels, spec.layers.at(-1)!.type === 'dense' ? (spec.layers.at(-1) as { units: number }).units : 10, seed);
    const model = new Sequential(engine, spec, { maxBatch: BATCH, seed });
    const optimizer = new Optimizer(spec.optimizer, engine, { kernels: model.kernels, params: model.params, grads: model.grads, count: model.paramFloats });
    const resident = { images: engine.storeU8(data.images), labels: engine.storeU8(data.labels) };
    const order = Int32Array.from({ length: BATCH }, (_, i) => i);
    const initial = readWeights(model);
    const context = { model, optimizer, spec, data: resident, stepsPerEpoch: 1, totalSteps: STEPS };
    const dropouts = model.layers.filter((l) => l.spec.type === 'dropout') as unknown as { maskPtr: number; inputShape: number[] }[];
    const run: Partial<SimdnetRun> = { initial, weightsAfter: [], masks: [], trainable: model.slots.map((s) => s.trainable), noise: model.slots.map((s) => biasBeforeNormalization(spec, s.layer, s.index)) };
    for (let step = 0; step < STEPS; step++) {
      const { loss } = trainStep(context, order, 0, BATCH);
      run.masks!.push(dropouts.map((d) => engine.f32(d.maskPtr, BATCH * shapeSize(d.inputShape)).slice()));
      if (step === 0) {
        run.logits = engine.f32(model.logits, BATCH * model.classes).slice();
        run.loss = loss / BATCH;
        run.gradients = model.slots.filter((s) => s.trainable).map((s) => engine.f32(model.grads + s.offset * 4, s.size).slice());
      }
      run.weightsAfter!.push(readWeights(model));
    }
    // The batch exactly as the model saw it: bytes scaled by the f32 of 1/255, as gatherImages does.
    run.images = Float32Array.from(data.images, (b) => b * Math.fround(1 / 255));
    run.labels = Int32Array.from(data.labels);
    return run as SimdnetRun;
  } finally {
    engine.release(mark);
  }
}

/** The bias of a linear layer right before batch normalization, which subtracts it away again. */
function biasBeforeNormalization(spec: TrainingSpec, layer: number, index: number): boolean {
  const here = spec.layers[layer] as { activation?: string };
  return index === 1 && here.activation === 'linear' && spec.layers[layer + 1]?.type === 'batchNormalization';
}

const maxAbs = (t: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < t.length; i++) m = Math.max(m, Math.abs(t[i]));
  return m;
};

function syntheticImages(pixels: number, classes: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  if (pixels === 784) {
    const d = syntheticDataset(BATCH, 1).train;
    return { images: d.images, labels: Uint8Array.from(d.labels, (l) => l % classes) };
  }
  let x = seed + 17;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  return { images: Uint8Array.from({ length: BATCH * pixels }, () => next() >>> 24), labels: Uint8Array.from({ length: BATCH }, (_, i) => (i * 3) % classes) };
}

/**
 * ‖got - want‖₂ / ‖want‖₂: for the weight changes, where Adam divides each element by its own
 * √v, so an element whose gradient is near zero (within the summation-order noise of the
 * gradient) may move by up to ±lr in either framework; the norm weighs such elements as what they
 * are, a few among thousands.
 */
function normError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    diff += (got[i] - want[i]) ** 2;
    norm += want[i] ** 2;
  }
  return Math.sqrt(diff / Math.max(norm, 1e-30));
}

/** max |got - want| over max |want|, with `floor` as the smallest scale (an all-zero tensor). */
function relativeError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-12): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let scale = floor;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / scale;
}

async function compare(engine: Engine, spec: TrainingSpec): Promise<Record<string, number>> {
  const mine = simdnetRun(engine, spec, 3);
  const theirs = await tfjsReference({
    inputShape: spec.inputShape,
    layers: spec.layers as RefLayer[],
    weights: mine.initial,
    images: mine.images,
    labels: mine.labels,
    dropoutMasks: mine.masks,
    optimizer: spec.optimizer.type === 'sgd' ? spec.optimizer : { ...spec.optimizer, type: 'adam' },
    steps: STEPS,
    labelSmoothing: spec.loss.labelSmoothing,
  });
  expect(mine.gradients.some((g) => g.some((x) => Math.abs(x) > 1e-6)), 'some gradient is not zero').toBe(true);
  const worst = { logits: relativeError(mine.logits, theirs.logits), loss: Math.abs(mine.loss - theirs.loss) / theirs.loss, gradients: 0, weightChange: 0 };
  // A gradient that is zero in exact arithmetic is rounding noise in both frameworks: it is
  // measured against the model's largest gradient instead of its own, and the weight it moves
  // (by Adam's ±lr per step, either way) is left out of the weight changes.
  const noise = mine.noise.filter((_, i) => mine.trainable[i]);
  const largest = Math.max(...theirs.gradients.map((g) => maxAbs(g)));
  mine.gradients.forEach((g, i) => {
    const error = noise[i] ? Math.max(maxAbs(g), maxAbs(theirs.gradients[i])) / largest : relativeError(g, theirs.gradients[i]);
    worst.gradients = Math.max(worst.gradients, error);
  });
  for (let s = 0; s < STEPS; s++) {
    mine.weightsAfter[s].forEach((w, i) => {
      if (mine.noise[i]) return;
      const change = (after: Float32Array) => Float64Array.from(after, (v, j) => v - mine.initial[i][j]);
      worst.weightChange = Math.max(worst.weightChange, normError(change(w), change(theirs.weightsAfter[s][i])));
    });
  }
  return worst;
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

for (const fma of ['on', 'off'] as const) {
  describe(`simdnet against TensorFlow.js (fma ${fma})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await Engine.create({ fma });
      engines.push(engine);
    });

    const check = async (spec: TrainingSpec) => {
      const worst = await compare(engine, spec);
      for (const key of Object.keys(TOLERANCE) as (keyof typeof TOLERANCE)[]) expect(worst[key], `${spec.name}: ${key}`).toBeLessThanOrEqual(TOLERANCE[key]);
      if (process.env.SIMDNET_PRINT_ERRORS) console.log(`fma ${fma} ${spec.name}: ${JSON.stringify(worst)}`);
    };

    for (const spec of layerCases) it(`layer case: ${spec.name}`, () => check(spec), 30_000);
    for (const name of NOTEBOOK_MODELS) it(`model: ${name}`, () => check(modelSpec(name)), 120_000);
    // cnn-plus as it trains, but for its augmentation (TF.js would train on the images unshifted)
    // and its schedule (the TF.js side steps at the optimizer's rate; scheduledRate has tests of
    // its own): 'same' convolutions, batch norms and their moving statistics, label smoothing.
    // Adam's epsilon 1e-3 as in the batch-norm layer cases: a conv bias before a batch norm has a
    // gradient of pure rounding noise, which epsilon 1e-7 would turn into ±lr steps that differ
    // between the frameworks and move the moving means apart.
    const plus = modelSpec('cnn-plus');
    it('model: cnn-plus (without augmentation, constant rate)', () => check({ ...plus, augmentation: undefined, schedule: CONSTANT, optimizer: { ...plus.optimizer, epsilon: 1e-3 } } as TrainingSpec), 180_000);
  });
}

describe('the comparison can fail', () => {
  it('weight changes off by 1% are caught', () => {
    const want = Float32Array.from({ length: 50 }, (_, i) => Math.cos(i));
    expect(normError(want.map((x) => x * 1.01), want)).toBeGreaterThan(TOLERANCE.weightChange);
  });

  it('a gradient off by 1e-3 of its scale is caught', () => {
    const want = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
    const got = want.slice();
    got[17] += 1e-3;
    expect(relativeError(got, want)).toBeGreaterThan(TOLERANCE.gradients);
  });
});
