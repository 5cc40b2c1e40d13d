// Fuzzing the checkpoint loader: a checkpoint folder may hold anything (a damaged disk, a file
// from another program, a hand-edited header). Random bytes, mutated valid checkpoints and
// well-framed files with hostile JSON headers must each decode or fail with a one-line SimdnetError.
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint.js';
import { fuzzParams, hostileU32, mutate, mutation, validOrSimdnetError } from './fuzz-helpers.js';
import { modelSpec } from '../../src/nn/models.js';

function valid(paramFloats: number, trainCount: number, epoch: number): Uint8Array {
  return encodeCheckpoint({
    meta: {
      options: { spec: modelSpec('mlp'), dataset: 'mnist', seed: 0, batchSize: 64, limit: null, validationSplit: 0.1, fma: false, convolution: 'auto' },
      epochs: 3,
      epoch,
      batch: 0,
      lossSum: 0,
      correct: 0,
      epochSeconds: 0,
      optimizerStep: 5,
      optimizerBlocks: 2,
      shufflerState: 7,
      history: Array.from({ length: epoch }, (_, i) => ({ epoch: i + 1, trainLoss: 1, trainAccuracy: 0.5, valLoss: 1, valAccuracy: 0.5, seconds: 1 })),
      paramFloats,
      stateFloats: 0,
      trainCount,
    },
    params: new Float32Array(paramFloats).fill(0.5),
    optimizerState: [new Float32Array(paramFloats), new Float32Array(paramFloats)],
    layerState: new Float32Array(0),
    rngState: new Uint8Array(16),
    order: new Int32Array(trainCount),
  });
}

/** A file framed like a checkpoint around any header text. */
function framed(header: string, payload: Uint8Array): Uint8Array {
  const h = Buffer.from(header);
  const start = Math.ceil((12 + h.length) / 16) * 16;
  const out = new Uint8Array(start + payload.length);
  out.set(Buffer.from('SIMDCKPT', 'latin1'));
  new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, 12);
  out.set(payload, start);
  return out;
}

describe('fuzz: checkpoint loader', () => {
  it('random bytes, with and without the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, magic) => {
        if (magic && bytes.length >= 8) bytes.set(Buffer.from('SIMDCKPT', 'latin1'));
        validOrSimdnetError(() => decodeCheckpoint(bytes, 'c'));
      }),
      fuzzParams,
    );
  });

  it('mutated valid checkpoints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, t, e, ops) => {
        validOrSimdnetError(() => decodeCheckpoint(mutate(valid(p, t, e), ops), 'c'));
      }),
      fuzzParams,
    );
  });

  it('hostile headers: any JSON, and valid headers with hostile sizes', () => {
    const header = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ field: fc.constantFrom('paramFloats', 'trainCount', 'epoch', 'batch', 'version', 'history', 'options'), value: fc.oneof(hostileU32, fc.jsonValue(), fc.constant(2 ** 53)) }).map(({ field, value }) => {
        const bytes = valid(4, 3, 1);
        const meta = JSON.parse(Buffer.from(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true))).toString());
        meta[field] = value;
        return JSON.stringify(meta);
      }),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 128 }), (text, payload) => {
        validOrSimdnetError(() => decodeCheckpoint(framed(text, payload), 'c'));
      }),
      fuzzParams,
    );
  });
});
