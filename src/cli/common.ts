// Flags and steps that train, study and bench share.
import { Engine } from '../engine/engine.js';
import type { FmaChoice } from '../engine/wasm.js';
import { availableParallelism } from 'node:os';
import { choiceFlag, intFlag, type Options } from './args.js';
import { readFileSync } from 'node:fs';
import { loadDataset, type Dataset } from '../data/resolve.js';
import { SimdnetError } from '../engine/errors.js';
import { MODEL_NAMES, modelSpec } from '../nn/models.js';
import { parseTrainingSpec, withLearningRate } from '../nn/model-spec.js';
import type { TrainingSpec } from '../nn/spec.js';

export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
export const FMA_CHOICES = ['auto', 'on', 'off'] as const;
export const CONVOLUTION_CHOICES = ['auto', 'direct', 'winograd'] as const;

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

/** A training spec from a JSON file (`--spec FILE`): the model, and optionally its optimizer, schedule and loss. */
export function readSpecFile(path: string): TrainingSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === 'ENOENT' ? `--spec ${path}: no such file` : `--spec ${path}: cannot read it (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimdnetError(`${path} is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return parseTrainingSpec(json, path);
}

/** The training spec a command runs: a named model (--model) or a file (--spec), at --lr when given. */
export function chooseSpec(model: string | undefined, specFile: string | undefined, lr: number | undefined): TrainingSpec {
  if (model !== undefined && specFile !== undefined) throw new SimdnetError('--model and --spec name two models; give one');
  if (model === undefined && specFile === undefined) throw new SimdnetError(`--model is required: one of ${MODEL_NAMES.join(', ')} (or --spec FILE.json for a model of your own)`);
  if (model !== undefined && !MODEL_NAMES.includes(model)) throw new SimdnetError(`--model expects one of ${MODEL_NAMES.join(', ')}, got '${model}'`);
  const spec = specFile !== undefined ? readSpecFile(specFile) : modelSpec(model!);
  return lr === undefined ? spec : withLearningRate(spec, lr);
}

/**
 * The first SIGINT or SIGTERM (as job schedulers send before preempting) aborts the returned
 * signal, so training stops after its batch and writes its checkpoint; the second quits at once.
 * `active` false returns a signal that never fires. Call dispose when training is over.
 */
export function stopOnSignals(active: boolean): { signal: AbortSignal; dispose: () => void } {
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after this batch to write a checkpoint (Ctrl-C again to quit at once)\n');
    stop.abort();
  };
  if (active) for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
