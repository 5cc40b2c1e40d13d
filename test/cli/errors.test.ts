// Every error a user can reach from the command line, run as a real process: each must exit
// non-zero and print exactly one line on stderr, starting "simdnet:", with no stack trace.
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CHECKPOINT_FILE } from '../../src/train/checkpoint.js';
import { dataDir, haveBuild, haveData, startCli } from '../train/cli-run.js';

const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const tempDir = () => mkdtempSync(join(tmpdir(), 'simdnet-errors-'));
/** A --spec file holding `content` (JSON, or text as it is). */
function specFile(content: unknown): string {
  const path = join(tempDir(), 'spec.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const mnist = (extra: string[] = []) => ['train', '--model', 'mlp', '--dataset', 'mnist', '--threads', '1', '--limit', '600', '--epochs', '1', ...extra];

/** A data dir holding links to the real MNIST files, with one file replaced by `bytes` (or removed). */
function dataDirWith(file: string, bytes: Uint8Array | null): string {
  const root = tempDir();
  const dir = join(root, 'mnist');
  mkdirSync(dir);
  for (const name of FILES) {
    if (name !== file) symlinkSync(join(dataDir, 'mnist', name), join(dir, name));
    else if (bytes) writeFileSync(join(dir, name), bytes);
  }
  return root;
}

async function expectOneLineError(args: string[], message: RegExp, env: Record<string, string> = {}): Promise<void> {
  const r = await startCli(args, env);
  const context = `simdnet ${args.join(' ')}\nexit ${r.code}\nstderr: ${r.stderr}`;
  expect(r.code, context).not.toBe(0);
  expect(r.code, context).not.toBeNull();
  expect(r.stderr, context).toMatch(/^simdnet: [^\n]+\n$/);
  expect(r.stderr, context).not.toMatch(/^\s+at /m);
  expect(r.stderr, context).toMatch(message);
}

// Flag and usage errors fail before any data is read.
const usageErrors: [string, string[], RegExp][] = [
  ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ['unknown flag', ['train', '--frob'], /train: Unknown option '--frob'/],
  ['positional argument', ['train', 'mlp'], /train: Unexpected argument 'mlp'/],
  ['flag without its value', ['train', '--model', 'mlp', '--dataset', 'mnist', '--epochs'], /--epochs/],
  ['missing --model', ['train', '--dataset', 'mnist'], /--model is required/],
  ['unknown --model', ['train', '--model', 'resnet', '--dataset', 'mnist'], /--model expects one of cnn, cnn-tuned, mlp, mlp-tuned, cnn-plus, got 'resnet'/],
  ['missing --dataset', ['train', '--model', 'mlp'], /--dataset is required/],
  ['unknown --dataset', ['train', '--model', 'mlp', '--dataset', 'cifar'], /--dataset expects one of mnist, fashion-mnist, got 'cifar'/],
  ['--epochs 0', mnist(['--epochs', '0']), /--epochs expects an integer >= 1, got '0'/],
  ['--epochs abc', mnist(['--epochs', 'abc']), /--epochs expects an integer/],
  ['--batch-size -1', mnist(['--batch-size', '-1']), /Option '--batch-size' argument is ambiguous; a value starting with a dash is written '--batch-size=-XYZ'/],
  ['--batch-size=-1', mnist(['--batch-size=-1']), /--batch-size expects an integer >= 1, got '-1'/],
  ['--batch-size 1.5', mnist(['--batch-size', '1.5']), /--batch-size expects an integer/],
  ['--lr 0', mnist(['--lr', '0']), /--lr expects a positive number, got '0'/],
  ['--lr abc', mnist(['--lr', 'abc']), /--lr expects a positive number/],
  ['--lr Infinity', mnist(['--lr', 'Infinity']), /--lr expects a positive number/],
  ['--seed=-1', mnist(['--seed=-1']), /--seed expects an integer >= 0, got '-1'/],
  ['--validation-split 1', mnist(['--validation-split', '1']), /--validation-split expects a fraction in \[0, 1\)/],
  ['--validation-split x', mnist(['--validation-split', 'x']), /--validation-split expects a fraction/],
  ['--limit 0', mnist(['--limit', '0']), /--limit expects an integer >= 1/],
  ['--fma maybe', mnist(['--fma', 'maybe']), /--fma expects one of auto, on, off/],
  ['--threads 0', mnist(['--threads', '0']), /--threads/],
  ['--threads many', mnist(['--threads', 'many']), /--threads/],
  ['study: unknown model in --models', ['study', '--models', 'mlp,resnet'], /--models: unknown 'resnet'/],
  ['study: unknown dataset in --datasets', ['study', '--datasets', 'cifar'], /--datasets: unknown 'cifar'/],
  ['study: --epochs=-2', ['study', '--epochs=-2'], /--epochs expects an integer >= 1/],
  ['evaluate without --model', ['evaluate'], /--model/],
  ['bench: unknown --model', ['bench', '--model', 'resnet'], /--model expects one of/],
  ['bench: --warmup=-1', ['bench', '--model', 'mlp', '--warmup=-1'], /--warmup expects an integer >= 0, got '-1'/],
  ['bench --suite with --warmup', ['bench', '--suite', '--warmup', '3'], /--suite runs the four named models on MNIST at fixed batches; it takes no --warmup/],
  ['serve: --port abc', ['serve', '--port', 'abc'], /--port/],
  ['--resume of a folder without a checkpoint', ['train', '--resume', '/nonexistent/simdnet-ckpt'], /--resume \/nonexistent\/simdnet-ckpt: no checkpoint\.bin there to continue from/],
  ['--model and --spec together', ['train', '--model', 'mlp', '--spec', 'x.json', '--dataset', 'mnist'], /--model and --spec name two models; give one/],
  ['--spec of a missing file', ['train', '--spec', '/nonexistent/spec.json', '--dataset', 'mnist'], /--spec \/nonexistent\/spec\.json: no such file/],
  ['--spec that is not JSON', ['train', '--spec', specFile('not json {'), '--dataset', 'mnist'], /spec\.json is not valid JSON/],
  ['--spec with an unknown layer type', ['train', '--spec', specFile({ name: 'x', inputShape: [28, 28, 1], layers: [{ type: 'lstm' }] }), '--dataset', 'mnist'], /layer 0: unknown layer type "lstm" \(expected one of conv2d, /],
  ['--spec with a typo in a field', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'dense', unit: 10, activation: 'softmax' }] }), '--dataset', 'mnist'], /layer 0 \(dense\): unknown field 'unit' \(expected units, activation\)/],
  ['--spec whose shapes do not work out', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'dense', units: 10, activation: 'softmax' }] }), '--dataset', 'mnist'], /needs a flat input; add a Flatten before it \(input is \[28,28,1\]\)/],
  ['--spec not ending in a softmax', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] }), '--dataset', 'mnist'], /the last layer must be a Dense layer with softmax activation/],
  ['--spec with an unknown optimizer', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }], optimizer: { type: 'lion', learningRate: 1 } }), '--dataset', 'mnist'], /optimizer type "lion" is not supported \(adam, adamw, sgd\)/],
  ['--spec with a bad momentum', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }], optimizer: { type: 'sgd', learningRate: 0.1, momentum: 1.5 } }), '--dataset', 'mnist'], /optimizer: momentum must be a number in \[0, 1\), got 1\.5/],
  ['--spec with a bad schedule', ['train', '--spec', specFile({ inputShape: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }], schedule: { type: 'stepDecay', every: 0 } }), '--dataset', 'mnist'], /schedule: every must be a whole number of epochs >= 1, got 0/],
  ['study: --resume of a folder without a study', ['study', '--resume', '/nonexistent/simdnet-study'], /--resume \/nonexistent\/simdnet-study: no study checkpoint there to continue from/],
];

