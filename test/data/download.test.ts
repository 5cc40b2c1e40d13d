import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimdnetError } from '../../src/engine/errors.js';
import { downloadFile } from '../../src/data/download.js';
import { createProgressRenderer } from '../../src/data/download-progress.js';
import { loadDataset } from '../../src/data/resolve.js';
import { FILE_NAMES, gz, idxImages, idxLabels, tempDir, tinyDataset, tinyInfo, tinyRegistry } from './fixtures.js';

const A = tinyDataset(1);
const B = tinyDataset(2);
// One file big enough to arrive in many chunks, so two downloads really interleave.
A.trainImages = idxImages(400, 28, 28, 1);
A.trainLabels = idxLabels(Array.from({ length: 400 }, (_, i) => i % 10));
const info = tinyInfo(A);
const byName = new Map(Object.entries(FILE_NAMES).map(([k, name]) => [name, k as keyof typeof A]));

let server: Server;
let url: string;
const hits = new Map<string, number>();
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, route, name] = (req.url ?? '').split('/');
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    const key = byName.get(name);
    if (!key || route === '404') {
      res.writeHead(404).end('not found');
      return;
    }
    const body = route === 'bad' ? gz(B[key]) : route === 'plain' ? A[key] : gz(A[key]);
    if (route === 'flaky' && n === 1) {
      res.writeHead(503).end();
      return;
    }
    if (route === 'stall') {
      // Headers and a first chunk, then nothing.
      open.add(res);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 10));
      return;
    }
    res.writeHead(200, { 'content-length': body.length });
    if (route === 'slow') {
      let off = 0;
      const step = (): void => {
        if (off >= body.length) return void res.end();
        res.write(body.subarray(off, off + 4096));
        off += 4096;
        setTimeout(step, 2);
      };
      step();
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const quiet = { onProgress: () => {}, backoffMs: 10, retries: 1 };
const leftovers = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.part')) : []);

describe('downloadFile', () => {
  it('downloads, verifies and renames into place, reporting progress', async () => {
    const dir = join(tempDir(), 'cache', 'tiny');
    const calls: [string, number, number | null][] = [];
    const path = await downloadFile(info.files.trainImages, {
      ...quiet,
      mirrors: [`${url}/ok/`],
      destDir: dir,
      onProgress: (f, r, t) => calls.push([f, r, t]),
    });
    expect(path).toBe(join(dir, FILE_NAMES.trainImages));
    expect(Buffer.compare(readFileSync(path), gz(A.trainImages))).toBe(0);
    expect(readdirSync(dir)).toEqual([FILE_NAMES.trainImages]);
    const total = gz(A.trainImages).length;
    expect(calls[0]).toEqual([FILE_NAMES.trainImages, 0, total]);
    expect(calls.at(-1)).toEqual([FILE_NAMES.trainImages, total, total]);
  });

  it('moves on to the next mirror after a 404, without retrying it', async () => {
    const dir = tempDir();
    const path = await downloadFile(info.files.testLabels, { ...quiet, retries: 3, mirrors: [`${url}/404/`, `${url}/ok`], destDir: dir });
    expect(existsSync(path)).toBe(true);
    expect(hits.get(`/404/${FILE_NAMES.testLabels}`)).toBe(1);
  });

  it('retries a transient failure on the same mirror', async () => {
    const dir = tempDir();
    await downloadFile(info.files.testImages, { ...quiet, mirrors: [`${url}/flaky/`], destDir: dir });
    expect(hits.get(`/flaky/${FILE_NAMES.testImages}`)).toBe(2);
  });

  it('keeps a file the server sent decompressed under its raw name', async () => {
    const dir = tempDir();
    const path = await downloadFile(info.files.trainLabels, { ...quiet, mirrors: [`${url}/plain/`], destDir: dir });
    expect(path).toBe(join(dir, 'train-labels-idx1-ubyte'));
  });

  it('rejects a corrupted file with a checksum error and leaves nothing in the cache', async () => {
    const dir = tempDir();
    const err = await downloadFile(info.files.trainLabels, { ...quiet, mirrors: [`${url}/bad/`], destDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toContain('checksum mismatch');
    expect(err.message).toContain(`expected ${info.files.trainLabels.sha256}`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('times out a stalling server and cleans up', async () => {
    const dir = tempDir();
    const t0 = Date.now();
    const err = await downloadFile(info.files.testImages, { ...quiet, timeoutMs: 300, mirrors: [`${url}/stall/`], destDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/stall\/t10k-images-idx3-ubyte\.gz: no data for 300 ms, timed out/);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(hits.get(`/stall/${FILE_NAMES.testImages}`)).toBe(2); // one retry
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lets two concurrent downloads of the same file both succeed with an intact file', async () => {
    const dir = tempDir();
    const opts = { ...quiet, mirrors: [`${url}/slow/`], destDir: dir };
    let inFlight = 0;
    let overlapped = false;
    const track = (_f: string, r: number, t: number | null): void => {
      if (r === 0) inFlight++;
      if (inFlight === 2) overlapped = true;
      if (r === t) inFlight--;
    };
    const [p1, p2] = await Promise.all([
      downloadFile(info.files.trainImages, { ...opts, onProgress: track }),
      downloadFile(info.files.trainImages, { ...opts, onProgress: track }),
    ]);
    expect(overlapped).toBe(true);
    expect(p1).toBe(p2);
    expect(Buffer.compare(readFileSync(p1), gz(A.trainImages))).toBe(0);
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('loadDataset with downloads', () => {
  it('downloads into the cache, then loads from the cache without the network', async () => {
    const cache = join(tempDir(), 'cache');
    const reg = tinyRegistry(A, [`${url}/404/`, `${url}/ok/`]);
    const opts = { cacheDir: cache, debianDir: null, env: {}, ...quiet, registry: reg };
    const first = await loadDataset('tiny', opts);
    expect(first.source).toEqual({ kind: 'download', dir: join(cache, 'tiny') });
    expect(first.train.count).toBe(400);
    expect(readdirSync(join(cache, 'tiny')).sort()).toEqual(Object.values(FILE_NAMES).sort());
    const second = await loadDataset('tiny', { ...opts, mirrors: ['http://127.0.0.1:1/'] });
    expect(second.source.kind).toBe('cache');
  });

  it('two concurrent loads into one cache both succeed', async () => {
    const cache = join(tempDir(), 'cache');
    const opts = { cacheDir: cache, debianDir: null, env: {}, ...quiet, registry: tinyRegistry(A), mirrors: [`${url}/slow/`] };
    const [a, b] = await Promise.all([loadDataset('tiny', opts), loadDataset('tiny', opts)]);
    expect(a.train.count).toBe(400);
    expect(Buffer.compare(a.train.images, b.train.images)).toBe(0);
    expect(leftovers(join(cache, 'tiny'))).toEqual([]);
  });
});

describe('createProgressRenderer', () => {
  it('writes plain lines when the stream is not a terminal', () => {
    let out = '';
    const stream = { isTTY: false, write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const r = createProgressRenderer(stream);
    for (const n of [0, 300, 600, 1000, 1000]) r.onProgress('f.gz', n, 1000);
    r.stop();
    expect(out).toBe('downloading f.gz (0.0 MB)\n  f.gz: 25%\n  f.gz: 50%\ndownloaded f.gz (0.0 MB)\n');
  });
});
