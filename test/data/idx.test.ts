import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { MAX_IDX_BYTES, checksumError, loadSplit, pairSplit, parseIdx, readIdxFile, sha256Hex } from '../../src/data/idx.js';
import { gz, idxImages, idxLabels, tempDir } from './fixtures.js';

const IMG = 'train-images-idx3-ubyte.gz';
const LBL = 'train-labels-idx1-ubyte.gz';

function parseError(bytes: Uint8Array, name: string): SimdnetError {
  try {
    parseIdx(bytes, name);
  } catch (err) {
    expect(err).toBeInstanceOf(SimdnetError);
    return err as SimdnetError;
  }
  throw new Error('parseIdx accepted the file');
}

describe('parseIdx', () => {
  it('reads raw and gzipped images as Uint8Array views', () => {
    const raw = idxImages(3, 4, 5);
    for (const bytes of [raw, gz(raw)]) {
      const f = parseIdx(bytes, IMG);
      expect(f.kind).toBe('images');
      if (f.kind !== 'images') return;
      expect([f.count, f.rows, f.cols]).toEqual([3, 4, 5]);
      expect(f.data).toBeInstanceOf(Uint8Array);
      expect(f.data.length).toBe(60);
      expect(Array.from(f.data)).toEqual(Array.from(raw.subarray(16)));
    }
    // The raw case is a view, not a copy.
    expect(parseIdx(raw, IMG).data.buffer).toBe(raw.buffer);
  });

  it('reads labels, gzipped or not', () => {
    for (const bytes of [idxLabels([0, 9, 3]), gz(idxLabels([0, 9, 3]))]) {
      const f = parseIdx(bytes, LBL);
      expect(f).toMatchObject({ kind: 'labels', count: 3 });
      expect(Array.from(f.data)).toEqual([0, 9, 3]);
    }
  });

  it('rejects a bad magic number, naming file, actual and expected', () => {
    const bytes = idxImages(1, 2, 2);
    bytes[3] = 0x04;
    expect(parseError(bytes, IMG).message).toBe(
      `${IMG}: bad magic number 0x00000804, expected 0x00000803 (IDX images); the file is not gzip data (no 1f 8b header) either`,
    );
    expect(parseError(gz(bytes), IMG).message).toBe(`${IMG}: bad magic number 0x00000804, expected 0x00000803 (IDX images)`);
  });

  it('rejects labels where images are expected, and the reverse', () => {
    expect(parseError(idxLabels([1]), IMG).message).toContain('bad magic number 0x00000801, expected 0x00000803 (IDX images)');
    expect(parseError(idxImages(1, 1, 1), LBL).message).toContain('bad magic number 0x00000803, expected 0x00000801 (IDX labels)');
  });

  it('rejects truncated data and trailing bytes', () => {
    const raw = idxImages(3, 4, 5);
    expect(parseError(raw.subarray(0, raw.length - 1), IMG).message).toMatch(/declares 3 images of 4x5 \(76 bytes\) but the data is 75 bytes: truncated/);
    const longer = new Uint8Array(raw.length + 2);
    longer.set(raw);
    expect(parseError(longer, IMG).message).toMatch(/but the data is 78 bytes: 2 trailing bytes/);
    expect(parseError(raw.subarray(0, 10), IMG).message).toMatch(/truncated IDX images header: 10 bytes/);
    expect(parseError(raw.subarray(0, 3), IMG).message).toMatch(/only 3 bytes, too short/);
    expect(parseError(idxLabels([1, 2]).subarray(0, 9), LBL).message).toMatch(/declares 2 labels \(10 bytes\).*9 bytes: truncated/);
  });

  it('rejects labels out of range', () => {
    expect(parseError(idxLabels([0, 1, 10]), LBL).message).toBe(`${LBL}: label 10 at index 2 is out of range, expected 0..9`);
  });

  it('rejects garbage named .gz, and truncated gzip', () => {
    const garbage = new TextEncoder().encode('<html>404 Not Found</html>');
    expect(parseError(garbage, IMG).message).toMatch(/bad magic number 0x3c68746d.*not gzip data/);
    const z = gz(idxImages(20, 28, 28));
    expect(parseError(z.subarray(0, z.length >> 1), IMG).message).toMatch(/^train-images-idx3-ubyte\.gz: corrupt or truncated gzip data/);
  });

  it('fails fast on a header claiming 2^31 images, without allocating', () => {
    const bytes = idxImages(1, 28, 28);
    new DataView(bytes.buffer).setUint32(4, 2 ** 31);
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    expect(parseError(bytes, IMG).message).toMatch(/declares 2147483648 images of 28x28 \(1683627180048 bytes\).*truncated/);
    expect(parseError(gz(bytes), IMG).message).toMatch(/truncated/);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  });

  it('stops a gzip bomb at the output bound', () => {
    const bomb = gz(new Uint8Array(MAX_IDX_BYTES + 1024)); // ~65 KB of gzip
    expect(parseError(bomb, IMG).message).toMatch(/decompresses to more than \d+ bytes/);
  });

  it('pairs images and labels only when counts agree', () => {
    const images = parseIdx(idxImages(3, 2, 2), IMG);
    expect(pairSplit(images, parseIdx(idxLabels([1, 2, 3]), LBL))).toMatchObject({ count: 3, rows: 2, cols: 2 });
    expect(() => pairSplit(images, parseIdx(idxLabels([1, 2]), LBL), 'a.gz', 'b.gz')).toThrow(
      'a.gz holds 3 images but b.gz holds 2 labels; they must be the same split of the same dataset',
    );
  });
});

describe('loadSplit and checksums', () => {
  it('loads a split from disk and rejects a count mismatch', async () => {
    const dir = tempDir();
    const img = join(dir, IMG);
    writeFileSync(img, gz(idxImages(4, 3, 3)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels([1, 2, 3, 4]));
    writeFileSync(join(dir, 'short-labels-idx1-ubyte'), idxLabels([1, 2, 3]));
    const split = await loadSplit(img, join(dir, 'train-labels-idx1-ubyte'));
    expect(split).toMatchObject({ count: 4, rows: 3, cols: 3 });
    expect(Array.from(split.labels)).toEqual([1, 2, 3, 4]);
    await expect(loadSplit(img, join(dir, 'short-labels-idx1-ubyte'))).rejects.toThrow(/holds 4 images but .*short-labels-idx1-ubyte holds 3 labels/);
  });

  it('names the file and both hashes on a checksum mismatch', async () => {
    const dir = tempDir();
    const path = join(dir, LBL);
    const raw = idxLabels([1, 2, 3]);
    writeFileSync(path, gz(raw));
    const actual = sha256Hex(raw);
    const expected = 'ab'.repeat(32);
    await expect(readIdxFile(path, 'labels', { sha256: actual })).resolves.toMatchObject({ count: 3 });
    const err = await readIdxFile(path, 'labels', { sha256: expected, gzSha256: 'cd'.repeat(32), label: 'MNIST train labels' }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toContain(path);
    expect(err.message).toContain(`SHA-256 of the decompressed data is ${actual}, expected ${expected}`);
    expect(err.message).toContain('(MNIST train labels)');
    expect(err.message).toContain(`the mirrors' .gz has SHA-256 ${'cd'.repeat(32)}`);
    expect(err.message).not.toContain('\n');
    expect(checksumError('x', { sha256: 'e', identify: () => 'MNIST test labels' }, 'f').message).toContain('it is MNIST test labels, not the file wanted here');
  });
});
