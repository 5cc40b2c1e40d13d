// Softmax cross-entropy with label smoothing (assembly/label-smoothing.ts): against the scalar
// reference on awkward shapes, a central-difference check of its gradient, TF.js's
// tf.losses.softmaxCrossEntropy(…, labelSmoothing) on the same logits, and ε = 0 giving the plain
// kernels' bits.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/augment.js';
import { BUILDS, createEngine, expectClose, placeF32, placeI32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 10],
  [7, 3],
  [13, 7],
  [64, 10],
];

for (const build of BUILDS) {
  describe(`label smoothing (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    /** The kernels' loss, probs and dlogits (scale 1/rows) for one batch. */
    const kernels = (logits: Float32Array, labels: Int32Array, rows: number, classes: number, smoothing: number) => {
      const mark = engine.mark();
      try {
        const k = engine.kernels;
        const n = rows * classes;
        const logitsPtr = placeF32(engine, logits, 1);
        const labelsPtr = placeI32(engine, labels, 3);
        const probsPtr = reserveAt(engine, n, 2);
        const dPtr = placeF32(engine, randomF32(n, seeded(1)), 1); // overwritten
        const loss = k.softmaxCrossEntropySmoothedForward(logitsPtr, labelsPtr, probsPtr, rows, classes, smoothing);
        k.softmaxCrossEntropySmoothedBackward(probsPtr, labelsPtr, dPtr, rows, classes, smoothing, 1 / rows);
        const probs = engine.f32(probsPtr, n).slice();
        const dlogits = engine.f32(dPtr, n).slice();
        // The plain kernels on the same batch, for ε = 0.
        const plainLoss = k.softmaxCrossEntropyForward(logitsPtr, labelsPtr, probsPtr, rows, classes);
        k.softmaxCrossEntropyBackward(probsPtr, labelsPtr, dPtr, rows, classes, 1 / rows);
        return { loss, probs, dlogits, plainLoss, plainProbs: engine.f32(probsPtr, n).slice(), plainD: engine.f32(dPtr, n).slice() };
      } finally {
        engine.release(mark);
      }
    };

    const batchOf = (rows: number, classes: number) => {
      const rand = seeded(rows * 31 + classes);
      return { logits: randomF32(rows * classes, rand, -5, 5), labels: Int32Array.from({ length: rows }, () => Math.floor(rand() * classes)) };
    };

    for (const [rows, classes] of SHAPES) {
      for (const smoothing of [0.1, 0.37]) {
        it(`forward and backward ${rows}x${classes}, ε ${smoothing}`, () => {
          const { logits, labels } = batchOf(rows, classes);
          const got = kernels(logits, labels, rows, classes, smoothing);
          const probs = new Float32Array(rows * classes);
          const want = ref.smoothedCrossEntropyForward(logits, labels, probs, rows, classes, smoothing);
          expect(Math.abs(got.loss - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want) + 1e-9);
          expect(got.probs).toEqual(got.plainProbs); // the softmax is the plain kernel's
          expectClose(got.probs, probs, 1e-6, 1e-9, 'probs');
          const dlogits = new Float32Array(rows * classes);
          ref.smoothedCrossEntropyBackward(got.probs, labels, dlogits, rows, classes, smoothing, 1 / rows);
          expectClose(got.dlogits, dlogits, 0, 0, 'dlogits');
        });
      }
    }

    it('ε = 0 gives the plain kernels\' loss and gradient bit for bit', () => {
      const { logits, labels } = batchOf(13, 7);
      const got = kernels(logits, labels, 13, 7, 0);
      expect(got.loss).toBe(got.plainLoss);
      expectClose(got.dlogits, got.plainD, 0, 0, 'dlogits');
    });

    it('the gradient is the loss\'s (central differences), and a wrong ε is caught', () => {
      const [rows, classes, smoothing] = [5, 7, 0.2];
      const { logits, labels } = batchOf(rows, classes);
      const { dlogits } = kernels(logits, labels, rows, classes, smoothing);
      const h = 1e-3;
      let worst = 0;
      for (let i = 0; i < logits.length; i++) {
        const x = logits.slice();
        x[i] = logits[i] + h;
        const up = Math.fround(x[i]);
        const plus = kernels(x, labels, rows, classes, smoothing).loss / rows;
        x[i] = logits[i] - h;
        const down = Math.fround(x[i]);
        const minus = kernels(x, labels, rows, classes, smoothing).loss / rows;
        worst = Math.max(worst, Math.abs((plus - minus) / (up - down) - dlogits[i]));
      }
      expect(worst).toBeLessThan(1e-5);
      const wrong = kernels(logits, labels, rows, classes, 0.25).dlogits;
      expect(Math.max(...wrong.map((g, i) => Math.abs(g - dlogits[i])))).toBeGreaterThan(1e-3);
    });

    it('matches tf.losses.softmaxCrossEntropy with labelSmoothing (loss and gradient)', async () => {
      if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
      const [rows, classes, smoothing] = [9, 10, 0.1];
      const { logits, labels } = batchOf(rows, classes);
      const got = kernels(logits, labels, rows, classes, smoothing);
      const z = tf.tensor2d(logits, [rows, classes]);
      const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat();
      const lossOf = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, x, undefined, smoothing, tf.Reduction.MEAN) as tf.Scalar;
      const { value, grad } = tf.valueAndGrad(lossOf)(z);
      const loss = value.dataSync()[0];
      const gradient = grad.dataSync() as Float32Array;
      expect(Math.abs(got.loss / rows - loss) / loss).toBeLessThan(1e-6);
      expectClose(got.dlogits, gradient, 0, 1e-7, 'dlogits vs TF.js');
      // Unsmoothed TF.js is far off: the check sees ε.
      const plain = (tf.losses.softmaxCrossEntropy(onehot, z, undefined, 0, tf.Reduction.MEAN) as tf.Scalar).dataSync()[0];
      expect(Math.abs(got.loss / rows - plain)).toBeGreaterThan(1e-3);
      tf.dispose([z, onehot, value, grad]);
    });
  });
}
