// Saved models against TensorFlow.js (cpu backend): a trained cnn and mlp, saved by simdnet, load
// with tf.loadLayersModel and give the same probabilities on 1,000 test images; loaded back into
// simdnet they score exactly the test accuracy the trainer measured. And a model built and saved
// by tfjs itself loads into simdnet. Needs the real MNIST (SIMDNET_DATA).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Engine } from '../../src/engine/engine.js';
import { loadDataset, type Dataset } from '../../src/data/resolve.js';
import { modelSpec } from '../../src/nn/models.js';
import { train } from '../../src/train/trainer.js';
import { evaluate } from '../../src/train/evaluate.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { instantiate } from '../../src/io/inference.js';
import { predictProbabilities } from '../../src/nn/predict.js';
import { fileLoadHandler, fileSaveHandler } from './tfjs-files.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const haveData = existsSync(join(dataDir, 'mnist'));
const N = 1000;

describe.skipIf(!haveData)('saved models in TensorFlow.js', () => {
  let engine: Engine;
  let mnist: Dataset;
  let images: Float32Array;
  const tmp = mkdtempSync(join(tmpdir(), 'simdnet-tfjs-'));

  beforeAll(async () => {
    await tf.setBackend('cpu');
    engine = await Engine.create();
    mnist = await loadDataset('mnist', { dataDir, onProgress: () => {} });
    images = Float32Array.from(mnist.test.images.subarray(0, N * 784), (v) => v / 255);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** simdnet's probabilities for the first N test images, and its accuracy on all 10,000. */
  function simdnetOn(dir: string): { probs: Float32Array; accuracy: number } {
    const mark = engine.mark();
    try {
      const model = instantiate(engine, loadModel(dir), 64);
      const probs = predictProbabilities(model, images, N);
      const count = mnist.test.count;
      const data = { images: engine.storeU8(mnist.test.images), labels: engine.storeU8(mnist.test.labels), count };
      const accuracy = evaluate(model, data, Int32Array.from({ length: count }, (_, i) => i)).accuracy;
      return { probs, accuracy };
    } finally {
      engine.release(mark);
    }
  }

  function tfjsOn(model: tf.LayersModel, count = N): Float32Array {
    return tf.tidy(() => (model.predict(tf.tensor4d(images.subarray(0, count * 784), [count, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array);
  }

  function argmaxes(probs: Float32Array, count: number): number[] {
    return Array.from({ length: count }, (_, i) => {
      const row = probs.subarray(i * 10, i * 10 + 10);
      return row.indexOf(Math.max(...row));
    });
  }

  function maxAbsDiff(a: Float32Array, b: Float32Array): number {
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    return worst;
  }

  for (const name of ['cnn', 'mlp']) {
    it(`${name}: saved by simdnet, same predictions in tfjs (1e-4) and the same accuracy back in simdnet`, async () => {
      const dir = join(tmp, name);
      const spec = modelSpec(name);
      const result = await train(engine, spec, mnist, {
        epochs: 1,
        batchSize: 64,
        seed: 1,
        validationSplit: 0.1,
        limit: 2000,
        onTrained: (model) => saveModel(dir, model, { dataset: 'mnist', classNames: mnist.classNames }),
      });
      expect(result.testAccuracy).toBeGreaterThan(0.5); // it learned something worth comparing

      const tfModel = await tf.loadLayersModel(fileLoadHandler(dir));
      expect(tfModel.inputs[0].shape).toEqual([null, 28, 28, 1]);
      const theirs = tfjsOn(tfModel);
      const t0 = performance.now();
      const ours = simdnetOn(dir);
      const diff = maxAbsDiff(ours.probs, theirs);
      console.log(`${name}: largest |p_simdnet - p_tfjs| over ${N} images x 10 classes = ${diff.toExponential(2)}; simdnet load+predict+evaluate ${(performance.now() - t0).toFixed(0)} ms`);
      expect(diff).toBeLessThan(1e-4);
      expect(argmaxes(ours.probs, N)).toEqual(argmaxes(theirs, N));
      expect(ours.accuracy).toBe(result.testAccuracy);
      tfModel.dispose();
    }, 60_000);
  }

  it('loads a cnn built and saved by tfjs (its own layer names and weight file)', async () => {
    const dir = join(tmp, 'from-tfjs');
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', biasInitializer: 'randomNormal' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 32, activation: 'relu', biasInitializer: 'randomNormal' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    await model.save(fileSaveHandler(dir));
    const loaded = loadModel(dir);
    expect(loaded.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'maxPooling2d', 'dropout', 'flatten', 'dense', 'dense']);
    const ours = simdnetOn(dir);
    const theirs = tfjsOn(model);
    expect(maxAbsDiff(ours.probs, theirs)).toBeLessThan(1e-4);
    model.dispose();
  }, 60_000);
});
