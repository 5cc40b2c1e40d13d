// Checkpoint and resume through the trainer: a run stopped at an epoch boundary or in the middle
// of an epoch, then resumed, ends bit for bit where an uninterrupted run ends.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { SimdnetError } from '../../src/engine/errors.js';
import { modelSpec } from '../../src/nn/models.js';
import { parseTrainingSpec, withLearningRate } from '../../src/nn/model-spec.js';
import { train, TrainingInterrupted, type TrainOptions } from '../../src/train/trainer.js';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import type { RunResult } from '../../src/train/types.js';
import { syntheticDataset } from './helpers.js';

const data = syntheticDataset(600, 200);
const base = { epochs: 3, batchSize: 32, seed: 5, validationSplit: 0.1 };
/** A model of a user's own, with SGD-momentum (Nesterov) on a warmed-up cosine schedule. */
const custom = parseTrainingSpec(
  {
    name: 'my-mlp',
    inputShape: [28, 28, 1],
    layers: [{ type: 'flatten' }, { type: 'dense', units: 64, activation: 'relu' }, { type: 'dropout', rate: 0.2 }, { type: 'dense', units: 10, activation: 'softmax' }],
    optimizer: { type: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: true },
    schedule: { type: 'cosine', warmupEpochs: 0.5 },
  },
  'test',
);
const specOf = (model: string) => (model === 'my-mlp' ? custom : modelSpec(model));
const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-resume-'));
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.create();
});

/** Trains and returns the result plus a copy of the final weights. */
async function run(model: string, options: Partial<TrainOptions> & { learningRate?: number } = {}): Promise<{ result: RunResult; weights: Float32Array }> {
  let weights = new Float32Array(0);
  const spec = options.learningRate ? withLearningRate(specOf(model), options.learningRate) : specOf(model);
  const result = await train(engine, spec, data, {
    ...base,
    ...options,
    onTrained: (m) => {
      weights = engine.f32(m.params, m.paramFloats).slice();
    },
  });
  return { result, weights };
}

const withoutTimes = (r: RunResult) => ({ ...r, trainSeconds: 0, history: r.history.map((h) => ({ ...h, seconds: 0 })) });

