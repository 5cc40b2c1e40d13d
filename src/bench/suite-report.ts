// The suite's result as tables: one structure that the CLI prints as Markdown and the demo page
// renders as HTML, so both show the same rows, columns and labels. Free of Node and DOM APIs.
import type { MachineInfo, SuiteResult } from './suite.js';

/** A training or inference row reduced to its figure per thread count. */
interface ThroughputRow {
  model: string;
  batchSize: number;
  results: { threads: number; perSecond: number }[];
}

export interface SuiteTable {
  /** A short name (for ids and tests): kernels, training, inference. */
  id: 'training' | 'inference' | 'kernels';
  /** What the figures are, in words; printed above the table. */
  title: string;
  header: string[];
  /** Per column: text left, figures right. */
  align: ('left' | 'right')[];
  /** Cells as text; rowKeys[i] names row i (model, or model layer pass). */
  rows: string[][];
  rowKeys: string[];
}

const threadLabel = (t: number): string => `${t} thread${t > 1 ? 's' : ''}`;
const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');
const gflops = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const percent = (x: number): string => `${Math.round(x * 100)}%`;

/** The machine in one line: the CPU where known, the cores, memory and runtime. */
export function describeMachineInfo(machine: MachineInfo): string {
  const parts = machine.cpu ? [machine.cpu, `${machine.cores} cores`] : [`navigator.hardwareConcurrency ${machine.cores}`];
  if (machine.memoryGiB !== undefined) parts.push(machine.cpu ? `${machine.memoryGiB} GiB` : `navigator.deviceMemory ${machine.memoryGiB} GiB`);
  return machine.cpu ? [...parts, machine.runtime].join(', ') : [machine.runtime, ...parts].join(', ');
}

/** The line that heads the tables: what ran, on what, when. */
export function suiteHeadline(result: SuiteResult): string {
  const when = result.date.slice(0, 16).replace('T', ' ');
  const timing = result.timing === 'quick' ? 'quick run (rough figures)' : `medians of ${result.repeats} repeats`;
  return (
    `simdnet ${result.simdnet} benchmark suite on ${describeMachineInfo(result.machine)}; ` +
    `${result.fma ? 'FMA (relaxed SIMD) kernels' : 'plain SIMD kernels (no FMA)'}; ${timing}; ${when} UTC, ${Math.round(result.seconds)} s`
  );
}

function throughputTable(id: 'training' | 'inference', title: string, rows: ThroughputRow[], threads: number[]): SuiteTable {
  const scaling = threads.length > 1 ? [`${threadLabel(threads[threads.length - 1])} / 1`] : [];
  const at = (row: ThroughputRow, t: number) => row.results.find((r) => r.threads === t)?.perSecond;
  return {
    id,
    title,
    header: ['model', ...threads.map(threadLabel), ...scaling],
    align: ['left', ...threads.map(() => 'right' as const), ...scaling.map(() => 'right' as const)],
    rows: rows.map((row) => {
      const cells = threads.map((t) => {
        const value = at(row, t);
        return value === undefined ? '-' : grouped(value);
      });
      if (scaling.length) {
        const one = at(row, threads[0]);
        const many = at(row, threads[threads.length - 1]);
        cells.push(one && many ? `${(many / one).toFixed(2)}x` : '-');
      }
      return [row.model, ...cells];
    }),
    rowKeys: rows.map((row) => row.model),
  };
}

/** The suite's three tables: training, inference, then the kernel table. */
export function suiteTables(result: SuiteResult): SuiteTable[] {
  const threads = result.threads;
  const batchOf = (rows: ThroughputRow[], fallback: number) => rows[0]?.batchSize ?? fallback;
  const trainingRows = result.training.map((row) => ({ ...row, results: row.results.map((r) => ({ threads: r.threads, perSecond: r.samplesPerSecond })) }));
  const inferenceRows = result.inference.map((row) => ({ ...row, results: row.results.map((r) => ({ threads: r.threads, perSecond: r.imagesPerSecond })) }));
  const training = throughputTable('training', `Training, samples/s (batch ${batchOf(trainingRows, 64)}, forward, backward and the model's Adam step, MNIST images)`, trainingRows, threads);
  const inference = throughputTable('inference', `Inference, images/s (batch ${batchOf(inferenceRows, 256)}, forward only in inference mode: predict on MNIST images)`, inferenceRows, threads);
  const kernels: SuiteTable = {
    id: 'kernels',
    title:
      `Layer passes at batch 64, as training runs them: GFLOP/s (2 flops per multiply-add of the direct convolution or GEMM, whatever algorithm runs) ` +
      `and the share of the multiply-add loop's peak (${gflops(result.peakGflops)} GFLOP/s per thread, measured between the reps; at N threads, of N times that)`,
    header: ['model', 'layer', 'shape', 'pass', 'kernels', ...threads.flatMap((t) => [`GFLOP/s, ${threadLabel(t)}`, 'of peak'])],
    align: ['left', 'left', 'left', 'left', 'left', ...threads.flatMap(() => ['right' as const, 'right' as const])],
    rows: result.kernels.map((row) => [
      row.model,
      row.layer,
      row.shape,
      row.pass === 'forward' ? 'forward' : `backward (${row.gradients})`,
      row.kernels.join(', '),
      ...threads.flatMap((t) => {
        const r = row.results.find((x) => x.threads === t);
        return r ? [gflops(r.gflops), percent(r.ofPeak)] : ['-', '-'];
      }),
    ]),
    rowKeys: result.kernels.map((row) => `${row.model} ${row.layer} ${row.pass}`),
  };
  return [training, inference, kernels];
}

/** One table as Markdown. */
export function markdownTable(table: SuiteTable): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [`| ${table.header.map(escape).join(' | ')} |`, `|${table.align.map((a) => (a === 'right' ? '---:' : '---')).join('|')}|`];
  for (const row of table.rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
  return lines.join('\n');
}

/** The whole result as one Markdown block: the headline, then each table under its title. */
export function suiteMarkdown(result: SuiteResult): string {
  const parts = [`**${suiteHeadline(result)}**`];
  for (const table of suiteTables(result)) parts.push(`${table.title}:`, markdownTable(table));
  return parts.join('\n\n');
}
