// `--data DIR` end to end (needs `npm run build`, which `npm test` runs first): the CLI trains on
// class-per-folder PNG trees it makes here (grey without test/, colour with it) and on IDX files
// in a folder; the named models take the data's shape and classes; --test-split; evaluate and
// predict on a model trained on the colour folder; study and bench on a folder. The MNIST case
// (gzipped copies of a slice of the real files, named by classes.txt) needs SIMDNET_DATA.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../src/data/resolve.js';
import { dataDir, haveBuild, haveData, startCli } from '../train/cli-run.js';
import { tempDir } from '../data/fixtures.js';
import { classImage, lcg, writeIdxFolder, writePng, writePngTree } from '../data/folder-fixtures.js';

const jsonLines = (text: string) => text.trim().split('\n').map((line) => JSON.parse(line));
const last = (text: string) => jsonLines(text).at(-1);

/** Runs a command that must succeed, with nothing on stderr; returns its stdout. */
async function ok(...args: string[]): Promise<string> {
  const run = await startCli(args);
  expect(run.stderr, `simdnet ${args.join(' ')}`).toBe('');
  expect(run.code, `simdnet ${args.join(' ')}`).toBe(0);
  return run.stdout;
}

const sum = (matrix: number[][]) => matrix.flat().reduce((a, b) => a + b, 0);

describe.skipIf(!haveBuild)('simdnet --data DIR', () => {
  const root = tempDir('simdnet-data-cli-');
  const shapes = join(root, 'shapes');
  const colours = join(root, 'colours');
  const idx = join(root, 'idx');
  const colourModel = join(root, 'colour-model');
  const common = ['--threads', '2', '--json', '--batch-size', '16'];
  let colourResult: { testAccuracy: number; confusionMatrix: number[][] };

  beforeAll(() => {
    writePngTree(shapes, { perClass: 100 });
    writePngTree(colours, { classes: ['red', 'green', 'blue'], perClass: 80, testPerClass: 20, colour: true, seed: 7 });
    writeIdxFolder(idx, { train: 300, test: 60 });
  });

  it('train --model cnn --data on a grey PNG tree without test/: 12x12x1, its classes, 20% held out, above chance', async () => {
    const lines = jsonLines(await ok('train', '--model', 'cnn', '--data', shapes, '--epochs', '2', ...common));
    const result = lines.at(-1);
    expect(result).toMatchObject({ type: 'result', model: 'cnn', dataset: 'shapes', classNames: ['circle', 'cross', 'square'], trainSamples: 216, validationSamples: 24 });
    expect(result.spec.inputShape).toEqual([12, 12, 1]);
    expect(result.spec.layers.at(-1)).toEqual({ type: 'dense', units: 3, activation: 'softmax' });
    expect(sum(result.confusionMatrix)).toBe(60);
    expect(result.testAccuracy).toBeGreaterThan(0.6);
  }, 30_000);

  it('train --model mlp --data on a colour tree with test/: 12x12x3, saves the class names and the folder', async () => {
    const stdout = await ok('train', '--model', 'mlp', '--data', colours, '--epochs', '2', '--save', colourModel, ...common);
    const result = last(stdout);
    expect(result).toMatchObject({ type: 'result', model: 'mlp', dataset: 'colours', classNames: ['blue', 'green', 'red'], trainSamples: 216 });
    expect(result.spec.inputShape).toEqual([12, 12, 3]);
    expect(sum(result.confusionMatrix)).toBe(60);
    expect(result.testAccuracy).toBeGreaterThan(0.6);
    colourResult = result;
    const meta = JSON.parse(readFileSync(join(colourModel, 'model.json'), 'utf8')).userDefinedMetadata.simdnet;
    expect(meta).toEqual({ dataset: 'colours', classNames: ['blue', 'green', 'red'], source: 'folder' });
  }, 30_000);

  it('evaluate --data and predict on the colour model: the same test accuracy, colour PNGs classified', async () => {
    const evaluation = last(await ok('evaluate', '--model', colourModel, '--data', colours, '--json'));
    expect(evaluation).toMatchObject({ type: 'evaluation', dataset: 'colours', images: 60 });
    expect(evaluation.accuracy).toBeCloseTo(colourResult.testAccuracy, 6);
    expect(evaluation.confusionMatrix).toEqual(colourResult.confusionMatrix);

    // A test image as it is, and a bigger red square on grey noise drawn here (resized to 12x12).
    const random = lcg(99);
    const big = join(root, 'big-red.png');
    const red = classImage(0, 12, true, random);
    writePng(big, 48, 48, (x, y) => red(x >> 2, y >> 2), 2);
    const stdout = await ok('predict', '--model', colourModel, join(colours, 'test', 'green', '003.png'), big, '--json');
    const [green, bigRed] = jsonLines(stdout);
    expect(green).toMatchObject({ type: 'prediction', className: 'green', inverted: false });
    expect(bigRed).toMatchObject({ className: 'red', width: 48, height: 48, inverted: false });
    expect(bigRed.probabilities).toHaveLength(3);
    const text = await ok('predict', '--model', colourModel, big, '--data', colours, '--top', '2');
    expect(text).toMatch(/big-red\.png: red \(red \d+\.\d%, \w+ \d+\.\d%\)/);
  }, 30_000);

  it('--test-split holds out another fraction, and evaluate --data uses the fraction the model recorded', async () => {
    const model = join(root, 'shapes-model');
    const result = last(await ok('train', '--model', 'mlp', '--data', shapes, '--test-split', '0.5', '--epochs', '2', '--save', model, ...common));
    expect(sum(result.confusionMatrix)).toBe(150);
    expect(result.trainSamples + result.validationSamples).toBe(150);
    const meta = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).userDefinedMetadata.simdnet;
    expect(meta).toMatchObject({ dataset: 'shapes', source: 'folder', testSplit: 0.5, background: 'dark' });
    const evaluation = last(await ok('evaluate', '--model', model, '--data', shapes, '--json'));
    expect(evaluation.images).toBe(150);
    expect(evaluation.confusionMatrix).toEqual(result.confusionMatrix);
    expect(last(await ok('evaluate', '--model', model, '--data', shapes, '--test-split', '0.2', '--json')).images).toBe(60);
  }, 30_000);

  it('train --data on IDX files (gzipped, t10k-): 12x12x1, classes 0..2, above chance; the text output names the data', async () => {
    const result = last(await ok('train', '--model', 'cnn', '--data', idx, '--epochs', '2', ...common));
    expect(result).toMatchObject({ dataset: 'idx', classNames: ['0', '1', '2'], trainSamples: 270 });
    expect(result.spec.inputShape).toEqual([12, 12, 1]);
    expect(sum(result.confusionMatrix)).toBe(60);
    expect(result.testAccuracy).toBeGreaterThan(0.5);
    const text = await ok('train', '--model', 'mlp', '--data', idx, '--epochs', '1', '--threads', '1');
    expect(text).toContain(`training mlp on idx (`);
    expect(text).toContain(`data from ${idx})\n3 classes (0, 1, 2), 12x12 grey images: 300 for training, 60 for testing\n`);
  }, 30_000);

  it('study --data runs the chosen models on the folder and writes the report, its gallery in colour', async () => {
    const out = join(root, 'study');
    const lines = jsonLines(await ok('study', '--data', colours, '--models', 'mlp,cnn', '--epochs', '1', '--out', out, '--threads', '2', '--json'));
    const results = lines.filter((l) => l.type === 'result');
    expect(results.map((r) => [r.model, r.dataset])).toEqual([['mlp', 'colours'], ['cnn', 'colours']]);
    expect(results.every((r) => r.spec.inputShape.join('x') === '12x12x3')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'study', runs: 2 });
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    const gallery = readFileSync(join(out, 'images', 'misclassified-cnn-colours.svg'), 'utf8');
    expect(html).toContain('colours');
    // One epoch leaves some test images wrong (the runs are seeded): the gallery shows them in colour.
    const urls = [...gallery.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)];
    expect(urls.length).toBe(results[1].misclassifiedExamples.length);
    expect(urls.length).toBeGreaterThan(0);
    for (const [, base64] of urls) {
      const png = PNG.sync.read(Buffer.from(base64, 'base64'));
      expect([png.width, png.height, png.colorType]).toEqual([12, 12, 2]);
    }
  }, 60_000);

  it('bench --data times the fitted model on the folder', async () => {
    const result = last(await ok('bench', '--model', 'mlp', '--data', colours, '--batches', '3', '--repeats', '1', '--batch-size', '16', '--threads', '1', '--json'));
    expect(result).toMatchObject({ model: 'mlp', dataset: 'colours', batchSize: 16 });
    expect(result.samplesPerSecond).toBeGreaterThan(0);
  }, 30_000);

  it('--help of every command names --data and --test-split', async () => {
    for (const command of ['train', 'evaluate', 'study', 'bench']) {
      const help = await ok(command, '--help');
      expect(help, command).toMatch(/--data DIR/);
      expect(help, command).toMatch(/--test-split F/);
    }
    expect(await ok('predict', '--help')).toMatch(/--data DIR/);
  });
});

