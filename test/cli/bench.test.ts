// simdnet bench --inference and --suite as real processes on the real MNIST: the JSON each ends
// with, the suite's Markdown block with every model and every conv and dense layer pass, and the
// flag clashes as one-line errors. --quick and tiny repeats keep each run to seconds.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { haveBuild, haveData, startCli } from '../train/cli-run.js';
import { NOTEBOOK_MODELS } from '../../src/nn/models.js';
import { layerShapes } from '../../src/bench/kernel-suite.js';
import { suiteThreadCounts } from '../../src/bench/suite.js';
import { VERSION } from '../../src/version.js';

const lastLine = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').pop()!);

describe.skipIf(!haveBuild || !haveData)('simdnet bench --inference and --suite', () => {
  it('bench --inference --json ends with one object holding imagesPerSecond', async () => {
    const r = await startCli(['bench', '--inference', '--model', 'cnn', '--threads', '1', '--batches', '2', '--repeats', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = lastLine(r.stdout);
    expect(json).toMatchObject({ mode: 'inference', model: 'cnn', dataset: 'mnist', threads: 1, batchSize: 256 });
    expect(json.imagesPerSecond).toBeGreaterThan(0);
    expect(typeof json.fma).toBe('boolean');
    expect(json.repeats).toHaveLength(2);
    expect(json.millisecondsPerBatch).toBeCloseTo((256 / (json.imagesPerSecond as number)) * 1000, 0);
    expect(json.machine).toMatch(/\d+ cores, \d+ GiB, Node \d+/);
  }, 60_000);

  it('bench --inference prints images/s, and --batch-size overrides the 256', async () => {
    const r = await startCli(['bench', '--inference', '--model', 'mlp', '--threads', '1', '--batches', '3', '--repeats', '1', '--batch-size', '100']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mlp inference: \d+ images\/s \(median of 1 x 3 batches of 100 after 367 warm-up batches; 1 thread, (FMA|plain SIMD)\), [\d.]+ ms per batch\n$/);
  }, 60_000);

  it('bench warms up by the model\'s work (mlp: 573 steps of batch 64) unless --warmup says otherwise, and reports it', async () => {
    const byDefault = await startCli(['bench', '--model', 'mlp', '--threads', '1', '--batches', '2', '--repeats', '1', '--json']);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(lastLine(byDefault.stdout)).toMatchObject({ model: 'mlp', warmupBatches: 573, batchSize: 64 });
    const chosen = await startCli(['bench', '--model', 'cnn', '--threads', '1', '--batches', '2', '--repeats', '1', '--warmup', '0']);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toMatch(/^cnn: \d+ samples\/s \(median of 1 x 2 batches of 64 after 0 warm-up batches; 1 thread, (FMA|plain SIMD)\)/);
  }, 60_000);

  it('bench --suite --json (quick) has every section, every model and every layer pass at 1..N threads', async () => {
    const r = await startCli(['bench', '--suite', '--quick', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[1\/\d+\] 1 thread: cnn conv1 28x28x1->32 k3 forward: [\d.]+ GFLOP\/s\n/);
    const json = lastLine(r.stdout) as any;
    const threads = suiteThreadCounts(availableParallelism());
    expect(json).toMatchObject({ type: 'suite', simdnet: VERSION, threads, timing: 'quick', repeats: 1 });
    expect(json.machine).toMatchObject({ cores: availableParallelism(), runtime: `Node ${process.versions.node}` });
    expect(json.machine.cpu).toBeTruthy();
    expect(typeof json.fma).toBe('boolean');
    expect(json.peakGflops).toBeGreaterThan(0);

    const shapes = layerShapes();
    expect(json.kernels.map((k: any) => `${k.model} ${k.layer} ${k.pass}`)).toEqual(shapes.flatMap((s) => [`${s.model} ${s.layer} forward`, `${s.model} ${s.layer} backward`]));
    for (const row of json.kernels) {
      expect(row.kernels.length, `${row.model} ${row.layer} ${row.pass}`).toBeGreaterThan(0);
      expect(row.results.map((x: any) => x.threads)).toEqual(threads);
      for (const x of row.results) expect(x.gflops).toBeGreaterThan(0);
    }
    // The first layer with weights computes no input gradient; the others do.
    expect(json.kernels.find((k: any) => k.model === 'cnn' && k.layer === 'conv1' && k.pass === 'backward').gradients).toBe('weights');
    expect(json.kernels.find((k: any) => k.model === 'cnn' && k.layer === 'conv2' && k.pass === 'backward').gradients).toBe('weights + input');
    for (const [section, unit, batch] of [['training', 'samplesPerSecond', 64], ['inference', 'imagesPerSecond', 256]] as const) {
      expect(json[section].map((row: any) => row.model)).toEqual(NOTEBOOK_MODELS);
      for (const row of json[section]) {
        expect(row.batchSize).toBe(batch);
        expect(row.results.map((x: any) => x.threads)).toEqual(threads);
        for (const x of row.results) expect(x[unit], `${section} ${row.model}`).toBeGreaterThan(0);
      }
    }

    // The Markdown block: the machine line, then the three tables with the labels the page shows.
    const md: string = json.markdown;
    expect(md.split('\n')[0]).toMatch(new RegExp(`^\\*\\*simdnet ${VERSION.replace(/\./g, '\\.')} benchmark suite on .+, \\d+ cores, \\d+ GiB, Node [\\d.]+; (FMA \\(relaxed SIMD\\)|plain SIMD) kernels.*; quick run`));
    const labels = threads.map((t) => `${t} thread${t > 1 ? 's' : ''}`);
    const scaling = threads.length > 1 ? [`${labels[labels.length - 1]} / 1`] : [];
    expect(md).toContain(`| ${['model', ...labels, ...scaling].join(' | ')} |`);
    expect(md).toContain(`| ${['model', 'layer', 'shape', 'pass', 'kernels', ...labels.flatMap((l) => [`GFLOP/s, ${l}`, 'of peak'])].join(' | ')} |`);
    for (const name of NOTEBOOK_MODELS) expect(md).toMatch(new RegExp(`^\\| ${name} \\| [\\d,]+ \\|`, 'm'));
    expect(md).toMatch(/^\| cnn \| conv1 \| 28x28x1->32 k3 \| forward \| conv2d\w+/m);
    expect(md).toMatch(/^\| mlp-tuned \| dense3 \| 128->10 \| backward \(weights \+ input\) \| /m);
  }, 120_000);

  it('bench --conv direct trains by the direct convolution and says so', async () => {
    const r = await startCli(['bench', '--model', 'cnn', '--threads', '1', '--batches', '2', '--repeats', '1', '--conv', 'direct']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cnn: \d+ samples\/s \(median of 1 x 2 batches of 64 after 45 warm-up batches; 1 thread, (FMA|plain SIMD), --conv direct\)/);
    const json = lastLine((await startCli(['bench', '--model', 'cnn', '--threads', '1', '--batches', '2', '--repeats', '1', '--json'])).stdout);
    expect(json.convolution).toBe('auto');
  }, 60_000);

  it('bench --suite prints the Markdown block alone on stdout, at the thread counts asked for', async () => {
    const r = await startCli(['bench', '--suite', '--quick', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\*\*simdnet .* benchmark suite on /);
    expect(r.stdout).toContain('| model | 1 thread |\n');
    expect(r.stdout).not.toContain('2 threads');
  }, 120_000);
});

describe.skipIf(!haveBuild)('simdnet bench: flag clashes', () => {
  const clashes: [string[], RegExp][] = [
    [['bench', '--suite', '--model', 'cnn'], /--suite runs the four named models on MNIST at fixed batches; it takes no --model/],
    [['bench', '--suite', '--inference'], /it takes no --inference/],
    [['bench', '--quick', '--model', 'cnn'], /--quick shortens --suite/],
    [['bench', '--suite', '--threads', '0'], /--threads expects an integer >= 1, got '0'/],
    [['bench', '--suite', '--repeats', 'x'], /--repeats expects an integer >= 1/],
    [['bench', '--suite', '--conv', 'direct'], /it takes no --conv/],
    [['bench', '--model', 'cnn', '--conv', 'fast'], /--conv/],
  ];
  it.concurrent.each(clashes.map(([args, message]) => [args.join(' '), args, message] as const))('%s', async (_, args, message) => {
    const r = await startCli([...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^simdnet: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
  }, 30_000);
});
