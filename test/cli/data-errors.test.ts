// Every bad --data folder and flag combination, as a real process: exit code 2 and exactly one
// line on stderr, starting "simdnet:", with no stack trace (as test/cli/errors.test.ts checks the
// rest of the CLI). The folders are made here; none needs the real datasets.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveBuild, startCli } from '../train/cli-run.js';
import { gz, idxImages, idxLabels, tempDir } from '../data/fixtures.js';
import { writeIdxFolder, writePng, writePngTree } from '../data/folder-fixtures.js';

async function expectOneLineError(args: string[], message: RegExp): Promise<void> {
  const r = await startCli(args);
  const context = `simdnet ${args.join(' ')}\nexit ${r.code}\nstderr: ${r.stderr}`;
  expect(r.code, context).toBe(2);
  expect(r.stderr, context).toMatch(/^simdnet: [^\n]+\n$/);
  expect(r.stderr, context).not.toMatch(/^\s+at /m);
  expect(r.stderr, context).toMatch(message);
}

const root = tempDir('simdnet-data-errors-');
const at = (name: string) => join(root, name);
const train = (dir: string, ...extra: string[]) => ['train', '--model', 'mlp', '--data', dir, '--epochs', '1', '--threads', '1', ...extra];

/** Each malformed folder, made in beforeAll. */
const folders: Record<string, () => void> = {
  'empty': () => mkdirSync(at('empty')),
  'a-file': () => writeFileSync(at('a-file'), 'not a folder'),
  'no-class-folders': () => mkdirSync(at('no-class-folders/train'), { recursive: true }),
  'one-class': () => writePngTree(at('one-class'), { classes: ['cat'], perClass: 3 }),
  'empty-class': () => {
    writePngTree(at('empty-class'), { perClass: 3 });
    mkdirSync(at('empty-class/train/dog'));
  },
  'mixed-sizes': () => {
    writePngTree(at('mixed-sizes'), { perClass: 3 });
    writePng(at('mixed-sizes/train/cross/002.png'), 10, 14, () => [0, 0, 0], 0);
  },
  'corrupt-png': () => {
    writePngTree(at('corrupt-png'), { perClass: 3 });
    writeFileSync(at('corrupt-png/train/square/001.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 12, 0, 0, 0, 12, 8, 0, 0, 0, 0, 1, 2, 3]));
  },
  'test-class-not-in-train': () => {
    writePngTree(at('test-class-not-in-train'), { perClass: 3, testPerClass: 1 });
    mkdirSync(at('test-class-not-in-train/test/bird'));
    writePng(at('test-class-not-in-train/test/bird/0.png'), 12, 12, () => [0, 0, 0], 0);
  },
  'tiny': () => writePngTree(at('tiny'), { perClass: 1 }),
  'png-with-test': () => writePngTree(at('png-with-test'), { perClass: 5, testPerClass: 2 }),
  'idx-images-only': () => {
    mkdirSync(at('idx-images-only'));
    writeFileSync(at('idx-images-only/train-images-idx3-ubyte.gz'), gz(idxImages(4, 12, 12)));
  },
  'idx-labels-only': () => {
    mkdirSync(at('idx-labels-only'));
    writeFileSync(at('idx-labels-only/train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 0]));
  },
  'idx-count-mismatch': () => {
    mkdirSync(at('idx-count-mismatch'));
    writeFileSync(at('idx-count-mismatch/train-images-idx3-ubyte'), idxImages(5, 12, 12));
    writeFileSync(at('idx-count-mismatch/train-labels-idx1-ubyte'), idxLabels([0, 1, 2, 0]));
  },
  'idx': () => writeIdxFolder(at('idx'), { train: 30 }),
};

beforeAll(() => {
  for (const make of Object.values(folders)) make();
  writeFileSync(at('spec.json'), JSON.stringify({ name: 'mine', inputShape: [28, 28, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] }));
  writeFileSync(at('spec-12.json'), JSON.stringify({ name: 'mine12', inputShape: [12, 12, 1], layers: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'softmax' }] }));
});

const cases: [string, string[], RegExp][] = [
  ['the folder is missing', train(at('absent')), /^simdnet: data folder \/.*absent does not exist$/m],
  ['the folder is a file', train(at('a-file')), /a-file is not a folder; a dataset folder holds IDX files \(train-images-idx3-ubyte\[\.gz\] with train-labels-idx1-ubyte\[\.gz\], and t10k- or test- ones\) or PNG class folders \(train\/<class>\/\*\.png\)$/m],
  ['neither IDX files nor train/ class folders', train(at('empty')), /empty holds neither IDX files \(train-images-idx3-ubyte\[\.gz\].*\) nor PNG class folders \(train\/<class>\/\*\.png\)$/m],
  ['train/ without class folders', train(at('no-class-folders')), /no-class-folders\/train holds no class folders; expected .*\/train\/<class>\/\*\.png, one folder per class$/m],
  ['only one class', train(at('one-class')), /one-class\/train holds only one class folder \(cat\); a classifier needs at least two$/m],
  ['a class folder with no images', train(at('empty-class')), /empty-class\/train\/dog holds no \.png images; every class folder needs at least one$/m],
  ['images of different sizes', train(at('mixed-sizes')), /mixed-sizes\/train\/cross\/002\.png is 10x14, but .*mixed-sizes\/train\/circle\/000\.png is 12x12; every image must be one size \(simdnet does not resize\)$/m],
  ['a corrupt PNG', train(at('corrupt-png')), /corrupt-png\/train\/square\/001\.png is not a readable PNG \(.+\)$/m],
  ['a test class that train/ lacks', train(at('test-class-not-in-train')), /test-class-not-in-train\/test\/bird: 'bird' is not a class of .*\/train \(its classes: circle, cross, square\)$/m],
  ['IDX images without labels', train(at('idx-images-only')), /idx-images-only\/train-images-idx3-ubyte\.gz has no labels file beside it: expected train-labels-idx1-ubyte\[\.gz\] in /m],
  ['IDX labels without images', train(at('idx-labels-only')), /idx-labels-only\/train-labels-idx1-ubyte has no images file beside it: expected train-images-idx3-ubyte\[\.gz\] in /m],
  ['a label count that is not the image count', train(at('idx-count-mismatch')), /train-images-idx3-ubyte holds 5 images but .*train-labels-idx1-ubyte holds 4 labels/m],
  ['an empty train set after the split', train(at('tiny'), '--test-split', '0.9'), /tiny\/train: no training images left after holding out 90% of each class for testing; use a smaller test split$/m],
  ['a split that rounds to no test images', train(at('tiny')), /tiny\/train: 20% of each class rounds to no test images \(3 images in all\); use a larger test split or give the data a test set$/m],
  ['--test-split with a test/ folder', train(at('png-with-test'), '--test-split', '0.3'), /png-with-test has its own test set \(test\/\), so there is nothing to hold out; drop the test split$/m],
  ['--dataset and --data', train(at('idx'), '--dataset', 'mnist'), /--dataset and --data name two datasets; give one$/m],
  ['--test-split without --data', ['train', '--model', 'mlp', '--dataset', 'mnist', '--test-split', '0.2'], /--test-split applies to --data DIR \(a folder without a test set\); the registered datasets have their own test sets$/m],
  ['--test-split 0', train(at('idx'), '--test-split', '0'), /--test-split expects a fraction in \(0, 1\), got '0'$/m],
  ['--test-split abc', train(at('idx'), '--test-split', 'abc'), /--test-split expects a fraction in \(0, 1\), got 'abc'$/m],
  ['--data with --data-dir', train(at('idx'), '--data-dir', root), /--data-dir locates the registered datasets \(--dataset\); --data DIR is a folder of your own; give one$/m],
  ['neither --dataset nor --data', ['train', '--model', 'mlp'], /--dataset is required: one of mnist, fashion-mnist \(or --data DIR for a folder of your own\)$/m],
  ['a --spec model of another input shape', ['train', '--spec', at('spec.json'), '--data', at('idx'), '--epochs', '1'], /model 'mine' takes 28x28x1 inputs, but idx images are 12x12x1$/m],
  ['a --spec model with another class count', ['train', '--spec', at('spec-12.json'), '--data', at('idx'), '--epochs', '1'], /model 'mine12' has 10 output classes, but idx has 3$/m],
  ['a named model the images are too small for', ['train', '--model', 'cnn-tuned', '--data', at('idx'), '--epochs', '1'], /model 'cnn-tuned' cannot take 12x12x1 images: /m],
  ['study: --datasets and --data', ['study', '--datasets', 'mnist', '--data', at('idx')], /--datasets and --data name the data twice; give one$/m],
  ['study: a bad folder', ['study', '--data', at('one-class'), '--models', 'mlp', '--epochs', '1'], /only one class folder \(cat\)/m],
  ['bench: a folder with fewer images than a batch', ['bench', '--model', 'mlp', '--data', at('idx'), '--batches', '1', '--repeats', '1'], /a benchmark of batch 64 needs at least 64 training images, the data has 24; use a smaller batch size$/m],
];

describe.skipIf(!haveBuild)('--data errors: one line on stderr, exit code 2', () => {
  it.concurrent.each(cases)('%s', async (_, args, message) => {
    await expectOneLineError(args, message);
  }, 30_000);
});

describe.skipIf(!haveBuild)('--data errors that need a trained model', () => {
  it('evaluate of a folder model without --data, on a folder of another shape, or of other class names; resume without --data', async () => {
    const dir = writePngTree(at('shapes'), { perClass: 20 });
    const model = at('shapes-model');
    const checkpoint = at('shapes-checkpoint');
    const run = await startCli(['train', '--model', 'mlp', '--data', dir, '--epochs', '1', '--threads', '1', '--save', model, '--checkpoint', checkpoint]);
    expect(run.stderr).toBe('');
    await expectOneLineError(['evaluate', '--model', model], /shapes-model was trained on the folder 'shapes'; evaluate it with --data DIR \(that folder, or another with the same classes\)$/m);
    writePngTree(at('colour'), { perClass: 20, colour: true });
    await expectOneLineError(['evaluate', '--model', model, '--data', at('colour')], /shapes-model: the model takes 12x12x1 inputs, but colour images are 12x12x3$/m);
    writePngTree(at('renamed'), { classes: ['a', 'b', 'c'], perClass: 20 });
    await expectOneLineError(['evaluate', '--model', model, '--data', at('renamed')], /shapes-model: the model's classes are circle, cross, square, but .*renamed's are a, b, c$/m);
    await expectOneLineError(['evaluate', '--model', model, '--data', at('idx')], /shapes-model: the model's classes are circle, cross, square, but .*idx's are 0, 1, 2$/m);
    await expectOneLineError(['evaluate', '--model', model, '--data', at('absent')], /data folder .*absent does not exist$/m);
    const image = join(dir, 'train', 'cross', '000.png');
    await expectOneLineError(['predict', '--model', model, '--data', at('one-class'), image], /only one class folder \(cat\)/m);
    await expectOneLineError(['predict', '--model', model, '--data', at('idx'), '--dataset', 'mnist', image], /--dataset and --data name two datasets; give one$/m);
    writePngTree(at('four'), { classes: ['a', 'b', 'c', 'd'], perClass: 2 });
    await expectOneLineError(['predict', '--model', model, '--data', at('four'), image], /--data .*four has 4 classes, the model 3$/m);
    await expectOneLineError(['train', '--resume', checkpoint, '--epochs', '2'], /--resume .*shapes-checkpoint: the run trained on the folder 'shapes'; give --data with that folder to continue it$/m);
    const resumed = await startCli(['train', '--resume', checkpoint, '--data', dir, '--epochs', '2', '--threads', '1', '--json']);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
  }, 60_000);
});
