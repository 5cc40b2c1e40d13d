// Global average pooling against its float64 reference, on channel counts for the SIMD and the
// scalar path and pixel counts that are not powers of two.
import { beforeAll, describe, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { globalAveragePoolBackward, globalAveragePoolForward } from '../reference/average-pool.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

// [batch, pixels, channels]
const CASES: [number, number, number][] = [
  [1, 1, 1],
  [2, 9, 3],
  [3, 25, 4],
  [1, 49, 13],
  [2, 144, 64],
  [4, 7, 130],
];

for (const build of BUILDS) {
  describe(`global average pool (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const [batch, pixels, channels] of CASES) {
      it(`${batch} x ${pixels} pixels x ${channels} channels`, () => {
        const mark = engine.mark();
        const rand = seeded(batch * 1000 + pixels * 10 + channels);
        const input = randomF32(batch * pixels * channels, rand);
        const outPtr = reserveAt(engine, batch * channels, 2);
        engine.kernels.globalAveragePool2dForward(placeF32(engine, input, 1), outPtr, batch, pixels, channels);
        // A sum of up to 144 terms (each |x| < 1) in f32, then one scaling.
        expectClose(engine.f32(outPtr, batch * channels), globalAveragePoolForward(input, batch, pixels, channels), 1e-6, 2e-6, 'output');
        const doutput = randomF32(batch * channels, rand);
        const dinPtr = placeF32(engine, randomF32(batch * pixels * channels, rand), 3); // overwritten everywhere
        engine.kernels.globalAveragePool2dBackward(placeF32(engine, doutput, 2), dinPtr, batch, pixels, channels);
        expectClose(engine.f32(dinPtr, batch * pixels * channels), globalAveragePoolBackward(doutput, batch, pixels, channels), 1e-6, 0, 'dinput');
        engine.release(mark);
      });
    }
  });
}
