// The layers beyond the notebook against TensorFlow.js 4.22, both ways, on real MNIST:
// - cnn-plus ('same' convolutions, batch norms with their moving statistics, activation layers),
//   trained by simdnet and saved, loads with tf.loadLayersModel and predicts the same
//   probabilities on 1,000 test images (within 1e-4);
// - a model with batch normalization, 'same' padding and a stride-2 convolution, built, trained
//   and saved by TF.js itself, scores in `simdnet evaluate` exactly the accuracy TF.js measures.
// TF.js predicts cnn-plus on its wasm backend (XNNPACK: the cpu backend takes minutes for it) and
// trains its own model on the cpu backend (the wasm backend cannot train convolutions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Engine } from '../../src/engine/engine.js';
import { loadDataset, type Dataset } from '../../src/data/resolve.js';
import { modelSpec } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { instantiate } from '../../src/io/inference.js';
import { predictProbabilities } from '../../src/nn/predict.js';
import { fileLoadHandler, fileSaveHandler } from './tfjs-files.js';
import { haveBuild, startCli } from '../train/cli-run.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const haveData = existsSync(join(dataDir, 'mnist'));
const N = 1000;

describe.skipIf(!haveData)('cnn-plus and TF.js-built batch-norm / same / stride-2 models in TensorFlow.js', () => {
  let engine: Engine;
  let mnist: Dataset;
  let images: Float32Array;
  const tmp = mkdtempSync(join(tmpdir(), 'simdnet-tfjs-plus-'));

  beforeAll(async () => {
    setWasmPaths(join(import.meta.dirname, '../../node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
    engine = await Engine.create();
    mnist = await loadDataset('mnist', { dataDir, onProgress: () => {} });
    images = Float32Array.from(mnist.test.images.subarray(0, N * 784), (v) => v / 255);
  }, 60_000);
  afterAll(() => {
    engine?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const largestDifference = (a: Float32Array, b: Float32Array): number => {
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  };

  it('cnn-plus saved by simdnet predicts in TF.js as in simdnet (1e-4 on 1,000 test images)', async () => {
    await tf.setBackend('wasm');
    const dir = join(tmp, 'cnn-plus');
    const result = await train(engine, modelSpec('cnn-plus'), mnist, {
      // Enough steps (560) for the moving statistics (momentum 0.99) to catch up with weights that
      // move fast early on: after one such epoch (280 steps) the test accuracy was still 37%.
      epochs: 2,
      batchSize: 64,
      seed: 0,
      validationSplit: 0.1,
      limit: 20_000,
      onTrained: (model) => saveModel(dir, model, { dataset: 'mnist', classNames: mnist.classNames }),
    });
    expect(result.testAccuracy).toBeGreaterThan(0.9); // trained: its moving statistics have moved

    const tfModel = await tf.loadLayersModel(fileLoadHandler(dir));
    expect(tfModel.layers.map((l) => l.getClassName())).toContain('BatchNormalization');
    const theirs = tf.tidy(() => (tfModel.predict(tf.tensor4d(images, [N, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
    const mark = engine.mark();
    try {
      const ours = predictProbabilities(instantiate(engine, loadModel(dir), 64), images, N);
      const difference = largestDifference(ours, theirs);
      console.log(`cnn-plus: largest |p_simdnet - p_tfjs| over ${N} images x 10 classes = ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-4);
    } finally {
      engine.release(mark);
    }
    tfModel.dispose();
  }, 240_000);

  it.skipIf(!haveBuild)('a model built and trained by TF.js (batch norm, same padding, stride 2) scores its TF.js accuracy in simdnet evaluate', async () => {
    await tf.setBackend('cpu');
    const dir = join(tmp, 'from-tfjs');
    // Seeded initializers, no shuffling and a fast-moving batch norm (momentum 0.9) make this
    // training repeatable and its moving statistics trained ones: with TF.js's unseeded defaults
    // and momentum 0.99, 32 steps left the moving statistics near their initial (0, 1), and the
    // accuracy changed from run to run (one CI run scored 43%).
    const seeded = (seed: number) => ({ kernelInitializer: tf.initializers.glorotUniform({ seed }) });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', strides: 2, ...seeded(1) }),
        tf.layers.batchNormalization({ momentum: 0.9 }),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', ...seeded(2) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', ...seeded(3) }),
        tf.layers.batchNormalization({ momentum: 0.9 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax', ...seeded(4) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const count = 1024;
    const x = tf.tensor4d(Float32Array.from(mnist.train.images.subarray(0, count * 784), (v) => v / 255), [count, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(Array.from(mnist.train.labels.subarray(0, count)), 'int32'), 10);
    await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    await model.save(fileSaveHandler(dir));

    const testCount = mnist.test.count;
    const testImages = tf.tensor4d(Float32Array.from(mnist.test.images, (v) => v / 255), [testCount, 28, 28, 1]);
    const predicted = tf.tidy(() => (model.predict(testImages, { batchSize: 256 }) as tf.Tensor).argMax(-1).dataSync());
    let correct = 0;
    for (let i = 0; i < testCount; i++) if (predicted[i] === mnist.test.labels[i]) correct++;
    const tfjsAccuracy = correct / testCount;
    expect(tfjsAccuracy).toBeGreaterThan(0.5); // it learned: its weights and moving statistics are trained ones

    const evaluated = await startCli(['evaluate', '--model', dir, '--dataset', 'mnist', '--data-dir', dataDir, '--json']);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout.trim().split('\n').at(-1)!);
    expect(report.type).toBe('evaluation');
    console.log(`TF.js-built model: TF.js ${tfjsAccuracy}, simdnet evaluate ${report.accuracy}`);
    expect(report.accuracy).toBe(tfjsAccuracy);
    tf.dispose([x, y, testImages]);
    model.dispose();
  }, 240_000);
});
