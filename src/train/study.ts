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

export function studyTable(results: RunResult[]): string {
  const header = '| model | dataset | test accuracy | best val accuracy | training time | samples/s | top misclassifications (true → predicted: count) |';
  const rule = '|---|---|---:|---:|---:|---:|---|';
  const rows = results.map((r) => {
    const bestVal = Math.max(...r.history.map((h) => h.valAccuracy ?? 0));
    const rate = (r.trainSamples * r.epochs) / Math.max(r.trainSeconds, 1e-9);
    const top = r.topMisclassifications
      .slice(0, 3)
      .map((m) => `${m.trueName} → ${m.predictedName}: ${m.count}`)
      .join('; ');
    return `| ${r.model} | ${r.dataset} | ${pct(r.testAccuracy)} | ${pct(bestVal)} | ${r.trainSeconds.toFixed(1)} s | ${Math.round(rate)} | ${top} |`;
  });
  return [header, rule, ...rows].join('\n');
}

export function studyMarkdown(results: RunResult[], machine: string): string {
  const first = results[0];
  return [
    '# simdnet study',
    '',
    `${first ? `${first.epochs} epochs, batch ${first.batchSize}, ${describeTrainings(results)}, seed ${first.seed}, ${first.fma ? 'FMA' : 'plain SIMD'} kernels, ${first.threads} thread(s).` : ''} Machine: ${machine}.`,
    '',
    studyTable(results),
    '',
  ].join('\n');
}
