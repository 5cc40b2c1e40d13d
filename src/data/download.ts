// Fetches dataset files into the cache. Each attempt streams into its own temp file
// (pid + random suffix) in the destination folder, is verified, fsynced and renamed into place:
// rename is atomic, so a reader or a second downloader sees either no file or a whole verified
// one, never a partial file, and two processes racing on the same file both end up right.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { MAX_IDX_BYTES, checksumError, decompressIdx, isGzip, sha256Hex, type ExpectedHash } from './idx.js';
import type { DatasetFile } from './registry.js';

/** Called as bytes arrive; once more at the end with receivedBytes === totalBytes. */
export type ProgressCallback = (file: string, receivedBytes: number, totalBytes: number | null) => void;

export interface DownloadOptions {
  /** Base URLs tried in order; a file's URL is base + file name. */
  mirrors: string[];
  /** Folder the file lands in (created if missing). */
  destDir: string;
  /** Give up on an attempt after this long with no data (ms, default 30 000). */
  timeoutMs?: number;
  /** Give up on an attempt after this long in all, however steadily it trickles (ms, default 15 minutes). */
  deadlineMs?: number;
  /** Refuse a response larger than this (bytes; default MAX_IDX_BYTES, more than any dataset file). */
  maxBytes?: number;
  /** Extra attempts per mirror after a transient failure (default 2). */
  retries?: number;
  /** First back-off between attempts (ms, doubled each time; default 500). */
  backoffMs?: number;
  onProgress?: ProgressCallback;
  /** Names the file in checksum errors, e.g. "MNIST train images". */
  label?: string;
  identify?: ExpectedHash['identify'];
}

/** A failure worth no retry on the same mirror (404, wrong content). */
class PermanentError extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function mirrorUrl(base: string, fileName: string): string {
  return (base.endsWith('/') ? base : base + '/') + fileName;
}

/**
 * Downloads one dataset file from the first mirror that serves a verified copy and returns its
 * final path: destDir/name, or destDir/name-without-.gz when the server sent it decompressed.
 */
export async function downloadFile(file: DatasetFile, opts: DownloadOptions): Promise<string> {
  const { mirrors, destDir, timeoutMs = 30_000, retries = 2, backoffMs = 500 } = opts;
  // Every loop below is bounded: mirrors × (retries + 1) attempts, each ended by the idle time-out,
  // the deadline or the size cap.
  if (!(Number.isInteger(retries) && retries >= 0 && retries <= 10)) throw new Error(`retries must be 0..10, got ${retries}`);
  if (mirrors.length === 0) throw new SimdnetError(`${file.name}: no download mirrors configured`, 1);
  try {
    await mkdir(destDir, { recursive: true });
  } catch (err) {
    throw new SimdnetError(`cannot create the dataset cache ${destDir} (${(err as Error).message})`, 1);
  }
  const failures: string[] = [];
  for (const base of mirrors) {
    const url = mirrorUrl(base, file.name);
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1));
      try {
        return await fetchToCache(url, file, opts, timeoutMs);
      } catch (err) {
        // Bad content (a SimdnetError: checksum, corrupt gzip) or a 4xx will not improve by asking again.
        if (err instanceof PermanentError || err instanceof SimdnetError || attempt === retries) {
          failures.push(`${url}: ${(err as Error).message}`);
          break;
        }
      }
    }
  }
  throw new SimdnetError(`could not download ${file.name}: ${failures.join('; ')}`, 1);
}

async function fetchToCache(url: string, file: DatasetFile, opts: DownloadOptions, timeoutMs: number): Promise<string> {
  const maxBytes = opts.maxBytes ?? MAX_IDX_BYTES;
  const deadlineMs = opts.deadlineMs ?? 15 * 60_000;
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(new Error(`not finished after ${deadlineMs} ms, gave up`)), deadlineMs);
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${timeoutMs} ms, timed out`)), timeoutMs);
  };
  const tempPath = join(opts.destDir, `.${file.name}.${process.pid}.${randomBytes(6).toString('hex')}.part`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    arm();
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      const msg = `HTTP ${response.status} ${response.statusText}`.trim();
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        throw new PermanentError(msg);
      }
      throw new Error(msg);
    }
    // With a Content-Encoding, fetch hands over decoded bytes and Content-Length counts encoded ones.
    const length = Number(response.headers.get('content-length'));
    const total = response.headers.get('content-encoding') || !(length > 0) ? null : length;
    if (total !== null && total > maxBytes) {
      await response.body.cancel().catch(() => {});
      throw new PermanentError(`the server announces ${total} bytes, more than the ${maxBytes} any dataset file needs`);
    }

    handle = await open(tempPath, 'wx');
    let received = 0;
    opts.onProgress?.(file.name, 0, total);
    const reader = response.body.getReader();
    for (;;) {
      arm();
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new PermanentError(`the server sent more than ${maxBytes} bytes, more than any dataset file needs`);
      }
      await handle.write(value);
      opts.onProgress?.(file.name, received, total);
    }
    clearTimeout(timer);
    if (total !== null && received !== total) throw new Error(`connection closed after ${received} of ${total} bytes`);
    await handle.sync();
    await handle.close();
    handle = undefined;

    const bytes = await readFile(tempPath);
    const raw = decompressIdx(bytes, url);
    const actual = sha256Hex(raw);
    const expected: ExpectedHash = { sha256: file.sha256, gzSha256: file.gzSha256, label: opts.label, identify: opts.identify };
    if (actual !== file.sha256) throw checksumError(url, expected, actual);

    const finalName = isGzip(bytes) ? file.name : file.name.replace(/\.gz$/, '');
    const finalPath = join(opts.destDir, finalName);
    await rename(tempPath, finalPath);
    await syncDir(opts.destDir);
    opts.onProgress?.(file.name, received, received);
    return finalPath;
  } catch (err) {
    // An abort surfaces as the reason we gave it, or as a generic AbortError.
    if (controller.signal.aborted && controller.signal.reason instanceof Error && !(err instanceof SimdnetError)) {
      err = controller.signal.reason;
    } else if (err instanceof TypeError && (err as { cause?: Error }).cause) {
      err = new Error(`${err.message} (${(err as { cause?: Error }).cause!.message})`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(deadline);
    if (handle) await handle.close().catch(() => {});
    await unlink(tempPath).catch(() => {}); // gone already after a successful rename
  }
}

/** Makes the rename durable; not every platform lets a folder be fsynced, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* best effort */
  }
}
