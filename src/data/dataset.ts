// What every dataset loader gives: the registered datasets (resolve.ts), a folder of the user's own
// (folder.ts) and typed arrays (arrays.ts) all come out as one Dataset, so training, evaluation and
// the reports never ask where the images came from.
import { SimdnetError } from '../engine/errors.js';
import { MAX_CHANNELS, MAX_INPUT, MAX_SIDE } from '../nn/model-spec.js';
import type { Split } from './idx.js';

/** Where a dataset came from: a rule of the registry's resolution order, a folder, or arrays in memory. */
export type DatasetSource =
  | { kind: 'data-dir' | 'cache' | 'debian' | 'download'; dir: string }
  | { kind: 'folder'; dir: string }
  | { kind: 'arrays' };

export interface Dataset {
  /** The registry's name ("mnist"), a folder's base name, or the name given with the arrays. */
  name: string;
  displayName: string;
  /** One name per class; labels index it. */
  classNames: string[];
  train: Split;
  test: Split;
  source: DatasetSource;
  /** Set when the data had no test set: the fraction of each class held out of it for testing. */
  testSplit?: number;
}

/** E.g. "/data/mnist" or "memory": for a line saying where the data came from. */
export function describeSource(source: DatasetSource): string {
  return source.kind === 'arrays' ? 'arrays in memory' : source.dir;
}

/** Labels are stored as bytes. */
export const MAX_CLASSES = 256;

/**
 * Refuses an image shape no model could take ([height, width, channels] beyond what a model spec
 * may declare: a model trained on it could not be saved and loaded again). `what` names the data.
 */
export function checkImageShape(rows: number, cols: number, channels: number, what: string): void {
  const ok = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  if (!ok(rows, MAX_SIDE) || !ok(cols, MAX_SIDE) || !ok(channels, MAX_CHANNELS) || rows * cols * channels > MAX_INPUT) {
    throw new SimdnetError(
      `${what}: images of ${rows}x${cols}x${channels} are outside what simdnet trains on (1 to ${MAX_SIDE} pixels a side, 1 to ${MAX_CHANNELS} channels, at most ${MAX_INPUT} values an image)`,
    );
  }
}

/** Refuses fewer than two classes, or more than a byte label can name. */
export function checkClassCount(classes: number, what: string): void {
  if (classes < 2) throw new SimdnetError(`${what}: ${classes === 1 ? 'only one class' : 'no classes'}; a classifier needs at least two`);
  if (classes > MAX_CLASSES) throw new SimdnetError(`${what}: ${classes} classes, more than the ${MAX_CLASSES} simdnet supports`);
}

/**
 * Whether a grey split shows light shapes on a dark background (MNIST) or dark on light: the mean
 * of its images' border pixels, against mid-grey (the first 1,000 images decide). Undefined for colour.
 */
export function imageBackground(split: Split): 'dark' | 'light' | undefined {
  if (split.channels !== 1 || split.count === 0) return undefined;
  const { rows, cols } = split;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < Math.min(split.count, 1000); i++) {
    const image = split.images.subarray(i * rows * cols, (i + 1) * rows * cols);
    for (let x = 0; x < cols; x++) sum += image[x] + image[(rows - 1) * cols + x];
    for (let y = 1; y < rows - 1; y++) sum += image[y * cols] + image[y * cols + cols - 1];
    n += 2 * cols + 2 * Math.max(0, rows - 2);
  }
  return sum / n > 127.5 ? 'light' : 'dark';
}
