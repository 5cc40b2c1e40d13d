// A dataset from typed arrays of the library user's own: images of any [height, width, channels]
// shape, bytes 0..255 or floats 0..1, with a label per image. Everything is checked once here, so
// a mistake (a length that is not a whole number of images, a label with no class) is one line
// instead of a model that trains on garbage. Free of Node, so a page can use it too.
import { SimdnetError } from '../engine/errors.js';
import { checkClassCount, checkImageShape, type Dataset } from './dataset.js';
import { DEFAULT_TEST_SPLIT, holdOut } from './holdout.js';
import type { Split } from './idx.js';

/** Pixels as bytes 0..255, or as floats 0..1 (stored as round(x · 255)). */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array | Float64Array;

export interface ArrayDatasetInput {
  /** count·height·width·channels values, each image row-major with its channels last (NHWC). */
  images: PixelArray;
  /** One class index per image, 0..classes-1. */
  labels: ArrayLike<number>;
  /** [height, width, channels] of every image. */
  shape: readonly [number, number, number];
  /** One name per class; default '0'..'N-1', N the largest label plus one. */
  classNames?: readonly string[];
  /** A test set of the same shape; without one, `testSplit` of each class is held out. */
  testImages?: PixelArray;
  testLabels?: ArrayLike<number>;
  /** Fraction of each class held out for testing when there are no test arrays (default 0.2). */
  testSplit?: number;
  /** Seeds the held-out choice (default 0). */
  seed?: number;
  /** Names the dataset in results and errors (default 'arrays'). */
  name?: string;
  displayName?: string;
}

/** Bytes 0..255 from `values`: copied when they are bytes, scaled and rounded when floats in [0, 1]. */
function toBytes(values: PixelArray, what: string): Uint8Array {
  if (values instanceof Uint8Array) return values.slice();
  if (values instanceof Uint8ClampedArray) return new Uint8Array(values);
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!(x >= 0 && x <= 1)) throw new SimdnetError(`${what}[${i}] is ${x}; float pixels must be in [0, 1] (or pass bytes 0..255 as a Uint8Array)`);
    bytes[i] = Math.round(x * 255);
  }
  return bytes;
}

function toSplit(images: PixelArray, labels: ArrayLike<number>, shape: readonly [number, number, number], name: string, what: { images: string; labels: string }): Split {
  const isPixelArray = images instanceof Uint8Array || images instanceof Uint8ClampedArray || images instanceof Float32Array || images instanceof Float64Array;
  if (!isPixelArray) throw new SimdnetError(`${name}: ${what.images} must be a Uint8Array (bytes 0..255) or a Float32Array/Float64Array (0..1)`);
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw new SimdnetError(`${name}: ${what.labels} must be an array of class indices`);
  const [rows, cols, channels] = shape;
  const size = rows * cols * channels;
  if (images.length % size !== 0) {
    throw new SimdnetError(`${name}: ${what.images} holds ${images.length} values, not a whole number of ${rows}x${cols}x${channels} images (${size} values each)`);
  }
  const count = images.length / size;
  if (labels.length !== count) throw new SimdnetError(`${name}: ${what.images} holds ${count} images but ${what.labels} holds ${labels.length} labels; give one label per image`);
  const bytes = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label > 255) throw new SimdnetError(`${name}: ${what.labels}[${i}] is ${label}; labels are class indices 0..255`);
    bytes[i] = label;
  }
  return { images: toBytes(images, `${name}: ${what.images}`), labels: bytes, count, rows, cols, channels };
}

/**
 * A Dataset from typed arrays, to train, evaluate and report on like the registered datasets and
 * folders. The arrays are copied (and floats converted to bytes), so they may be changed afterwards.
 */
export function datasetFromArrays(input: ArrayDatasetInput): Dataset {
  const name = input.name ?? 'arrays';
  if (typeof name !== 'string' || name.length === 0 || name.length > 100) throw new SimdnetError(`a dataset name must be a string of 1 to 100 characters, got ${JSON.stringify(input.name)}`);
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.length !== 3) throw new SimdnetError(`${name}: shape must be [height, width, channels], got ${JSON.stringify(shape)}`);
  checkImageShape(shape[0], shape[1], shape[2], name);
  let train = toSplit(input.images, input.labels, shape, name, { images: 'images', labels: 'labels' });
  if (train.count === 0) throw new SimdnetError(`${name}: images is empty; a dataset needs training images`);
  const hasTest = input.testImages !== undefined || input.testLabels !== undefined;
  if (hasTest && (input.testImages === undefined || input.testLabels === undefined)) {
    throw new SimdnetError(`${name}: give testImages and testLabels together (or neither, to hold out a test split)`);
  }
  let test = hasTest ? toSplit(input.testImages!, input.testLabels!, shape, name, { images: 'testImages', labels: 'testLabels' }) : undefined;
  if (test?.count === 0) throw new SimdnetError(`${name}: testImages is empty`);
  if (test && input.testSplit !== undefined) throw new SimdnetError(`${name}: testSplit holds out a test set, but testImages are given; give one or the other`);

  let classNames: string[];
  let largest = 0;
  for (const split of [train, test]) if (split) for (const label of split.labels) largest = Math.max(largest, label);
  if (input.classNames !== undefined) {
    const names = input.classNames;
    if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 100)) {
      throw new SimdnetError(`${name}: classNames must be strings of 1 to 100 characters, one per class`);
    }
    if (new Set(names).size !== names.length) throw new SimdnetError(`${name}: classNames holds a name twice; class names must differ`);
    if (largest >= names.length) throw new SimdnetError(`${name}: label ${largest} has no name: classNames names ${names.length} classes (0..${names.length - 1})`);
    classNames = [...names];
  } else {
    classNames = Array.from({ length: largest + 1 }, (_, i) => String(i));
  }
  checkClassCount(classNames.length, name);
  const heldOut = test ? undefined : (input.testSplit ?? DEFAULT_TEST_SPLIT);
  if (heldOut !== undefined) ({ train, test } = holdOut(train, classNames.length, heldOut, input.seed ?? 0, name));
  const dataset: Dataset = { name, displayName: input.displayName ?? name, classNames, train, test: test!, source: { kind: 'arrays' } };
  if (heldOut !== undefined) dataset.testSplit = heldOut;
  return dataset;
}
