// The checkpoint file: round trip, and every kind of damage refused with a SimdnetError.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimdnetError } from '../../src/engine/errors.js';
import {
  CHECKPOINT_FILE,
  checkResumeOptions,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  staleTemporaries,
  writeCheckpoint,
  type RunOptions,
} from '../../src/train/checkpoint.js';
import { modelSpec } from '../../src/nn/models.js';
import { withLearningRate } from '../../src/nn/model-spec.js';

const options: RunOptions = { spec: modelSpec('mlp'), dataset: 'mnist', seed: 3, batchSize: 64, limit: 600, validationSplit: 0.1, fma: true, convolution: 'auto' };

function sample(paramFloats = 37, trainCount = 11, stateFloats = 5) {
  const f = (k: number) => Float32Array.from({ length: paramFloats }, (_, i) => Math.sin(i * k) * 1e-3);
  return {
    meta: {
      options,
      epochs: 3,
      epoch: 1,
      batch: 2,
      lossSum: 12.345678901234567,
      correct: 7,
      epochSeconds: 0.5,
      optimizerStep: 10,
      optimizerBlocks: 2,
      shufflerState: 0xdeadbeef,
      history: [{ epoch: 1, trainLoss: 1.5, trainAccuracy: 0.5, valLoss: null, valAccuracy: null, seconds: 1 }],
      paramFloats,
      stateFloats,
      trainCount,
    },
    params: f(1),
    optimizerState: [f(2), f(3)],
    layerState: Float32Array.from({ length: stateFloats }, (_, i) => i + 0.25),
    rngState: Uint8Array.from({ length: 16 }, (_, i) => i * 7),
    order: Int32Array.from({ length: trainCount }, (_, i) => trainCount - 1 - i),
  };
}

const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-ckpt-'));

describe('checkpoint encoding', () => {
  it('round-trips every field bit for bit', () => {
    const c = sample();
    const back = decodeCheckpoint(encodeCheckpoint(c), 'x');
    expect(back.meta).toMatchObject(c.meta);
    expect(back.meta.lossSum).toBe(c.meta.lossSum);
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const key of ['params', 'layerState', 'rngState', 'order'] as const) expect(Buffer.compare(bytes(back[key]), bytes(c[key]))).toBe(0);
    expect(back.optimizerState).toHaveLength(2);
    back.optimizerState.forEach((block, i) => expect(Buffer.compare(bytes(block), bytes(c.optimizerState[i]))).toBe(0));
    expect(back.meta.options.spec).toEqual(options.spec);
  });

  it('decodes from an unaligned view', () => {
    const bytes = encodeCheckpoint(sample());
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(decodeCheckpoint(shifted.subarray(1), 'x').order[0]).toBe(10);
  });

  it('refuses truncation, a flipped payload byte, bad magic and a hostile header length', () => {
    const bytes = encodeCheckpoint(sample());
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', bytes.subarray(0, bytes.length - 1), /payload of/],
      ['empty', new Uint8Array(0), /bad magic/],
      ['flipped', Uint8Array.from(bytes, (b, i) => (i === bytes.length - 5 ? b ^ 1 : b)), /checksum mismatch/],
      ['magic', Uint8Array.from(bytes, (b, i) => (i === 0 ? 0 : b)), /bad magic/],
      ['header', Uint8Array.from(bytes, (b, i) => (i >= 8 && i < 12 ? 0xff : b)), /header of 4294967295 bytes/],
    ];
    for (const [, input, message] of cases) {
      const err = (() => {
        try {
          decodeCheckpoint(input, 'dir/checkpoint.bin');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(SimdnetError);
      expect((err as Error).message).toMatch(/^dir\/checkpoint\.bin: not a usable simdnet checkpoint/);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('checkpoint files', () => {
  it('writes atomically, leaving only checkpoint.bin, and clears temporaries of dead writers', () => {
    const dir = tempDir();
    // A temporary left by a process that no longer exists (pid far above pid_max), and one of a live process (ours: the parent).
    writeFileSync(join(dir, `.${CHECKPOINT_FILE}.999999999.abcd.tmp`), 'half');
    writeFileSync(join(dir, `.${CHECKPOINT_FILE}.${process.ppid}.abcd.tmp`), 'in progress');
    expect(staleTemporaries(dir)).toEqual([`.${CHECKPOINT_FILE}.999999999.abcd.tmp`]);
    writeCheckpoint(dir, sample());
    expect(readdirSync(dir).sort()).toEqual([`.${CHECKPOINT_FILE}.${process.ppid}.abcd.tmp`, CHECKPOINT_FILE]);
    expect(readCheckpoint(dir)!.meta.optimizerStep).toBe(10);
    expect(readCheckpoint(tempDir())).toBeUndefined();
  });

  it('a checkpoint damaged on disk is refused with one line naming the file', () => {
    const dir = tempDir();
    writeCheckpoint(dir, sample());
    const path = join(dir, CHECKPOINT_FILE);
    writeFileSync(path, readFileSync(path).subarray(0, 100));
    expect(() => readCheckpoint(dir)).toThrow(new RegExp(`^${path}: not a usable simdnet checkpoint`));
  });
});

describe('checkResumeOptions', () => {
  it('accepts the same options and names the first differing flag otherwise', () => {
    expect(() => checkResumeOptions(options, { ...options }, 'D')).not.toThrow();
    expect(() => checkResumeOptions(options, { ...options, spec: withLearningRate(options.spec, 0.01) }, 'D')).toThrow(/--lr 0.001, this run asks for 0.01/);
    expect(() => checkResumeOptions(options, { ...options, limit: null }, 'D')).toThrow(/--limit 600, this run asks for \(none\)/);
    expect(() => checkResumeOptions(options, { ...options, fma: false }, 'D')).toThrow(/--fma on, this run asks for off/);
    expect(() => checkResumeOptions(options, { ...options, spec: modelSpec('cnn') }, 'D')).toThrow(/--model mlp, this run asks for cnn/);
    const sgd = { ...options.spec, optimizer: { type: 'sgd' as const, learningRate: 0.001, momentum: 0.9, nesterov: false } };
    expect(() => checkResumeOptions(options, { ...options, spec: sgd }, 'D')).toThrow(/another training spec for 'mlp'/);
    // Key order does not make two specs different.
    const { layers, optimizer, ...rest } = options.spec;
    const reordered = { optimizer, layers, ...rest };
    expect(() => checkResumeOptions(options, { ...options, spec: reordered }, 'D')).not.toThrow();
  });
});
