// Finds a dataset's four files, verifies each and loads them. Where it looks, in order:
//   1. an explicit data dir (option, else $SIMDNET_DATA): DIR/<name>/ or DIR itself; no fallback
//   2. the cache, datasets/cache/<name>/ at the package root
//   3. Debian's /usr/share/datasets/<name>/ (package dataset-fashion-mnist)
//   4. a download into the cache
// Each file may be gzipped (name.gz) or not (name); either way its decompressed SHA-256 must
// match the registry.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SimdnetError } from '../engine/errors.js';
import { downloadFile, type ProgressCallback } from './download.js';
import { createProgressRenderer } from './download-progress.js';
import type { Dataset } from './dataset.js';
import { pairSplit, readIdxFile, type IdxFile, type Split } from './idx.js';
import {
  FILE_KEYS,
  describeFileKey,
  getDataset,
  identifyHash,
  registry as defaultRegistry,
  type DatasetInfo,
  type FileKey,
  type Registry,
} from './registry.js';

export type { Dataset };

export interface LoadDatasetOptions {
  /** Folder holding <name>/ subfolders, or the four files directly. Default: $SIMDNET_DATA. */
  dataDir?: string;
  /** Cache root holding <name>/ subfolders. Default: datasets/cache at the package root. */
  cacheDir?: string;
  /** Root of the Debian datasets (default /usr/share/datasets); null skips it. */
  debianDir?: string | null;
  /** Download missing files into the cache (default true). */
  download?: boolean;
  /** Download progress; default: a bar on a terminal, plain lines otherwise, on stderr. */
  onProgress?: ProgressCallback;
  /** Mirrors to try instead of the registry's. */
  mirrors?: string[];
  /** Download time-out with no data, in ms (default 30 000). */
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  /** Registry to use instead of datasets/registry.json (tests). */
  registry?: Registry;
  /** Environment to read SIMDNET_DATA from (default process.env). */
  env?: Record<string, string | undefined>;
}

export const DEBIAN_DATASETS_DIR = '/usr/share/datasets';

/**
 * The repository's datasets/ folder (../../datasets from src/data/, ../datasets from dist/),
 * recognised by its registry.json; undefined in an installed package, which ships no datasets/.
 */
export function packageDatasetsDir(): string | undefined {
  const candidates = ['../../datasets', '../datasets'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'registry.json')));
}

/**
 * Where downloads are kept: $SIMDNET_CACHE; else datasets/cache/ in a checkout of the repository;
 * else the user's cache ($XDG_CACHE_HOME/simdnet, or ~/.cache/simdnet), never inside node_modules.
 */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.SIMDNET_CACHE) return env.SIMDNET_CACHE;
  const repo = packageDatasetsDir();
  if (repo) return join(repo, 'cache');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'simdnet');
}

