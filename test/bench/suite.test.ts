// The suite's pieces without timing anything for real: the thread counts, the kernels a layer pass
// is seen to call (and the kernel table left as it was), the timing loops, and the Markdown and
// table structure that the CLI prints and the page renders.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import { MODELS } from '../../src/nn/models.js';
import { kernelsCalled, layerShapes } from '../../src/bench/kernel-suite.js';
import { suiteImages, suiteThreadCounts, type SuiteResult } from '../../src/bench/suite.js';
import { describeMachineInfo, markdownTable, suiteHeadline, suiteMarkdown, suiteTables } from '../../src/bench/suite-report.js';
import { timeSteps } from '../../src/train/throughput.js';

describe('suite thread counts', () => {
  it('doubles from 1 and ends at the largest', () => {
    expect(suiteThreadCounts(1)).toEqual([1]);
    expect(suiteThreadCounts(2)).toEqual([1, 2]);
    expect(suiteThreadCounts(6)).toEqual([1, 2, 4, 6]);
    expect(suiteThreadCounts(8)).toEqual([1, 2, 4, 8]);
    expect(() => suiteThreadCounts(0)).toThrow(/positive integer/);
  });
});

describe('layer shapes', () => {
  it('lists every conv and dense layer of the four models with its multiply-adds', () => {
    const shapes = layerShapes();
    expect(shapes.map((s) => `${s.model} ${s.layer} ${s.shape}`)).toEqual([
      'cnn conv1 28x28x1->32 k3', 'cnn conv2 13x13x32->32 k3', 'cnn dense1 800->128', 'cnn dense2 128->10',
      'cnn-tuned conv1 28x28x1->64 k5', 'cnn-tuned conv2 12x12x64->64 k5', 'cnn-tuned dense1 1024->128', 'cnn-tuned dense2 128->10',
      'mlp dense1 784->128', 'mlp dense2 128->64', 'mlp dense3 64->10',
      'mlp-tuned dense1 784->256', 'mlp-tuned dense2 256->128', 'mlp-tuned dense3 128->10',
    ]);
    expect(shapes[0].macsPerSample).toBe(26 * 26 * 9 * 32);
    expect(shapes[2].macsPerSample).toBe(800 * 128);
  });
});

describe('kernelsCalled', () => {
  it('names the kernels a layer pass calls and leaves the kernels as they were', async () => {
    const engine = await Engine.create({ fma: 'off' });
    const model = new Sequential(engine, MODELS.mlp, { maxBatch: 4, seed: 0 });
    const before = { ...model.kernels };
    const dense = model.layers[1];
    expect(kernelsCalled(model.kernels, () => dense.forward(4, false))).toEqual(['gemmNN', 'biasReluForward']);
    expect(kernelsCalled(model.kernels, () => model.layers[4].backward(4))).toEqual(['biasBackward', 'gemmTN', 'gemmNT']);
    expect({ ...model.kernels }).toEqual(before);
    for (const name of Object.keys(before)) expect((model.kernels as any)[name], name).toBe((before as any)[name]);
  });

  it('restores the kernels even when the pass throws', async () => {
    const engine = await Engine.create({ fma: 'off' });
    const before = { ...engine.kernels };
    expect(() => kernelsCalled(engine.kernels, () => {
      engine.kernels.zeroF32(engine.reserve(64), 16);
      throw new Error('boom');
    })).toThrow('boom');
    for (const name of Object.keys(before)) expect((engine.kernels as any)[name], name).toBe((before as any)[name]);
  });
});

describe('timeSteps', () => {
  it('warms up, then times exactly `batches` steps per repeat', () => {
    let steps = 0;
    const result = timeSteps(() => void steps++, 10, { warmupBatches: 2, batches: 3, repeats: 4 });
    expect(steps).toBe(2 + 3 * 4);
    expect(result.repeats).toHaveLength(4);
    expect(result.samplesPerSecond).toBeGreaterThan(0);
  });
});

describe('suiteImages', () => {
  it('takes the first 8,192 images of a split', () => {
    const split = { images: new Uint8Array(10_000 * 4), labels: new Uint8Array(10_000), count: 10_000, rows: 2, cols: 2 };
    const subset = suiteImages(split);
    expect(subset.count).toBe(8192);
    expect(subset.images.length).toBe(8192 * 4);
    expect(subset.labels.length).toBe(8192);
    expect(subset.channels).toBe(1);
  });
});

