// Hostile requests against simdnet serve, over raw sockets so that nothing normalises them:
// random and traversal-laden paths (plain, percent-encoded, double-encoded, backslashes, NUL,
// overlong), random methods, and malformed request bytes. Whatever arrives, the server must
// answer with a status from a short list (or close the connection), serve only the files it
// owns, never the marker planted outside its folders (also behind symlinks), and keep serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/cli/serve.js';
import { registry } from '../../src/data/registry.js';
import { fuzzParams } from './fuzz-helpers.js';

const MARKER = 'TOP-SECRET-3f9c1d';
const ALLOWED_STATUS = new Set([200, 400, 404, 405, 408, 413, 414, 431, 501, 505]);
let dir: string;
let server: RunningServer;
let port: number;
/** Bodies the server may send with a 200: its own files, by content. */
const servable = new Set<string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'simdnet-serve-fuzz-'));
  const web = join(dir, 'web');
  mkdirSync(join(web, 'sub'), { recursive: true });
  const files: Record<string, string> = { 'index.html': '<!doctype html><title>demo</title>', 'app.js': 'export {};', 'style.css': 'body{}' };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(web, name), text);
    servable.add(text);
  }
  writeFileSync(join(web, '.hidden.js'), `${MARKER} hidden`);
  writeFileSync(join(web, 'sub', 'inner.js'), `${MARKER} nested`);
  writeFileSync(join(dir, 'secret.js'), `${MARKER} outside`);
  writeFileSync(join(dir, 'passwd'), `${MARKER} passwd`);
  symlinkSync(join(dir, 'secret.js'), join(web, 'link.js'));
  symlinkSync(dir, join(web, 'up'));
  const mnist = registry.mnist.files;
  const data = join(dir, 'data', 'mnist');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, mnist.trainImages.name), 'gz bytes');
  writeFileSync(join(data, mnist.trainLabels.name), 'labels');
  writeFileSync(join(data, mnist.testImages.name), 'x');
  symlinkSync(join(dir, 'secret.js'), join(data, mnist.testLabels.name));
  writeFileSync(join(data, 'SHA256SUMS'), `${MARKER} sums`);
  for (const text of ['gz bytes', 'labels', 'x']) servable.add(text);
  server = await startServer({ port: 0, host: '127.0.0.1', webRoot: web, dataDir: join(dir, 'data') });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends raw bytes and reads until the server closes. A complete request with Connection: close is
 * answered and closed by the server; for bytes that may not end a request, `halfCloseAfterMs`
 * of silence ends our side, as a client giving up would. 2 s without a close fails the case.
 */
function raw(bytes: string | Uint8Array, halfCloseAfterMs?: number): Promise<{ status: number | null; body: string; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 2 s after ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}`));
    }, 2000);
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (halfCloseAfterMs === undefined) return;
      clearTimeout(idle);
      idle = setTimeout(() => socket.end(), halfCloseAfterMs);
    };
    socket.on('data', (d) => {
      chunks.push(d);
      armIdle();
    });
    socket.on('error', () => {}); // a reset after a refusal is an answer too
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(idle);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const body = text.includes('\r\n\r\n') ? text.slice(text.indexOf('\r\n\r\n') + 4) : '';
      resolve({ status: m ? Number(m[1]) : null, body, text });
    });
    socket.write(bytes, armIdle);
  });
}

const request = (method: string, path: string) => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

async function expectSafe(bytes: string | Uint8Array, halfCloseAfterMs?: number): Promise<{ status: number | null }> {
  const r = await raw(bytes, halfCloseAfterMs);
  expect(r.text).not.toContain(MARKER);
  if (r.status === null) return r; // closed without an answer: acceptable for garbage only (checked by the callers)
  expect(ALLOWED_STATUS.has(r.status), r.text.slice(0, 200)).toBe(true);
  if (r.status === 200 && !/^HEAD /.test(Buffer.from(bytes).toString('latin1'))) expect(servable.has(r.body), r.body.slice(0, 100)).toBe(true);
  return r;
}

// Path pieces a traversal attempt is made of.
const piece = fc.oneof(
  fc.constantFrom(
    '..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '..%2f', '..%2F', '%2f', '%5c', '..\\', '\\', '%00', '%c0%ae%c0%ae', '%ef%bc%8f',
    'etc', 'passwd', 'secret.js', 'link.js', 'up', 'sub', 'inner.js', '.hidden.js', 'index.html', 'app.js', 'data', 'mnist',
    'SHA256SUMS', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte', '', '~', '%', '%zz', '?x=..', '#..', ';..',
  ),
  fc.webSegment(),
  fc.string({ unit: 'binary', maxLength: 8 }).map(encodeURIComponent),
);
const hostilePath = fc.oneof(
  fc.array(piece, { minLength: 1, maxLength: 8 }).map((parts) => '/' + parts.join('/')),
  fc.webPath(),
  fc.constantFrom('/%2e%2e/etc/passwd', '/%2e%2e/%2e%2e/secret.js', '/..%2fsecret.js', '/data/mnist/..%2f..%2f..%2fsecret.js', '/up/secret.js', '/up/passwd', '//etc/passwd', '/data/mnist/SHA256SUMS', 'http://127.0.0.1/../secret.js', '*', '/' + 'a'.repeat(10_000)),
);

describe('fuzz: simdnet serve under hostile requests', () => {
  it('random and traversal-laden paths, any method', async () => {
    const statuses = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECT'), hostilePath, async (method, path) => {
        // A whole request always gets an answer, except CONNECT: node:http drops the connection
        // of a tunnel request when nothing handles tunnels, which is the right answer here.
        const r = await expectSafe(request(method, path));
        if (method !== 'CONNECT') expect(r.status).not.toBeNull();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }),
      fuzzParams,
    );
    // The generator reached both sides: files served and requests refused.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(404)).toBeGreaterThan(0);
    expect((await raw(request('GET', '/app.js'))).body).toBe('export {};');
  }, 120_000);

  it('malformed request bytes: random, mutated and truncated requests, bad headers', async () => {
    const valid = request('GET', '/index.html');
    const malformed = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ maxLength: 200 }),
      fc.tuple(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 20 })).map(([at, junk]) => Buffer.concat([Buffer.from(valid.slice(0, at)), junk])),
      fc.constantFrom(
        'GET /index.html HTTP/9.9\r\n\r\n',
        'GET /index.html\r\n\r\n',
        'GET\r\n\r\n',
        `GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
        `GET /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`,
        `GET /index.html HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
        `GET /index.html HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(3000)}\r\n`,
        'GET /index.html HTTP/1.1\r\nHost: x\r\nX: a\nInjected: yes\r\n\r\n',
        'GET /\x00 HTTP/1.1\r\n\r\n',
        'GET /%0d%0aSet-Cookie:x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      ),
    );
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(malformed, async (bytes) => {
        if ((await expectSafe(bytes, 25)).status !== null) answered++;
      }),
      fuzzParams,
    );
    expect(answered).toBeGreaterThan(0);
    expect((await raw(request('GET', '/'))).status).toBe(200);
  }, 120_000);
});
