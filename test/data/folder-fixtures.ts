// Dataset folders made on the fly: class-per-folder PNG trees (grey or colour) of small learnable
// images, and folders of IDX files, for the loader's tests and the CLI's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { gz, idxImages, idxLabels } from './fixtures.js';

export type Rgb = [number, number, number];

/** A deterministic LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** Writes a PNG of `colorType` (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA) from a pixel function giving RGBA. */
export function writePng(path: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number?], colorType: 0 | 2 | 4 | 6 = 2): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a = 255] = pixel(x, y);
      png.data.set([r, g, b, a], (y * width + x) * 4);
    }
  }
  writeFileSync(path, PNG.sync.write(png, { colorType }));
}

/**
 * The image of class `k` (0, 1 or 2): grey, a bright horizontal bar, vertical bar or square at a
 * random place over dim noise; colour, the same square in red, green or blue. Learnable in a few
 * steps by the MLP and the CNN.
 */
export function classImage(k: number, size: number, colour: boolean, random: () => number): (x: number, y: number) => [number, number, number] {
  const at = 1 + Math.floor(random() * (size - 5));
  const noise = Array.from({ length: size * size }, () => Math.floor(random() * 40));
  return (x, y) => {
    const n = noise[y * size + x];
    if (colour) {
      const inside = x >= at && x < at + 4 && y >= at && y < at + 4;
      const c: Rgb = [n, n, n];
      if (inside) c[k % 3] = 230;
      return c;
    }
    const on = k === 0 ? y === at || y === at + 1 : k === 1 ? x === at || x === at + 1 : x >= at && x < at + 3 && y >= at && y < at + 3;
    const v = on ? 220 : n;
    return [v, v, v];
  };
}

export interface TreeOptions {
  classes?: string[];
  perClass: number;
  /** Test images per class; 0 writes no test/ folder. */
  testPerClass?: number;
  size?: number;
  colour?: boolean;
  /** PNG colour type of the files (default: 0 for grey trees, 2 for colour). */
  colorType?: 0 | 2 | 4 | 6;
  seed?: number;
}

export const CLASSES = ['circle', 'cross', 'square'];

/** DIR/train/<class>/NNN.png (and DIR/test/...), `perClass` images of each class. */
export function writePngTree(dir: string, options: TreeOptions): string {
  const { classes = CLASSES, perClass, testPerClass = 0, size = 12, colour = false, seed = 1 } = options;
  const colorType = options.colorType ?? (colour ? 2 : 0);
  const random = lcg(seed);
  for (const [part, count] of [['train', perClass], ['test', testPerClass]] as const) {
    if (count === 0) continue;
    classes.forEach((name, k) => {
      const folder = join(dir, part, name);
      mkdirSync(folder, { recursive: true });
      for (let i = 0; i < count; i++) writePng(join(folder, `${String(i).padStart(3, '0')}.png`), size, size, classImage(k, size, colour, random), colorType);
    });
  }
  return dir;
}

/** IDX bytes (images, labels) of `count` learnable grey images, labels cycling through `classes`. */
export function idxPair(count: number, classes: number, size = 12, seed = 1): { images: Uint8Array; labels: Uint8Array } {
  const images = idxImages(count, size, size, seed);
  const random = lcg(seed);
  const labels = Array.from({ length: count }, (_, i) => i % classes);
  for (let i = 0; i < count; i++) {
    const pixel = classImage(labels[i] % 3, size, false, random);
    for (let p = 0; p < size * size; p++) images[16 + i * size * size + p] = pixel(p % size, Math.floor(p / size))[0];
  }
  return { images, labels: idxLabels(labels) };
}

/** Writes train-/t10k- IDX files into dir, gzipped (.gz names) or raw. `test` 0 writes no test files. */
export function writeIdxFolder(dir: string, options: { train: number; test?: number; classes?: number; size?: number; gzipped?: boolean; prefix?: 't10k' | 'test' }): string {
  const { train, test = 0, classes = 3, size = 12, gzipped = true, prefix = 't10k' } = options;
  mkdirSync(dir, { recursive: true });
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gzipped ? `${name}.gz` : name), gzipped ? gz(bytes) : bytes);
  const tr = idxPair(train, classes, size, 1);
  write('train-images-idx3-ubyte', tr.images);
  write('train-labels-idx1-ubyte', tr.labels);
  if (test > 0) {
    const te = idxPair(test, classes, size, 2);
    write(`${prefix}-images-idx3-ubyte`, te.images);
    write(`${prefix}-labels-idx1-ubyte`, te.labels);
  }
  return dir;
}