const result = (machine: SuiteResult['machine'], threads: number[]): SuiteResult => ({
  type: 'suite',
  simdnet: '9.8.7',
  machine,
  fma: true,
  threads,
  timing: 'standard',
  repeats: 5,
  date: '2026-12-02T13:45:10.000Z',
  seconds: 41.4,
  peakGflops: 48.13,
  kernels: [
    { model: 'cnn', layer: 'conv1', shape: '28x28x1->32 k3', pass: 'forward', kernels: ['conv2dForward'], flops: 1, results: threads.map((t) => ({ threads: t, gflops: 20 * t, peakGflops: 48, ofPeak: 20 / 48 })) },
    { model: 'cnn', layer: 'conv1', shape: '28x28x1->32 k3', pass: 'backward', gradients: 'weights', kernels: ['conv2dBackwardWeights'], flops: 1, results: threads.map((t) => ({ threads: t, gflops: 123.4, peakGflops: 48, ofPeak: 1.3 })) },
  ],
  training: [{ model: 'cnn', batchSize: 64, results: threads.map((t) => ({ threads: t, samplesPerSecond: 3840.4 * t, repeats: [1] })) }],
  inference: [{ model: 'mlp', batchSize: 256, results: threads.map((t) => ({ threads: t, imagesPerSecond: 200_000 + t, repeats: [1] })) }],
});

describe('the suite report', () => {
  const node = { cpu: 'AMD EPYC 9R14', cores: 2, memoryGiB: 24, runtime: 'Node 20.20.2' };
  const browser = { cores: 8, memoryGiB: 8, runtime: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0' };

  it('heads the tables with the machine, the build, the timing and the date', () => {
    expect(describeMachineInfo(node)).toBe('AMD EPYC 9R14, 2 cores, 24 GiB, Node 20.20.2');
    expect(describeMachineInfo(browser)).toBe('Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0, navigator.hardwareConcurrency 8, navigator.deviceMemory 8 GiB');
    expect(describeMachineInfo({ cores: 4, runtime: 'Firefox' })).toBe('Firefox, navigator.hardwareConcurrency 4');
    expect(suiteHeadline(result(node, [1, 2]))).toBe(
      'simdnet 9.8.7 benchmark suite on AMD EPYC 9R14, 2 cores, 24 GiB, Node 20.20.2; FMA (relaxed SIMD) kernels; medians of 5 repeats; 2026-12-02 13:45 UTC, 41 s',
    );
  });

  it('gives the same rows and labels to Markdown and to the page', () => {
    const r = result(node, [1, 2]);
    const [training, inference, kernels] = suiteTables(r);
    expect(training.header).toEqual(['model', '1 thread', '2 threads', '2 threads / 1']);
    expect(training.rows).toEqual([['cnn', '3,840', '7,681', '2.00x']]);
    expect(inference.rowKeys).toEqual(['mlp']);
    expect(kernels.header).toEqual(['model', 'layer', 'shape', 'pass', 'kernels', 'GFLOP/s, 1 thread', 'of peak', 'GFLOP/s, 2 threads', 'of peak']);
    expect(kernels.rows[0]).toEqual(['cnn', 'conv1', '28x28x1->32 k3', 'forward', 'conv2dForward', '20.0', '42%', '40.0', '42%']);
    expect(kernels.rows[1].slice(3, 6)).toEqual(['backward (weights)', 'conv2dBackwardWeights', '123']);
    expect(kernels.rowKeys).toEqual(['cnn conv1 forward', 'cnn conv1 backward']);
    expect(kernels.title).toContain('48.1 GFLOP/s per thread');

    const md = suiteMarkdown(r);
    expect(md.startsWith(`**${suiteHeadline(r)}**\n\n${training.title}:\n\n| model | 1 thread | 2 threads | 2 threads / 1 |\n|---|---:|---:|---:|\n| cnn | 3,840 | 7,681 | 2.00x |`)).toBe(true);
    for (const table of [training, inference, kernels]) expect(md).toContain(markdownTable(table));
  });

  it('has no scaling column for one thread count, and escapes pipes', () => {
    const [training] = suiteTables(result(node, [1]));
    expect(training.header).toEqual(['model', '1 thread']);
    expect(markdownTable({ ...training, rows: [['a|b', '1']] })).toContain('| a\\|b | 1 |');
  });
});

describe('measureInferenceThroughput', () => {
  it('times predict on batches of the split, and says when the split is too small', async () => {
    const { measureInferenceThroughput } = await import('../../src/train/inference-throughput.js');
    const engine = await Engine.create({ fma: 'off' });
    const split = { images: new Uint8Array(300 * 784).fill(9), labels: new Uint8Array(300), count: 300, rows: 28, cols: 28 };
    const options = { batchSize: 256, batches: 2, warmupBatches: 1, repeats: 2, seed: 0 };
    const mark = engine.mark();
    const result = measureInferenceThroughput(engine, MODELS.mlp, split, options);
    expect(result.repeats).toHaveLength(2);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
    expect(engine.mark()).toBe(mark); // its model is released
    expect(() => measureInferenceThroughput(engine, MODELS.mlp, { ...split, count: 100 }, options)).toThrow(/an inference benchmark of batch 256 needs at least 256 images, the data has 100; use a smaller batch size/);
    expect(() => measureInferenceThroughput(engine, MODELS.mlp, { ...split, rows: 14 }, options)).toThrow(/takes 28x28x1 inputs, but the benchmark's images are 14x28x1/);
  });
});
