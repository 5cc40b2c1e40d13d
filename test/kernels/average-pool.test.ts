// Average pooling against its float64 reference, on windows that overlap (stride < pool), skip
// pixels (stride > pool), drop odd edges, and channel counts on the SIMD and the scalar path.
import { beforeAll, describe, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { averagePoolBackward, averagePoolForward, outputSize, type PoolGeometry } from '../reference/average-pool.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

const CASES: PoolGeometry[] = [
  { batch: 1, height: 2, width: 2, channels: 1, pool: 2, stride: 2 },
  { batch: 2, height: 7, width: 5, channels: 3, pool: 2, stride: 2 },
  { batch: 2, height: 6, width: 8, channels: 4, pool: 2, stride: 2 },
  { batch: 1, height: 9, width: 7, channels: 5, pool: 3, stride: 2 }, // overlapping windows
  { batch: 3, height: 8, width: 8, channels: 8, pool: 3, stride: 1 },
  { batch: 2, height: 11, width: 10, channels: 6, pool: 2, stride: 3 }, // skipped pixels
  { batch: 1, height: 5, width: 5, channels: 13, pool: 5, stride: 5 }, // one window: a global mean
  { batch: 2, height: 24, width: 24, channels: 64, pool: 2, stride: 2 },
];

for (const build of BUILDS) {
  describe(`average pool (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const g of CASES) {
      it(`${g.batch}x${g.height}x${g.width}x${g.channels}, pool ${g.pool}, stride ${g.stride}`, () => {
        const mark = engine.mark();
        const rand = seeded(g.height * 100 + g.channels * 7 + g.pool);
        const { oh, ow } = outputSize(g);
        const n = g.batch * g.height * g.width * g.channels;
        const outCount = g.batch * oh * ow * g.channels;
        const input = randomF32(n, rand);
        const geometry = [g.batch, g.height, g.width, g.channels, g.pool, g.stride, oh, ow] as const;
        const outPtr = reserveAt(engine, outCount, 1);
        engine.kernels.averagePool2dForward(placeF32(engine, input, 2), outPtr, ...geometry);
        // Sums of up to 25 terms in f32: 1e-6 of the terms' scale (each |x| < 1).
        expectClose(engine.f32(outPtr, outCount), averagePoolForward(input, g), 1e-6, 1e-6, 'output');

        const doutput = randomF32(outCount, rand);
        const dinPtr = placeF32(engine, randomF32(n, rand), 3); // garbage the kernel must overwrite
        engine.kernels.averagePool2dBackward(placeF32(engine, doutput, 1), dinPtr, ...geometry);
        expectClose(engine.f32(dinPtr, n), averagePoolBackward(doutput, g), 1e-6, 1e-6, 'dinput');
        engine.release(mark);
      });
    }
  });
}
