// A dataset from a folder of the user's own, in one of two layouts (folder-idx.ts, folder-png.ts):
//   DIR/train-images-idx3-ubyte[.gz], DIR/train-labels-idx1-ubyte[.gz], and t10k-/test- ones
//   DIR/train/<class>/*.png, and DIR/test/<class>/*.png
// Without a test set, a fraction of each class of the training images is held out for testing
// (holdout.ts), the same images for the same folder, fraction and seed. PNG images are listed class
// by class, so their training set is shuffled once (seeded) and the trainer's validation tail holds
// every class; IDX files keep their own order, as the registered datasets do.
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import type { Dataset } from './dataset.js';
import { IDX_LAYOUT, findIdxFiles, idxClassNames, loadIdxFolder } from './folder-idx.js';
import { hasPngLayout, loadPngFolder, pngClassNames } from './folder-png.js';
import { DEFAULT_TEST_SPLIT, holdOut, shuffled } from './holdout.js';

export { DEFAULT_TEST_SPLIT };

export interface FolderDatasetOptions {
  /**
   * Fraction of each class held out for testing when the folder has no test set (default 0.2).
   * Giving it for a folder that has one is an error, so that it never silently does nothing.
   */
  testSplit?: number;
  /** Seeds the held-out choice and the PNG training order (default 0). */
  seed?: number;
}

const PNG_LAYOUT = 'PNG class folders (train/<class>/*.png)';

type Layout = { kind: 'idx'; files: ReturnType<typeof findIdxFiles> } | { kind: 'png' };

function detectLayout(dir: string): Layout {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === 'ENOENT' ? `data folder ${dir} does not exist` : `cannot read the data folder ${dir} (${(error as Error).message})`);
  }
  if (!isDir) throw new SimdnetError(`${dir} is not a folder; a dataset folder holds ${IDX_LAYOUT} or ${PNG_LAYOUT}`);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new SimdnetError(`cannot read the data folder ${dir} (${(error as Error).message})`);
  }
  const files = findIdxFiles(dir, entries);
  const idx = Object.values(files);
  const png = hasPngLayout(dir, entries);
  if (idx.length > 0 && png) throw new SimdnetError(`${dir} holds both IDX files (${idx.map((f) => basename(f)).join(', ')}) and a train/ folder; keep one layout`);
  if (idx.length > 0) return { kind: 'idx', files };
  if (png) return { kind: 'png' };
  throw new SimdnetError(`${dir} holds neither ${IDX_LAYOUT} nor ${PNG_LAYOUT}`);
}

/**
 * Loads a folder of the user's own as a Dataset: IDX files (grey, one channel) or a folder of PNGs
 * per class (one channel if every image is grey, else RGB). `name` is the folder's base name.
 */
export async function loadFolderDataset(dir: string, options: FolderDatasetOptions = {}): Promise<Dataset> {
  const { testSplit, seed = 0 } = options;
  if (testSplit !== undefined && !(testSplit > 0 && testSplit < 1)) throw new SimdnetError(`test split must be a fraction in (0, 1), got ${testSplit}`);
  const layout = detectLayout(dir);
  const loaded = layout.kind === 'idx' ? loadIdxFolder(dir, layout.files) : loadPngFolder(dir);
  if (loaded.test && testSplit !== undefined) {
    throw new SimdnetError(`${dir} has its own test set (${layout.kind === 'idx' ? 'IDX test files' : 'test/'}), so there is nothing to hold out; drop the test split`);
  }
  let { train, test } = loaded;
  const heldOut = test ? undefined : (testSplit ?? DEFAULT_TEST_SPLIT);
  if (heldOut !== undefined) ({ train, test } = holdOut(train, loaded.classNames.length, heldOut, seed, layout.kind === 'idx' ? dir : join(dir, 'train')));
  if (layout.kind === 'png') train = shuffled(train, seed);
  const name = folderDatasetName(dir);
  const dataset: Dataset = { name, displayName: name, classNames: loaded.classNames, train, test: test!, source: { kind: 'folder', dir } };
  if (heldOut !== undefined) dataset.testSplit = heldOut;
  return dataset;
}

/** A folder dataset's name: the folder's base name. */
export function folderDatasetName(dir: string): string {
  return basename(resolve(dir));
}

/** Whether the folder has a test set of its own (IDX test files, or test/), from its listing alone. */
export function folderHasTestSet(dir: string): boolean {
  const layout = detectLayout(dir);
  if (layout.kind === 'idx') return layout.files.testImages !== undefined || layout.files.testLabels !== undefined;
  try {
    return statSync(join(dir, 'test')).isDirectory();
  } catch {
    return false;
  }
}

/** The class names a folder dataset would have, without decoding its images (PNG) or reading more than its labels (IDX). */
export function folderClassNames(dir: string): string[] {
  const layout = detectLayout(dir);
  return layout.kind === 'idx' ? idxClassNames(dir, layout.files) : pngClassNames(dir);
}
