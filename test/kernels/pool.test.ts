import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, placeI32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

// [batch, height, width, channels]: odd sizes drop the last row/column; 4 and 8 channels take
// the SIMD path, the others the scalar one.
const SHAPES: [number, number, number, number][] = [
  [1, 2, 2, 1],
  [2, 5, 7, 1],
  [2, 5, 7, 3],
  [1, 7, 5, 5],
  [2, 4, 6, 4],
  [3, 7, 9, 8],
  [1, 13, 3, 12],
  [2, 1, 5, 4], // height 1: no output rows
  [1, 28, 28, 32],
];

for (const build of BUILDS) {
  describe(`max pool 2x2 (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const [batch, height, width, channels] of SHAPES) {
      for (const ties of [false, true]) {
        it(`forward and backward ${batch}x${height}x${width}x${channels}${ties ? ' with ties' : ''}`, () => {
          const mark = engine.mark();
          const rand = seeded(batch * 1000 + height * 100 + width * 10 + channels + (ties ? 7 : 0));
          const n = batch * height * width * channels;
          // With ties, values come from {0, 1, 2} so most windows hold repeated maxima.
          const input = ties ? Float32Array.from({ length: n }, () => Math.floor(rand() * 3)) : randomF32(n, rand);
          const want = ref.maxPool2x2Forward(input, batch, height, width, channels);
          const outCount = want.output.length;
          const inPtr = placeF32(engine, input);
          const outPtr = reserveAt(engine, outCount, 3);
          const argPtr = reserveAt(engine, outCount, 2);
          engine.kernels.maxPool2x2Forward(inPtr, outPtr, argPtr, batch, height, width, channels, 0);
          expectClose(engine.f32(outPtr, outCount), want.output, 0, 0, 'output');
          expectClose(engine.i32(argPtr, outCount), want.argmax, 0, 0, 'argmax');

          const doutput = randomF32(outCount, rand);
          const dinput = randomF32(n, rand); // garbage the backward must overwrite everywhere
          const doutPtr = placeF32(engine, doutput);
          const dinPtr = placeF32(engine, dinput, 3);
          const argRef = placeI32(engine, want.argmax);
          engine.kernels.maxPool2x2Backward(doutPtr, argRef, dinPtr, batch, height, width, channels, 0, 0);
          const dinputWant = dinput.slice();
          ref.maxPool2x2Backward(doutput, want.argmax, dinputWant);
          expectClose(engine.f32(dinPtr, n), dinputWant, 0, 0, 'dinput');

          // With the ReLU before it folded in: the pooled values (some made <= 0) gate each window.
          const pooled = want.output.map((v, i) => (i % 3 === 0 ? 0 : i % 5 === 0 ? -v : v));
          const dinPtr2 = placeF32(engine, dinput, 2);
          engine.kernels.maxPool2x2Backward(doutPtr, argRef, dinPtr2, batch, height, width, channels, placeF32(engine, pooled, 1), 0);
          const gatedWant = new Float32Array(n);
          ref.maxPool2x2Backward(doutput.map((d, i) => (pooled[i] > 0 ? d : 0)), want.argmax, gatedWant);
          expectClose(engine.f32(dinPtr2, n), gatedWant, 0, 0, 'dinput gated by the pooled values');

          // And a dropout mask after the pool, folded in: doutput is multiplied by it first.
          const mask = Float32Array.from({ length: outCount }, (_, i) => (i % 4 === 1 ? 0 : 2));
          const dinPtr3 = placeF32(engine, dinput, 3);
          engine.kernels.maxPool2x2Backward(doutPtr, argRef, dinPtr3, batch, height, width, channels, placeF32(engine, pooled, 1), placeF32(engine, mask, 2));
          const maskedWant = new Float32Array(n);
          ref.maxPool2x2Backward(doutput.map((d, i) => (pooled[i] > 0 ? Math.fround(d * mask[i]) : 0)), want.argmax, maskedWant);
          expectClose(engine.f32(dinPtr3, n), maskedWant, 0, 0, 'dinput with a dropout mask folded in');
          engine.release(mark);
        });
      }
    }

    it('breaks ties by window order (0,0),(0,1),(1,0),(1,1) on both paths', () => {
      const mark = engine.mark();
      for (const channels of [1, 4]) {
        // One 2x2 window per channel; maximum 5 placed twice at chosen positions.
        const cases: [number[], number][] = [
          [[5, 5, 5, 5], 0],
          [[1, 5, 5, 1], 1],
          [[1, 2, 5, 5], 2],
          [[1, 2, 3, 5], 3],
        ];
        for (const [window, first] of cases) {
          const input = new Float32Array(4 * channels);
          for (let k = 0; k < 4; k++) for (let c = 0; c < channels; c++) input[k * channels + c] = window[k];
          const inPtr = placeF32(engine, input);
          const argPtr = reserveAt(engine, channels);
          const outPtr = reserveAt(engine, channels);
          engine.kernels.maxPool2x2Forward(inPtr, outPtr, argPtr, 1, 2, 2, channels, 0);
          for (let c = 0; c < channels; c++) expect(engine.i32(argPtr, channels)[c]).toBe(first * channels + c);
        }
      }
      engine.release(mark);
    });
  });
}
