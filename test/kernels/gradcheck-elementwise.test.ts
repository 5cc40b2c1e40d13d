// Central-difference gradient checks for the backward kernels of pool, activation, loss and
// dropout. The scalar function is built from the wasm forward kernels and evaluated in f64
// from their f32 outputs; the analytic gradient comes from the wasm backward kernels.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { Ptr } from '../../src/engine/kernel-table.js';
import { BUILDS, createEngine, placeF32, placeI32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

const EPS = 1e-2;
const REL = 1e-2;

/**
 * Checks analytic[i] against (f(x + ε e_i) - f(x - ε e_i)) / (2ε) for every i, where x lives at
 * `ptr` and f reads it from there. Relative error |a - n| / max(|a| + |n|, floor) must be < REL.
 */
function checkGradient(engine: Engine, ptr: Ptr, n: number, f: () => number, analytic: ArrayLike<number>, what: string, floor = 1e-3): void {
  const x = engine.f32(ptr, n);
  let checked = 0;
  for (let i = 0; i < n; i++) {
    const orig = x[i];
    const hi = Math.fround(orig + EPS);
    const lo = Math.fround(orig - EPS);
    engine.f32(ptr, n)[i] = hi;
    const fHi = f();
    engine.f32(ptr, n)[i] = lo;
    const fLo = f();
    engine.f32(ptr, n)[i] = orig;
    const numeric = (fHi - fLo) / (hi - lo);
    const a = analytic[i];
    const rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), floor);
    if (!(rel < REL)) expect.fail(`${what}[${i}]: analytic ${a}, numeric ${numeric}, relative error ${rel}`);
    checked++;
  }
  expect(checked).toBe(n);
}

/** Σ w[i]·y[i] in f64: projects a tensor output onto a scalar with random weights. */
function dot(w: Float32Array, y: Float32Array): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * y[i];
  return s;
}

for (const build of BUILDS) {
  describe(`gradient checks (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    it('softmax cross-entropy: d loss / d logits', () => {
      const mark = engine.mark();
      const [rows, classes] = [4, 7];
      const rand = seeded(11);
      const k = engine.kernels;
      const logitsPtr = placeF32(engine, randomF32(rows * classes, rand, -3, 3));
      const labelsPtr = placeI32(engine, Int32Array.from({ length: rows }, () => Math.floor(rand() * classes)));
      const probsPtr = reserveAt(engine, rows * classes, 2);
      const dlogitsPtr = reserveAt(engine, rows * classes, 3);
      const loss = () => k.softmaxCrossEntropyForward(logitsPtr, labelsPtr, probsPtr, rows, classes);
      loss();
      k.softmaxCrossEntropyBackward(probsPtr, labelsPtr, dlogitsPtr, rows, classes, 1);
      const analytic = engine.f32(dlogitsPtr, rows * classes).slice();
      checkGradient(engine, logitsPtr, rows * classes, loss, analytic, 'dlogits');
      engine.release(mark);
    });

    it('max pool 2x2: d Σ w·output / d input (distinct inputs, odd sizes)', () => {
      const mark = engine.mark();
      for (const [batch, height, width, channels] of [[1, 5, 7, 3], [2, 4, 5, 4]]) {
        const rand = seeded(channels);
        const n = batch * height * width * channels;
        // A shuffled ladder spaced 0.1 apart: no ties, and ±ε never changes a window's winner.
        const values = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [values[i], values[j]] = [values[j], values[i]];
        }
        const k = engine.kernels;
        const outCount = batch * (height >> 1) * (width >> 1) * channels;
        const inPtr = placeF32(engine, values);
        const outPtr = reserveAt(engine, outCount, 2);
        const argPtr = reserveAt(engine, outCount, 3);
        const w = randomF32(outCount, rand);
        const f = () => {
          k.maxPool2x2Forward(inPtr, outPtr, argPtr, batch, height, width, channels, 0);
          return dot(w, engine.f32(outPtr, outCount));
        };
        f();
        const dinPtr = reserveAt(engine, n, 1);
        k.maxPool2x2Backward(placeF32(engine, w), argPtr, dinPtr, batch, height, width, channels, 0, 0);
        checkGradient(engine, inPtr, n, f, engine.f32(dinPtr, n).slice(), `dinput ${batch}x${height}x${width}x${channels}`);
      }
      engine.release(mark);
    });

    it('bias + ReLU: d Σ w·relu(x + b) / dx and / db, away from the kink', () => {
      const mark = engine.mark();
      const [rows, cols] = [5, 7];
      const rand = seeded(3);
      const k = engine.kernels;
      const bias = randomF32(cols, rand, -0.5, 0.5);
      // Keep every x + b at least 0.05 from 0 so ±ε stays on one side of the kink.
      const x = Float32Array.from({ length: rows * cols }, (_, i) => {
        let v = 0;
        do v = rand() * 2 - 1; while (Math.abs(v + bias[i % cols]) < 0.05);
        return v;
      });
      const w = randomF32(rows * cols, rand);
      const xPtr = placeF32(engine, x, 1);
      const biasPtr = placeF32(engine, bias, 2);
      const yPtr = reserveAt(engine, rows * cols, 3);
      const f = () => {
        engine.f32(yPtr, rows * cols).set(engine.f32(xPtr, rows * cols));
        k.biasReluForward(yPtr, biasPtr, rows, cols);
        return dot(w, engine.f32(yPtr, rows * cols));
      };
      f();
      const dyPtr = placeF32(engine, w, 1);
      k.reluBackward(yPtr, dyPtr, rows * cols); // dy is now d/d(x + b), which is d/dx
      const dbiasPtr = reserveAt(engine, cols, 1);
      k.biasBackward(dyPtr, dbiasPtr, rows, cols);
      checkGradient(engine, xPtr, rows * cols, f, engine.f32(dyPtr, rows * cols).slice(), 'dx');
      checkGradient(engine, biasPtr, cols, f, engine.f32(dbiasPtr, cols).slice(), 'dbias');
      engine.release(mark);
    });

    it('dropout with a fixed mask: d Σ w·dropout(x) / dx', () => {
      const mark = engine.mark();
      const n = 23;
      const rand = seeded(5);
      const k = engine.kernels;
      const state = reserveAt(engine, 4, 1);
      const xPtr = placeF32(engine, randomF32(n, rand), 2);
      const yPtr = reserveAt(engine, n, 3);
      const maskPtr = reserveAt(engine, n, 1);
      const w = randomF32(n, rand);
      const f = () => {
        engine.f32(yPtr, n).set(engine.f32(xPtr, n));
        k.rngSeed(state, 77); // the same seed each call: the same mask
        k.dropoutForward(yPtr, maskPtr, n, 0.4, state);
        return dot(w, engine.f32(yPtr, n));
      };
      f();
      const mask = engine.f32(maskPtr, n);
      expect(mask.some((v) => v === 0) && mask.some((v) => v !== 0)).toBe(true);
      const dyPtr = placeF32(engine, w, 1);
      k.dropoutBackward(dyPtr, maskPtr, n);
      checkGradient(engine, xPtr, n, f, engine.f32(dyPtr, n).slice(), 'dx');
      engine.release(mark);
    });
  });
}
