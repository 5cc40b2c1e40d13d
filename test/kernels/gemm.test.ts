// gemmNN / gemmNT / gemmTN against the scalar reference, both builds, awkward and real shapes.
// Every element of C is compared, including the padding between n and ldc, which must not change.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { gemmReference, type GemmForm } from '../reference/gemm.js';
import { compare, nonzeros, place, randomF32, rng } from './helpers.js';

interface Case {
  m: number;
  k: number;
  n: number;
  /** Extra floats per row beyond the row's length for A, B, C. */
  pad?: [number, number, number];
  /** Bytes the A, B, C pointers sit past a 64-byte boundary (multiples of 4). */
  skew?: number;
}

const awkward: Case[] = [
  { m: 1, k: 1, n: 1 },
  { m: 1, k: 1, n: 17 },
  { m: 2, k: 3, n: 16 },
  { m: 3, k: 2, n: 1 },
  { m: 7, k: 13, n: 5 },
  { m: 17, k: 3, n: 31 },
  { m: 5, k: 4, n: 33, pad: [3, 1, 7] },
  { m: 16, k: 16, n: 16 },
  { m: 33, k: 47, n: 48, pad: [1, 5, 2], skew: 4 },
  { m: 129, k: 9, n: 32, pad: [0, 0, 3] },
  { m: 131, k: 517, n: 23, pad: [2, 3, 1], skew: 12 },
  { m: 37, k: 1031, n: 19, skew: 8 },
  { m: 64, k: 128, n: 10 },
  // TN packs blocks of Aᵀ once A's rows reach 512 floats; 517 rows leave a last row block of 5.
  { m: 517, k: 523, n: 35, pad: [2, 1, 3], skew: 4 },
];

const real: Case[] = [
  { m: 64, k: 800, n: 128 },
  { m: 64, k: 784, n: 128 },
];

function runGemm(engine: Engine, form: GemmForm, c: Case, accumulate: boolean, seed: number): { worst: number } {
  const { m, k, n } = c;
  const [padA, padB, padC] = c.pad ?? [0, 0, 0];
  const skew = c.skew ?? 0;
  const random = rng(seed);
  const aRows = form === 'TN' ? k : m;
  const aCols = form === 'TN' ? m : k;
  const bRows = form === 'NT' ? n : k;
  const bCols = form === 'NT' ? k : n;
  const lda = aCols + padA;
  const ldb = bCols + padB;
  const ldc = n + padC;
  const a = randomF32(aRows * lda, random);
  const b = randomF32(bRows * ldb, random);
  const c0 = randomF32(m * ldc, random);

  const mark = engine.mark();
  const packFloats = engine.kernels.gemmPackFloats(k, n);
  const pa = place(engine, a, skew);
  const pb = place(engine, b, skew);
  const pc = place(engine, c0, skew);
  // The pack is followed by sentinels: the kernel must stay inside gemmPackFloats(k, n).
  const pp = engine.reserve((packFloats + 16) * 4);
  engine.f32(pp + packFloats * 4, 16).fill(12345);

  const kernel = form === 'NN' ? engine.kernels.gemmNN : form === 'NT' ? engine.kernels.gemmNT : engine.kernels.gemmTN;
  kernel(pa, pb, pc, m, k, n, lda, ldb, ldc, accumulate ? 1 : 0, pp);

  const got = Float32Array.from(engine.f32(pc, m * ldc));
  const sentinels = Array.from(engine.f32(pp + packFloats * 4, 16));
  engine.release(mark);

  const want = Float64Array.from(c0);
  const scale = gemmReference(form, a, b, want, { m, k, n, lda, ldb, ldc, accumulate });
  const gotC = new Float32Array(m * n);
  const wantC = new Float64Array(m * n);
  let paddingChanged = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      if (j < n) {
        gotC[i * n + j] = got[i * ldc + j];
        wantC[i * n + j] = want[i * ldc + j];
      } else if (got[i * ldc + j] !== c0[i * ldc + j]) paddingChanged++;
    }
  }
  const { mismatch, worst } = compare(gotC, wantC, scale);
  expect(mismatch).toBe('');
  expect(paddingChanged).toBe(0);
  expect(sentinels.every((v) => v === 12345)).toBe(true);
  expect(nonzeros(gotC)).toBe(m * n);
  return { worst };
}

const builds = [
  ['FMA', 'on'],
  ['plain SIMD', 'off'],
] as const;

describe.each(builds)('GEMM, %s build', (_name, fma) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ fma });
    expect(engine.kernels.usesFma()).toBe(fma === 'on' ? 1 : 0);
  });

  for (const form of ['NN', 'NT', 'TN'] as const) {
    describe(`gemm${form}`, () => {
      it.each(awkward)('m=$m k=$k n=$n pad=$pad skew=$skew', (c) => {
        let seed = c.m * 10007 + c.k * 101 + c.n;
        for (const accumulate of [false, true]) runGemm(engine, form, c, accumulate, seed++);
      });

      it.each(real)('model shape m=$m k=$k n=$n', (c) => {
        runGemm(engine, form, c, false, 7);
        runGemm(engine, form, c, true, 8);
      });

      it('k = 0 zeroes C, or leaves it when accumulating', () => {
        const mark = engine.mark();
        const c0 = Float32Array.from([1, 2, 3, 4, 5, 6]);
        const pc = place(engine, c0);
        const pp = engine.reserve(engine.kernels.gemmPackFloats(0, 3) * 4);
        const kernel = form === 'NN' ? engine.kernels.gemmNN : form === 'NT' ? engine.kernels.gemmNT : engine.kernels.gemmTN;
        kernel(pc, pc, pc, 2, 0, 3, 3, 3, 3, 1, pp);
        expect(Array.from(engine.f32(pc, 6))).toEqual([1, 2, 3, 4, 5, 6]);
        kernel(pc, pc, pc, 2, 0, 3, 3, 3, 3, 0, pp);
        expect(Array.from(engine.f32(pc, 6))).toEqual([0, 0, 0, 0, 0, 0]);
        engine.release(mark);
      });
    });
  }

  it('the reference check can fail: a perturbed result is caught', () => {
    const { m, k, n } = { m: 7, k: 13, n: 5 };
    const random = rng(1);
    const a = randomF32(m * k, random);
    const b = randomF32(k * n, random);
    const want = new Float64Array(m * n);
    const scale = gemmReference('NN', a, b, want, { m, k, n, lda: k, ldb: n, ldc: n, accumulate: false });
    const got = Float32Array.from(want);
    expect(compare(got, want, scale).mismatch).toBe('');
    got[17] += 1e-3 * scale[17];
    expect(compare(got, want, scale).mismatch).not.toBe('');
  });

  it('peakMaddLoop runs and returns a finite value', () => {
    const value = engine.kernels.peakMaddLoop!(1000);
    expect(Number.isFinite(value)).toBe(true);
  });
});
