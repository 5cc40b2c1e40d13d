// train --augment and --label-smoothing from the command line: a bad value is one line naming the
// flag (exit 2), and a run with both records them in its result and draws the report's gallery of
// augmented training images. Needs `npm run build` and MNIST.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveBuild, haveData, startCli } from '../train/cli-run.js';

const mnist = (extra: string[]) => ['train', '--model', 'mlp', '--dataset', 'mnist', '--threads', '1', '--limit', '600', '--epochs', '1', ...extra];

describe.skipIf(!haveBuild)('train --augment, --label-smoothing: errors', () => {
  const cases: [string[], RegExp][] = [
    [['--augment', 'translate=9'], /^simdnet: --augment: translate must be an integer from 0 to 4, got 9\n$/],
    [['--augment', 'shear=2'], /^simdnet: --augment: 'shear=2' is not one of translate=N, rotate=DEGREES, scale=F, flip, or none\n$/],
    [['--label-smoothing', '1'], /^simdnet: --label-smoothing expects a number in \[0, 1\), got '1'\n$/],
  ];
  for (const [flags, message] of cases) {
    it(flags.join(' '), async () => {
      const r = await startCli(mnist(flags));
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe.skipIf(!haveBuild || !haveData)('train --augment --label-smoothing --out', () => {
  it('trains, records both in the result, and the report shows a test image augmented 8 ways', async () => {
    const out = mkdtempSync(join(tmpdir(), 'simdnet-augment-report-'));
    const r = await startCli(mnist(['--augment', 'translate=2,rotate=10,scale=0.1', '--label-smoothing', '0.1', '--out', out, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(result.spec.augmentation).toEqual({ translate: 2, rotate: 10, scale: 0.1, flipHorizontal: false });
    expect(result.spec.loss).toEqual({ type: 'categoricalCrossentropy', labelSmoothing: 0.1 });
    expect(result.augmentedExample.versions).toHaveLength(8);
    const svg = join(out, 'images', 'augmented-mlp-mnist.svg');
    expect(existsSync(svg)).toBe(true);
    const text = readFileSync(svg, 'utf8');
    expect(text).toContain('mlp on MNIST: training images as augmented');
    expect(text.match(/<image /g)?.length).toBe(9);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('Adam, label smoothing 0.1, augmented (shift ±2 px, rotate ±10°, zoom ±10%)');
  }, 60_000);
});
