// Folder datasets (src/data/folder.ts): both layouts, grey and colour detection, alpha, the
// held-out test split, and every malformed folder as one SimdnetError line naming what is wrong.
import { describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SimdnetError } from '../../src/engine/errors.js';
import { folderClassNames, folderHasTestSet, loadFolderDataset, type FolderDatasetOptions } from '../../src/data/folder.js';
import { gz, idxImages, idxLabels, tempDir } from './fixtures.js';
import { CLASSES, writeIdxFolder, writePng, writePngTree } from './folder-fixtures.js';

async function loadError(dir: string, options?: FolderDatasetOptions): Promise<string> {
  try {
    await loadFolderDataset(dir, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SimdnetError);
    const message = (error as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error(`loadFolderDataset(${dir}) accepted the folder`);
}

const grey = (v: number): [number, number, number] => [v, v, v];

describe('a folder of PNGs, one sub-folder per class', () => {
  it('reads a grey tree: sorted class names, one channel, 20% of each class held out', async () => {
    const dir = writePngTree(join(tempDir(), 'shapes'), { classes: ['square', 'circle', 'cross'], perClass: 10 });
    const data = await loadFolderDataset(dir);
    expect(data).toMatchObject({ name: 'shapes', displayName: 'shapes', classNames: ['circle', 'cross', 'square'], source: { kind: 'folder', dir }, testSplit: 0.2 });
    expect(data.train).toMatchObject({ count: 24, rows: 12, cols: 12, channels: 1 });
    expect(data.test).toMatchObject({ count: 6, rows: 12, cols: 12, channels: 1 });
    expect(data.train.images.length).toBe(24 * 144);
    for (const split of [data.train, data.test]) expect([0, 1, 2].map((k) => split.labels.filter((l) => l === k).length)).toEqual(split === data.test ? [2, 2, 2] : [8, 8, 8]);
    // Listed class by class, the training set is shuffled so that its tail (Keras's validation split) mixes classes.
    expect(new Set(data.train.labels.subarray(-6)).size).toBeGreaterThan(1);
    expect(folderClassNames(dir)).toEqual(['circle', 'cross', 'square']);
    expect(folderHasTestSet(dir)).toBe(false);
  });

  it('holds out the same images every time, others for another seed or fraction', async () => {
    const dir = writePngTree(tempDir(), { perClass: 20 });
    const a = await loadFolderDataset(dir);
    const b = await loadFolderDataset(dir);
    expect(Buffer.from(b.test.images).equals(Buffer.from(a.test.images))).toBe(true);
    expect(Buffer.from(b.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    const other = await loadFolderDataset(dir, { seed: 1 });
    expect(Buffer.from(other.test.images).equals(Buffer.from(a.test.images))).toBe(false);
    const half = await loadFolderDataset(dir, { testSplit: 0.5 });
    expect([half.train.count, half.test.count, half.testSplit]).toEqual([30, 30, 0.5]);
  });

  it('reads a colour tree with test/ as RGB, bytes as written, nothing held out', async () => {
    const dir = tempDir();
    const colours: [number, number, number][] = [[250, 10, 20], [5, 240, 30], [40, 50, 230]];
    colours.forEach((c, k) => {
      for (const part of ['train', 'test']) {
        mkdirSync(join(dir, part, `c${k}`), { recursive: true });
        writePng(join(dir, part, `c${k}`, 'a.png'), 3, 2, (x, y) => (x === 0 && y === 0 ? c : [x * 10, y * 10, 7]), 2);
      }
    });
    const data = await loadFolderDataset(dir);
    expect(data.testSplit).toBeUndefined();
    expect(data.train).toMatchObject({ count: 3, rows: 2, cols: 3, channels: 3 });
    expect(data.test).toMatchObject({ count: 3, channels: 3 });
    expect(Array.from(data.test.labels)).toEqual([0, 1, 2]);
    const first = Array.from(data.test.images.subarray(0, 18));
    expect(first).toEqual([250, 10, 20, 10, 0, 7, 20, 0, 7, 0, 10, 7, 10, 10, 7, 20, 10, 7]);
    expect(folderHasTestSet(dir)).toBe(true);
    expect(await loadError(dir, { testSplit: 0.3 })).toBe(`${dir} has its own test set (test/), so there is nothing to hold out; drop the test split`);
  });

  it('takes RGB files whose pixels are all grey as one channel, and one colour image makes the whole set RGB', async () => {
    const dir = tempDir();
    for (const k of ['a', 'b']) {
      mkdirSync(join(dir, 'train', k), { recursive: true });
      for (let i = 0; i < 3; i++) writePng(join(dir, 'train', k, `${i}.png`), 4, 4, (x) => grey(x * 60 + i), 2);
    }
    const data = await loadFolderDataset(dir, { testSplit: 0.4 });
    expect(data.train.channels).toBe(1);
    writePng(join(dir, 'train', 'b', '9.png'), 4, 4, (x) => [x, 0, 0], 2);
    expect((await loadFolderDataset(dir, { testSplit: 0.4 })).train.channels).toBe(3);
  });

  it('composites alpha onto black: grey+alpha stays grey, RGBA keeps its colour', async () => {
    const dir = tempDir();
    for (const k of ['a', 'b']) {
      mkdirSync(join(dir, 'train', k), { recursive: true });
      mkdirSync(join(dir, 'test', k), { recursive: true });
      writePng(join(dir, 'train', k, '0.png'), 2, 1, (x) => [200, 200, 200, x === 0 ? 255 : 0], 4);
      writePng(join(dir, 'test', k, '0.png'), 2, 1, (x) => [200, 200, 200, x === 0 ? 128 : 255], 4);
    }
    const data = await loadFolderDataset(dir);
    expect(data.train.channels).toBe(1);
    expect(Array.from(data.test.images.subarray(0, 2))).toEqual([Math.round((200 * 128) / 255), 200]);
    expect(Array.from(data.train.images), 'a transparent pixel is black').toEqual([200, 0, 200, 0]);
    writePng(join(dir, 'test', 'a', '0.png'), 2, 1, () => [200, 100, 50, 128], 6);
    const rgba = await loadFolderDataset(dir);
    expect(rgba.train.channels).toBe(3);
    const i = Array.from(rgba.test.labels).indexOf(0);
    expect(Array.from(rgba.test.images.subarray(i * 6, i * 6 + 3))).toEqual([100, 50, 25]);
  });

  it('ignores hidden files and follows symbolic links to class folders', async () => {
    const dir = writePngTree(tempDir(), { perClass: 5, testPerClass: 2 });
    writeFileSync(join(dir, 'train', '.DS_Store'), 'x');
    writeFileSync(join(dir, 'train', 'circle', '.hidden'), 'x');
    const elsewhere = writePngTree(tempDir(), { classes: ['extra'], perClass: 5 });
    symlinkSync(join(elsewhere, 'train', 'extra'), join(dir, 'train', 'extra'));
    const data = await loadFolderDataset(dir);
    expect(data.classNames).toEqual([...CLASSES, 'extra'].sort());
    expect(data.train.count).toBe(20);
  });
});

describe('malformed PNG folders: one line naming the folder or file', () => {
  it('a folder that is missing, a file, or holds neither layout', async () => {
    const dir = tempDir();
    expect(await loadError(join(dir, 'absent'))).toBe(`data folder ${join(dir, 'absent')} does not exist`);
    writeFileSync(join(dir, 'file'), 'x');
    expect(await loadError(join(dir, 'file'))).toMatch(/file is not a folder; a dataset folder holds IDX files \(train-images-idx3-ubyte\[\.gz\] .*\) or PNG class folders \(train\/<class>\/\*\.png\)$/);
    mkdirSync(join(dir, 'empty'));
    expect(await loadError(join(dir, 'empty'))).toMatch(/empty holds neither IDX files \(train-images-idx3-ubyte\[\.gz\] with train-labels-idx1-ubyte\[\.gz\], and t10k- or test- ones\) nor PNG class folders \(train\/<class>\/\*\.png\)$/);
  });

  it('no class folders, one class, an empty class folder', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'train'));
    expect(await loadError(dir)).toMatch(/train holds no class folders; expected .*train\/<class>\/\*\.png, one folder per class$/);
    writePngTree(dir, { classes: ['only'], perClass: 3 });
    expect(await loadError(dir)).toMatch(/train holds only one class folder \(only\); a classifier needs at least two$/);
    mkdirSync(join(dir, 'train', 'empty'));
    expect(await loadError(dir)).toBe(`${join(dir, 'train', 'empty')} holds no .png images; every class folder needs at least one`);
  });

  it('images of different sizes: the first odd file and both sizes', async () => {
    const dir = writePngTree(tempDir(), { perClass: 3 });
    writePng(join(dir, 'train', 'cross', '001.png'), 16, 12, () => grey(0), 0);
    expect(await loadError(dir)).toBe(`${join(dir, 'train', 'cross', '001.png')} is 16x12, but ${join(dir, 'train', 'circle', '000.png')} is 12x12; every image must be one size (simdnet does not resize)`);
  });

  it('a corrupt PNG, a file that is not a PNG, and other files where images go', async () => {
    const dir = writePngTree(tempDir(), { perClass: 3 });
    const file = join(dir, 'train', 'cross', '001.png');
    const good = PNG.sync.write(Object.assign(new PNG({ width: 12, height: 12 }), {}));
    writeFileSync(file, good.subarray(0, good.length - 20));
    expect(await loadError(dir)).toMatch(new RegExp(`^${file.replace(/[/.]/g, '\\$&')} is not a readable PNG \\(.+\\)$`));
    writeFileSync(file, 'not a png at all, just some text');
    expect(await loadError(dir)).toBe(`${file} is not a PNG file`);
    rmSync(file);
    writeFileSync(join(dir, 'train', 'cross', 'photo.jpg'), 'x');
    expect(await loadError(dir)).toBe(`${join(dir, 'train', 'cross', 'photo.jpg')} is not a .png file; simdnet reads PNG images only (convert it or move it out of ${join(dir, 'train', 'cross')})`);
    rmSync(join(dir, 'train', 'cross', 'photo.jpg'));
    mkdirSync(join(dir, 'train', 'cross', 'nested'));
    expect(await loadError(dir)).toBe(`${join(dir, 'train', 'cross', 'nested')} is a folder; a class folder holds .png images only`);
    rmSync(join(dir, 'train', 'cross', 'nested'), { recursive: true });
    writePng(join(dir, 'train', 'loose.png'), 12, 12, () => grey(0), 0);
    expect(await loadError(dir)).toMatch(/train\/loose\.png: images go in class folders \(.*train\/<class>\/\*\.png\), not in .*train itself$/);
  });

  it('a test class that train/ lacks; a test/ that is a file', async () => {
    const dir = writePngTree(tempDir(), { perClass: 3, testPerClass: 1 });
    writePngTree(join(dir, 'x'), { classes: ['bird'], perClass: 1 });
    mkdirSync(join(dir, 'test', 'bird'));
    writePng(join(dir, 'test', 'bird', 'a.png'), 12, 12, () => grey(0), 0);
    expect(await loadError(dir)).toBe(`${join(dir, 'test', 'bird')}: 'bird' is not a class of ${join(dir, 'train')} (its classes: circle, cross, square)`);
    rmSync(join(dir, 'test'), { recursive: true });
    writeFileSync(join(dir, 'test'), 'x');
    expect(await loadError(dir)).toBe(`${join(dir, 'test')} is not a folder; expected ${join(dir, 'test', '<class>', '*.png')}`);
  });

  it('a split that leaves no training images, or no test images', async () => {
    const dir = writePngTree(tempDir(), { perClass: 1 });
    expect(await loadError(dir, { testSplit: 0.9 })).toBe(`${join(dir, 'train')}: no training images left after holding out 90% of each class for testing; use a smaller test split`);
    expect(await loadError(dir)).toBe(`${join(dir, 'train')}: 20% of each class rounds to no test images (3 images in all); use a larger test split or give the data a test set`);
    expect(await loadError(dir, { testSplit: 1 })).toBe('test split must be a fraction in (0, 1), got 1');
  });
});

describe('a folder of IDX files', () => {
  it('reads gzipped train-/t10k- files and raw train-/test- ones, classes 0..N-1', async () => {
    const gzDir = writeIdxFolder(join(tempDir(), 'digits'), { train: 30, test: 9, classes: 3 });
    const a = await loadFolderDataset(gzDir);
    expect(a).toMatchObject({ name: 'digits', classNames: ['0', '1', '2'], source: { kind: 'folder', dir: gzDir } });
    expect(a.testSplit).toBeUndefined();
    expect(a.train).toMatchObject({ count: 30, rows: 12, cols: 12, channels: 1 });
    expect(a.test.count).toBe(9);
    expect(Array.from(a.train.labels.subarray(0, 4)), 'IDX files keep their order').toEqual([0, 1, 2, 0]);
    const rawDir = writeIdxFolder(tempDir(), { train: 30, test: 9, classes: 3, gzipped: false, prefix: 'test' });
    const b = await loadFolderDataset(rawDir);
    expect(Buffer.from(b.train.images).equals(Buffer.from(a.train.images))).toBe(true);
    expect(folderClassNames(rawDir)).toEqual(['0', '1', '2']);
  });

  it('holds out a test split without test files, keeping the order', async () => {
    const dir = writeIdxFolder(tempDir(), { train: 40, classes: 4 });
    const data = await loadFolderDataset(dir, { testSplit: 0.25 });
    // round(10 · 0.25) = 3 of each of the 4 classes.
    expect([data.train.count, data.test.count, data.testSplit]).toEqual([28, 12, 0.25]);
    expect(folderHasTestSet(dir)).toBe(false);
  });

  it('names the classes from classes.txt or labels.txt, and takes labels past 9', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(4, 2, 2));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels([0, 11, 3, 11]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxImages(2, 2, 2));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxLabels([11, 0]));
    expect((await loadFolderDataset(dir)).classNames).toHaveLength(12);
    const names = Array.from({ length: 12 }, (_, i) => `class ${i}`);
    writeFileSync(join(dir, 'labels.txt'), names.join('\r\n') + '\r\n\r\n');
    expect((await loadFolderDataset(dir)).classNames).toEqual(names);
    expect(folderClassNames(dir)).toEqual(names);
    writeFileSync(join(dir, 'classes.txt'), 'a\nb\n');
    expect(await loadError(dir)).toBe(`${dir} holds both classes.txt and labels.txt; keep one to name the classes`);
    rmSync(join(dir, 'labels.txt'));
    expect(await loadError(dir)).toBe(`${join(dir, 'train-labels-idx1-ubyte')}: label 11 at index 1 has no name in ${join(dir, 'classes.txt')}, which names 2 classes`);
    writeFileSync(join(dir, 'classes.txt'), 'a\n\nb\n');
    expect(await loadError(dir)).toBe(`${join(dir, 'classes.txt')}: line 2 is empty; the file names one class per line`);
    writeFileSync(join(dir, 'classes.txt'), 'a\nb\na\n');
    expect(await loadError(dir)).toBe(`${join(dir, 'classes.txt')}: lines 1 and 3 both name 'a'; class names must differ`);
  });
});

