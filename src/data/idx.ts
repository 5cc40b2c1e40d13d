// IDX files (MNIST's format): a big-endian header, then unsigned bytes.
//   images: 0x00000803, count, rows, cols, then count·rows·cols pixels, row-major
//   labels: 0x00000801, count, then count labels (0..9 for the registered datasets)
// Every size in the header is checked against the bytes actually present before anything is
// sized from it, so a hostile or truncated file fails fast instead of allocating.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SimdnetError } from '../engine/errors.js';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;
/** Largest decompressed IDX file accepted: Fashion-MNIST's train images are 47,040,016 bytes. */
export const MAX_IDX_BYTES = 64 * 2 ** 20 + 16;
/** Labels the registered datasets hold: 0..9. A folder of the user's own passes its own limit. */
const NUM_CLASSES = 10;

export type IdxKind = 'images' | 'labels';

export interface IdxImages {
  kind: 'images';
  count: number;
  rows: number;
  cols: number;
  /** count·rows·cols pixels 0..255, row-major; a view into the file's bytes. */
  data: Uint8Array;
}

export interface IdxLabels {
  kind: 'labels';
  count: number;
  /** count labels (below the limit the parser was given); a view into the file's bytes. */
  data: Uint8Array;
}

export type IdxFile = IdxImages | IdxLabels;

/** One split (train or test): images and their labels, counts checked to agree. */
export interface Split {
  /** count·rows·cols·channels bytes 0..255, each image row-major with its channels last (NHWC). */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** 1 (grey: every IDX file) or 3 (RGB). */
  channels: number;
}

const hex8 = (n: number): string => '0x' + n.toString(16).padStart(8, '0');
const describe = (kind: IdxKind): string =>
  kind === 'images' ? `${hex8(IDX_IMAGES_MAGIC)} (IDX images)` : `${hex8(IDX_LABELS_MAGIC)} (IDX labels)`;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The kind a file name implies (`…idx3…` images, `…idx1…` labels), if any. */
export function kindFromName(fileName: string): IdxKind | undefined {
  const name = basename(fileName);
  if (/idx3/.test(name)) return 'images';
  if (/idx1/.test(name)) return 'labels';
  return undefined;
}

/**
 * The raw IDX bytes: gunzipped (to at most `maxBytes`, MAX_IDX_BYTES unless a folder of the user's
 * own allows more) when they start with 1f 8b, else as given.
 */
export function decompressIdx(bytes: Uint8Array, fileName: string, maxBytes = MAX_IDX_BYTES): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      const what = maxBytes === MAX_IDX_BYTES ? 'too large for an IDX file of this project' : 'the most simdnet reads from one IDX file';
      throw new SimdnetError(`${fileName}: decompresses to more than ${maxBytes} bytes, ${what}`);
    }
    throw new SimdnetError(`${fileName}: corrupt or truncated gzip data (${e.message}); delete it and download it again`);
  }
}

/** What a parse accepts beyond the registered datasets' limits (a folder of the user's own). */
export interface IdxLimits {
  /** Labels must be below this (default 10). */
  classes?: number;
  /** Largest decompressed file (default MAX_IDX_BYTES). */
  maxBytes?: number;
}

/**
 * Parses an IDX file (gzipped or raw). `expect` defaults to what the name implies (idx3 images,
 * idx1 labels); with neither, either kind is accepted.
 */