describe.skipIf(!haveBuild)('CLI usage errors: one line, no stack, non-zero exit', () => {
  it.concurrent.each(usageErrors)('%s', async (_, args, message) => {
    await expectOneLineError(args, message);
  }, 30_000);
});

describe.skipIf(!haveBuild || !haveData)('CLI data and run errors: one line, no stack, non-zero exit', () => {
  let checkpointDir: string;
  beforeAll(async () => {
    checkpointDir = join(tempDir(), 'ckpt');
    const r = await startCli(mnist(['--checkpoint', checkpointDir]));
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  const labels = () => readFileSync(join(dataDir, 'mnist', 't10k-labels-idx1-ubyte.gz'));
  const cases: [string, () => string[], RegExp][] = [
    ['--data-dir that does not exist', () => mnist(['--data-dir', '/nonexistent/data']), /data dir \/nonexistent\/data does not exist/],
    ['--data-dir missing a file', () => mnist(['--data-dir', dataDirWith('train-labels-idx1-ubyte.gz', null)]), /train-labels-idx1-ubyte\.gz \(or train-labels-idx1-ubyte\) not found/],
    ['a truncated gzip file', () => mnist(['--data-dir', dataDirWith('train-labels-idx1-ubyte.gz', readFileSync(join(dataDir, 'mnist', 'train-labels-idx1-ubyte.gz')).subarray(0, 5000))]), /corrupt or truncated gzip data/],
    ['a corrupt IDX file (bad magic)', () => mnist(['--data-dir', dataDirWith('train-labels-idx1-ubyte.gz', gzipSync(Buffer.from('not an idx file at all')))]), /checksum mismatch/],
    ['a checksum mismatch (the test labels in place of the train labels)', () => mnist(['--data-dir', dataDirWith('train-labels-idx1-ubyte.gz', labels())]), /checksum mismatch \(MNIST train labels\).*it is MNIST test labels/],
    ['--spec with an input shape other than the data', () => ['train', '--spec', specFile({ inputShape: [32, 32, 3], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] }), '--dataset', 'mnist'], /model 'model' takes 32x32x3 inputs, but mnist images are 28x28x1/],
    ['--limit leaving no training images', () => mnist(['--limit', '1']), /no training images left: --limit 1 with --validation-split 0\.1/],
    ['divergence with --lr 1e9', () => mnist(['--lr', '1e9']), /training diverged: the loss became NaN in epoch 1, batch \d+ of 9; try a lower learning rate than 1000000000$/m],
    ['a batch too big for wasm memory', () => ['train', '--model', 'cnn-tuned', '--dataset', 'mnist', '--threads', '1', '--limit', '600', '--batch-size', '1000000'], /model cnn-tuned with --batch-size 1000000 needs about \d+ MiB/],
    ['--resume with a different --lr', () => ['train', '--resume', checkpointDir, '--lr', '0.01'], /cannot resume from .*: the checkpoint was made with --lr 0\.001, this run asks for 0\.01/],
    ['--resume with a different --model', () => ['train', '--resume', checkpointDir, '--model', 'cnn'], /made with --model mlp, this run asks for cnn/],
    ['--checkpoint into a folder that holds one', () => mnist(['--checkpoint', checkpointDir]), /already holds a checkpoint; continue it with --resume/],
    ['--resume of a damaged checkpoint', () => {
      const dir = tempDir();
      copyFileSync(join(checkpointDir, CHECKPOINT_FILE), join(dir, CHECKPOINT_FILE));
      const bytes = readFileSync(join(dir, CHECKPOINT_FILE));
      writeFileSync(join(dir, CHECKPOINT_FILE), bytes.subarray(0, bytes.length - 7));
      return ['train', '--resume', dir];
    }, /checkpoint\.bin: not a usable simdnet checkpoint \(payload of \d+ bytes, expected \d+\); delete it to start over/],
    ['--checkpoint below a regular file', () => {
      const file = join(tempDir(), 'file');
      writeFileSync(file, '');
      return mnist(['--checkpoint', join(file, 'ckpt')]);
    }, /cannot write the checkpoint in .*file\/ckpt/],
  ];

  it.each(cases)('%s', async (_, args, message) => {
    await expectOneLineError(args(), message);
  }, 60_000);
});
