import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, placeI32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

const SHAPES: [number, number][] = [
  [1, 1],
  [7, 3],
  [5, 10],
  [13, 7],
  [64, 10],
];

for (const build of BUILDS) {
  describe(`softmax cross-entropy (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const [rows, classes] of SHAPES) {
      it(`forward, backward and countCorrect ${rows}x${classes}`, () => {
        const mark = engine.mark();
        const rand = seeded(rows * 31 + classes);
        const n = rows * classes;
        const logits = randomF32(n, rand, -5, 5);
        const labels = Int32Array.from({ length: rows }, () => Math.floor(rand() * classes));
        const k = engine.kernels;
        const logitsPtr = placeF32(engine, logits, 1);
        const labelsPtr = placeI32(engine, labels, 3);
        const probsPtr = reserveAt(engine, n, 2);
        const loss = k.softmaxCrossEntropyForward(logitsPtr, labelsPtr, probsPtr, rows, classes);
        const probs = new Float32Array(n);
        const lossWant = ref.softmaxCrossEntropyForward(logits, labels, probs, rows, classes);
        expect(Math.abs(loss - lossWant)).toBeLessThanOrEqual(1e-6 * Math.abs(lossWant) + 1e-9);
        expectClose(engine.f32(probsPtr, n), probs, 1e-6, 1e-9, 'probs');

        const scale = 1 / rows;
        const dlogitsPtr = placeF32(engine, randomF32(n, rand), 1); // overwritten, not accumulated
        k.softmaxCrossEntropyBackward(probsPtr, labelsPtr, dlogitsPtr, rows, classes, scale);
        const dlogits = new Float32Array(n);
        ref.softmaxCrossEntropyBackward(engine.f32(probsPtr, n), labels, dlogits, rows, classes, Math.fround(scale));
        expectClose(engine.f32(dlogitsPtr, n), dlogits, 1e-6, 0, 'dlogits');

        expect(k.countCorrect(logitsPtr, labelsPtr, rows, classes)).toBe(ref.countCorrect(logits, labels, rows, classes));
        expect(k.countCorrect(probsPtr, labelsPtr, rows, classes)).toBe(ref.countCorrect(logits, labels, rows, classes));
        engine.release(mark);
      });
    }

    it('stays finite with logits of ±1000 and probabilities sum to 1', () => {
      const mark = engine.mark();
      const classes = 5;
      const logits = Float32Array.from([1000, -1000, 0, 3, -2, -1000, 1000, 1000, -5, 0, 1000, 1000, 1000, 1000, 1000]);
      const labels = Int32Array.from([1, 0, 2]); // the first two rows' label has p ≈ 0 in f32
      const rows = labels.length;
      const probsPtr = reserveAt(engine, logits.length, 1);
      const loss = engine.kernels.softmaxCrossEntropyForward(placeF32(engine, logits), placeI32(engine, labels), probsPtr, rows, classes);
      expect(Number.isFinite(loss)).toBe(true);
      // Row 0: 2000 + log(1 + tiny); row 1: 2000 + log 2; row 2: log 5.
      expect(loss).toBeCloseTo(2000 + 2000 + Math.LN2 + Math.log(5), 6);
      const probs = engine.f32(probsPtr, logits.length);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let c = 0; c < classes; c++) {
          expect(Number.isFinite(probs[r * classes + c])).toBe(true);
          sum += probs[r * classes + c];
        }
        expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      }
      expect(probs[0]).toBe(1);
      expect(probs[6]).toBeCloseTo(0.5, 7);
      engine.release(mark);
    });

    it('countCorrect takes the first of tied maxima', () => {
      const mark = engine.mark();
      const scores = Float32Array.from([1, 3, 3, 0, 2, 2, 2, 2, 0, 0, 0, 5]);
      const k = engine.kernels;
      const s = placeF32(engine, scores);
      expect(k.countCorrect(s, placeI32(engine, [1, 0, 3]), 3, 4)).toBe(3);
      expect(k.countCorrect(s, placeI32(engine, [2, 1, 3]), 3, 4)).toBe(1);
      engine.release(mark);
    });
  });
}
