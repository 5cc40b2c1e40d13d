// Threads split work without changing a single bit of the result (the worker script comes from
// `npm run build`, which `npm test` runs first).
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { splitRange } from '../../src/engine/kernel-splits.js';
import { Sequential } from '../../src/nn/sequential.js';
import { trainThreeSteps } from '../train/three-steps.js';
import { modelSpec } from '../../src/nn/models.js';
import { Random } from '../../src/util/random.js';

const engines: Engine[] = [];
async function engine(threads: number, fma: 'on' | 'off'): Promise<Engine> {
  const e = await Engine.create({ threads, fma, shared: true });
  engines.push(e);
  return e;
}
afterAll(() => engines.forEach((e) => e.close()));

describe('splitRange', () => {
  it('covers the range in order with aligned boundaries', () => {
    for (const [total, parts, unit] of [[100, 3, 16], [7, 2, 2], [1, 4, 1], [33, 2, 16], [64, 5, 1]]) {
      const ranges = splitRange(total, parts, unit);
      expect(ranges[0][0]).toBe(0);
      expect(ranges[ranges.length - 1][1]).toBe(total);
      ranges.forEach(([s, e], i) => {
        expect(e).toBeGreaterThan(s);
        if (i > 0) expect(s).toBe(ranges[i - 1][1]);
        if (e !== total) expect(e % unit).toBe(0);
      });
    }
  });
});

function fillRandom(view: Float32Array, seed: number): void {
  const random = new Random(seed);
  for (let i = 0; i < view.length; i++) view[i] = random.next() * 2 - 1;
}

for (const fma of ['off', 'on'] as const) {
  describe(`threads (fma ${fma})`, () => {
    it('GEMMs split by rows or panels match one thread bit for bit', async () => {
      const one = await engine(1, fma);
      const many = await engine(3, fma);
      const shapes: [number, number, number][] = [[97, 61, 33], [9, 301, 64], [288, 500, 32], [64, 784, 128], [5, 40, 700]];
      for (const [m, k, n] of shapes) {
        for (const kind of ['gemmNN', 'gemmNT', 'gemmTN'] as const) {
          const results = [one, many].map((e) => {
            const mark = e.mark();
            const a = e.reserve(m * k * 4);
            const b = e.reserve(k * n * 4);
            const c = e.reserve(m * n * 4);
            const pack = e.reserve(e.kernels.gemmPackFloats(Math.max(k, n), Math.max(k, n)) * 4);
            fillRandom(e.f32(a, m * k), 1);
            fillRandom(e.f32(b, k * n), 2);
            fillRandom(e.f32(c, m * n), 3);
            const model = new Sequential(e, modelSpec('mlp'), { maxBatch: 1, seed: 0 });
            const [lda, ldb] = kind === 'gemmNN' ? [k, n] : kind === 'gemmNT' ? [k, k] : [m, n];
            model.kernels[kind](a, b, c, m, k, n, lda, ldb, n, 1, pack);
            const out = e.f32(c, m * n).slice();
            e.release(mark);
            return out;
          });
          expect(results[1], `${kind} ${m}x${k}x${n}`).toEqual(results[0]);
        }
      }
    });

    it('dropout split across threads draws the masks of one thread, and advances the stream once', async () => {
      const count = 100_003; // above the split threshold, not a multiple of 8 or 16
      const results = await Promise.all(
        [1, 3].map(async (threads) => {
          const e = await engine(threads, fma);
          const model = new Sequential(e, modelSpec('mlp'), { maxBatch: 1, seed: 0 });
          const mark = e.mark();
          const x = e.reserve(count * 4);
          const mask = e.reserve(count * 4);
          const state = e.reserve(16);
          fillRandom(e.f32(x, count), 4);
          model.kernels.rngSeed(state, 77);
          model.kernels.dropoutForward(x, mask, count, 0.5, state);
          model.kernels.dropoutForward(x, mask, count, 0.5, state);
          const out = { x: e.f32(x, count).slice(), mask: e.f32(mask, count).slice(), state: Array.from(e.u8(state, 16)) };
          e.release(mark);
          return out;
        }),
      );
      expect(results[1].mask).toEqual(results[0].mask);
      expect(results[1].x).toEqual(results[0].x);
      expect(results[1].state).toEqual(results[0].state);
      expect(results[0].state[8]).toBe(2);
    });

    // The third run stands for contended cores: the pool runs about half its jobs alone (as the
    // unsplit kernel, or as its parts one after the other), picked at random, the rest in parallel.
    it('training steps of the CNN match one thread bit for bit, also with jobs run alone', async () => {
      const params = await Promise.all(
        [1, 2, 'contended' as const].map(async (threads) => {
          const e = await engine(threads === 'contended' ? 2 : threads, fma);
          if (threads === 'contended') {
            const coin = new Random(3);
            (e.pool as unknown as { takeSoloJob: () => boolean }).takeSoloJob = () => coin.next() < 0.5;
          }
          const spec = { ...modelSpec('cnn-tuned'), layers: modelSpec('cnn-tuned').layers.map((l) => (l.type === 'conv2d' ? { ...l, filters: 16 } : l)) };
          // 29 samples a step: the first dropout (12·12·16·29 elements) is large enough to split.
          return trainThreeSteps(e, spec).params;
        }),
      );
      expect(params[1]).toEqual(params[0]);
      expect(params[2]).toEqual(params[0]);
    });
  });
}
