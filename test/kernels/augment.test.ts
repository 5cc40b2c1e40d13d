// The augmentation kernel against its scalar reference (test/reference/augment.ts) on awkward
// shapes, both builds: exact shifts bit for bit, the bilinear path within 1e-6; the draws are a
// pure function of (seed, step, sample), so any thread count gives the same images.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { splitKernels } from '../../src/engine/parallel-kernels.js';
import { argsView, augmentSamples } from '../../src/engine/kernel-splits.js';
import { KERNELS, type Kernels } from '../../src/engine/kernel-table.js';
import * as ref from '../reference/augment.js';
import { DropoutStream } from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

type Options = ref.AugmentOptions;
const off: Options = { translate: 0, rotate: 0, scale: 0, flip: false };
const OPTIONS: [string, Options][] = [
  ['shift 2', { ...off, translate: 2 }],
  ['shift 4 and mirror', { ...off, translate: 4, flip: true }],
  ['mirror only', { ...off, flip: true }],
  ['rotate 30', { ...off, rotate: 30 }],
  ['zoom 0.3', { ...off, scale: 0.3 }],
  ['everything', { translate: 2, rotate: 10, scale: 0.1, flip: true }],
];
/** [batch, height, width, channels]: odd sizes, 3 channels, batches of 1 and 7. */
const SHAPES: [number, number, number, number][] = [
  [1, 5, 7, 1],
  [7, 9, 6, 3],
  [7, 28, 28, 1],
  [1, 13, 11, 3],
  [2, 3, 17, 2],
  [3, 1, 1, 1],
];
const exact = (o: Options) => o.rotate === 0 && o.scale === 0;

/** Images in [0, 1] with some exact zeros, as MNIST's background. */
function images(count: number, seed: number): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: count }, () => (rand() < 0.3 ? 0 : rand()));
}

function run(k: Kernels, engine: Engine, input: Float32Array, shape: readonly number[], o: Options, seed: number, step: number, first = 0): Float32Array {
  const [batch, h, w, c] = shape;
  const mark = engine.mark();
  try {
    const state = reserveAt(engine, 4, 1);
    k.rngSeed(state, seed);
    const src = placeF32(engine, input, 3);
    const dst = placeF32(engine, randomF32(input.length, seeded(9)), 1); // every value overwritten
    k.augmentImages(src, dst, state, batch, h, w, c, o.translate, o.rotate, o.scale, o.flip ? 1 : 0, step, first);
    return engine.f32(dst, input.length).slice();
  } finally {
    engine.release(mark);
  }
}

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