export function parseIdx(bytes: Uint8Array, fileName: string, expect: IdxKind | undefined = kindFromName(fileName), limits: IdxLimits = {}): IdxFile {
  const classes = limits.classes ?? NUM_CLASSES;
  const gz = isGzip(bytes);
  const raw = decompressIdx(bytes, fileName, limits.maxBytes);
  if (raw.length < 8) {
    const hint = !gz && /\.gz$/.test(fileName) ? ' (and it is not gzip data either)' : '';
    throw new SimdnetError(`${fileName}: only ${raw.length} bytes, too short for an IDX header${hint}`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0, false);
  const kind: IdxKind | undefined =
    magic === IDX_IMAGES_MAGIC ? 'images' : magic === IDX_LABELS_MAGIC ? 'labels' : undefined;
  if (kind === undefined || (expect !== undefined && kind !== expect)) {
    const wanted = expect !== undefined ? describe(expect) : `${describe('images')} or ${describe('labels')}`;
    const hint = !gz && /\.gz$/.test(fileName) ? '; the file is not gzip data (no 1f 8b header) either' : '';
    throw new SimdnetError(`${fileName}: bad magic number ${hex8(magic)}, expected ${wanted}${hint}`);
  }

  const headerBytes = kind === 'images' ? 16 : 8;
  if (raw.length < headerBytes) {
    throw new SimdnetError(`${fileName}: truncated IDX ${kind} header: ${raw.length} bytes, expected at least ${headerBytes}`);
  }
  const count = view.getUint32(4, false);
  const rows = kind === 'images' ? view.getUint32(8, false) : 1;
  const cols = kind === 'images' ? view.getUint32(12, false) : 1;
  if (kind === 'images' && (rows === 0 || cols === 0)) {
    throw new SimdnetError(`${fileName}: IDX images of ${rows}x${cols} pixels; expected a non-zero size such as 28x28`);
  }
  // Exact in doubles below 2^53; beyond that it is far larger than any real length anyway.
  const declared = headerBytes + count * rows * cols;
  if (declared !== raw.length) {
    const what = kind === 'images' ? `${count} images of ${rows}x${cols}` : `${count} labels`;
    const problem = declared > raw.length ? 'truncated' : `${raw.length - declared} trailing bytes`;
    throw new SimdnetError(`${fileName}: header declares ${what} (${declared} bytes) but the data is ${raw.length} bytes: ${problem}`);
  }

  const data = raw.subarray(headerBytes);
  if (kind === 'labels') {
    for (let i = 0; i < data.length; i++) {
      if (data[i] >= classes) {
        throw new SimdnetError(`${fileName}: label ${data[i]} at index ${i} is out of range, expected 0..${classes - 1}`);
      }
    }
    return { kind, count, data };
  }
  return { kind, count, rows, cols, data };
}

/** Pairs an images file with its labels file; their counts must agree. */
export function pairSplit(images: IdxFile, labels: IdxFile, imagesName = 'images', labelsName = 'labels'): Split {
  if (images.kind !== 'images') throw new SimdnetError(`${imagesName}: holds IDX labels, expected IDX images`);
  if (labels.kind !== 'labels') throw new SimdnetError(`${labelsName}: holds IDX images, expected IDX labels`);
  if (images.count !== labels.count) {
    throw new SimdnetError(`${imagesName} holds ${images.count} images but ${labelsName} holds ${labels.count} labels; they must be the same split of the same dataset`);
  }
  return { images: images.data, labels: labels.data, count: images.count, rows: images.rows, cols: images.cols, channels: 1 };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a file is checked against: the SHA-256 of its decompressed bytes, and how to name it. */
export interface ExpectedHash {
  sha256: string;
  /** SHA-256 of the .gz as the mirrors serve it, named in the error message only. */
  gzSha256?: string;
  /** E.g. "MNIST train images"; named in the error message. */
  label?: string;
  /** Names the dataset file whose hash matches, when the file is a different (known) one. */
  identify?: (sha256: string) => string | undefined;
}

export function checksumError(path: string, expected: ExpectedHash, actual: string): SimdnetError {
  const what = expected.label ? ` (${expected.label})` : '';
  const gz = expected.gzSha256 ? `; the mirrors' .gz has SHA-256 ${expected.gzSha256}` : '';
  const other = expected.identify?.(actual);
  const cause = other ? `it is ${other}, not the file wanted here` : 'the file is corrupt or not the published one';
  return new SimdnetError(
    `${path}: checksum mismatch${what}: SHA-256 of the decompressed data is ${actual}, expected ${expected.sha256}${gz}; ${cause}: delete it or point --data-dir at a good copy`,
  );
}

/** Reads, decompresses, verifies (when `expected` is given) and parses one IDX file from disk. */
export async function readIdxFile(path: string, expect?: IdxKind, expected?: ExpectedHash): Promise<IdxFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new SimdnetError(`${path}: cannot read (${(err as Error).message})`);
  }
  const raw = decompressIdx(bytes, path);
  if (expected) {
    const actual = sha256Hex(raw);
    if (actual !== expected.sha256) throw checksumError(path, expected, actual);
  }
  return parseIdx(raw, path, expect ?? kindFromName(path));
}

/** Loads one split from an images file and a labels file (gzipped or raw), checking counts agree. */
export async function loadSplit(
  imagesFile: string,
  labelsFile: string,
  expected?: { images?: ExpectedHash; labels?: ExpectedHash },
): Promise<Split> {
  const [images, labels] = await Promise.all([
    readIdxFile(imagesFile, 'images', expected?.images),
    readIdxFile(labelsFile, 'labels', expected?.labels),
  ]);
  return pairSplit(images, labels, imagesFile, labelsFile);
}
