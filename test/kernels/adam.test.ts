import { beforeAll, describe, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, seeded } from './elementwise-helpers.js';

for (const build of BUILDS) {
  describe(`Adam (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const count of [1, 3, 7, 13, 1031]) {
      it(`five steps over ${count} parameters match the reference`, () => {
        const mark = engine.mark();
        const rand = seeded(count);
        const [lr, beta1, beta2, epsilon] = [1e-3, 0.9, 0.999, 1e-7];
        const params = randomF32(count, rand);
        const m = new Float32Array(count);
        const v = new Float32Array(count);
        const pPtr = placeF32(engine, params, 1);
        const gPtr = placeF32(engine, new Float32Array(count), 2);
        const mPtr = placeF32(engine, m, 3);
        const vPtr = placeF32(engine, v, 1);
        for (let t = 1; t <= 5; t++) {
          // Gradients of mixed scale, including exact zeros.
          const grads = randomF32(count, rand).map((g, i) => (i % 5 === 4 ? 0 : g * 10 ** Math.floor(rand() * 4 - 2)));
          engine.f32(gPtr, count).set(grads);
          const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
          // Each step is checked from the state the kernel reached, so rounding differences of
          // earlier steps (amplified where m cancels) do not pile up in the comparison.
          params.set(engine.f32(pPtr, count));
          m.set(engine.f32(mPtr, count));
          v.set(engine.f32(vPtr, count));
          const before = { p: params.slice(), m: m.slice(), v: v.slice() };
          engine.kernels.adamUpdate(pPtr, gPtr, mPtr, vPtr, count, alpha, beta1, beta2, epsilon);
          ref.adamUpdate(params, grads, m, v, alpha, beta1, beta2, epsilon);
          // 1e-6 relative to the size of the terms each result is made from, so an update that
          // cancels to near zero (m ≈ 0, or p crossing 0) is judged against its inputs' scale.
          const scale = (terms: ArrayLike<number>[]) => Float64Array.from(params, (_, i) => 1e-6 * terms.reduce((s, a) => s + Math.abs(a[i]), 0));
          const gg = grads.map((g) => g * g);
          const step = Float64Array.from(params, (p, i) => p - before.p[i]);
          expectClose(engine.f32(pPtr, count), params, 1e-6, scale([before.p, step]), `params after step ${t}`);
          expectClose(engine.f32(mPtr, count), m, 1e-6, scale([before.m, grads]), `m after step ${t}`);
          expectClose(engine.f32(vPtr, count), v, 1e-6, scale([before.v, gg]), `v after step ${t}`);
          expectClose(engine.f32(gPtr, count), grads, 0, 0, 'grads untouched');
        }
        engine.release(mark);
      });
    }
  });
}
