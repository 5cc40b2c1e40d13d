// Batch normalization and Activation as layers of a model: training passes normalize by the
// batch and move the moving statistics, evaluation passes use the moving ones and move nothing;
// the statistics survive a save and load (simdnet's and TF.js's), a checkpoint and resume; any
// thread count trains to the same bits; bad specs and Keras configs are refused in one line; a
// linear conv's inference passes with the batch norm (and ReLU and pool) folded in agree with the
// unfolded ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Engine } from '../../src/engine/engine.js';
import { SimdnetError } from '../../src/engine/errors.js';
import { Sequential } from '../../src/nn/sequential.js';
import { parseModelSpec, parseTrainingSpec } from '../../src/nn/model-spec.js';
import { readWeights, writeWeights } from '../../src/nn/weights.js';
import { Optimizer } from '../../src/optim/optimizer.js';
import { trainStep } from '../../src/train/loop.js';
import { train } from '../../src/train/trainer.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { instantiate } from '../../src/io/inference.js';
import { fromKerasTopology, toKerasTopology } from '../../src/io/keras-topology.js';
import { predictProbabilities } from '../../src/nn/predict.js';
import type { TrainingSpec } from '../../src/nn/spec.js';
import { Random } from '../../src/util/random.js';
import { batchNormInferenceRef, batchNormTrainingRef } from '../reference/batch-norm.js';
import { syntheticDataset } from '../train/helpers.js';
import { fileLoadHandler, fileSaveHandler } from '../io/tfjs-files.js';

