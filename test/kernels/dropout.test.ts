import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

/** Random123's known-answer vectors for Threefry-2x32-20: counter, key, both output words. */
const THREEFRY_KAT: [number[], number[], number[]][] = [
  [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
  [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
  [[0x243f6a88, 0x85a308d3], [0x13198a2e, 0x03707344], [0xc4923a9c, 0x483df7a0]],
];

for (const build of BUILDS) {
  describe(`random and dropout (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    const dropout = (x: Float32Array, rate: number, seed: number): { out: Float32Array; mask: Float32Array; state: Uint32Array } => {
      const mark = engine.mark();
      const state = reserveAt(engine, 4, 1);
      engine.kernels.rngSeed(state, seed);
      const xPtr = placeF32(engine, x, 3);
      const maskPtr = reserveAt(engine, x.length, 2);
      engine.kernels.dropoutForward(xPtr, maskPtr, x.length, rate, state);
      const result = {
        out: engine.f32(xPtr, x.length).slice(),
        mask: engine.f32(maskPtr, x.length).slice(),
        state: new Uint32Array(engine.memory.buffer, state, 4).slice(),
      };
      engine.release(mark);
      return result;
    };

    it('Threefry-2x32-20 matches the Random123 known-answer vectors (kernel and reference)', () => {
      for (const [[c0, c1], [k0, k1], want] of THREEFRY_KAT) {
        const got = [0, 1].map((word) => engine.kernels.threefry2x32!(c0, c1, k0, k1, word) >>> 0);
        expect(got).toEqual(want);
        expect(ref.threefry2x32(c0, c1, k0, k1)).toEqual(want);
      }
    });

    it('rngSeed matches the reference key, block 0', () => {
      const mark = engine.mark();
      const state = reserveAt(engine, 4, 1);
      for (const seed of [0, 1, 2, 42, 0xffffffff, 0x61c88647]) {
        engine.kernels.rngSeed(state, seed);
        const s = new Uint32Array(engine.memory.buffer, state, 4);
        expect(Array.from(s)).toEqual([...new ref.DropoutStream(seed).key, 0, 0]);
      }
      engine.kernels.rngAdvance(state);
      expect(new Uint32Array(engine.memory.buffer, state, 4)[2]).toBe(1);
      engine.release(mark);
    });

    for (const count of [1, 7, 8, 13, 1000, 1003]) {
      it(`forward matches the reference stream, count ${count}`, () => {
        const rand = seeded(count);
        const x = randomF32(count, rand);
        const stream = new ref.DropoutStream(1234);
        const { out, mask, state } = dropout(x, 0.3, 1234);
        const wantX = x.slice();
        const wantMask = new Float32Array(count);
        ref.dropoutForward(wantX, wantMask, 0.3, stream);
        expectClose(mask, wantMask, 0, 0, 'mask');
        expectClose(out, wantX, 0, 0, 'x');
        expect(Array.from(state)).toEqual([...stream.key, 1, 0]); // one call, one block

        const mark = engine.mark();
        const dy = randomF32(count, rand);
        const dyPtr = placeF32(engine, dy, 1);
        engine.kernels.dropoutBackward(dyPtr, placeF32(engine, mask, 2), count);
        ref.dropoutBackward(dy, mask);
        expectClose(engine.f32(dyPtr, count), dy, 0, 0, 'dy');
        engine.release(mark);
      });
    }

    it('same seed gives the same mask, different seeds different masks', () => {
      const x = new Float32Array(4096).fill(1);
      const a = dropout(x, 0.5, 7).mask;
      const b = dropout(x, 0.5, 7).mask;
      const c = dropout(x, 0.5, 8).mask;
      expectClose(b, a, 0, 0, 'same seed');
      const differing = a.filter((v, i) => v !== c[i]).length;
      expect(differing).toBeGreaterThan(4096 * 0.4); // independent masks differ in about half
    });

    it('slices at any multiple of 8 give the bits of the whole call, and do not advance', () => {
      const n = 1000;
      const x = randomF32(n, seeded(77));
      const whole = dropout(x, 0.5, 31);
      const mark = engine.mark();
      const state = reserveAt(engine, 4, 1);
      engine.kernels.rngSeed(state, 31);
      const xPtr = placeF32(engine, x, 3);
      const maskPtr = reserveAt(engine, n, 2);
      for (const [start, end] of [[0, 104], [104, 512], [512, 1000]]) {
        engine.kernels.dropoutForwardSlice(xPtr + start * 4, maskPtr + start * 4, end - start, 0.5, state, start);
      }
      expectClose(engine.f32(maskPtr, n), whole.mask, 0, 0, 'mask');
      expectClose(engine.f32(xPtr, n), whole.out, 0, 0, 'x');
      expect(new Uint32Array(engine.memory.buffer, state, 4)[2]).toBe(0);
      engine.release(mark);
    });

    it('consecutive calls continue the stream (a fresh mask each step)', () => {
      const mark = engine.mark();
      const n = 1024;
      const state = reserveAt(engine, 4, 1);
      engine.kernels.rngSeed(state, 99);
      const xPtr = placeF32(engine, new Float32Array(n).fill(1));
      const m1 = reserveAt(engine, n);
      const m2 = reserveAt(engine, n);
      engine.kernels.dropoutForward(xPtr, m1, n, 0.5, state);
      engine.kernels.dropoutForward(xPtr, m2, n, 0.5, state);
      const a = engine.f32(m1, n);
      const b = engine.f32(m2, n);
      expect(a.filter((v, i) => v !== b[i]).length).toBeGreaterThan(n * 0.4);
      engine.release(mark);
    });

    for (const rate of [0.1, 0.25, 0.5, 0.8]) {
      it(`drops a fraction ${rate} and keeps the mean, over 100k elements`, () => {
        const n = 100_000;
        const rand = seeded(Math.round(rate * 100));
        const x = randomF32(n, rand, 0.5, 1.5);
        const { out, mask } = dropout(x, rate, 2024);
        const dropped = mask.filter((v) => v === 0).length / n;
        // Binomial standard deviation √(rate(1-rate)/n) ≤ 0.0016: allow about 5σ.
        expect(Math.abs(dropped - rate)).toBeLessThan(0.008);
        const keep = Math.fround(1 / (1 - Math.fround(rate)));
        expect(mask.every((v) => v === 0 || v === keep)).toBe(true);
        const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
        expect(Math.abs(mean(out) - mean(x)) / mean(x)).toBeLessThan(0.03);
      });
    }

    it('rate 0 is the identity', () => {
      const x = randomF32(13, seeded(5));
      const { out, mask } = dropout(x, 0, 3);
      expectClose(out, x, 0, 0, 'x');
      expectClose(mask, new Float32Array(13).fill(1), 0, 0, 'mask');
    });
  });
}
