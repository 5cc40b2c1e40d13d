// A study's checkpoint folder: DIR/study.json holds the study's options and every finished run's
// result (rewritten atomically after each run), and DIR/runs/<dataset>-<model>/ the checkpoint of
// the run in progress. A study killed in its sixth run resumes there: the five finished runs are
// read back, the sixth continues from its last checkpoint, bit for bit.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { RunResult } from './types.js';

export const STUDY_FILE = 'study.json';
const VERSION = 1;

/** What must be the same for a resumed study to finish as the uninterrupted one would. */
export interface StudyOptions {
  epochs: number;
  models: string[];
  datasets: string[];
  /** Every model runs once per seed (--seeds), or once with --seed. */
  seeds: number[];
  limit: number | null;
  fma: boolean;
  convolution: 'auto' | 'direct' | 'winograd';
}

export interface StudyState {
  version: number;
  options: StudyOptions;
  /** Finished runs, in the order they ran. */
  results: RunResult[];
}

/** The folder of one run's checkpoint; a study of several seeds names the seed too (one seed keeps the older name). */
export function runCheckpointDir(dir: string, dataset: string, model: string, seed?: number): string {
  return join(dir, 'runs', seed === undefined ? `${dataset}-${model}` : `${dataset}-${model}-seed${seed}`);
}

export function writeStudyState(dir: string, options: StudyOptions, results: RunResult[]): void {
  const state: StudyState = { version: VERSION, options, results };
  writeFileAtomic(join(dir, STUDY_FILE), JSON.stringify(state) + '\n');
}

/** The study checkpointed in `dir`, or undefined when it holds none. */
export function readStudyState(dir: string): StudyState | undefined {
  const path = join(dir, STUDY_FILE);
  if (!existsSync(path)) return undefined;
  let state: StudyState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SimdnetError(`${path}: not a usable study checkpoint (${(error as Error).message.split('\n')[0]}); delete it to start over`);
  }
  const o = state?.options as unknown as Record<string, unknown> | undefined;
  // Studies checkpointed before --seeds existed saved one `seed`.
  if (o !== undefined && o.seeds === undefined && Number.isInteger(o.seed)) {
    o.seeds = [o.seed];
    delete o.seed;
  }
  const ok =
    state?.version === VERSION &&
    o !== undefined &&
    Number.isInteger(o.epochs) &&
    Array.isArray(o.models) &&
    Array.isArray(o.datasets) &&
    Array.isArray(o.seeds) &&
    o.seeds.length > 0 &&
    o.seeds.every((x) => Number.isInteger(x) && (x as number) >= 0) &&
    (o.limit === null || Number.isInteger(o.limit)) &&
    typeof o.fma === 'boolean' &&
    ['auto', 'direct', 'winograd'].includes(o.convolution as string) &&
    Array.isArray(state.results) &&
    state.results.every((r) => typeof r?.model === 'string' && typeof r?.dataset === 'string' && typeof r?.testAccuracy === 'number');
  if (!ok) throw new SimdnetError(`${path}: not a usable study checkpoint (version ${String(state?.version)} or malformed fields); delete it to start over`);
  return state;
}

const FLAG_OF: Record<keyof StudyOptions, string> = { epochs: '--epochs', models: '--models', datasets: '--datasets', seeds: '--seeds', limit: '--limit', fma: '--fma', convolution: '--conv' };

/** Refuses a resume whose options differ from the saved study's. */
export function checkStudyOptions(saved: StudyOptions, wanted: StudyOptions, dir: string): void {
  for (const key of Object.keys(FLAG_OF) as (keyof StudyOptions)[]) {
    const [a, b] = [JSON.stringify(saved[key]), JSON.stringify(wanted[key])];
    if (a !== b) {
      throw new SimdnetError(`cannot resume the study in ${dir}: it was started with ${FLAG_OF[key]} ${a}, this run asks for ${b}; drop the flag or pass the saved value`);
    }
  }
}
