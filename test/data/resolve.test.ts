import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { defaultCacheDir, loadDataset, packageDatasetsDir, type LoadDatasetOptions } from '../../src/data/resolve.js';
import { FILE_KEYS, getDataset, identifyHash, registry } from '../../src/data/registry.js';
import { FILE_NAMES, gz, tempDir, tinyDataset, tinyRegistry, writeDataset } from './fixtures.js';

// Three distinguishable copies of one dataset: a registry accepts only one copy's hashes, so
// each test builds the registry for the copy it expects to be chosen.
const A = tinyDataset(1);
const B = tinyDataset(2);

function setup() {
  const root = tempDir();
  return {
    root,
    data: join(root, 'data'),
    cache: join(root, 'cache'),
    debian: join(root, 'debian'),
  };
}

const base = (d: ReturnType<typeof setup>): LoadDatasetOptions => ({
  cacheDir: d.cache,
  debianDir: d.debian,
  download: false,
  env: {},
  onProgress: () => {},
});

describe('registry', () => {
  it('lists mnist and fashion-mnist with class names, files, mirrors and hashes', () => {
    expect(Object.keys(registry)).toEqual(['mnist', 'fashion-mnist']);
    const f = getDataset('fashion-mnist');
    expect(f.classNames).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(getDataset('mnist').classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(getDataset('mnist').mirrors[0]).toBe('https://storage.googleapis.com/cvdf-datasets/mnist/');
    for (const info of Object.values(registry)) {
      expect(FILE_KEYS.map((k) => info.files[k].name)).toEqual(Object.values(FILE_NAMES));
      for (const k of FILE_KEYS) expect(info.files[k].sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(identifyHash(getDataset('mnist').files.testLabels.sha256)).toBe('MNIST test labels');
  });

  it('rejects an unknown name, listing the valid ones', async () => {
    await expect(loadDataset('cifar10')).rejects.toThrow('unknown dataset "cifar10"; valid names: mnist, fashion-mnist');
  });

  it('finds the repository\'s datasets/ folder, and keeps downloads out of node_modules elsewhere', () => {
    expect(packageDatasetsDir()).toMatch(/datasets$/);
    expect(defaultCacheDir({})).toBe(join(packageDatasetsDir()!, 'cache'));
    expect(defaultCacheDir({ SIMDNET_CACHE: '/somewhere/else' })).toBe('/somewhere/else');
  });
});

describe('loadDataset resolution', () => {
  it('prefers an explicit data dir over the cache and Debian', async () => {
    const d = setup();
    writeDataset(join(d.data, 'tiny'), A);
    writeDataset(join(d.cache, 'tiny'), B);
    writeDataset(join(d.debian, 'tiny'), B);
    const ds = await loadDataset('tiny', { ...base(d), dataDir: d.data, registry: tinyRegistry(A) });
    expect(ds.source).toEqual({ kind: 'data-dir', dir: join(d.data, 'tiny') });
    expect(ds.train).toMatchObject({ count: 5, rows: 4, cols: 3 });
    expect(ds.test.count).toBe(3);
    expect(ds.classNames).toHaveLength(10);
    expect(Array.from(ds.train.images.subarray(0, 12))).toEqual(Array.from(A.trainImages.subarray(16, 28)));
  });

  it('reads SIMDNET_DATA, and accepts a dir holding the files directly, raw or gzipped', async () => {
    const d = setup();
    writeDataset(d.data, A, false);
    const ds = await loadDataset('tiny', { ...base(d), env: { SIMDNET_DATA: d.data }, registry: tinyRegistry(A) });
    expect(ds.source).toEqual({ kind: 'data-dir', dir: d.data });
  });

  it('prefers the cache over Debian, and Debian over downloading', async () => {
    const d = setup();
    writeDataset(join(d.cache, 'tiny'), A);
    writeDataset(join(d.debian, 'tiny'), B);
    expect((await loadDataset('tiny', { ...base(d), registry: tinyRegistry(A) })).source.kind).toBe('cache');
    rmSync(join(d.cache, 'tiny', FILE_NAMES.testLabels)); // an incomplete cache is passed over
    const ds = await loadDataset('tiny', { ...base(d), registry: tinyRegistry(B) });
    expect(ds.source).toEqual({ kind: 'debian', dir: join(d.debian, 'tiny') });
  });

  it('does not fall through when the explicit dir lacks a file', async () => {
    const d = setup();
    writeDataset(join(d.data, 'tiny'), A);
    writeDataset(join(d.cache, 'tiny'), A);
    rmSync(join(d.data, 'tiny', FILE_NAMES.trainLabels));
    const err = await loadDataset('tiny', { ...base(d), dataDir: d.data, registry: tinyRegistry(A) }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toBe(
      `Tiny file train-labels-idx1-ubyte.gz (or train-labels-idx1-ubyte) not found in ${join(d.data, 'tiny')}; --data-dir / SIMDNET_DATA must hold all four files`,
    );
    await expect(loadDataset('tiny', { ...base(d), dataDir: join(d.root, 'nope'), registry: tinyRegistry(A) })).rejects.toThrow(
      /data dir .*nope does not exist/,
    );
  });

  it('verifies every file: a wrong copy is an error naming the file and both hashes', async () => {
    const d = setup();
    writeDataset(d.data, A);
    writeFileSync(join(d.data, FILE_NAMES.testImages), gz(B.testImages));
    const reg = tinyRegistry(A);
    const err = await loadDataset('tiny', { ...base(d), dataDir: d.data, registry: reg }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toContain(join(d.data, FILE_NAMES.testImages));
    expect(err.message).toContain(`expected ${reg.tiny.files.testImages.sha256}`);
    expect(err.message).toMatch(/decompressed data is [0-9a-f]{64}/);
  });

  it('says how to get the data when nothing is found and downloading is off or fails', async () => {
    const d = setup();
    const err = await loadDataset('fashion-mnist', { ...base(d) }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/--data-dir.*SIMDNET_DATA.*dataset-fashion-mnist/);
    const offline = await loadDataset('mnist', {
      ...base(d),
      download: true,
      mirrors: ['http://127.0.0.1:1/'], // nothing listens on port 1
      retries: 0,
    }).catch((e) => e);
    expect(offline).toBeInstanceOf(SimdnetError);
    expect(offline.message).not.toContain('\n');
    expect(offline.message).toMatch(/^MNIST is not available offline and the download failed \(could not download train-images-idx3-ubyte\.gz: http:\/\/127\.0\.0\.1:1\/train-images-idx3-ubyte\.gz: .*\); pass --data-dir DIR or set SIMDNET_DATA=DIR .*dataset-fashion-mnist/);
  });
});
