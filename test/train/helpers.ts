// A small synthetic dataset in MNIST's shape, so trainer tests need no files and run in seconds.
import type { DatasetLike, ImageSplit } from '../../src/train/trainer.js';

function split(count: number, seed: number): ImageSplit {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  let x = seed >>> 0;
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    // A bright band whose row depends on the label, over LCG noise: learnable, not trivial.
    for (let p = 0; p < 784; p++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const row = (p / 28) | 0;
      images[i * 784 + p] = (x >>> 26) + (row >= labels[i] * 2 + 4 && row < labels[i] * 2 + 6 ? 180 : 0);
    }
  }
  return { images, labels, count, rows: 28, cols: 28 };
}

export function syntheticDataset(train = 600, test = 200): DatasetLike {
  return {
    name: 'synthetic',
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: split(train, 1),
    test: split(test, 2),
  };
}
