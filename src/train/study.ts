// The study's summary: one row per run, as Markdown for the README and the terminal.
import type { RunResult } from './types.js';
import type { TrainingSpec } from '../nn/spec.js';
import { describeAugmentation } from '../nn/augmentation.js';

const OPTIMIZER_NAMES = { adam: 'Adam', adamw: 'AdamW', sgd: 'SGD' } as const;

/**
 * The optimizer and schedule in a few words ("Adam", "SGD, Nesterov momentum 0.9, cosine
 * schedule"), and label smoothing and augmentation when used; the rate is per model.
 */
export function describeTraining(spec: TrainingSpec): string {
  const o = spec.optimizer;
  const parts: string[] = [OPTIMIZER_NAMES[o.type]];
  if (o.type === 'sgd' && o.momentum > 0) parts.push(`${o.nesterov ? 'Nesterov ' : ''}momentum ${o.momentum}`);
  if (o.type === 'adamw') parts.push(`weight decay ${o.weightDecay}`);
  if (spec.schedule.type !== 'constant') parts.push(`${spec.schedule.type} schedule`);
  if (spec.schedule.warmupEpochs > 0) parts.push(`${spec.schedule.warmupEpochs} warm-up epochs`);
  if (spec.loss.labelSmoothing) parts.push(`label smoothing ${spec.loss.labelSmoothing}`);
  if (spec.augmentation) parts.push(`augmented (${describeAugmentation(spec.augmentation)})`);
  return parts.join(', ');
}

/** The distinct optimizers of a set of runs, for a header line. */
export function describeTrainings(results: RunResult[]): string {
  return [...new Set(results.map((r) => describeTraining(r.spec)))].join('; ');
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** One model on one dataset over several seeds: the mean test accuracy and how far the seeds spread. */
export interface SeedSummary {
  model: string;
  dataset: string;
  seeds: number[];
  /** Test accuracies, in the order of `seeds`. */
  accuracies: number[];
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one seed. */
  standardDeviation: number;
  min: number;
  max: number;
  meanTrainSeconds: number;
}

/** Runs grouped by model and dataset, in the order they first ran. */
export function seedSummaries(results: RunResult[]): SeedSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = JSON.stringify([r.model, r.dataset]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((runs) => {
    const accuracies = runs.map((r) => r.testAccuracy);
    const mean = accuracies.reduce((a, b) => a + b, 0) / runs.length;
    const variance = runs.length > 1 ? accuracies.reduce((a, x) => a + (x - mean) ** 2, 0) / (runs.length - 1) : 0;
    return {
      model: runs[0].model,
      dataset: runs[0].dataset,
      seeds: runs.map((r) => r.seed),
      accuracies,
      mean,
      standardDeviation: Math.sqrt(variance),
      min: Math.min(...accuracies),
      max: Math.max(...accuracies),
      meanTrainSeconds: runs.reduce((a, r) => a + r.trainSeconds, 0) / runs.length,
    };
  });
}

/** True when some model ran with more than one seed on a dataset. */
export function hasSeeds(results: RunResult[]): boolean {
  return seedSummaries(results).some((s) => s.seeds.length > 1);
}

/** Mean ± standard deviation (min-max) of each model over its seeds, and each seed's accuracy. */
export function seedTable(results: RunResult[]): string {
  const header = '| model | dataset | seeds | mean test accuracy | ± sd | min-max | each seed | mean training time |';
  const rule = '|---|---|---|---:|---:|---:|---|---:|';
  const points = (x: number) => (x * 100).toFixed(2);
  const rows = seedSummaries(results).map(
    (s) =>
      `| ${s.model} | ${s.dataset} | ${s.seeds.join(', ')} | ${pct(s.mean)} | ${points(s.standardDeviation)} | ${points(s.min)}-${points(s.max)} | ${s.accuracies.map(points).join(', ')} | ${s.meanTrainSeconds.toFixed(1)} s |`,
  );
  return [header, rule, ...rows].join('\n');
}

/** "seed 0" or "seeds 0, 1, 2". */
export function describeSeeds(results: RunResult[]): string {
  const seeds = [...new Set(results.map((r) => r.seed))];
  return seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds.join(', ')}`;
}

export function studyTable(results: RunResult[]): string {
  const seeds = hasSeeds(results);
  const header = `| model | dataset |${seeds ? ' seed |' : ''} test accuracy | best val accuracy | training time | samples/s | top misclassifications (true → predicted: count) |`;
  const rule = `|---|---|${seeds ? '---:|' : ''}---:|---:|---:|---:|---|`;
  const rows = results.map((r) => {
    const bestVal = Math.max(...r.history.map((h) => h.valAccuracy ?? 0));
    const rate = (r.trainSamples * r.epochs) / Math.max(r.trainSeconds, 1e-9);
    const top = r.topMisclassifications
      .slice(0, 3)
      .map((m) => `${m.trueName} → ${m.predictedName}: ${m.count}`)
      .join('; ');
    return `| ${r.model} | ${r.dataset} |${seeds ? ` ${r.seed} |` : ''} ${pct(r.testAccuracy)} | ${pct(bestVal)} | ${r.trainSeconds.toFixed(1)} s | ${Math.round(rate)} | ${top} |`;
  });
  return [header, rule, ...rows].join('\n');
}

export function studyMarkdown(results: RunResult[], machine: string): string {
  const first = results[0];
  return [
    '# simdnet study',
    '',
    `${first ? `${first.epochs} epochs, batch ${first.batchSize}, ${describeTrainings(results)}, ${describeSeeds(results)}, ${first.fma ? 'FMA' : 'plain SIMD'} kernels, ${first.threads} thread(s).` : ''} Machine: ${machine}.`,
    '',
    ...(hasSeeds(results) ? ['Across seeds (sd and min-max in percentage points):', '', seedTable(results), '', 'Every run:', ''] : []),
    studyTable(results),
    '',
  ].join('\n');
}