describe.each(['mlp', 'cnn-tuned', 'my-mlp'])('resume %s', (model) => {
  const limit = model === 'mlp' ? undefined : 160; // the tuned CNN is slow; few images keep this quick
  let reference: { result: RunResult; weights: Float32Array };

  beforeAll(async () => {
    reference = await run(model, { limit });
  }, 60_000);

  it('from an epoch boundary ends with bit-identical weights and the same test accuracy', async () => {
    const dir = tempDir();
    if (model === 'my-mlp') {
      // A cosine schedule spans the run, so a run of 1 epoch cannot become one of 3: stop after epoch 1 instead.
      await run(model, { limit, epochs: 1, checkpointDir: dir });
      await expect(run(model, { limit, checkpointDir: tempDir(), resume: readCheckpoint(dir)! })).rejects.toThrow(/its cosine schedule spans the run's 1 epochs, and this run asks for --epochs 3/);
      const stop = new AbortController();
      const stopped = await run(model, { limit, checkpointDir: (dir + '-3'), signal: stop.signal, onEpoch: () => stop.abort() }).catch((e) => e);
      expect(stopped.message).toMatch(/^interrupted after epoch 1; checkpoint written/);
      const resumed = await run(model, { limit, checkpointDir: dir + '-3', resume: readCheckpoint(dir + '-3')! });
      expect(Buffer.compare(Buffer.from(resumed.weights.buffer), Buffer.from(reference.weights.buffer))).toBe(0);
      expect(withoutTimes(resumed.result)).toEqual(withoutTimes(reference.result));
      return;
    }
    await run(model, { limit, epochs: 1, checkpointDir: dir });
    const checkpoint = readCheckpoint(dir)!;
    expect(checkpoint.meta.epoch).toBe(1);
    const resumed = await run(model, { limit, checkpointDir: dir, resume: checkpoint });
    expect(Buffer.compare(Buffer.from(resumed.weights.buffer), Buffer.from(reference.weights.buffer))).toBe(0);
    expect(withoutTimes(resumed.result)).toEqual(withoutTimes(reference.result));
    expect(readCheckpoint(dir)!.meta.epoch).toBe(3);
  }, 60_000);

  it('from the middle of an epoch (stopped by its signal) ends bit-identical too', async () => {
    const dir = tempDir();
    const stop = new AbortController();
    const err = await run(model, {
      limit,
      checkpointDir: dir,
      signal: stop.signal,
      onBatch: (p) => {
        if (p.epoch === 2 && p.batch === 3) stop.abort();
      },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TrainingInterrupted);
    expect(err.exitCode).toBe(130);
    expect(err.message).toMatch(/^interrupted in epoch 2, batch 3 of \d+; checkpoint written to/);
    const checkpoint = readCheckpoint(dir)!;
    expect([checkpoint.meta.epoch, checkpoint.meta.batch]).toEqual([1, 3]);
    const resumed = await run(model, { limit, checkpointDir: dir, resume: checkpoint });
    expect(Buffer.compare(Buffer.from(resumed.weights.buffer), Buffer.from(reference.weights.buffer))).toBe(0);
    expect(withoutTimes(resumed.result)).toEqual(withoutTimes(reference.result));
  }, 60_000);
});

describe('resume refusals and failures', () => {
  it('refuses a checkpoint made with other options', async () => {
    const dir = tempDir();
    await run('mlp', { epochs: 1, checkpointDir: dir, limit: 100 });
    const checkpoint = readCheckpoint(dir)!;
    await expect(run('mlp', { resume: checkpoint, checkpointDir: dir, limit: 100, seed: 6 })).rejects.toThrow(/made with --seed 5, this run asks for 6/);
    await expect(run('mlp-tuned', { resume: checkpoint, checkpointDir: dir, limit: 100 })).rejects.toThrow(/--model mlp, this run asks for mlp-tuned/);
    await expect(run('mlp', { resume: checkpoint, checkpointDir: dir, limit: 100, epochs: 0 + 1, batchSize: 16 })).rejects.toThrow(/--batch-size 32/);
  });

  it('a NaN loss names the epoch and batch, suggests a lower learning rate, and leaves the last good checkpoint intact', async () => {
    const dir = tempDir();
    await expect(run('mlp', { learningRate: 1e9, checkpointDir: dir })).rejects.toThrow(
      /^training diverged: the loss became NaN in epoch 1, batch \d+ of 17; no epoch finished, so .* holds no checkpoint; try a lower learning rate than 1000000000$/,
    );
    // A good first epoch, then weights blown up by hand (still finite) so the next epoch diverges.
    await run('mlp', { epochs: 1, checkpointDir: dir });
    const good = readCheckpoint(dir)!;
    good.params.fill(3e38);
    writeCheckpoint(dir, good);
    const before = readFileSync(join(dir, CHECKPOINT_FILE));
    const err = await run('mlp', { resume: readCheckpoint(dir)!, checkpointDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/^training diverged: the loss became (NaN|Infinity) in epoch 2, batch 1 of 17; the last good checkpoint \(epoch 1\) in .* is intact; try a lower learning rate than 0.001$/);
    expect(Buffer.compare(readFileSync(join(dir, CHECKPOINT_FILE)), before)).toBe(0);
  });

  it('a batch too big for wasm memory names the model, the batch size and the MiB needed', async () => {
    const err = await run('cnn-tuned', { batchSize: 1_000_000, epochs: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/^model cnn-tuned with --batch-size 1000000 needs about \d{6,} MiB of WebAssembly memory \(datasets included, [\d.]+ MiB per sample of the batch\).*try --batch-size \d+ or less$/);
    // The engine is still usable afterwards: everything reserved was released.
    const again = await run('mlp', { epochs: 1, limit: 100 });
    expect(again.result.history).toHaveLength(1);
  });
});
