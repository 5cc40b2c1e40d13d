// Per-epoch metrics for the user's own tools: --log FILE appends one JSON object per epoch as it
// ends (JSON Lines, so a crashed run keeps what it finished); --csv FILE is rewritten whole after
// every epoch, so it is always a complete, valid table.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EpochRecord } from '../train/types.js';

export interface LoggedEpoch extends EpochRecord {
  model: string;
  dataset: string;
  epochs: number;
  /** When the epoch ended, ISO 8601. */
  time: string;
}

export const CSV_COLUMNS = ['time', 'model', 'dataset', 'epoch', 'epochs', 'trainLoss', 'trainAccuracy', 'valLoss', 'valAccuracy', 'seconds'] as const;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: LoggedEpoch[]): string {
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
}

export class MetricsLog {
  private readonly rows: LoggedEpoch[] = [];

  constructor(
    readonly logPath?: string,
    readonly csvPath?: string,
  ) {
    // Fail on an unwritable path now, not after the first epoch's work.
    for (const [path, flag] of [[logPath, 'log'], [csvPath, 'csv']] as const) {
      if (!path) continue;
      try {
        mkdirSync(dirname(path), { recursive: true });
        if (flag === 'log') appendFileSync(path, '');
      } catch (error) {
        throw new SimdnetError(`--${flag} ${path}: cannot write there (${(error as Error).message})`);
      }
    }
    if (csvPath) writeFileAtomic(csvPath, toCsv([]));
  }

  epoch(model: string, dataset: string, epochs: number, record: EpochRecord): void {
    const row: LoggedEpoch = { time: new Date().toISOString(), model, dataset, epochs, ...record };
    this.rows.push(row);
    if (this.logPath) appendFileSync(this.logPath, JSON.stringify(row) + '\n');
    if (this.csvPath) writeFileAtomic(this.csvPath, toCsv(this.rows));
  }
}
