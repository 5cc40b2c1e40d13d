// simdnet serve: the demo page, the browser bundle, the wasm kernels and the datasets over HTTP,
// from node:http. Cross-origin isolated (COOP + COEP), so pages may use SharedArrayBuffer and
// threads. Serves nothing but two things: the files of dist/web/ (flat, by name and a known
// extension) and the four registry files of each dataset, from where the CLI would read them.
// Paths are never joined from user input beyond one checked segment; symlinks are followed only
// when they stay inside the folder they belong to; no directory is ever listed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, parseFlags } from './args.js';
import { SimdnetError } from '../engine/errors.js';
import { locateDataset, type LoadDatasetOptions } from '../data/resolve.js';
import { FILE_KEYS, datasetNames, getDataset, type FileKey } from '../data/registry.js';

export const serveHelp = `Usage: simdnet serve [options]

Serves the in-browser demo (train and try models in a web page) and the datasets it loads.

Options:
  --port N          port to listen on (default 8080; 0 picks a free one)
  --host ADDR       address to bind (default 127.0.0.1: this machine only). Browsers allow
                    threads (cross-origin isolation) only on https or localhost origins.
  --data-dir DIR    folder holding mnist/ and fashion-mnist/ (default: $SIMDNET_DATA, the
                    cache, then Debian's /usr/share/datasets; serve downloads nothing; run
                    simdnet train once to fill the cache)
  --verbose         log every request`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** On every response: cross-origin isolation (SharedArrayBuffer), and nothing loaded from elsewhere. */
const SECURITY_HEADERS: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A path segment we serve: a plain file name, no dots first, no separators, no control characters. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface ServeOptions extends Pick<LoadDatasetOptions, 'dataDir' | 'cacheDir' | 'debianDir' | 'env'> {
  port: number;
  host: string;
  /** The built page: dist/web by default. */
  webRoot?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** dist/web beside the bundled CLI (dist/simdnet.js), or from src/cli when run from source. */
export function defaultWebRoot(): string {
  for (const relative of ['./web/', '../../dist/web/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  throw new SimdnetError('the web page is not built: run `npm run build` first (it builds dist/web/)', 1);
}

/** The real path of `path` when it is a regular file inside `root` (after symlinks), else undefined. */
function fileInside(root: string, path: string): string | undefined {
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(path);
    if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The URL path as decoded segments, or undefined when any segment is not one we could serve. */
function pathSegments(rawUrl: string): string[] | undefined {
  if (!rawUrl.startsWith('/')) return undefined;
  const pathname = rawUrl.split(/[?#]/, 1)[0];
  const raw = pathname.slice(1).split('/');
  if (raw.length > 1 && raw[raw.length - 1] === '') return undefined; // folders are never listed
  const segments: string[] = [];
  for (const part of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    segments.push(decoded);
  }
  if (segments.length === 1 && segments[0] === '') return [];
  return segments.every((s) => SAFE_SEGMENT.test(s)) ? segments : undefined;
}

/** The dataset file a /data/<name>/<file> request names: one of the registry's four, .gz or not. */
function datasetFile(name: string, file: string, options: ServeOptions): string | undefined {
  if (!datasetNames().includes(name)) return undefined;
  const info = getDataset(name);
  const key = FILE_KEYS.find((k: FileKey) => file === info.files[k].name || file === info.files[k].name.replace(/\.gz$/, ''));
  if (!key) return undefined;
  const location = locateDataset(name, options);
  if (!location) return undefined;
  return fileInside(location.dir, location.files[key]);
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : text + '\n');
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, type: string, cache: string): void {
  const size = statSync(path).size;
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(size), 'Cache-Control': cache });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1', '[::1]'];

/** Bound to loopback, answer only requests addressed to loopback: a web page elsewhere cannot use DNS rebinding to read through us. */
function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (!LOOPBACK.includes(boundHost)) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return LOOPBACK.includes(host);
}

export function handleRequest(req: IncomingMessage, res: ServerResponse, options: ServeOptions & { webRoot: string }): void {
  if (!hostAllowed(req, options.host)) {
    send(res, 400, `this server answers only requests to ${options.host} (Host: ${req.headers.host ?? 'none'})`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    return;
  }
  const segments = pathSegments(req.url ?? '');
  if (!segments) {
    send(res, 404, 'not found');
    return;
  }
  if (segments.length === 0) segments.push('index.html');

  if (segments[0] === 'data' && segments.length === 3) {
    let path: string | undefined;
    try {
      path = datasetFile(segments[1], segments[2], options);
    } catch (error) {
      // An explicit --data-dir that lacks the dataset: say so, the page shows it.
      send(res, 404, error instanceof SimdnetError ? error.message : 'not found');
      return;
    }
    if (!path) {
      send(res, 404, `${segments[1]}/${segments[2]}: no local copy (set --data-dir or SIMDNET_DATA, or run simdnet train once to download it into the cache)`);
      return;
    }
    // The bytes as stored: gzipped or raw IDX; the page tells them apart by their first bytes.
    sendFile(req, res, path, 'application/octet-stream', 'public, max-age=86400');
    return;
  }

  const type = MIME[extname(segments[0])];
  const path = segments.length === 1 && type ? fileInside(options.webRoot, join(options.webRoot, segments[0])) : undefined;
  if (!path) {
    send(res, 404, 'not found');
    return;
  }
  sendFile(req, res, path, type, 'no-cache');
}

export function startServer(options: ServeOptions): Promise<RunningServer> {
  const resolved = { ...options, webRoot: options.webRoot ?? defaultWebRoot() };
  const server = createServer((req, res) => {
    if (options.log) res.on('finish', () => options.log!(`${res.statusCode} ${req.method} ${req.url}`));
    try {
      handleRequest(req, res, resolved);
    } catch (error) {
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
      options.log?.(`500 ${req.method} ${req.url}: ${(error as Error).message}`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? `port ${options.port} is in use: pick another with --port (0 picks a free one)` : error.message;
      reject(new SimdnetError(`cannot listen on ${options.host}:${options.port}: ${hint}`, 1));
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        server,
        url: `http://${host}:${port}/`,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function describeDatasets(options: ServeOptions): string[] {
  return datasetNames().map((name) => {
    const info = getDataset(name);
    try {
      const location = locateDataset(name, options);
      return location ? `  ${info.displayName}: ${location.dir} (${location.kind})` : `  ${info.displayName}: not found locally (set --data-dir or SIMDNET_DATA, or run simdnet train --dataset ${name} once)`;
    } catch (error) {
      return `  ${info.displayName}: ${(error as Error).message}`;
    }
  });
}

export async function runServe(argv: string[]): Promise<void> {
  const { values } = parseFlags('serve', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    verbose: { type: 'boolean' },
  });
  if (values.help) return void console.log(serveHelp);
  const port = intFlag(values.port as string | undefined, 'port', 8080, 0);
  if (port > 65535) throw new SimdnetError(`--port expects 0..65535, got ${port}`);
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const options: ServeOptions = {
    port,
    host,
    dataDir: values['data-dir'] as string | undefined,
    log: values.verbose ? (line) => process.stderr.write(line + '\n') : undefined,
  };
  const running = await startServer(options);
  const local = ['127.0.0.1', 'localhost', '::1'].includes(host);
  console.log(`simdnet serve: ${running.url}`);
  for (const line of describeDatasets(options)) console.log(line);
  if (!local) {
    console.log(`note: bound to ${host}, reachable from other machines; over plain http from another address the browser does not isolate the page, so training there runs on one thread`);
  }
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<void>((resolve) => running.server.once('close', resolve));
}