/** Path of a file in dir: the decompressed name (faster to load) first, then the .gz. */
function findFile(dir: string, gzName: string): string | undefined {
  const raw = gzName.replace(/\.gz$/, '');
  for (const name of [raw, gzName]) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

type Found = Partial<Record<FileKey, string>>;

function findFiles(dir: string, info: DatasetInfo): Found {
  const found: Found = {};
  for (const key of FILE_KEYS) {
    const path = findFile(dir, info.files[key].name);
    if (path) found[key] = path;
  }
  return found;
}

const isComplete = (found: Found): found is Record<FileKey, string> => FILE_KEYS.every((k) => found[k]);

/** In an explicit data dir: DIR/<name>/ if it exists, else DIR itself; every file must be there. */
function filesInDataDir(dataDir: string, name: string, info: DatasetInfo): { dir: string; files: Record<FileKey, string> } {
  if (!existsSync(dataDir)) {
    throw new SimdnetError(`data dir ${dataDir} does not exist; pass --data-dir (or SIMDNET_DATA) a folder holding ${name}/ or the four ${info.displayName} files`);
  }
  const sub = join(dataDir, name);
  const dir = existsSync(sub) ? sub : dataDir;
  const found = findFiles(dir, info);
  if (!isComplete(found)) {
    const missing = FILE_KEYS.find((k) => !found[k])!;
    const file = info.files[missing].name;
    const where = dir === sub ? sub : `${dataDir} (nor in ${sub})`;
    throw new SimdnetError(`${info.displayName} file ${file} (or ${file.replace(/\.gz$/, '')}) not found in ${where}; --data-dir / SIMDNET_DATA must hold all four files`);
  }
  return { dir, files: found };
}

async function readSplits(files: Record<FileKey, string>, info: DatasetInfo, reg: Registry): Promise<{ train: Split; test: Split }> {
  const identify = (sha: string): string | undefined => identifyHash(sha, reg);
  const read = (key: FileKey): Promise<IdxFile> =>
    readIdxFile(files[key], key.endsWith('Images') ? 'images' : 'labels', {
      sha256: info.files[key].sha256,
      gzSha256: info.files[key].gzSha256,
      label: `${info.displayName} ${describeFileKey(key)}`,
      identify,
    });
  // Sequential: the decompressed train images alone are 47 MB; no need to hold two inflating at once.
  const trainImages = await read('trainImages');
  const trainLabels = await read('trainLabels');
  const testImages = await read('testImages');
  const testLabels = await read('testLabels');
  return {
    train: pairSplit(trainImages, trainLabels, files.trainImages, files.trainLabels),
    test: pairSplit(testImages, testLabels, files.testImages, files.testLabels),
  };
}

export interface DatasetLocation {
  kind: 'data-dir' | 'cache' | 'debian';
  dir: string;
  /** Each file's path: the decompressed name where present, else the .gz. */
  files: Record<FileKey, string>;
}

/**
 * Where loadDataset would read a dataset's four files from, by the same order but without
 * downloading, reading or verifying anything (simdnet serve hands the files to browsers, which
 * verify them). Undefined when no complete copy is found; throws as loadDataset does when an
 * explicit data dir lacks a file.
 */
export function locateDataset(name: string, opts: Pick<LoadDatasetOptions, 'dataDir' | 'cacheDir' | 'debianDir' | 'registry' | 'env'> = {}): DatasetLocation | undefined {
  const info = getDataset(name, opts.registry ?? defaultRegistry);
  const dataDir = opts.dataDir || (opts.env ?? process.env).SIMDNET_DATA || undefined;
  if (dataDir) return { kind: 'data-dir', ...filesInDataDir(dataDir, name, info) };
  const cacheDir = join(opts.cacheDir ?? defaultCacheDir(opts.env), name);
  const cached = findFiles(cacheDir, info);
  if (isComplete(cached)) return { kind: 'cache', dir: cacheDir, files: cached };
  const debianRoot = opts.debianDir === undefined ? DEBIAN_DATASETS_DIR : opts.debianDir;
  if (debianRoot === null) return undefined;
  const debianDir = join(debianRoot, name);
  const debian = findFiles(debianDir, info);
  return isComplete(debian) ? { kind: 'debian', dir: debianDir, files: debian } : undefined;
}

/** Finds, verifies and loads a dataset by registry name ("mnist", "fashion-mnist"). */
export async function loadDataset(name: string, opts: LoadDatasetOptions = {}): Promise<Dataset> {
  const reg = opts.registry ?? defaultRegistry;
  const info = getDataset(name, reg);
  const env = opts.env ?? process.env;
  const meta = { name, displayName: info.displayName, classNames: [...info.classNames] };

  const dataDir = opts.dataDir || env.SIMDNET_DATA || undefined;
  if (dataDir) {
    const { dir, files } = filesInDataDir(dataDir, name, info);
    return { ...meta, ...(await readSplits(files, info, reg)), source: { kind: 'data-dir', dir } };
  }

  const cacheDir = join(opts.cacheDir ?? defaultCacheDir(env), name);
  const cached = findFiles(cacheDir, info);
  if (isComplete(cached)) {
    return { ...meta, ...(await readSplits(cached, info, reg)), source: { kind: 'cache', dir: cacheDir } };
  }

  const debianRoot = opts.debianDir === undefined ? DEBIAN_DATASETS_DIR : opts.debianDir;
  if (debianRoot !== null) {
    const debianDir = join(debianRoot, name);
    const debian = findFiles(debianDir, info);
    if (isComplete(debian)) {
      return { ...meta, ...(await readSplits(debian, info, reg)), source: { kind: 'debian', dir: debianDir } };
    }
  }

  const offlineHelp =
    `pass --data-dir DIR or set SIMDNET_DATA=DIR to a folder holding ${name}/ with the four files ` +
    `(${FILE_KEYS.map((k) => info.files[k].name).join(', ')})` +
    (name === 'fashion-mnist' ? `, or on Debian/Ubuntu: apt-get install dataset-fashion-mnist` : `; Debian's dataset-fashion-mnist package provides Fashion-MNIST`);
  if (opts.download === false) {
    throw new SimdnetError(`${info.displayName} not found (looked in ${cacheDir}${debianRoot !== null ? ` and ${join(debianRoot, name)}` : ''}) and downloading is off: ${offlineHelp}`);
  }

  const renderer = opts.onProgress ? undefined : createProgressRenderer();
  const onProgress = opts.onProgress ?? renderer!.onProgress;
  try {
    for (const key of FILE_KEYS) {
      if (cached[key]) continue;
      cached[key] = await downloadFile(info.files[key], {
        mirrors: opts.mirrors ?? info.mirrors,
        destDir: cacheDir,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        backoffMs: opts.backoffMs,
        onProgress,
        label: `${info.displayName} ${describeFileKey(key)}`,
        identify: (sha) => identifyHash(sha, reg),
      });
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SimdnetError(`${info.displayName} is not available offline and the download failed (${reason}); ${offlineHelp}`, 1);
  } finally {
    renderer?.stop();
  }
  return { ...meta, ...(await readSplits(cached as Record<FileKey, string>, info, reg)), source: { kind: 'download', dir: cacheDir } };
}
