// The datasets simdnet knows, as data: datasets/registry.json (bundled into dist/ by esbuild).
import registryJson from '../../datasets/registry.json' with { type: 'json' };
import { SimdnetError } from '../engine/errors.js';

export type FileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export const FILE_KEYS: readonly FileKey[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

export interface DatasetFile {
  /** As the mirrors serve it, e.g. "train-images-idx3-ubyte.gz"; also accepted without ".gz". */
  name: string;
  /** SHA-256 of the decompressed IDX bytes: what every copy is verified against. */
  sha256: string;
  /** SHA-256 of the .gz as the mirrors serve it (gzip output varies, so only named in errors). */
  gzSha256?: string;
}

export interface DatasetInfo {
  displayName: string;
  classNames: string[];
  /** Base URLs, tried in order; a file's URL is base + file name. */
  mirrors: string[];
  files: Record<FileKey, DatasetFile>;
}

export type Registry = Record<string, DatasetInfo>;

export const registry: Registry = registryJson.datasets;

export function datasetNames(reg: Registry = registry): string[] {
  return Object.keys(reg);
}

/** The registry entry for `name`, or a SimdnetError listing the valid names. */
export function getDataset(name: string, reg: Registry = registry): DatasetInfo {
  const info = Object.hasOwn(reg, name) ? reg[name] : undefined;
  if (!info) {
    throw new SimdnetError(`unknown dataset "${name}"; valid names: ${datasetNames(reg).join(', ')}`);
  }
  return info;
}

/** E.g. "train images" for trainImages. */
export function describeFileKey(key: FileKey): string {
  return key.replace(/([A-Z])/g, ' $1').toLowerCase();
}

/** Which known dataset file has this decompressed SHA-256, e.g. "MNIST train images". */
export function identifyHash(sha256: string, reg: Registry = registry): string | undefined {
  for (const info of Object.values(reg)) {
    for (const key of FILE_KEYS) {
      if (info.files[key].sha256 === sha256) return `${info.displayName} ${describeFileKey(key)}`;
    }
  }
  return undefined;
}
