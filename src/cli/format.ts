// Plain-text rendering of results for the terminal.
import type { EpochRecord, RunResult } from '../train/types.js';

export const percent = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

export function epochLine(r: EpochRecord, epochs: number): string {
  const val = r.valLoss === null ? '' : `  val_loss ${r.valLoss.toFixed(4)}  val_acc ${percent(r.valAccuracy!)}`;
  return `epoch ${r.epoch}/${epochs}  loss ${r.trainLoss.toFixed(4)}  acc ${percent(r.trainAccuracy)}${val}  ${r.seconds.toFixed(1)} s`;
}

export function confusionTable(matrix: number[][], classNames: string[]): string {
  const labels = classNames.map((name, i) => (name.length > 10 ? `${i}:${name.slice(0, 7)}` : name));
  const width = Math.max(5, ...labels.map((l) => l.length), ...matrix.flat().map((n) => String(n).length)) + 1;
  const pad = (s: string) => s.padStart(width);
  const header = pad('true\\pred') + labels.map(pad).join('');
  const rows = matrix.map((row, i) => pad(labels[i]) + row.map((n) => pad(String(n))).join(''));
  return [header, ...rows].join('\n');
}

export function resultSummary(result: RunResult): string {
  const lines = [
    `test accuracy ${percent(result.testAccuracy)}  test loss ${result.testLoss.toFixed(4)}  training ${result.trainSeconds.toFixed(1)} s`,
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    confusionTable(result.confusionMatrix, result.classNames),
    '',
    'per-class accuracy: ' + result.perClassAccuracy.map((a, i) => `${result.classNames[i]} ${percent(a, 1)}`).join(', '),
    '',
    'most common misclassifications (true -> predicted: count)',
    ...result.topMisclassifications.map((m) => `  ${m.trueName} -> ${m.predictedName}: ${m.count}`),
  ];
  return lines.join('\n');
}
