// Holding out a test set from data that has none, and taking subsets of a split. The same images
// come out for the same data, fraction and seed on every machine: a seeded shuffle of each class's
// indices, in the order the data lists them.
import { SimdnetError } from '../engine/errors.js';
import { Random, deriveSeed } from '../util/random.js';
import type { Split } from './idx.js';

/** The fraction of each class held out for testing when the data has no test set. */
export const DEFAULT_TEST_SPLIT = 0.2;

/** The images at `indices`, in that order. */
export function subset(split: Split, indices: Int32Array): Split {
  const bytes = split.rows * split.cols * split.channels;
  const images = new Uint8Array(indices.length * bytes);
  const labels = new Uint8Array(indices.length);
  indices.forEach((from, i) => {
    images.set(split.images.subarray(from * bytes, (from + 1) * bytes), i * bytes);
    labels[i] = split.labels[from];
  });
  return { images, labels, count: indices.length, rows: split.rows, cols: split.cols, channels: split.channels };
}

/**
 * Splits `split` in two: of each class, round(fraction · its count) images, chosen by a shuffle
 * seeded with `seed`, become the test set; the rest stay for training. Both keep the order the
 * images had. `what` names the data in errors (an empty training set, or an empty test set).
 */
export function holdOut(split: Split, classes: number, fraction: number, seed: number, what: string): { train: Split; test: Split } {
  if (!(fraction > 0 && fraction < 1)) throw new SimdnetError(`test split must be a fraction in (0, 1), got ${fraction}`);
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  for (let i = 0; i < split.count; i++) byClass[split.labels[i]].push(i);
  const random = new Random(deriveSeed(seed, 0x5e7));
  const isTest = new Uint8Array(split.count);
  for (const members of byClass) {
    const order = Int32Array.from(members);
    random.shuffle(order);
    for (const i of order.subarray(0, Math.round(members.length * fraction))) isTest[i] = 1;
  }
  const pick = (test: number) => Int32Array.from({ length: split.count }, (_, i) => i).filter((i) => isTest[i] === test);
  const train = pick(0);
  const test = pick(1);
  const percent = `${+(fraction * 100).toFixed(2)}%`;
  if (train.length === 0) throw new SimdnetError(`${what}: no training images left after holding out ${percent} of each class for testing; use a smaller test split`);
  if (test.length === 0) throw new SimdnetError(`${what}: ${percent} of each class rounds to no test images (${split.count} images in all); use a larger test split or give the data a test set`);
  return { train: subset(split, train), test: subset(split, test) };
}

/** The split in an order shuffled with `seed` (for data listed class by class, whose tail would otherwise validate one class). */
export function shuffled(split: Split, seed: number): Split {
  const order = Int32Array.from({ length: split.count }, (_, i) => i);
  new Random(deriveSeed(seed, 0x5f1)).shuffle(order);
  return subset(split, order);
}
