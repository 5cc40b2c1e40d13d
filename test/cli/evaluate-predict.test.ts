// The CLI end to end (needs `npm run build`, which `npm test` runs first): train --save, --out,
// --log and --csv; evaluate and predict on the saved model; one-line errors and exit code 2 for corrupt or
// mismatched model directories and unreadable images. Needs the real MNIST (SIMDNET_DATA).
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { loadDataset } from '../../src/data/resolve.js';

const dataDir = process.env.SIMDNET_DATA ?? '/work/shared/datasets';
const haveData = existsSync(join(dataDir, 'mnist'));
const cli = join(import.meta.dirname, '../../bin/simdnet.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function simdnet(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, SIMDNET_DATA: dataDir }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const jsonLines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line));

/** One line on stderr, "simdnet: ...", exit code 2. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.code).toBe(2);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^simdnet: /);
  expect(run.stderr).toMatch(pattern);
}

function writePng(path: string, width: number, height: number, pixel: (x: number, y: number) => [number, number, number], colorType: 0 | 2): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      png.data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  writeFileSync(path, PNG.sync.write(png, { colorType }));
}

describe.skipIf(!haveData)('simdnet train --save, evaluate, predict', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'simdnet-cli-'));
  const modelDir = join(tmp, 'mlp');
  let trained: { testAccuracy: number; history: { trainAccuracy: number; valLoss: number }[] };
  let digit: Uint8Array;
  let lastType: string;
  let label: number;

  beforeAll(async () => {
    expect(existsSync(join(import.meta.dirname, '../../dist/simdnet.js')), 'dist/simdnet.js is missing: run npm run build').toBe(true);
    const run = await simdnet('train', '--model', 'mlp', '--dataset', 'mnist', '--epochs', '2', '--limit', '3000', '--save', modelDir, '--log', join(tmp, 'log.jsonl'), '--csv', join(tmp, 'metrics.csv'), '--out', join(tmp, 'report'), '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    trained = lines.find((l) => l.type === 'result');
    lastType = lines.at(-1).type;
    expect(lines.find((l) => l.type === 'model').files).toEqual([join(modelDir, 'model.json'), join(modelDir, 'group1-shard1of1.bin')]);
    const report = lines.find((l) => l.type === 'report').files as string[];
    expect(report.map((f) => f.slice(join(tmp, 'report').length + 1)).sort()).toEqual(
      ['index.html', ...['confusion-mlp-mnist', 'curves-mlp-mnist', 'misclassified-mlp-mnist', 'test-accuracy', 'time-per-epoch', 'time-total'].map((n) => `images/${n}.svg`)].sort(),
    );
    const mnist = await loadDataset('mnist', { dataDir, onProgress: () => {} });
    digit = mnist.test.images.slice(0, 784);
    label = mnist.test.labels[0];
  }, 60_000);

  it('--log and --csv use Keras\'s History and CSVLogger keys, with the values of the run', () => {
    const log = jsonLines(readFileSync(join(tmp, 'log.jsonl'), 'utf8'));
    expect(log.map((l) => l.epoch)).toEqual([0, 1]); // Keras counts from 0
    expect(Object.keys(log[0]).slice(0, 5)).toEqual(['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(log[0]).toMatchObject({ model: 'mlp', dataset: 'mnist', epochs: 2 });
    expect(log.map((l) => l.accuracy)).toEqual(trained.history.map((h: { trainAccuracy: number }) => h.trainAccuracy));
    expect(log.map((l) => l.val_loss)).toEqual(trained.history.map((h: { valLoss: number }) => h.valLoss));
    const csv = readFileSync(join(tmp, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,accuracy,loss,val_accuracy,val_loss,seconds,model,dataset,epochs,time');
    expect(csv).toHaveLength(3);
    expect(csv[2].split(',')[0]).toBe('1');
    expect(Number(csv[2].split(',')[1])).toBe(trained.history[1].trainAccuracy);
  });

  it('--json ends with the result line, after the model and report lines', () => {
    expect(lastType).toBe('result');
  });

  it('evaluate reproduces the test accuracy the training run measured', async () => {
    const json = await simdnet('evaluate', '--model', modelDir, '--json');
    expect(json.code).toBe(0);
    const result = jsonLines(json.stdout)[0];
    expect(result.accuracy).toBe(trained.testAccuracy);
    expect(result.dataset).toBe('mnist');
    const text = await simdnet('evaluate', '--model', modelDir, '--dataset', 'mnist');
    expect(text.stdout).toContain(`accuracy ${(trained.testAccuracy * 100).toFixed(2)}%`);
    expect(text.stdout).toContain('confusion matrix');
  }, 30_000);

  it('predict classifies a 28x28 grey PNG, and the same digit as a large dark-on-light RGB PNG', async () => {
    const small = join(tmp, 'digit.png');
    writePng(small, 28, 28, (x, y) => [digit[y * 28 + x], digit[y * 28 + x], digit[y * 28 + x]], 0);
    // 3x larger, on a white page with dark blue ink, padded wider than tall.
    const big = join(tmp, 'digit-paper.png');
    writePng(big, 28 * 3 + 30, 28 * 3, (x, y) => {
      const sx = Math.floor((x - 15) / 3);
      const v = sx >= 0 && sx < 28 ? digit[Math.floor(y / 3) * 28 + sx] : 0;
      return [255 - v, 255 - v, 255 - v * 0.6];
    }, 2);
    const run = await simdnet('predict', '--model', modelDir, small, big, '--json');
    expect(run.code).toBe(0);
    const [a, b] = jsonLines(run.stdout);
    expect(a.class).toBe(label);
    expect(a.inverted).toBe(false);
    expect(b.inverted).toBe(true);
    expect(b.class).toBe(label);
    expect(a.probabilities.reduce((s: number, p: number) => s + p, 0)).toBeCloseTo(1, 5);
    const text = await simdnet('predict', '--model', modelDir, small);
    expect(text.stdout).toMatch(new RegExp(`^${small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${label} \\(${label} \\d+\\.\\d%, `));
  }, 30_000);

  it('rejects corrupt or mismatched model directories with one line and exit code 2', async () => {
    const truncated = join(tmp, 'truncated');
    cpSync(modelDir, truncated, { recursive: true });
    truncateSync(join(truncated, 'group1-shard1of1.bin'), 4096);
    expectOneLineError(await simdnet('evaluate', '--model', truncated), /holds 4096 bytes, but model\.json lists/);

    // model.json of a cnn beside the mlp's weights.
    const mixed = join(tmp, 'mixed');
    cpSync(modelDir, mixed, { recursive: true });
    const json = JSON.parse(readFileSync(join(mixed, 'model.json'), 'utf8'));
    json.modelTopology.config.layers[1].config.units = 100;
    writeFileSync(join(mixed, 'model.json'), JSON.stringify(json));
    expectOneLineError(await simdnet('predict', '--model', mixed, join(tmp, 'digit.png')), /has shape \[784,128\], but the topology needs \[784,100\]/);

    const notJson = join(tmp, 'notjson');
    cpSync(modelDir, notJson, { recursive: true });
    writeFileSync(join(notJson, 'model.json'), 'PK\x03\x04 not json');
    expectOneLineError(await simdnet('evaluate', '--model', notJson, '--dataset', 'mnist'), /model\.json is not valid JSON/);

    expectOneLineError(await simdnet('evaluate', '--model', join(tmp, 'missing'), '--dataset', 'mnist'), /model file not found/);
    expectOneLineError(await simdnet('evaluate', '--dataset', 'mnist'), /--model DIR is required/);
  }, 30_000);

  it('rejects files that are not PNGs with one line', async () => {
    const fake = join(tmp, 'fake.png');
    writeFileSync(fake, 'GIF89a');
    expectOneLineError(await simdnet('predict', '--model', modelDir, fake), /fake\.png is not a PNG file/);
    expectOneLineError(await simdnet('predict', '--model', modelDir, join(tmp, 'absent.png')), /image not found/);
  }, 30_000);
});
