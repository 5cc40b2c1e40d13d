// The optimizer kernels against plain TypeScript references (test/reference/elementwise.ts):
// Adam (Keras's form), AdamW (the same with decoupled decay) and SGD with and without momentum and
// Nesterov, on awkward parameter counts and gradients of mixed scale with exact zeros.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, seeded } from './elementwise-helpers.js';

const COUNTS = [1, 3, 7, 13, 1031];

/** Gradients of mixed scale, including exact zeros. */
function gradients(count: number, rand: () => number): Float32Array {
  return randomF32(count, rand).map((g, i) => (i % 5 === 4 ? 0 : g * 10 ** Math.floor(rand() * 4 - 2)));
}

/** 1e-6 relative to the size of the terms each result is made from (a cancelling update is judged against its inputs). */
const scale = (terms: ArrayLike<number>[], n: number) => Float64Array.from({ length: n }, (_, i) => 1e-6 * terms.reduce((s, a) => s + Math.abs(a[i]), 0));

for (const build of BUILDS) {
  describe(`Adam and AdamW (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const decay of [0, 4e-6]) {
      for (const count of COUNTS) {
        it(`five steps over ${count} parameters match the reference (decay ${decay})`, () => {
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
            const grads = gradients(count, rand);
            engine.f32(gPtr, count).set(grads);
            const alpha = (lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
            // Each step is checked from the state the kernel reached, so rounding differences of
            // earlier steps (amplified where m cancels) do not pile up in the comparison.
            params.set(engine.f32(pPtr, count));
            m.set(engine.f32(mPtr, count));
            v.set(engine.f32(vPtr, count));
            const before = { p: params.slice(), m: m.slice(), v: v.slice() };
            engine.kernels.adamUpdate(pPtr, gPtr, mPtr, vPtr, count, alpha, beta1, beta2, epsilon, decay);
            ref.adamUpdate(params, grads, m, v, alpha, beta1, beta2, epsilon, decay);
            const step = Float64Array.from(params, (p, i) => p - before.p[i]);
            expectClose(engine.f32(pPtr, count), params, 1e-6, scale([before.p, step], count), `params after step ${t}`);
            expectClose(engine.f32(mPtr, count), m, 1e-6, scale([before.m, grads], count), `m after step ${t}`);
            expectClose(engine.f32(vPtr, count), v, 1e-6, scale([before.v, grads.map((g) => g * g)], count), `v after step ${t}`);
            expectClose(engine.f32(gPtr, count), grads, 0, 0, 'grads untouched');
          }
          engine.release(mark);
        });
      }
    }

    it('decay shrinks parameters whose gradient is zero by exactly p·decay per step', () => {
      const mark = engine.mark();
      const count = 9;
      const params = Float32Array.from({ length: count }, (_, i) => (i - 4) * 0.5);
      const pPtr = placeF32(engine, params, 0);
      const zeros = () => placeF32(engine, new Float32Array(count), 0);
      engine.kernels.adamUpdate(pPtr, zeros(), zeros(), zeros(), count, 1e-3, 0.9, 0.999, 1e-7, 0.01);
      expect(Array.from(engine.f32(pPtr, count))).toEqual(Array.from(params, (p) => Math.fround(p - Math.fround(0.01) * p)));
      engine.release(mark);
    });
  });

  describe(`SGD (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    for (const [momentum, nesterov] of [[0, false], [0.9, false], [0.9, true]] as const) {
      for (const count of COUNTS) {
        it(`four steps over ${count} parameters match the reference (momentum ${momentum}${nesterov ? ', Nesterov' : ''})`, () => {
          const mark = engine.mark();
          const rand = seeded(count + 7);
          const lr = 0.05;
          const params = randomF32(count, rand);
          const velocity = new Float32Array(count);
          const pPtr = placeF32(engine, params, 3);
          const gPtr = placeF32(engine, new Float32Array(count), 1);
          // Momentum 0 keeps no velocity: the kernel must not touch its pointer.
          const vPtr = momentum ? placeF32(engine, velocity, 2) : 0;
          for (let t = 1; t <= 4; t++) {
            const grads = gradients(count, rand);
            engine.f32(gPtr, count).set(grads);
            params.set(engine.f32(pPtr, count));
            if (vPtr) velocity.set(engine.f32(vPtr, count));
            const before = { p: params.slice(), v: velocity.slice() };
            engine.kernels.sgdUpdate(pPtr, gPtr, vPtr, count, lr, momentum, nesterov ? 1 : 0);
            ref.sgdUpdate(params, grads, velocity, lr, momentum, nesterov);
            const step = Float64Array.from(params, (p, i) => p - before.p[i]);
            expectClose(engine.f32(pPtr, count), params, 1e-6, scale([before.p, step], count), `params after step ${t}`);
            if (vPtr) expectClose(engine.f32(vPtr, count), velocity, 1e-6, scale([before.v.map((x) => x * momentum), grads], count), `velocity after step ${t}`);
          }
          engine.release(mark);
        });
      }
    }
  });
}
