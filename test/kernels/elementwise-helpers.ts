// Shared by the element-wise kernel tests: both builds, seeded data, tensors placed at odd
// float offsets, and an element-by-element comparison that names the first mismatch.
import { expect } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { Ptr } from '../../src/engine/kernel-table.js';

export const BUILDS = [
  { name: 'fma', fma: 'on' as const },
  { name: 'plain simd', fma: 'off' as const },
];

export function createEngine(fma: 'on' | 'off'): Promise<Engine> {
  return Engine.create({ fma });
}

/** mulberry32: a small seeded generator for test data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomF32(n: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** Reserves room for n elements of 4 bytes starting `shift` floats past a 64-byte boundary. */
export function reserveAt(engine: Engine, n: number, shift = 1): Ptr {
  return engine.reserve((n + shift) * 4 + 16) + shift * 4;
}

export function placeF32(engine: Engine, values: ArrayLike<number>, shift = 1): Ptr {
  const ptr = reserveAt(engine, values.length, shift);
  engine.f32(ptr, values.length).set(values);
  return ptr;
}

export function placeI32(engine: Engine, values: ArrayLike<number>, shift = 1): Ptr {
  const ptr = reserveAt(engine, values.length, shift);
  engine.i32(ptr, values.length).set(values);
  return ptr;
}

/**
 * Compares every element: |a - e| <= atol + rtol·|e|; rtol = atol = 0 means bit-for-bit (±0 equal).
 * atol may be per element (the scale of the terms a result was computed from).
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 0, atol: number | ArrayLike<number> = 0, what = 'value'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const abs = typeof atol === 'number' ? atol : atol[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= abs + rtol * Math.abs(e);
    if (!ok) expect.fail(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${abs})`);
  }
}
