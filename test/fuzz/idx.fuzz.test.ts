// Property-based fuzzing of the IDX reader and its gzip path: random bytes, mutated valid files
// (raw and gzipped), and mutated gzip streams. Every case must parse to something consistent or
// fail with a one-line SimdnetError; none may throw anything else, hang, or size an allocation
// from the header (a valid result is a view into the input, and sizes are checked first).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_IDX_BYTES, decompressIdx, parseIdx, readIdxFile, pairSplit, type IdxFile, type IdxKind } from '../../src/data/idx.js';
import { SimdnetError } from '../../src/engine/errors.js';
import { idxImages, idxLabels, tempDir } from '../data/fixtures.js';
import { fuzzParams, hostileU32, mutate, mutation, validOrSimdnetError } from './fuzz-helpers.js';

const kinds: (IdxKind | undefined)[] = ['images', 'labels', undefined];
const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte.gz', 'data.bin'];

/** A successful parse must be internally consistent and share the input's memory. */
function checkParsed(file: IdxFile, raw: Uint8Array, gz: boolean): void {
  if (file.kind === 'images') {
    expect(file.data.length).toBe(file.count * file.rows * file.cols);
    expect(file.rows * file.cols).toBeGreaterThan(0);
  } else {
    expect(file.data.length).toBe(file.count);
    expect(file.data.every((l) => l < 10)).toBe(true);
  }
  expect(file.data.length).toBeLessThanOrEqual(MAX_IDX_BYTES);
  if (!gz) expect(file.data.buffer).toBe(raw.buffer); // a view, never a copy sized by the header
}

const validFile = fc.oneof(
  fc.record({ count: fc.integer({ min: 0, max: 6 }), rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), seed: fc.nat() }).map(({ count, rows, cols, seed }) => idxImages(count, rows, cols, seed)),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 40 }).map((labels) => idxLabels(labels)),
);
const kindAndName = fc.record({ kind: fc.constantFrom(...kinds), name: fc.constantFrom(...names) });

describe('fuzz: IDX reader', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), kindAndName, (bytes, { kind, name }) => {
        const r = validOrSimdnetError(() => parseIdx(bytes, name, kind));
        if (r.ok) checkParsed(r.value, bytes, false);
      }),
      fuzzParams,
    );
  });

  it('random headers with a valid magic (hostile counts and sizes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x801, 0x803),
        hostileU32,
        hostileU32,
        hostileU32,
        fc.uint8Array({ maxLength: 200 }),
        (magic, count, rows, cols, body) => {
          const bytes = new Uint8Array(16 + body.length);
          const v = new DataView(bytes.buffer);
          v.setUint32(0, magic);
          v.setUint32(4, count);
          v.setUint32(8, rows);
          v.setUint32(12, cols);
          bytes.set(body, 16);
          const r = validOrSimdnetError(() => parseIdx(bytes, 'hostile', undefined));
          if (r.ok) checkParsed(r.value, bytes, false);
        },
      ),
      fuzzParams,
    );
  });

  it('mutated valid files', () => {
    fc.assert(
      fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), kindAndName, (valid, ops, { kind, name }) => {
        const bytes = mutate(valid, ops);
        const r = validOrSimdnetError(() => parseIdx(bytes, name, kind));
        if (r.ok) checkParsed(r.value, bytes, false);
      }),
      fuzzParams,
    );
  });

  it('mutated valid files paired into a split', () => {
    fc.assert(
      fc.property(validFile, validFile, fc.array(mutation, { maxLength: 2 }), (a, b, ops) => {
        validOrSimdnetError(() => pairSplit(parseIdx(mutate(a, ops), 'a', undefined), parseIdx(b, 'b', undefined), 'a', 'b'));
      }),
      fuzzParams,
    );
  });
});

describe('fuzz: gzip path', () => {
  it('gzipped mutated valid files', () => {
    fc.assert(
      fc.property(validFile, fc.array(mutation, { maxLength: 3 }), kindAndName, (valid, ops, { kind, name }) => {
        const bytes = new Uint8Array(gzipSync(mutate(valid, ops)));
        const r = validOrSimdnetError(() => parseIdx(bytes, name, kind));
        if (r.ok) checkParsed(r.value, bytes, true);
      }),
      fuzzParams,
    );
  });

  it('mutated gzip streams (corrupt, truncated, extended)', () => {
    fc.assert(
      fc.property(validFile, fc.array(mutation, { minLength: 1, maxLength: 3 }), kindAndName, (valid, ops, { kind, name }) => {
        const gz = new Uint8Array(gzipSync(valid));
        // Keep the gzip magic most of the time so the inflater, not the magic check, sees the damage.
        const bytes = mutate(gz, ops);
        if (bytes.length >= 2 && ops.length % 2 === 1) bytes.set([0x1f, 0x8b]);
        const r = validOrSimdnetError(() => parseIdx(bytes, name, kind));
        if (r.ok) checkParsed(r.value, bytes, true);
      }),
      fuzzParams,
    );
  });

  it('random bytes behind a gzip magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (body) => {
        const bytes = new Uint8Array(body.length + 2);
        bytes.set([0x1f, 0x8b]);
        bytes.set(body, 2);
        validOrSimdnetError(() => decompressIdx(bytes, 'x.gz'));
      }),
      fuzzParams,
    );
  });

  it('a gzip bomb stops at the size limit with a SimdnetError', () => {
    const bomb = gzipSync(new Uint8Array(MAX_IDX_BYTES + 1024 * 1024));
    expect(bomb.length).toBeLessThan(200_000);
    const started = performance.now();
    expect(() => parseIdx(bomb, 'bomb.gz')).toThrow(/decompresses to more than \d+ bytes/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a file on disk claiming 2^31 images fails before reading more than the file', async () => {
    const dir = tempDir('simdnet-fuzz-');
    const path = join(dir, 'train-images-idx3-ubyte');
    const header = new Uint8Array(16 + 784);
    const v = new DataView(header.buffer);
    v.setUint32(0, 0x803);
    v.setUint32(4, 2 ** 31);
    v.setUint32(8, 28);
    v.setUint32(12, 28);
    writeFileSync(path, header);
    const before = process.memoryUsage().arrayBuffers;
    const err = await readIdxFile(path).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/header declares 2147483648 images of 28x28 \(1683627180048 bytes\) but the data is 800 bytes: truncated/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
