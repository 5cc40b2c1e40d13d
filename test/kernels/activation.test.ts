import { beforeAll, describe, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, seeded } from './elementwise-helpers.js';

// [rows, cols]: cols of 1, 3, 5, 7 and 13 leave scalar tails; shifts put tensors off 16 bytes.
const SHAPES: [number, number][] = [
  [1, 1],
  [7, 3],
  [5, 5],
  [13, 7],
  [7, 13],
  [4, 16],
  [3, 130],
  [64, 128],
];

for (const build of BUILDS) {
  describe(`bias and ReLU (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const [rows, cols] of SHAPES) {
      it(`${rows}x${cols}`, () => {
        const mark = engine.mark();
        const rand = seeded(rows * 977 + cols);
        const n = rows * cols;
        const x = randomF32(n, rand);
        const bias = randomF32(cols, rand, -0.5, 0.5);
        const k = engine.kernels;

        let want = x.slice();
        let xPtr = placeF32(engine, x, 1);
        const biasPtr = placeF32(engine, bias, 3);
        k.biasReluForward(xPtr, biasPtr, rows, cols);
        ref.biasReluForward(want, bias, rows, cols);
        expectClose(engine.f32(xPtr, n), want, 0, 0, 'biasReluForward');

        want = x.slice();
        xPtr = placeF32(engine, x, 2);
        k.biasForward(xPtr, biasPtr, rows, cols);
        ref.biasForward(want, bias, rows, cols);
        expectClose(engine.f32(xPtr, n), want, 0, 0, 'biasForward');

        // y has exact zeros (as a ReLU output does) and negatives, which must also block.
        const y = randomF32(n, rand).map((v) => (v < -0.3 ? 0 : v));
        const dy = randomF32(n, rand);
        const yPtr = placeF32(engine, y, 1);
        const dyPtr = placeF32(engine, dy, 3);
        k.reluBackward(yPtr, dyPtr, n);
        const dyWant = dy.slice();
        ref.reluBackward(y, dyWant);
        expectClose(engine.f32(dyPtr, n), dyWant, 0, 0, 'reluBackward');

        const dbias = randomF32(cols, rand); // accumulated into
        const dbiasPtr = placeF32(engine, dbias, 1);
        k.biasBackward(dyPtr, dbiasPtr, rows, cols);
        const dbiasWant = Float64Array.from(dbias);
        ref.biasBackward(dyWant, dbiasWant, rows, cols);
        expectClose(engine.f32(dbiasPtr, cols), dbiasWant, 1e-5, 1e-6 * rows, 'biasBackward');

        // A block of columns [c0, c0 + width) of the same matrix, rows `cols` apart, as one
        // thread sums it: the same bits as those columns of the whole-matrix call.
        const c0 = cols > 4 ? 3 : 0;
        const width = cols - c0 - (cols > 8 ? 2 : 0);
        const block = randomF32(cols, rand);
        const blockPtr = placeF32(engine, block, 2);
        k.biasBackwardStrided(dyPtr + c0 * 4, blockPtr + c0 * 4, rows, width, cols);
        const blockWant = Float64Array.from(block);
        const whole = engine.f32(dbiasPtr, cols);
        for (let c = c0; c < c0 + width; c++) blockWant[c] = Math.fround(block[c] + (whole[c] - dbias[c]));
        const blockGot = engine.f32(blockPtr, cols);
        for (let c = 0; c < cols; c++) {
          if (c < c0 || c >= c0 + width) expectClose(blockGot.subarray(c, c + 1), [block[c]], 0, 0, 'biasBackwardStrided outside its block');
        }
        expectClose(blockGot.subarray(c0, c0 + width), blockWant.subarray(c0, c0 + width), 1e-5, 1e-6 * rows, 'biasBackwardStrided');

        // The fused ReLU + bias backward: bit for bit the two passes above, whole and as a block.
        const fusedDyPtr = placeF32(engine, dy, 2);
        const fusedDbiasPtr = placeF32(engine, dbias, 3);
        k.reluBiasBackward(yPtr, fusedDyPtr, fusedDbiasPtr, rows, cols);
        expectClose(engine.f32(fusedDyPtr, n), engine.f32(dyPtr, n), 0, 0, 'reluBiasBackward dy');
        expectClose(engine.f32(fusedDbiasPtr, cols), engine.f32(dbiasPtr, cols), 0, 0, 'reluBiasBackward dbias');
        const blockDyPtr = placeF32(engine, dy, 1);
        const blockDbiasPtr = placeF32(engine, dbias, 2);
        k.reluBiasBackwardStrided(yPtr + c0 * 4, blockDyPtr + c0 * 4, blockDbiasPtr + c0 * 4, rows, width, cols);
        const blockDy = engine.f32(blockDyPtr, n);
        const blockDbias = engine.f32(blockDbiasPtr, cols);
        const wholeDbias = engine.f32(dbiasPtr, cols); // a fresh view: placing buffers may grow memory
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            const inside = c >= c0 && c < c0 + width;
            expectClose(blockDy.subarray(r * cols + c, r * cols + c + 1), [inside ? dyWant[r * cols + c] : dy[r * cols + c]], 0, 0, 'reluBiasBackwardStrided dy');
          }
        }
        for (let c = 0; c < cols; c++) {
          const inside = c >= c0 && c < c0 + width;
          expectClose(blockDbias.subarray(c, c + 1), [inside ? wholeDbias[c] : dbias[c]], 0, 0, 'reluBiasBackwardStrided dbias');
        }
        engine.release(mark);
      });
    }

    it('reluForward (the Activation layer) is max(x, 0) in place, as reluLanes in every lane and the tail: -0 stays -0, NaN stays NaN', () => {
      for (const n of [1, 3, 4, 7, 13, 64, 1001]) {
        const mark = engine.mark();
        const x = randomF32(n, seeded(n));
        for (let i = 0; i < n; i += 5) x[i] = i % 3 === 0 ? -0 : i % 3 === 1 ? Number.NaN : 0;
        const ptr = placeF32(engine, x, 1 + (n % 3));
        engine.kernels.reluForward(ptr, n);
        const got = engine.f32(ptr, n);
        for (let i = 0; i < n; i++) {
          const want = x[i] < 0 ? 0 : x[i];
          if (!Object.is(got[i], want)) throw new Error(`reluForward, n ${n}, element ${i}: got ${got[i]}, want ${want} (x ${x[i]})`);
        }
        engine.release(mark);
      }
    });
  });
}