/** conv (linear) -> batch norm -> ReLU -> pool: the block the layers exist for, on MNIST's shape. */
const cnnSpec = (filters: number): TrainingSpec =>
  parseTrainingSpec(
    {
      name: 'bn-cnn',
      inputShape: [28, 28, 1],
      layers: [
        { type: 'conv2d', filters, kernelSize: 3, activation: 'linear' },
        { type: 'batchNormalization' },
        { type: 'activation', activation: 'relu' },
        { type: 'maxPooling2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 16, activation: 'linear' },
        { type: 'batchNormalization', momentum: 0.9 },
        { type: 'activation', activation: 'relu' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      optimizer: { type: 'adam', learningRate: 0.01 },
    },
    'test',
  );

const engines: Engine[] = [];
async function engineWith(options: Parameters<typeof Engine.create>[0] = {}): Promise<Engine> {
  const e = await Engine.create(options);
  engines.push(e);
  return e;
}
afterAll(() => engines.forEach((e) => e.close()));

const data = syntheticDataset(96, 64);

/** `steps` training steps on the first `batch` synthetic images; returns the model and what it saw. */
function trained(engine: Engine, spec: TrainingSpec, steps: number, batch = 8): Sequential {
  const model = new Sequential(engine, spec, { maxBatch: batch, seed: 3 });
  const optimizer = new Optimizer(spec.optimizer, engine, { kernels: model.kernels, params: model.params, grads: model.grads, count: model.paramFloats });
  const resident = { images: engine.storeU8(data.train.images), labels: engine.storeU8(data.train.labels) };
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  for (let s = 0; s < steps; s++) trainStep({ model, optimizer, spec, data: resident, stepsPerEpoch: steps, totalSteps: steps }, order, 0, batch);
  return model;
}

describe('batch normalization in a model', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await engineWith();
  });

  it('a training pass normalizes by the batch and moves the moving statistics; an evaluation pass uses them and moves nothing', () => {
    const spec = parseModelSpec({ name: 'bn-first', inputShape: [5, 7, 3], layers: [{ type: 'batchNormalization', momentum: 0.8 }, { type: 'flatten' }, { type: 'dense', units: 4, activation: 'softmax' }] }, 'test');
    const mark = engine.mark();
    const batch = 3;
    const model = new Sequential(engine, spec, { maxBatch: batch, seed: 1 });
    const random = new Random(4);
    const x = engine.f32(model.input, batch * model.inputSize);
    for (let i = 0; i < x.length; i++) x[i] = random.next() * 4 - 1 + (i % 3);
    const input = x.slice();
    const [gamma, beta, movingMean, movingVariance] = readWeights(model);
    gamma.set([0.5, 2, -1]);
    beta.set([0.1, -0.2, 0.3]);
    movingMean.set([0.4, 0.9, 2.1]);
    movingVariance.set([1.5, 0.7, 1.1]);
    writeWeights(model, [gamma, beta, movingMean, movingVariance, ...readWeights(model).slice(4)]);
    const bnOutput = () => engine.f32((model.layers[0] as unknown as { context: { output: number } }).context.output, batch * model.inputSize).slice();
    const rows = batch * 5 * 7;
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => {
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]), `${what}[${i}]`).toBeLessThan(2e-5 * (1 + Math.abs(want[i])));
    };

    model.forward(batch, false);
    close(bnOutput(), batchNormInferenceRef(input, gamma, beta, movingMean, movingVariance, rows, 3, Math.fround(1e-3)), 'evaluation output');
    expect(readWeights(model).slice(2, 4)).toEqual([movingMean, movingVariance]);

    model.forward(batch, true);
    const want = batchNormTrainingRef(input, gamma, beta, movingMean, movingVariance, rows, 3, Math.fround(1e-3), 0.8);
    close(bnOutput(), want.y, 'training output');
    const [, , mm, mv] = readWeights(model);
    close(mm, want.movingMean, 'moving mean');
    close(mv, want.movingVariance, 'moving variance');
    expect(Array.from(mm)).not.toEqual(Array.from(movingMean));
    engine.release(mark);
  });

  it('a trained model saved and loaded keeps its moving statistics, and TF.js predicts what simdnet predicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-bn-'));
    const mark = engine.mark();
    try {
      const model = trained(engine, cnnSpec(8), 4);
      const weights = readWeights(model);
      // Four steps at momentum 0.99 from (0, 1): far from the initial values, so a lost block shows.
      expect(weights[4].some((v) => v !== 0) && weights[5].some((v) => v !== 1)).toBe(true);
      saveModel(dir, model);
      const loaded = loadModel(dir);
      expect(loaded.weights.map((w) => w.shape.name)).toContain('batch_normalization_1/moving_mean');
      const copy = instantiate(engine, loaded, 16);
      expect(readWeights(copy)).toEqual(weights);
      const images = data.test.images.subarray(0, 16 * 784);
      const ours = predictProbabilities(model, images, 16);
      expect(predictProbabilities(copy, images, 16)).toEqual(ours);

      if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
      const theirs = await tf.loadLayersModel(fileLoadHandler(dir));
      const probs = tf.tidy(() => (theirs.predict(tf.tensor4d(Float32Array.from(images, (v) => v / 255), [16, 28, 28, 1])) as tf.Tensor).dataSync());
      // And back: TF.js's own files (trainable weights first, then the moving statistics) load by name.
      await theirs.save(fileSaveHandler(join(dir, 'tfjs')));
      theirs.dispose();
      expect(readWeights(instantiate(engine, loadModel(join(dir, 'tfjs')), 4))).toEqual(weights);
      let worst = 0;
      for (let i = 0; i < probs.length; i++) worst = Math.max(worst, Math.abs(probs[i] - ours[i]));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      engine.release(mark);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a run resumed from its checkpoint ends with the moving statistics of an uninterrupted one', async () => {
    const spec = parseTrainingSpec(
      {
        name: 'bn-mlp',
        inputShape: [28, 28, 1],
        layers: [{ type: 'flatten' }, { type: 'dense', units: 24, activation: 'linear' }, { type: 'batchNormalization' }, { type: 'activation', activation: 'relu' }, { type: 'dense', units: 10, activation: 'softmax' }],
      },
      'test',
    );
    const run = async (options: Record<string, unknown>) => {
      let state = new Float32Array(0);
      const result = await train(engine, spec, data, { epochs: 3, batchSize: 16, seed: 5, validationSplit: 0.25, ...options, onTrained: (m) => (state = engine.f32(m.state, m.stateFloats).slice()) });
      return { result, state };
    };
    const reference = await run({});
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-bn-resume-'));
    await run({ epochs: 1, checkpointDir: dir });
    const checkpoint = readCheckpoint(dir)!;
    expect(checkpoint.layerState.some((v) => v !== 0 && v !== 1)).toBe(true);
    const resumed = await run({ checkpointDir: dir, resume: checkpoint });
    expect(resumed.state).toEqual(reference.state);
    // Validation and test passes normalize by the moving statistics: their numbers agree too.
    expect(resumed.result.testAccuracy).toBe(reference.result.testAccuracy);
    expect(resumed.result.history.map((h) => h.valLoss)).toEqual(reference.result.history.map((h) => h.valLoss));
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

for (const fma of ['off', 'on'] as const) {
  describe(`batch normalization on threads (fma ${fma})`, () => {
    it('training steps on 1 and 2 threads give the same weights and moving statistics, bit for bit', async () => {
      // 32 filters at 26x26 and batch 8: the convolutions and GEMMs around the (unsplit) batch norms split.
      const results = await Promise.all(
        [1, 2].map(async (threads) => {
          const e = await engineWith({ threads, fma, shared: true });
          // Every split job runs split, even while other processes hold the cores.
          if (e.pool) (e.pool as unknown as { takeSoloJob: () => boolean }).takeSoloJob = () => false;
          const model = trained(e, cnnSpec(32), 3);
          return { params: e.f32(model.params, model.paramFloats).slice(), state: e.f32(model.state, model.stateFloats).slice() };
        }),
      );
      expect(results[1].params).toEqual(results[0].params);
      expect(results[1].state).toEqual(results[0].state);
    }, 60_000);
  });
}

describe('batchNormalization and activation specs', () => {
  const build = (layer: Record<string, unknown>) => () =>
    parseModelSpec({ name: 'm', inputShape: [4, 4, 2], layers: [layer, { type: 'flatten' }, { type: 'dense', units: 3, activation: 'softmax' }] }, 'spec.json');
  const refused = (layer: Record<string, unknown>, pattern: RegExp) => {
    expect(build(layer)).toThrow(SimdnetError);
    expect(build(layer)).toThrow(pattern);
  };

  it('fills in Keras\'s defaults and refuses bad fields in one line naming the layer and field', () => {
    expect(build({ type: 'batchNormalization' })().layers[0]).toEqual({ type: 'batchNormalization', momentum: 0.99, epsilon: 0.001 });
    refused({ type: 'batchNormalization', momentum: 1.5 }, /layer 0 \(batchNormalization\): momentum must be a number in \[0, 1\], got 1.5$/);
    refused({ type: 'batchNormalization', epsilon: 0 }, /layer 0 \(batchNormalization\): epsilon must be a number in \[1e-30, 1\], got 0$/);
    refused({ type: 'batchNormalization', axis: 1 }, /unknown field 'axis' \(expected momentum, epsilon\)$/);
    refused({ type: 'activation', activation: 'tanh' }, /layer 0 \(activation\): activation must be one of relu, linear, got "tanh"$/);
    refused({ type: 'activation', activation: 'softmax' }, /activation "softmax" is only supported as the last Dense layer's activation/);
    refused({ type: 'activation' }, /activation must be one of relu, linear, got undefined$/);
  });

  it('refuses Keras configs it cannot run: another axis, no center or scale, renorm, regularizers', () => {
    const spec = build({ type: 'batchNormalization' })();
    const topology = toKerasTopology(spec);
    const withConfig = (changes: Record<string, unknown>) => {
      const copy = structuredClone(topology);
      Object.assign(copy.config.layers[0].config, changes);
      return () => fromKerasTopology(copy, 'model.json');
    };
    expect(withConfig({ axis: [3] })().spec.layers[0]).toEqual(spec.layers[0]);
    for (const [changes, pattern] of [
      [{ axis: 1 }, /layer 0 \(BatchNormalization 'batch_normalization_1'\): axis 1 is not supported \(simdnet supports -1 or \[-1\] or 3 or \[3\]\)$/],
      [{ center: false }, /center false is not supported/],
      [{ scale: false }, /scale false is not supported/],
      [{ renorm: true }, /renorm true is not supported/],
      [{ gamma_regularizer: { class_name: 'L2', config: { l2: 0.01 } } }, /gamma_regularizer .* is not supported \(simdnet supports null\)$/],
    ] as const) {
      expect(withConfig(changes)).toThrow(SimdnetError);
      expect(withConfig(changes)).toThrow(pattern);
    }
  });
});

// A linear conv takes over a batch norm's inference passes, with the ReLU and 2x2 max pool after
// it (batch-norm-fold.ts). The same model with a linear Activation between the conv and the batch
// norm folds nothing: its logits are the unfolded passes' to compare with.
const foldCases: { name: string; input: [number, number, number]; conv: Record<string, unknown>; after: Record<string, unknown>[]; convolution?: 'winograd' }[] = [
  { name: 'direct, ReLU and pool inline', input: [10, 10, 3], conv: { filters: 5, kernelSize: 3 }, after: [{ type: 'activation', activation: 'relu' }, { type: 'maxPooling2d' }] },
  { name: 'direct, odd output (pool not inline)', input: [9, 10, 2], conv: { filters: 6, kernelSize: 2 }, after: [{ type: 'activation', activation: 'relu' }, { type: 'maxPooling2d' }] },
  { name: 'one-channel, pool inline without a ReLU', input: [12, 12, 1], conv: { filters: 16, kernelSize: 3 }, after: [{ type: 'maxPooling2d' }] },
  { name: 'one-channel, ReLU and pool inline', input: [12, 12, 1], conv: { filters: 16, kernelSize: 3 }, after: [{ type: 'activation', activation: 'relu' }, { type: 'maxPooling2d' }] },
  { name: 'Winograd, ReLU', input: [10, 10, 4], conv: { filters: 8, kernelSize: 3 }, after: [{ type: 'activation', activation: 'relu' }], convolution: 'winograd' },
  { name: 'direct, batch norm alone', input: [6, 7, 3], conv: { filters: 7, kernelSize: 3 }, after: [] },
];

for (const fma of ['off', 'on'] as const) {
  describe(`batch norm folded into the conv at inference (fma ${fma})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await engineWith({ fma });
    });

    for (const c of foldCases) {
      it(c.name, () => {
        const layers = (unfolded: boolean) => [
          { type: 'conv2d', activation: 'linear', ...c.conv },
          ...(unfolded ? [{ type: 'activation', activation: 'linear' }] : []),
          { type: 'batchNormalization' },
          ...c.after,
          { type: 'flatten' },
          { type: 'dense', units: 5, activation: 'softmax' },
        ];
        const batch = 3;
        const mark = engine.mark();
        const [folded, unfolded] = [false, true].map((u) => new Sequential(engine, parseModelSpec({ name: 'fold', inputShape: c.input, layers: layers(u) }, 'test'), { maxBatch: batch, seed: 2, training: false, convolution: c.convolution ?? 'auto' }));
        const random = new Random(8);
        // Conv bias, gamma, beta, moving mean and variance: none at its initial value.
        const base = [0, -1, 0.5, -1, -1, 0.2];
        const weights = readWeights(folded).map((w, i) => (i >= 1 && i < 6 ? w.map(() => base[i] + random.next() * (i === 2 ? 1 : 2)) : w));
        writeWeights(folded, weights);
        writeWeights(unfolded, weights);
        const x = Float32Array.from({ length: batch * folded.inputSize }, () => random.next());
        const logits = [folded, unfolded].map((m) => {
          engine.f32(m.input, x.length).set(x);
          m.forward(batch, false);
          return engine.f32(m.logits, batch * m.classes).slice();
        });
        const scale = Math.max(...logits[1].map(Math.abs));
        logits[0].forEach((v, i) => expect(Math.abs(v - logits[1][i]), `logit ${i}`).toBeLessThanOrEqual(1e-5 * scale));
        expect((folded.layers[1] as unknown as { inferenceFolded: boolean }).inferenceFolded).toBe(true);
        expect((unfolded.layers[2] as unknown as { inferenceFolded: boolean }).inferenceFolded).toBe(false);
        engine.release(mark);
      });
    }
  });
}