for (const build of BUILDS) {
  describe(`augmentImages (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
      engines.push(engine);
    });

    for (const [name, o] of OPTIONS) {
      for (const shape of SHAPES) {
        it(`${name}, ${shape.join('x')}`, () => {
          const [batch, h, w, c] = shape;
          const input = images(batch * h * w * c, shape.reduce((a, b) => a * 7 + b));
          const seed = 1234 + batch;
          const got = run(engine.kernels, engine, input, shape, o, seed, 17, 5);
          const want = ref.augmentImages(input, batch, h, w, c, o, new DropoutStream(seed).key, 17, 5);
          expectClose(got, want, 0, exact(o) ? 0 : 1e-6, name);
          if (process.env.SIMDNET_PRINT_ERRORS) console.log(`${build.name} ${name} ${shape.join('x')}: worst ${Math.max(...got.map((v, i) => Math.abs(v - want[i])))}`);
        });
      }
    }

    it('the bilinear path is the real map to within f32 rounding (against f64 arithmetic)', () => {
      const [batch, h, w, c] = [7, 28, 28, 1];
      const o = OPTIONS[5][1];
      const input = images(batch * h * w * c, 3);
      const got = run(engine.kernels, engine, input, [batch, h, w, c], o, 99, 3);
      const key = new DropoutStream(99).key;
      let worst = 0;
      for (let i = 0; i < batch; i++) {
        const size = h * w * c;
        const want = ref.warpImageF64(input.subarray(i * size, (i + 1) * size), h, w, c, ref.augmentDraw(key, 3, i, o));
        for (let j = 0; j < size; j++) worst = Math.max(worst, Math.abs(got[i * size + j] - want[j]));
      }
      if (process.env.SIMDNET_PRINT_ERRORS) console.log(`${build.name} f32 kernel vs f64 map: worst ${worst}`);
      expect(worst).toBeLessThan(2e-5);
    });

    it('an exact shift is the image moved, zero filled', () => {
      const [h, w] = [5, 7];
      const input = Float32Array.from({ length: h * w }, (_, i) => i + 1);
      const key = new DropoutStream(7).key;
      // Find a step whose draw is a shift of (+1, -2) without mirroring, and check it by hand.
      const o: Options = { ...off, translate: 2 };
      let step = 0;
      for (; step < 1000; step++) {
        const d = ref.augmentDraw(key, step, 0, o);
        if (d.shiftX === 1 && d.shiftY === -2) break;
      }
      const got = run(engine.kernels, engine, input, [1, h, w, 1], o, 7, step);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const sx = x - 1, sy = y + 2;
          expect(got[y * w + x], `(${x}, ${y})`).toBe(sx >= 0 && sy < h ? input[sy * w + sx] : 0);
        }
    });

    it('draws: kernel and reference agree, cover their ranges, and mirror about half the time', () => {
      const mark = engine.mark();
      const state = reserveAt(engine, 4, 1);
      engine.kernels.rngSeed(state, 5);
      const out = engine.reserve(40);
      const o: Options = { translate: 3, rotate: 20, scale: 0.25, flip: true };
      const key = new DropoutStream(5).key;
      const shifts = new Set<number>();
      let mirrors = 0;
      let [minDeg, maxDeg, minZoom, maxZoom] = [Infinity, -Infinity, Infinity, -Infinity];
      const n = 2000;
      for (let s = 0; s < n; s++) {
        engine.kernels.augmentDraw(out, state, 11, s, o.translate, o.rotate, o.scale, 1);
        const d = new Float64Array(engine.memory.buffer, out, 5);
        const want = ref.augmentDraw(key, 11, s, o);
        expect([d[0], d[1], d[2], d[3], d[4]]).toEqual([want.shiftX, want.shiftY, want.degrees, want.zoom, want.mirror ? 1 : 0]);
        shifts.add(want.shiftX).add(want.shiftY);
        mirrors += want.mirror ? 1 : 0;
        [minDeg, maxDeg] = [Math.min(minDeg, want.degrees), Math.max(maxDeg, want.degrees)];
        [minZoom, maxZoom] = [Math.min(minZoom, want.zoom), Math.max(maxZoom, want.zoom)];
      }
      engine.release(mark);
      expect([...shifts].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
      expect(mirrors / n).toBeGreaterThan(0.45);
      expect(mirrors / n).toBeLessThan(0.55);
      expect(minDeg).toBeGreaterThanOrEqual(-20);
      expect(maxDeg).toBeLessThan(20);
      expect(minDeg).toBeLessThan(-19);
      expect(maxDeg).toBeGreaterThan(19);
      expect(minZoom).toBeGreaterThanOrEqual(0.75);
      expect(maxZoom).toBeLessThan(1.25);
    });

    it('same seed and step give the same images; another step, seed or sample position others', () => {
      const shape = [7, 9, 6, 3];
      const input = images(7 * 9 * 6 * 3, 1);
      const o = OPTIONS[5][1];
      const a = run(engine.kernels, engine, input, shape, o, 42, 8);
      expect(run(engine.kernels, engine, input, shape, o, 42, 8)).toEqual(a);
      const differs = (b: Float32Array) => b.some((v, i) => v !== a[i]);
      expect(differs(run(engine.kernels, engine, input, shape, o, 42, 9))).toBe(true);
      expect(differs(run(engine.kernels, engine, input, shape, o, 43, 8))).toBe(true);
      expect(differs(run(engine.kernels, engine, input, shape, o, 42, 8, 1))).toBe(true);
    });

    it('the comparison can fail: a reference one pixel off or a step off is caught', () => {
      const shape = [7, 9, 6, 3] as const;
      const input = images(7 * 9 * 6 * 3, 2);
      const key = new DropoutStream(3).key;
      const got = run(engine.kernels, engine, input, shape, OPTIONS[0][1], 3, 4);
      const wrongStep = ref.augmentImages(input, 7, 9, 6, 3, OPTIONS[0][1], key, 5);
      expect(() => expectClose(got, wrongStep, 0, 0)).toThrow();
      const bilinear = run(engine.kernels, engine, input, shape, OPTIONS[3][1], 3, 4);
      const want = ref.augmentImages(input, 7, 9, 6, 3, OPTIONS[3][1], key, 4);
      const nudged = want.slice();
      nudged[100] += 1e-5;
      expect(() => expectClose(bilinear, nudged, 0, 1e-6)).toThrow();
    });
  });
}

describe('augmentImages across threads', () => {
  it('splits a batch by samples, and 2 threads give the images 1 thread gives', async () => {
    const engine = await Engine.create({ threads: 2 });
    engines.push(engine);
    expect(engine.pool).toBeDefined();
    const split = splitKernels(engine.kernels, engine.pool!, []);
    // Above the rule's sizes for both paths (2^18 values for exact shifts, 2^15 for the bilinear one).
    const shape = [101, 31, 29, 3];
    const input = images(101 * 31 * 29 * 3, 5);
    for (const [, o] of OPTIONS) {
      const one = run(engine.kernels, engine, input, shape, o, 77, 1000);
      const two = run(split, engine, input, shape, o, 77, 1000);
      expect(Buffer.compare(Buffer.from(two.buffer), Buffer.from(one.buffer))).toBe(0);
    }
    // The rule does split this batch: each part numbers its samples from its place.
    const values = [64, 4096, 128, 13, 31, 29, 3, 2, 10, 0.1, 1, 1000, 0];
    const View = argsView(KERNELS.augmentImages.args);
    const plan = augmentSamples(new View(values), 'augmentImages', { threads: 2, pack: () => 0 });
    expect(plan!.calls.map(([, args]) => (args as number[])[12])).toEqual([0, 7]);
    expect(plan!.calls.map(([, args]) => (args as number[])[0])).toEqual([64, 64 + 7 * 31 * 29 * 3 * 4]);
    for (const [rotate, scale, batch] of [[0, 0, 101], [10, 0, 13]]) {
      const big = [64, 4096, 128, batch, 31, 29, 3, 2, rotate, scale, 1, 1000, 0];
      expect(augmentSamples(new View(big), 'augmentImages', { threads: 2, pack: () => 0 })!.calls).toHaveLength(2);
    }
    expect(augmentSamples(new View([64, 4096, 128, 13, 31, 29, 3, 2, 0, 0, 1, 1000, 0]), 'augmentImages', { threads: 2, pack: () => 0 })).toBeNull();
  });
});
