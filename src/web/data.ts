// Datasets over HTTP: fetch the four IDX files, gunzip them in the browser (DecompressionStream),
// verify each against the registry's SHA-256 (Web Crypto, where the page is a secure context) and
// parse them with the same code as the CLI.
import { SimdnetError } from '../engine/errors.js';
import { MAX_IDX_BYTES, isGzip, pairSplit, parseIdx, type Split } from '../data/idx.js';
import { FILE_KEYS, describeFileKey, getDataset, identifyHash, type FileKey } from '../data/registry.js';

export interface WebDataset {
  name: string;
  displayName: string;
  classNames: string[];
  train: Split;
  test: Split;
  /** Whether the SHA-256 of every file was checked (needs crypto.subtle: https or localhost). */
  verified: boolean;
}

export interface FetchDatasetOptions {
  /** Folder URL holding <name>/<file>; default 'data/' relative to the page (what `simdnet serve` serves). */
  baseUrl?: string | URL;
  /** Bytes received so far over all four files, and the total when the server says. */
  onProgress?: (received: number, total: number | undefined) => void;
}

/** Reads a byte stream to the end, refusing more than `limit` bytes. */
async function readAll(stream: ReadableStream<Uint8Array>, limit: number, what: string, onChunk?: (bytes: number) => void): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > limit) {
      await reader.cancel();
      throw new SimdnetError(`${what}: more than ${limit} bytes, too large for an IDX file of this project`);
    }
    chunks.push(value);
    onChunk?.(value.length);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function gunzip(bytes: Uint8Array, what: string): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return await readAll(stream, MAX_IDX_BYTES, what);
  } catch (error) {
    if (error instanceof SimdnetError) throw error;
    throw new SimdnetError(`${what}: corrupt or truncated gzip data (${(error as Error).message})`);
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fetches, verifies and parses a registry dataset ("mnist", "fashion-mnist") from baseUrl/<name>/. */
export async function fetchDataset(name: string, options: FetchDatasetOptions = {}): Promise<WebDataset> {
  const info = getDataset(name);
  const base = new URL(options.baseUrl ?? 'data/', globalThis.location?.href);
  const canVerify = typeof crypto !== 'undefined' && crypto.subtle !== undefined;
  const totals = new Map<FileKey, number>();
  let received = 0;
  const report = (): void => {
    const total = totals.size === FILE_KEYS.length ? [...totals.values()].reduce((a, b) => a + b, 0) : undefined;
    options.onProgress?.(received, Number.isNaN(total) ? undefined : total);
  };

  const fetchFile = async (key: FileKey) => {
    const file = info.files[key];
    const url = new URL(`${encodeURIComponent(name)}/${file.name}`, base);
    const label = `${info.displayName} ${describeFileKey(key)}`;
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new SimdnetError(`${label}: cannot fetch ${url} (${(error as Error).message})`);
    }
    if (!response.ok || !response.body) {
      const detail = response.status === 404 ? ': the server has no copy (simdnet serve looks in --data-dir / $SIMDNET_DATA, the cache, then Debian\'s datasets)' : '';
      throw new SimdnetError(`${label}: HTTP ${response.status} for ${url}${detail}`);
    }
    totals.set(key, Number(response.headers.get('content-length') ?? NaN));
    const bytes = await readAll(response.body, MAX_IDX_BYTES, url.href, (n) => {
      received += n;
      report();
    });
    const raw = isGzip(bytes) ? await gunzip(bytes, url.href) : bytes;
    if (canVerify) {
      const actual = await sha256Hex(raw);
      if (actual !== file.sha256) {
        const other = identifyHash(actual);
        throw new SimdnetError(`${url}: checksum mismatch (${label}): ${other ? `it is ${other}` : 'the file is corrupt or not the published one'}`);
      }
    }
    return parseIdx(raw, url.href, key.endsWith('Images') ? 'images' : 'labels');
  };

  // Test files first: they are small, and a page can show test images while the rest arrives.
  const [testImages, testLabels, trainImages, trainLabels] = await Promise.all(
    (['testImages', 'testLabels', 'trainImages', 'trainLabels'] as FileKey[]).map(fetchFile),
  );
  return {
    name,
    displayName: info.displayName,
    classNames: [...info.classNames],
    train: pairSplit(trainImages, trainLabels, `${name} train images`, `${name} train labels`),
    test: pairSplit(testImages, testLabels, `${name} test images`, `${name} test labels`),
    verified: canVerify,
  };
}
