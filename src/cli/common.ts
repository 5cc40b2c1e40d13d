// Flags and steps that train, study and bench share.
import { Engine } from '../engine/engine.js';
import type { FmaChoice } from '../engine/wasm.js';
import { availableParallelism } from 'node:os';
import { choiceFlag, intFlag, type Options } from './args.js';
import { loadDataset, type Dataset } from '../data/resolve.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export const FMA_CHOICES = ['auto', 'on', 'off'] as const;

export const commonOptions: Options = {
  'data-dir': { type: 'string' },
  fma: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
};

/** Training defaults to every core; one-off inference to one thread. */
export const ALL_CORES = availableParallelism();

export function createEngine(fma: string | undefined, threads?: string, defaultThreads = 1): Promise<Engine> {
  return Engine.create({
    fma: choiceFlag(fma, 'fma', FMA_CHOICES, 'auto') as FmaChoice,
    threads: intFlag(threads, 'threads', defaultThreads),
  });
}

/** Datasets load once per process even when several runs use them. */
const loaded = new Map<string, Promise<Dataset>>();

export function getDataset(name: string, dataDir: string | undefined): Promise<Dataset> {
  const key = `${name}\0${dataDir ?? ''}`;
  let dataset = loaded.get(key);
  if (!dataset) {
    dataset = loadDataset(name, { dataDir });
    loaded.set(key, dataset);
  }
  return dataset;
}

/** Writes one JSON object as a line on stdout. */
export function emitJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
