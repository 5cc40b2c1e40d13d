// The default download progress display: cli-progress bars on a terminal, plain lines otherwise
// (CI logs and redirected output get one line per file per quarter, not a redraw stream).
import cliProgress from 'cli-progress';
import type { ProgressCallback } from './download.js';

export interface ProgressRenderer {
  onProgress: ProgressCallback;
  /** Ends the display (stops the bars); safe to call more than once. */
  stop(): void;
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export function createProgressRenderer(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): ProgressRenderer {
  return stream.isTTY ? ttyRenderer(stream) : lineRenderer(stream);
}

function ttyRenderer(stream: NodeJS.WritableStream): ProgressRenderer {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: '{file} [{bar}] {percentage}% {receivedMb}/{totalMb} MB',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    onProgress(file, received, total) {
      // Unknown length: show the count, with a bar that keeps pace until the last call sets it.
      const t = total ?? Math.max(received, 1);
      const payload = { file, receivedMb: mb(received), totalMb: total === null ? '?' : mb(total) };
      let bar = bars.get(file);
      if (!bar) {
        bar = multi.create(t, received, payload);
        bars.set(file, bar);
      } else {
        bar.setTotal(t);
        bar.update(received, payload);
      }
    },
    stop() {
      multi.stop();
    },
  };
}

function lineRenderer(stream: NodeJS.WritableStream): ProgressRenderer {
  const shown = new Map<string, number>(); // file -> last quarter printed
  return {
    onProgress(file, received, total) {
      const last = shown.get(file);
      if (last === undefined) {
        stream.write(`downloading ${file}${total === null ? '' : ` (${mb(total)} MB)`}\n`);
        shown.set(file, 0);
        return;
      }
      if (total === null || total === 0) return;
      const quarter = Math.floor((4 * received) / total);
      if (quarter > last) {
        shown.set(file, quarter);
        stream.write(quarter >= 4 ? `downloaded ${file} (${mb(received)} MB)\n` : `  ${file}: ${quarter * 25}%\n`);
      }
    },
    stop() {},
  };
}