describe('malformed IDX folders: one line naming the file', () => {
  const files = (dir: string, entries: Record<string, Uint8Array>) => {
    for (const [name, bytes] of Object.entries(entries)) writeFileSync(join(dir, name), bytes);
    return dir;
  };

  it('images without labels, labels without images, test files without train files', async () => {
    const a = files(tempDir(), { 'train-images-idx3-ubyte.gz': gz(idxImages(3, 2, 2)) });
    expect(await loadError(a)).toBe(`${join(a, 'train-images-idx3-ubyte.gz')} has no labels file beside it: expected train-labels-idx1-ubyte[.gz] in ${a}`);
    const b = files(tempDir(), { 'train-labels-idx1-ubyte': idxLabels([0, 1]) });
    expect(await loadError(b)).toBe(`${join(b, 'train-labels-idx1-ubyte')} has no images file beside it: expected train-images-idx3-ubyte[.gz] in ${b}`);
    const c = files(tempDir(), { 't10k-images-idx3-ubyte': idxImages(2, 2, 2), 't10k-labels-idx1-ubyte': idxLabels([0, 1]) });
    expect(await loadError(c)).toBe(`${c} holds test IDX files but no training ones: expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]`);
    const d = files(writeIdxFolder(tempDir(), { train: 15 }), { 'test-labels-idx1-ubyte': idxLabels([0, 1]) });
    expect(await loadError(d)).toMatch(/test-labels-idx1-ubyte has no images file beside it: expected t10k-images-idx3-ubyte\[\.gz\] or test-images-idx3-ubyte\[\.gz\] in /);
  });

  it('a label count that is not the image count', async () => {
    const dir = files(tempDir(), { 'train-images-idx3-ubyte': idxImages(3, 2, 2), 'train-labels-idx1-ubyte': idxLabels([0, 1]) });
    expect(await loadError(dir)).toBe(`${join(dir, 'train-images-idx3-ubyte')} holds 3 images but ${join(dir, 'train-labels-idx1-ubyte')} holds 2 labels; they must be the same split of the same dataset`);
  });

  it('one class, test images of another size, two candidates for one file, IDX files beside train/', async () => {
    const one = files(tempDir(), { 'train-images-idx3-ubyte': idxImages(3, 2, 2), 'train-labels-idx1-ubyte': idxLabels([0, 0, 0]) });
    expect(await loadError(one)).toBe(`${join(one, 'train-labels-idx1-ubyte')} (labels 0..0): only one class; a classifier needs at least two`);
    const sizes = files(writeIdxFolder(tempDir(), { train: 15 }), { 't10k-images-idx3-ubyte': idxImages(2, 3, 3), 't10k-labels-idx1-ubyte': idxLabels([0, 1]) });
    expect(await loadError(sizes)).toBe(`${join(sizes, 't10k-images-idx3-ubyte')} holds 3x3 images, but ${join(sizes, 'train-images-idx3-ubyte.gz')} holds 12x12; train and test images must be one size`);
    const twins = files(writeIdxFolder(tempDir(), { train: 15 }), { 'train-images-idx3-ubyte': idxImages(15, 12, 12) });
    expect((await loadFolderDataset(twins)).train.count, 'a file and its .gz twin are one').toBe(12);
    const two = files(writeIdxFolder(tempDir(), { train: 15 }), { 'train-images-v2-idx3-ubyte': idxImages(15, 12, 12) });
    expect(await loadError(two)).toBe(`${two} holds 2 files that could be the train images: train-images-idx3-ubyte.gz, train-images-v2-idx3-ubyte; keep one`);
    const both = writePngTree(writeIdxFolder(tempDir(), { train: 15 }), { perClass: 2 });
    expect(await loadError(both)).toBe(`${both} holds both IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz) and a train/ folder; keep one layout`);
  });

  it('hostile headers go through the IDX parser\'s checks', async () => {
    const truncated = idxImages(3, 2, 2).subarray(0, 20);
    const dir = files(tempDir(), { 'train-images-idx3-ubyte': truncated, 'train-labels-idx1-ubyte': idxLabels([0, 1, 2]) });
    expect(await loadError(dir)).toBe(`${join(dir, 'train-images-idx3-ubyte')}: header declares 3 images of 2x2 (28 bytes) but the data is 20 bytes: truncated`);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxLabels([1, 2, 3]));
    expect(await loadError(dir)).toMatch(/train-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803 \(IDX images\)$/);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), gz(idxImages(3, 2, 2)).subarray(0, 30));
    expect(await loadError(dir)).toMatch(/train-images-idx3-ubyte: corrupt or truncated gzip data/);
    const huge = idxImages(0, 2000, 2000);
    new DataView(huge.buffer).setUint32(4, 1);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), huge);
    expect(await loadError(dir)).toMatch(/header declares 1 images of 2000x2000/);
  });
});
