// Batch normalization's kernels against the float64 reference (test/reference/batch-norm.ts) on
// channel counts on and off the f32x4 path (1, 3, 5, 7, 32), batches of 1, 3 and 64 and 1x1 and
// 5x7 images, both builds; a call on a block of channels (as a thread would run it) against the
// whole call, bit for bit; the fold of the inference pass into weights; and the reference's own
// input gradient against central differences.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import { batchNormBackwardRef, batchNormFoldRef, batchNormInferenceRef, batchNormTrainingRef } from '../reference/batch-norm.js';
import { BUILDS, createEngine, placeF32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

/**
 * max |got - want| over max |want| per tensor. Measured worst here (Intel Xeon, both builds):
 * see the numbers the test prints with SIMDNET_PRINT_ERRORS=1; the sums run over up to 2,240 rows in f32.
 */
const TOLERANCE = 2e-5;
const EPSILON = 1e-3;
const MOMENTUM = 0.99;
const START = 2 ** -12;

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / scale;
}

interface Case {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

const CASES: Case[] = [];
for (const channels of [1, 3, 5, 7, 32]) for (const batch of [1, 3, 64]) for (const [height, width] of [[1, 1], [5, 7]]) CASES.push({ batch, height, width, channels });

/** Activations with a different mean and spread per channel, as a convolution's output has. */
function inputs(rows: number, channels: number, seed: number) {
  const rand = seeded(seed);
  const x = randomF32(rows * channels, rand).map((v, i) => v * (0.5 + (i % channels) * 0.3) + ((i % channels) % 3) - 1);
  return {
    x,
    gamma: randomF32(channels, rand, 0.5, 1.5),
    beta: randomF32(channels, rand),
    movingMean: randomF32(channels, rand),
    movingVariance: randomF32(channels, rand, 0.5, 2),
    dy: randomF32(rows * channels, rand),
  };
}

type Data = ReturnType<typeof inputs>;

/** Runs the three kernels on `data`; `first`, `count`: the block of channels the calls cover. */
function runKernels(engine: Engine, data: Data, rows: number, channels: number, first = 0, count = channels) {
  const mark = engine.mark();
  try {
    const at = (ptr: number) => ptr + first * 4;
    const x = placeF32(engine, data.x, 1);
    const y = reserveAt(engine, rows * channels, 2);
    const gamma = placeF32(engine, data.gamma, 3);
    const beta = placeF32(engine, data.beta, 1);
    const mm = placeF32(engine, data.movingMean, 2);
    const mv = placeF32(engine, data.movingVariance, 3);
    const mean = reserveAt(engine, channels, 1);
    const invstd = reserveAt(engine, channels, 2);
    const k = engine.kernels;
    k.batchNormForwardTraining(at(x), at(y), at(gamma), at(beta), at(mm), at(mv), at(mean), at(invstd), rows, count, channels, EPSILON, 1 - MOMENTUM);
    const training = {
      y: engine.f32(y, rows * channels).slice(),
      movingMean: engine.f32(mm, channels).slice(),
      movingVariance: engine.f32(mv, channels).slice(),
      mean: engine.f32(mean, channels).slice(),
    };
    const dy = placeF32(engine, data.dy, 3);
    const dx = placeF32(engine, randomF32(rows * channels, seeded(5)), 1); // garbage the kernel must overwrite
    const sums = [reserveAt(engine, channels, 1), reserveAt(engine, channels, 2)];
    // Gradients accumulate: they start at a power of two small enough to lose nothing of the sums' precision.
    const dgamma = placeF32(engine, new Float32Array(channels).fill(START), 3);
    const dbeta = placeF32(engine, new Float32Array(channels).fill(-START), 1);
    k.batchNormBackward(at(x), at(dy), at(dx), at(gamma), at(mean), at(invstd), at(sums[0]), at(sums[1]), at(dgamma), at(dbeta), rows, count, channels);
    const backward = {
      dx: engine.f32(dx, rows * channels).slice(),
      dgamma: Float64Array.from(engine.f32(dgamma, channels), (v) => v - START),
      dbeta: Float64Array.from(engine.f32(dbeta, channels), (v) => v + START),
    };
    engine.f32(mm, channels).set(data.movingMean);
    engine.f32(mv, channels).set(data.movingVariance);
    k.batchNormForwardInference(at(x), at(y), at(gamma), at(beta), at(mm), at(mv), at(invstd), rows, count, channels, EPSILON);
    return { training, backward, inference: engine.f32(y, rows * channels).slice() };
  } finally {
    engine.release(mark);
  }
}

const printErrors = !!process.env.SIMDNET_PRINT_ERRORS;

for (const build of BUILDS) {
  describe(`batch normalization kernels (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });
    const worst: Record<string, number> = {};

    for (const g of CASES) {
      it(`batch ${g.batch}, ${g.height}x${g.width}, ${g.channels} channels`, () => {
        const rows = g.batch * g.height * g.width;
        const data = inputs(rows, g.channels, rows * 31 + g.channels);
        const got = runKernels(engine, data, rows, g.channels);
        const want = batchNormTrainingRef(data.x, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, g.channels, Math.fround(EPSILON), MOMENTUM);
        const grads = batchNormBackwardRef(data.x, data.dy, data.gamma, rows, g.channels, Math.fround(EPSILON));
        const errors = {
          y: relativeError(got.training.y, want.y),
          mean: relativeError(got.training.mean, want.mean),
          movingMean: relativeError(got.training.movingMean, want.movingMean),
          movingVariance: relativeError(got.training.movingVariance, want.movingVariance),
          inference: relativeError(got.inference, batchNormInferenceRef(data.x, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, g.channels, Math.fround(EPSILON))),
          dx: relativeError(got.backward.dx, grads.dx),
          dgamma: relativeError(got.backward.dgamma, grads.dgamma),
          dbeta: relativeError(got.backward.dbeta, grads.dbeta),
        };
        for (const [key, value] of Object.entries(errors)) {
          worst[key] = Math.max(worst[key] ?? 0, value);
          expect(value, key).toBeLessThanOrEqual(TOLERANCE);
        }
        // The moving statistics moved (a kernel that skipped the update would match on rows = 1 only by chance).
        expect(got.training.movingMean).not.toEqual(data.movingMean);
      });
    }

    it('a block of channels (a thread\'s share) computes what the whole call does for them', () => {
      const rows = 2 * 5 * 7;
      const channels = 37;
      const data = inputs(rows, channels, 99);
      const whole = runKernels(engine, data, rows, channels);
      for (const [first, count] of [[0, 16], [16, 21], [5, 7], [33, 4]]) {
        const part = runKernels(engine, data, rows, channels, first, count);
        const columns = (t: Float32Array) => Array.from({ length: rows }, (_, r) => Array.from(t.subarray(r * channels + first, r * channels + first + count)));
        expect(columns(part.training.y), `y of channels ${first}..`).toEqual(columns(whole.training.y));
        expect(columns(part.backward.dx), `dx of channels ${first}..`).toEqual(columns(whole.backward.dx));
        expect(columns(part.inference)).toEqual(columns(whole.inference));
        expect(part.backward.dgamma.subarray(first, first + count)).toEqual(whole.backward.dgamma.subarray(first, first + count));
        expect(part.training.movingVariance.subarray(first, first + count)).toEqual(whole.training.movingVariance.subarray(first, first + count));
      }
    });

    it('a variance divided by N - 1 (not Keras\'s) is caught', () => {
      const rows = 35;
      const data = inputs(rows, 5, 7);
      const got = runKernels(engine, data, rows, 5);
      const unbiased = batchNormTrainingRef(data.x, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, 5, Math.fround(EPSILON), MOMENTUM, true);
      expect(relativeError(got.training.y, unbiased.y)).toBeGreaterThan(TOLERANCE);
      expect(relativeError(got.training.movingVariance, unbiased.movingVariance)).toBeGreaterThan(TOLERANCE);
    });

    it('folds the inference pass into a linear layer\'s weights and bias (batchNormFoldWeights)', () => {
      for (const [rows, channels] of [[1, 1], [9, 3], [27, 5], [25, 32], [4, 7]]) {
        const mark = engine.mark();
        const data = inputs(rows, channels, rows + channels);
        const bias = randomF32(channels, seeded(channels));
        const w = placeF32(engine, data.x, 1);
        const out = reserveAt(engine, rows * channels, 2);
        const outBias = reserveAt(engine, channels, 3);
        const k = engine.kernels;
        k.batchNormFoldWeights(w, placeF32(engine, bias, 2), placeF32(engine, data.gamma, 3), placeF32(engine, data.beta, 1), placeF32(engine, data.movingMean, 2), placeF32(engine, data.movingVariance, 3), out, outBias, rows, channels, EPSILON);
        const want = batchNormFoldRef(data.x, bias, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, channels, Math.fround(EPSILON));
        expect(relativeError(engine.f32(out, rows * channels), want.weights), `weights ${rows}x${channels}`).toBeLessThanOrEqual(1e-6);
        expect(relativeError(engine.f32(outBias, channels), want.bias), `bias ${rows}x${channels}`).toBeLessThanOrEqual(1e-6);
        engine.release(mark);
      }
    });

    it('worst errors', () => {
      if (printErrors) console.log(`batch norm (${build.name}): ${JSON.stringify(worst)}`);
      expect(Object.keys(worst).length).toBeGreaterThan(0);
    });
  });
}

describe('the batch-norm reference', () => {
  it('has the input gradient of Σ dy·y by central differences (float64)', () => {
    const rows = 6;
    const channels = 3;
    const data = inputs(rows, channels, 3);
    const x = Float64Array.from(data.x);
    const objective = (v: Float64Array) => batchNormTrainingRef(v, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, channels, EPSILON, MOMENTUM).y.reduce((s, y, i) => s + y * data.dy[i], 0);
    const { dx, dgamma, dbeta } = batchNormBackwardRef(x, data.dy, data.gamma, rows, channels, EPSILON);
    const h = 1e-6;
    for (let i = 0; i < x.length; i++) {
      const plus = x.slice();
      const minus = x.slice();
      plus[i] += h;
      minus[i] -= h;
      expect(dx[i]).toBeCloseTo((objective(plus) - objective(minus)) / (2 * h), 6);
    }
    const { mean, invstd } = batchNormTrainingRef(x, data.gamma, data.beta, data.movingMean, data.movingVariance, rows, channels, EPSILON, MOMENTUM);
    for (let c = 0; c < channels; c++) {
      let g = 0;
      let b = 0;
      for (let r = 0; r < rows; r++) {
        g += data.dy[r * channels + c] * (x[r * channels + c] - mean[c]) * invstd[c];
        b += data.dy[r * channels + c];
      }
      expect(dgamma[c]).toBeCloseTo(g, 10);
      expect(dbeta[c]).toBeCloseTo(b, 10);
    }
  });
});
