// simdnet serve: headers, MIME types, the dataset routes, and strict path handling: no traversal
// (plain or percent-encoded), no symlinks out of the served folders, no listings, GET/HEAD only.
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { registry } from '../../src/data/registry.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the path sent exactly as given (fetch would normalise away the '..'). */
function get(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('simdnet serve', () => {
  let dir: string;
  let server: RunningServer;
  const mnist = registry.mnist.files;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simdnet-serve-'));
    const web = join(dir, 'web');
    mkdirSync(join(web, 'sub'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(web, 'app.js'), 'export {};');
    writeFileSync(join(web, 'k.wasm'), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    writeFileSync(join(web, 'notes.xyz'), 'unknown type');
    writeFileSync(join(web, '.hidden.js'), 'secret');
    writeFileSync(join(web, 'sub', 'inner.js'), 'nested');
    writeFileSync(join(dir, 'secret.js'), 'outside the web root');
    symlinkSync(join(dir, 'secret.js'), join(web, 'link.js'));
    const data = join(dir, 'data', 'mnist');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, mnist.trainImages.name), 'gz bytes');
    writeFileSync(join(data, mnist.trainLabels.name.replace(/\.gz$/, '')), 'raw bytes');
    writeFileSync(join(data, mnist.testImages.name), 'x');
    symlinkSync(join(dir, 'secret.js'), join(data, mnist.testLabels.name));
    writeFileSync(join(data, 'SHA256SUMS'), 'sums');
    server = await startServer({ port: 0, host: '127.0.0.1', webRoot: web, dataDir: join(dir, 'data') });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page with cross-origin isolation headers', async () => {
    const reply = await get(server.url, '/');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.body).toContain('<title>demo</title>');
    expect(reply.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(reply.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(reply.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['content-security-policy']).toMatch(/default-src 'self'/);
  });

  it('gives wasm and scripts their MIME types, and HEAD has no body', async () => {
    expect((await get(server.url, '/k.wasm')).headers['content-type']).toBe('application/wasm');
    expect((await get(server.url, '/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    const head = await get(server.url, '/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('10');
    expect(head.body).toBe('');
  });

  it('serves the registry files of a dataset, gzipped or raw, from the data dir', async () => {
    const gz = await get(server.url, `/data/mnist/${mnist.trainImages.name}`);
    expect([gz.status, gz.body, gz.headers['content-type']]).toEqual([200, 'gz bytes', 'application/octet-stream']);
    expect(gz.headers['cross-origin-embedder-policy']).toBe('require-corp');
    // Asked for the .gz, only the raw file is there: the raw bytes come (the page sniffs gzip).
    expect((await get(server.url, `/data/mnist/${mnist.trainLabels.name}`)).body).toBe('raw bytes');
    expect((await get(server.url, `/data/mnist/${mnist.trainLabels.name.replace(/\.gz$/, '')}`)).body).toBe('raw bytes');
  });

  it('serves nothing else from the data folders', async () => {
    for (const path of ['/data/mnist/SHA256SUMS', '/data/mnist/', '/data/', '/data', '/data/nope/train-images-idx3-ubyte.gz', '/data/mnist/x/y']) {
      expect((await get(server.url, path)).status, path).toBe(404);
    }
    // A dataset the data dir lacks: 404 with a reason.
    const missing = await get(server.url, `/data/fashion-mnist/${registry['fashion-mnist'].files.testLabels.name}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/not found in/);
  });

  it('follows no symlink out of its folders', async () => {
    expect((await get(server.url, '/link.js')).status).toBe(404);
    expect((await get(server.url, `/data/mnist/${mnist.testLabels.name}`)).status).toBe(404);
  });

  it('refuses traversal, encoded or not, hidden files, folders and unknown types', async () => {
    const paths = [
      '/../secret.js',
      '/%2e%2e/secret.js',
      '/%2E%2E%2Fsecret.js',
      '/..%2fsecret.js',
      '/..%5csecret.js',
      '/%252e%252e%252fsecret.js',
      '/sub/../../secret.js',
      '/data/mnist/..%2f..%2f..%2fsecret.js',
      '/data/..%2f..%2fsecret.js',
      '//secret.js',
      '/.hidden.js',
      '/%2ehidden.js',
      '/app.js%00.html',
      '/%ff%fe',
      '/sub',
      '/sub/',
      '/sub/inner.js',
      '/notes.xyz',
      '/index.html/',
      'http://example.com/app.js',
    ];
    for (const path of paths) {
      const reply = await get(server.url, path);
      expect(reply.status, path).toBe(404);
      expect(reply.body, path).not.toContain('outside the web root');
    }
  });

  it('answers only requests addressed to loopback (no DNS rebinding)', async () => {
    expect((await get(server.url, '/', 'GET', { Host: 'evil.example:80' })).status).toBe(400);
    expect((await get(server.url, '/', 'GET', { Host: `localhost:${new URL(server.url).port}` })).status).toBe(200);
  });

  it('allows GET and HEAD only', async () => {
    const reply = await get(server.url, '/', 'POST');
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
  });

  it('checks its flags, and its help names the default host', () => {
    const cli = `${ROOT}bin/simdnet.js`;
    const bad = spawnSync(process.execPath, [cli, 'serve', '--port', 'eighty'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--port expects an integer/);
    const help = spawnSync(process.execPath, [cli, 'serve', '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/default 127\.0\.0\.1/);
  });
});
