// Which data a command runs on: a registered dataset (--dataset NAME, found through --data-dir) or
// a folder of the user's own (--data DIR, with --test-split F when it has no test set), and the
// named models fitted to it.
import { SimdnetError } from '../engine/errors.js';
import type { Dataset } from '../data/dataset.js';
import { DEFAULT_TEST_SPLIT, folderDatasetName, folderHasTestSet, loadFolderDataset } from '../data/folder.js';
import { forData } from '../nn/for-data.js';
import type { TrainingSpec } from '../nn/spec.js';
import { choiceFlag, floatFlag, type Options } from './args.js';
import { DATASET_NAMES, getDataset } from './common.js';

export const dataOptions: Options = {
  dataset: { type: 'string' },
  data: { type: 'string' },
  'test-split': { type: 'string' },
};

/** The lines each command's --help gives these flags. */
export const dataHelp = `  --data DIR              a dataset of your own instead of --dataset: IDX files (train-images-idx3-ubyte[.gz],
                          train-labels-idx1-ubyte[.gz], t10k-/test- ones) or PNGs in train/<class>/ and test/<class>/
  --test-split F          without a test set in DIR, hold out this fraction of each class for testing (default ${DEFAULT_TEST_SPLIT})`;

export type DataChoice =
  | { kind: 'registered'; name: string }
  /** `testSplit` from --test-split; `recordedTestSplit` (a saved model's) applies when the folder has no test set. */
  | { kind: 'folder'; dir: string; name: string; testSplit?: number; recordedTestSplit?: number };

type Values = Record<string, string | boolean | undefined>;

/**
 * The data the flags name. `fallback` is the registered dataset used when neither --dataset nor
 * --data is given (bench's mnist, the dataset a saved model records); without one, one is required.
 */
export function chooseData(values: Values, fallback?: string): DataChoice {
  const dir = values.data as string | undefined;
  const name = values.dataset as string | undefined;
  const split = values['test-split'] as string | undefined;
  if (dir !== undefined && name !== undefined) throw new SimdnetError('--dataset and --data name two datasets; give one');
  if (dir === undefined && split !== undefined) throw new SimdnetError('--test-split applies to --data DIR (a folder without a test set); the registered datasets have their own test sets');
  if (dir !== undefined) {
    if (values['data-dir'] !== undefined) throw new SimdnetError('--data-dir locates the registered datasets (--dataset); --data DIR is a folder of your own; give one');
    if (dir === '') throw new SimdnetError('--data expects a folder, got an empty string');
    const testSplit = split === undefined ? undefined : floatFlag(split, 'test-split', DEFAULT_TEST_SPLIT, (x) => x > 0 && x < 1, 'a fraction in (0, 1)');
    return { kind: 'folder', dir, name: folderDatasetName(dir), testSplit };
  }
  const chosen = name ?? fallback;
  if (chosen === undefined) throw new SimdnetError(`--dataset is required: one of ${DATASET_NAMES.join(', ')} (or --data DIR for a folder of your own)`);
  return { kind: 'registered', name: choiceFlag(chosen, 'dataset', DATASET_NAMES) };
}

/** Folders load once per process, as the registered datasets do (common.ts). */
const folders = new Map<string, Promise<Dataset>>();

/** Loads the chosen data: a registered dataset through --data-dir, or the folder. */
export function loadData(choice: DataChoice, dataDir: string | undefined): Promise<Dataset> {
  if (choice.kind === 'registered') return getDataset(choice.name, dataDir);
  const testSplit = choice.testSplit ?? (choice.recordedTestSplit !== undefined && !folderHasTestSet(choice.dir) ? choice.recordedTestSplit : undefined);
  const key = `${choice.dir}\0${testSplit ?? ''}`;
  let dataset = folders.get(key);
  if (!dataset) {
    dataset = loadFolderDataset(choice.dir, { testSplit });
    folders.set(key, dataset);
  }
  return dataset;
}

/**
 * A named model fitted to the data: its input shape and class count (MNIST's give it back
 * unchanged). A spec of the user's own is not touched; the trainer says if it does not fit.
 */
export function fitSpec(spec: TrainingSpec, named: boolean, dataset: Dataset): TrainingSpec {
  if (!named) return spec;
  const { rows, cols, channels } = dataset.train;
  return forData(spec, [rows, cols, channels], dataset.classNames.length);
}

/** E.g. "3 classes (circle, square, cross), 12x12 RGB images: 480 for training, 120 for testing (20% of each class held out)". */
export function describeData(dataset: Dataset): string {
  const { rows, cols, channels } = dataset.train;
  const kind = channels === 1 ? 'grey' : channels === 3 ? 'RGB' : `${channels}-channel`;
  const names = dataset.classNames.length <= 12 ? ` (${dataset.classNames.join(', ')})` : '';
  const held = dataset.testSplit === undefined ? '' : ` (${+(dataset.testSplit * 100).toFixed(2)}% of each class held out)`;
  return `${dataset.classNames.length} classes${names}, ${rows}x${cols} ${kind} images: ${dataset.train.count} for training, ${dataset.test.count} for testing${held}`;
}
