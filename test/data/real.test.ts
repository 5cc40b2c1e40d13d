// The real MNIST and Fashion-MNIST, from $SIMDNET_DATA or the shared offline copy when present.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/data/resolve.js';

const candidates = [process.env.SIMDNET_DATA, '/work/shared/datasets'].filter((d): d is string => !!d);
const dataDir = candidates.find((d) => existsSync(join(d, 'mnist')) && existsSync(join(d, 'fashion-mnist')));
if (!dataDir) console.warn('test/data/real.test.ts: skipped, no MNIST copy (set SIMDNET_DATA to a folder holding mnist/ and fashion-mnist/)');

function classCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe.skipIf(!dataDir)(`real datasets from ${dataDir ?? '(none: set SIMDNET_DATA)'}`, () => {
  it('loads and verifies MNIST', async () => {
    const ds = await loadDataset('mnist', { dataDir, download: false });
    expect(ds.source.kind).toBe('data-dir');
    expect([ds.train.count, ds.train.rows, ds.train.cols]).toEqual([60000, 28, 28]);
    expect([ds.test.count, ds.test.rows, ds.test.cols]).toEqual([10000, 28, 28]);
    expect(ds.train.images.length).toBe(60000 * 784);
    expect(classCounts(ds.train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(classCounts(ds.test.labels).reduce((a, b) => a + b)).toBe(10000);
  });

  it('loads and verifies Fashion-MNIST', async () => {
    const ds = await loadDataset('fashion-mnist', { dataDir, download: false });
    expect(ds.classNames[9]).toBe('Ankle boot');
    expect([ds.train.count, ds.train.rows, ds.train.cols]).toEqual([60000, 28, 28]);
    expect([ds.test.count, ds.test.rows, ds.test.cols]).toEqual([10000, 28, 28]);
    expect(classCounts(ds.train.labels)).toEqual(new Array(10).fill(6000));
    expect(classCounts(ds.test.labels)).toEqual(new Array(10).fill(1000));
  });

  it('names the other dataset when pointed at the wrong folder', async () => {
    await expect(loadDataset('fashion-mnist', { dataDir: join(dataDir!, 'mnist'), download: false })).rejects.toThrow(
      /checksum mismatch \(Fashion-MNIST train images\).*it is MNIST train images/,
    );
  });
});
