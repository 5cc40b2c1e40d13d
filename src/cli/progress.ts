// Per-epoch progress: a live bar on a terminal (cli-progress), plain lines otherwise, nothing
// with --json (stdout then carries only JSON lines).
import cliProgress from 'cli-progress';
import type { BatchProgress } from '../train/trainer.js';
import { percent } from './format.js';

export interface EpochProgress {
  update(progress: BatchProgress): void;
  /** Ends the epoch's bar so the epoch summary can follow on its own line. */
  stop(): void;
}

const PLAIN_STEPS = 4;

export function createEpochProgress(label: string, mode: 'auto' | 'off', stream: NodeJS.WriteStream = process.stdout): EpochProgress {
  if (mode === 'off') return { update() {}, stop() {} };
  if (!stream.isTTY) {
    let nextStep = 1;
    return {
      update(p) {
        if (p.batch * PLAIN_STEPS < nextStep * p.batches && p.batch !== p.batches) return;
        nextStep = Math.floor((p.batch * PLAIN_STEPS) / p.batches) + 1;
        const rate = p.samples / Math.max(p.seconds, 1e-9);
        stream.write(`${label} epoch ${p.epoch}: ${p.batch}/${p.batches} batches  loss ${p.loss.toFixed(4)}  acc ${percent(p.accuracy)}  ${Math.round(rate)} samples/s\n`);
      },
      stop() {
        nextStep = 1;
      },
    };
  }
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(p) {
      const payload = { label: `${label} epoch ${p.epoch}`, loss: p.loss.toFixed(4), acc: percent(p.accuracy), rate: Math.round(p.samples / Math.max(p.seconds, 1e-9)) };
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: '{label} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {rate} samples/s | ETA {eta_formatted}',
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.batches, 0, payload);
      }
      bar.update(p.batch, payload);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