describe.skipIf(!haveBuild || !haveData)('simdnet train --data on gzipped IDX copies of a slice of the real MNIST', () => {
  it('reads them, names the classes from classes.txt, and learns the digits', async () => {
    const mnist = await loadDataset('mnist', { dataDir });
    const dir = join(tempDir('simdnet-data-mnist-'), 'digits');
    mkdirSync(dir);
    const write = (name: string, magic: number, dims: number[], bytes: Uint8Array) => {
      const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
      header.setUint32(0, magic);
      dims.forEach((d, i) => header.setUint32(4 + 4 * i, d));
      writeFileSync(join(dir, name), gzipSync(Buffer.concat([new Uint8Array(header.buffer), bytes])));
    };
    const [trainCount, testCount] = [3000, 1000];
    write('train-images-idx3-ubyte.gz', 0x803, [trainCount, 28, 28], mnist.train.images.subarray(0, trainCount * 784));
    write('train-labels-idx1-ubyte.gz', 0x801, [trainCount], mnist.train.labels.subarray(0, trainCount));
    write('test-images-idx3-ubyte.gz', 0x803, [testCount, 28, 28], mnist.test.images.subarray(0, testCount * 784));
    write('test-labels-idx1-ubyte.gz', 0x801, [testCount], mnist.test.labels.subarray(0, testCount));
    const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    writeFileSync(join(dir, 'classes.txt'), names.join('\n') + '\n');
    const run = await startCli(['train', '--model', 'mlp', '--data', dir, '--epochs', '2', '--threads', '2', '--json']);
    expect(run.stderr).toBe('');
    const result = last(run.stdout);
    expect(result).toMatchObject({ dataset: 'digits', classNames: names, trainSamples: 2700 });
    expect(result.spec.inputShape).toEqual([28, 28, 1]);
    expect(sum(result.confusionMatrix)).toBe(testCount);
    expect(result.testAccuracy).toBeGreaterThan(0.75);
  }, 60_000);
});
