// Per-epoch metrics for the user's own tools: --log FILE appends one JSON object per epoch as it
// ends (JSON Lines, so a crashed run keeps what it finished); --csv FILE is rewritten whole after
// every epoch, so it is always a complete, valid table. Both use Keras's keys, as its History and
// CSVLogger write them (epoch counted from 0, loss, accuracy, val_loss, val_accuracy, in
// CSVLogger's column order), so a notebook's plotting code reads them unchanged; simdnet's own
// fields (seconds, model, dataset, epochs, time) follow.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { EpochRecord } from '../train/types.js';

export interface LoggedEpoch {
  /** Keras counts epochs from 0 in its logs (simdnet's epoch 1 is 0 here). */
  epoch: number;
  accuracy: number;
  loss: number;
  /** Absent without a validation split, as in Keras. */
  val_accuracy?: number;
  val_loss?: number;
  seconds: number;
  model: string;
  dataset: string;
  epochs: number;
  /** When the epoch ended, ISO 8601. */
  time: string;
}

/** CSVLogger's columns (epoch, then Keras's keys sorted), then simdnet's. */
export const CSV_COLUMNS = ['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss', 'seconds', 'model', 'dataset', 'epochs', 'time'] as const;

/** One epoch's record in Keras's terms. */
export function kerasRecord(model: string, dataset: string, epochs: number, record: EpochRecord): LoggedEpoch {
  const row: LoggedEpoch = { epoch: record.epoch - 1, accuracy: record.trainAccuracy, loss: record.trainLoss, seconds: record.seconds, model, dataset, epochs, time: new Date().toISOString() };
  if (record.valAccuracy !== null && record.valLoss !== null) Object.assign(row, { val_accuracy: record.valAccuracy, val_loss: record.valLoss });
  // Keras's key order: loss and accuracy, then the validation pair, then simdnet's.
  const { epoch, loss, accuracy, val_loss, val_accuracy, ...rest } = row;
  return { epoch, loss, accuracy, ...(val_loss === undefined ? {} : { val_loss, val_accuracy }), ...rest } as LoggedEpoch;
}

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
    const row = kerasRecord(model, dataset, epochs, record);
    this.rows.push(row);
    if (this.logPath) appendFileSync(this.logPath, JSON.stringify(row) + '\n');
    if (this.csvPath) writeFileAtomic(this.csvPath, toCsv(this.rows));
  }
}
