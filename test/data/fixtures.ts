// Small synthetic IDX files and a registry describing them, for tests that must not need MNIST.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256Hex } from '../../src/data/idx.js';
import type { DatasetInfo, FileKey, Registry } from '../../src/data/registry.js';

export function idxImages(count: number, rows: number, cols: number, seed = 1): Uint8Array {
  const out = new Uint8Array(16 + count * rows * cols);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x803);
  v.setUint32(4, count);
  v.setUint32(8, rows);
  v.setUint32(12, cols);
  // An LCG, so the pixels do not gzip away and downloads span many chunks.
  let x = seed >>> 0;
  for (let i = 16; i < out.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function idxLabels(labels: number[]): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x801);
  v.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}

export const gz = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));

export const FILE_NAMES: Record<FileKey, string> = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

/** A tiny dataset: 5 train and 3 test images of 4x3; `seed` makes distinct datasets. */
export function tinyDataset(seed = 1): Record<FileKey, Uint8Array> {
  return {
    trainImages: idxImages(5, 4, 3, seed),
    trainLabels: idxLabels([0, 1, 2, 9, seed % 10]),
    testImages: idxImages(3, 4, 3, seed + 100),
    testLabels: idxLabels([3, 4, seed % 10]),
  };
}

export function tinyInfo(raw: Record<FileKey, Uint8Array>, mirrors: string[] = []): DatasetInfo {
  const files = {} as DatasetInfo['files'];
  for (const key of Object.keys(FILE_NAMES) as FileKey[]) {
    files[key] = { name: FILE_NAMES[key], sha256: sha256Hex(raw[key]) };
  }
  return { displayName: 'Tiny', classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], mirrors, files };
}

export function tinyRegistry(raw: Record<FileKey, Uint8Array>, mirrors: string[] = []): Registry {
  return { tiny: tinyInfo(raw, mirrors) };
}

export function tempDir(prefix = 'simdnet-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes the four files into dir (gzipped with .gz names, or raw without). */
export function writeDataset(dir: string, raw: Record<FileKey, Uint8Array>, gzipped = true): string {
  mkdirSync(dir, { recursive: true });
  for (const key of Object.keys(FILE_NAMES) as FileKey[]) {
    const name = gzipped ? FILE_NAMES[key] : FILE_NAMES[key].replace(/\.gz$/, '');
    writeFileSync(join(dir, name), gzipped ? gz(raw[key]) : raw[key]);
  }
  return dir;
}
