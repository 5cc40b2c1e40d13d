// A folder of IDX files (MNIST's format), gzipped or not: train-images…-idx3-ubyte and
// train-labels…-idx1-ubyte, and optionally t10k-… or test-… ones. Parsed by idx.ts with its
// checks of hostile headers, without checksums (the files are the user's). The classes are named
// by DIR/classes.txt (or labels.txt), one name per line, if there is one; else 0..N-1, where N is
// the largest label plus one.
import { readFileSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { checkClassCount, checkImageShape, MAX_CLASSES } from './dataset.js';
import { pairSplit, parseIdx, type IdxFile, type IdxKind, type Split } from './idx.js';

/** Largest IDX file of the user's own, decompressed: 1 GiB. */
export const MAX_FOLDER_IDX_BYTES = 2 ** 30;
const CLASS_NAME_FILES = ['classes.txt', 'labels.txt'];
const MAX_CLASS_NAME = 100;

type Role = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export type IdxFolderFiles = Partial<Record<Role, string>>;

const PATTERNS: [Role, RegExp][] = [
  ['trainImages', /^train-images.*[-.]idx3-ubyte(\.gz)?$/],
  ['trainLabels', /^train-labels.*[-.]idx1-ubyte(\.gz)?$/],
  ['testImages', /^(t10k|test)-images.*[-.]idx3-ubyte(\.gz)?$/],
  ['testLabels', /^(t10k|test)-labels.*[-.]idx1-ubyte(\.gz)?$/],
];
const EXPECTED: Record<Role, string> = {
  trainImages: 'train-images-idx3-ubyte[.gz]',
  trainLabels: 'train-labels-idx1-ubyte[.gz]',
  testImages: 't10k-images-idx3-ubyte[.gz] or test-images-idx3-ubyte[.gz]',
  testLabels: 't10k-labels-idx1-ubyte[.gz] or test-labels-idx1-ubyte[.gz]',
};

/** What this layout looks for, for the message when a folder has neither layout. */
export const IDX_LAYOUT = `IDX files (${EXPECTED.trainImages} with ${EXPECTED.trainLabels}, and t10k- or test- ones)`;

/**
 * The IDX files among a folder's entries, by role. A file and its .gz twin count as one (the
 * decompressed one is read: it is faster); two other candidates for one role are an error.
 */
export function findIdxFiles(dir: string, entries: Dirent[]): IdxFolderFiles {
  const found: IdxFolderFiles = {};
  for (const [role, pattern] of PATTERNS) {
    const names = entries.filter((e) => !e.isDirectory() && pattern.test(e.name)).map((e) => e.name).sort();
    const distinct = names.filter((name) => !(name.endsWith('.gz') && names.includes(name.slice(0, -3))));
    if (distinct.length > 1) throw new SimdnetError(`${dir} holds ${distinct.length} files that could be the ${describeRole(role)}: ${distinct.join(', ')}; keep one`);
    if (distinct.length === 1) found[role] = join(dir, distinct[0]);
  }
  return found;
}

const describeRole = (role: Role): string => role.replace(/([A-Z])/g, ' $1').toLowerCase();

function readIdx(path: string, kind: IdxKind): IdxFile {
  let bytes: Uint8Array;
  try {
    const size = statSync(path).size;
    if (size > MAX_FOLDER_IDX_BYTES) throw new SimdnetError(`${path} is ${size} bytes, more than the ${MAX_FOLDER_IDX_BYTES} simdnet reads from one IDX file`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof SimdnetError) throw error;
    throw new SimdnetError(`${path}: cannot read (${(error as Error).message})`);
  }
  return parseIdx(bytes, path, kind, { classes: MAX_CLASSES, maxBytes: MAX_FOLDER_IDX_BYTES });
}

/** One split from its two files; either without the other is an error. */
function loadPair(dir: string, files: IdxFolderFiles, part: 'train' | 'test'): Split | undefined {
  const images = files[`${part}Images`];
  const labels = files[`${part}Labels`];
  if (images === undefined && labels === undefined) return undefined;
  if (labels === undefined) throw new SimdnetError(`${images} has no labels file beside it: expected ${EXPECTED[`${part}Labels`]} in ${dir}`);
  if (images === undefined) throw new SimdnetError(`${labels} has no images file beside it: expected ${EXPECTED[`${part}Images`]} in ${dir}`);
  return pairSplit(readIdx(images, 'images'), readIdx(labels, 'labels'), images, labels);
}

/** DIR/classes.txt (or labels.txt): one class name per line; undefined when there is neither. */
function readClassNames(dir: string): { file: string; names: string[] } | undefined {
  const present = CLASS_NAME_FILES.map((name) => join(dir, name)).filter((path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
  if (present.length === 0) return undefined;
  if (present.length > 1) throw new SimdnetError(`${dir} holds both ${CLASS_NAME_FILES.join(' and ')}; keep one to name the classes`);
  const file = present[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SimdnetError(`${file}: cannot read (${(error as Error).message})`);
  }
  const names = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  names.forEach((name, i) => {
    if (name === '') throw new SimdnetError(`${file}: line ${i + 1} is empty; the file names one class per line`);
    if (name.length > MAX_CLASS_NAME) throw new SimdnetError(`${file}: line ${i + 1} is ${name.length} characters; simdnet takes class names of up to ${MAX_CLASS_NAME}`);
    const first = names.indexOf(name);
    if (first !== i) throw new SimdnetError(`${file}: lines ${first + 1} and ${i + 1} both name '${name}'; class names must differ`);
  });
  checkClassCount(names.length, file);
  return { file, names };
}

/**
 * The class names for these labels: DIR/classes.txt's (every label must have one), else 0..N-1
 * for the largest label N-1.
 */
function nameClasses(dir: string, labels: { file: string; labels: Uint8Array }[]): string[] {
  const named = readClassNames(dir);
  if (named) {
    for (const { file, labels: values } of labels) {
      const i = values.findIndex((label) => label >= named.names.length);
      if (i >= 0) throw new SimdnetError(`${file}: label ${values[i]} at index ${i} has no name in ${named.file}, which names ${named.names.length} classes`);
    }
    return named.names;
  }
  let classes = 0;
  for (const { labels: values } of labels) for (const label of values) classes = Math.max(classes, label + 1);
  checkClassCount(classes, `${labels.map((l) => l.file).join(' and ')} (labels ${classes > 0 ? `0..${classes - 1}` : 'none'})`);
  return Array.from({ length: classes }, (_, i) => String(i));
}

/** Loads the IDX files of DIR: the train split, the test split if there is one, and the class names. */
export function loadIdxFolder(dir: string, files: IdxFolderFiles): { classNames: string[]; train: Split; test: Split | undefined } {
  const train = loadPair(dir, files, 'train');
  if (train === undefined) throw new SimdnetError(`${dir} holds test IDX files but no training ones: expected ${EXPECTED.trainImages} and ${EXPECTED.trainLabels}`);
  if (train.count === 0) throw new SimdnetError(`${files.trainImages} holds no images`);
  checkImageShape(train.rows, train.cols, 1, files.trainImages!);
  const test = loadPair(dir, files, 'test');
  if (test?.count === 0) throw new SimdnetError(`${files.testImages} holds no images`);
  if (test && (test.rows !== train.rows || test.cols !== train.cols)) {
    throw new SimdnetError(`${files.testImages} holds ${test.rows}x${test.cols} images, but ${files.trainImages} holds ${train.rows}x${train.cols}; train and test images must be one size`);
  }
  const labels = [{ file: files.trainLabels!, labels: train.labels }];
  if (test) labels.push({ file: files.testLabels!, labels: test.labels });
  return { classNames: nameClasses(dir, labels), train, test };
}

/** The class names alone, reading only the label files. */
export function idxClassNames(dir: string, files: IdxFolderFiles): string[] {
  const labels: { file: string; labels: Uint8Array }[] = [];
  for (const part of ['train', 'test'] as const) {
    const file = files[`${part}Labels`];
    if (file !== undefined) labels.push({ file, labels: readIdx(file, 'labels').data });
  }
  if (labels.length === 0) throw new SimdnetError(`${dir} holds IDX images but no labels file (${EXPECTED.trainLabels})`);
  return nameClasses(dir, labels);
}
