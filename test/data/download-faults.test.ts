// Downloads against a local server that misbehaves on purpose: endless and oversized bodies,
// trickles, truncation, corruption, permanent 5xx; and two separate processes filling one cache
// at once through a server that corrupts the first copy of every file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SimdnetError } from '../../src/engine/errors.js';
import { downloadFile } from '../../src/data/download.js';
import { decompressIdx, sha256Hex } from '../../src/data/idx.js';
import { FILE_NAMES, gz, idxImages, idxLabels, tempDir, tinyDataset, tinyInfo } from './fixtures.js';

const A = tinyDataset(3);
A.trainImages = idxImages(300, 28, 28, 3); // ~235 kB: many chunks, so the two processes overlap
A.trainLabels = idxLabels(Array.from({ length: 300 }, (_, i) => i % 10));
const info = tinyInfo(A);
const byName = new Map(Object.entries(FILE_NAMES).map(([k, name]) => [name, k as keyof typeof A]));
const hits = new Map<string, number>();
const open = new Set<ServerResponse>();
let inFlight = 0;
let maxInFlight = 0;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, route, name] = (req.url ?? '').split('/');
    const n = (hits.get(req.url!) ?? 0) + 1;
    hits.set(req.url!, n);
    const key = byName.get(name);
    if (!key) return void res.writeHead(404).end();
    const body = gz(A[key]);
    open.add(res);
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    res.on('close', () => {
      open.delete(res);
      inFlight--;
    });
    switch (route) {
      case 'endless': {
        // No Content-Length, and it never stops.
        res.writeHead(200);
        const chunk = new Uint8Array(64 * 1024).fill(7);
        const pump = (): void => {
          while (res.write(chunk)) if (res.destroyed) return;
          res.once('drain', pump);
        };
        return pump();
      }
      case 'huge':
        res.writeHead(200, { 'content-length': String(2 ** 40) });
        return void res.write(body.subarray(0, 100));
      case 'trickle': {
        res.writeHead(200, { 'content-length': body.length });
        let i = 0;
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(body.subarray(i, ++i))), 20);
        return;
      }
      case 'truncate':
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1));
        return void setTimeout(() => res.destroy(), 20);
      case 'down':
        return void res.writeHead(503).end();
      case 'corrupt-first': {
        // The first copy of each file is damaged in the middle (same length); later ones are good.
        const bad = Uint8Array.from(body);
        if (n === 1) bad[bad.length >> 1] ^= 0xff;
        res.writeHead(200, { 'content-length': bad.length });
        let off = 0;
        const step = (): void => {
          if (off >= bad.length) return void res.end();
          res.write(bad.subarray(off, off + 8192));
          off += 8192;
          setTimeout(step, 3);
        };
        return step();
      }
      default:
        res.writeHead(200, { 'content-length': body.length }).end(body);
    }
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
const fail = (p: Promise<unknown>): Promise<SimdnetError> => p.then(() => expect.unreachable('should fail') as never, (e) => e);

describe('downloads from a hostile server', () => {
  it('stops an endless body at the size cap, without retrying, and leaves nothing behind', async () => {
    const dir = tempDir();
    const err = await fail(downloadFile(info.files.trainImages, { ...quiet, maxBytes: 300_000, mirrors: [`${url}/endless/`], destDir: dir }));
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/the server sent more than 300000 bytes/);
    expect(hits.get(`/endless/${FILE_NAMES.trainImages}`)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses an announced size above the cap before writing anything', async () => {
    const dir = tempDir();
    const err = await fail(downloadFile(info.files.testImages, { ...quiet, mirrors: [`${url}/huge/`], destDir: dir }));
    expect(err.message).toMatch(/announces 1099511627776 bytes/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up on a trickle that never idles past the time-out, at the deadline', async () => {
    const dir = tempDir();
    const started = Date.now();
    const err = await fail(downloadFile(info.files.testLabels, { ...quiet, retries: 0, timeoutMs: 1000, deadlineMs: 300, mirrors: [`${url}/trickle/`], destDir: dir }));
    expect(err.message).toMatch(/not finished after 300 ms, gave up/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('retries a truncated body a bounded number of times, then fails with one line', async () => {
    const dir = tempDir();
    const err = await fail(downloadFile(info.files.trainLabels, { ...quiet, retries: 2, mirrors: [`${url}/truncate/`], destDir: dir }));
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).not.toContain('\n');
    expect(hits.get(`/truncate/${FILE_NAMES.trainLabels}`)).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('backs off between retries of a server that stays down, and stops', async () => {
    const dir = tempDir();
    const started = Date.now();
    const err = await fail(downloadFile(info.files.testImages, { ...quiet, retries: 3, backoffMs: 40, mirrors: [`${url}/down/`], destDir: dir }));
    expect(err.message).toMatch(/HTTP 503/);
    expect(hits.get(`/down/${FILE_NAMES.testImages}`)).toBe(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40 + 80 + 160 - 10);
  });
});

describe('two processes filling one cache at once', () => {
  it('both load the right data; no corrupt, partial or temporary file is ever visible', async () => {
    const work = tempDir('simdnet-race-');
    // Bundled beside node_modules so that its (external) packages resolve as the CLI's do.
    const worker = join(import.meta.dirname, '../../node_modules/.cache/simdnet-test', `download-worker-${process.pid}.mjs`);
    await build({ entryPoints: [join(import.meta.dirname, 'download-worker.ts')], outfile: worker, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
    const registryPath = join(work, 'registry.json');
    writeFileSync(registryPath, JSON.stringify({ tiny: info }));
    const cache = join(work, 'cache');
    const dir = join(cache, 'tiny');
    // The first mirror corrupts each file's first copy: one process gets a checksum error there and moves on.
    const mirrors = [`${url}/corrupt-first/`, `${url}/ok/`];

    // Watch the cache while they run: every file with its final name must already be whole and verified.
    const expected = new Map(Object.entries(FILE_NAMES).map(([key, name]) => [name, info.files[key as keyof typeof FILE_NAMES].sha256]));
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const name of existsSync(dir) ? readdirSync(dir) : []) {
          if (name.endsWith('.part')) continue;
          expect(expected.has(name)).toBe(true);
          expect(sha256Hex(decompressIdx(readFileSync(join(dir, name)), name))).toBe(expected.get(name));
          seen.add(name);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();

    const runOne = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [worker, cache, registryPath, ...mirrors], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    maxInFlight = 0;
    const results = await Promise.all([runOne(), runOne()]);
    watching = false;
    await watcher;

    const want = { source: 'download', count: 300, images: sha256Hex(A.trainImages.subarray(16)), labels: sha256Hex(A.testLabels.subarray(8)) };
    for (const r of results) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toEqual(want);
    }
    expect(readdirSync(dir).sort()).toEqual(Object.values(FILE_NAMES).sort());
    expect(seen.size).toBe(4);
    // Both processes really fetched, at the same time: the corrupting mirror saw each file more
    // than once, and the server had two responses in flight at once.
    expect(hits.get(`/corrupt-first/${FILE_NAMES.trainImages}`)).toBeGreaterThanOrEqual(2);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
