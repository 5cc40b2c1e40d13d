// Reading a PNG file safely (pngjs): size limits checked from the IHDR header before anything is
// decoded, and every failure one line naming the file. `simdnet predict` and the folder datasets
// both read their images through here.
import { readFileSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import { SimdnetError } from '../engine/errors.js';

/** Larger PNGs are refused before decoding: 4096x4096 RGBA is already 64 MiB. */
export const MAX_PNG_SIDE = 4096;
const MAX_FILE_BYTES = 64 * 2 ** 20;
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface DecodedPng {
  width: number;
  height: number;
  /** width·height·4 bytes, 8-bit RGBA, whatever the file's colour type and bit depth. */
  rgba: Uint8Array;
}

/** Width and height from the IHDR chunk, checked before pngjs allocates anything. */
export function pngSize(bytes: Uint8Array, file: string): [number, number] {
  if (bytes.length < 24 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new SimdnetError(`${file} is not a PNG file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new SimdnetError(`${file} is not a valid PNG (no IHDR header)`);
  return [view.getUint32(16), view.getUint32(20)];
}

/** The file's bytes, refused when missing, not a file or over the size limit. */
function readPngBytes(file: string): Buffer {
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new SimdnetError(`${file} is not a file`);
    if (stat.size > MAX_FILE_BYTES) throw new SimdnetError(`${file} is ${stat.size} bytes; PNGs over ${MAX_FILE_BYTES} bytes are refused`);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof SimdnetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === 'ENOENT' ? `image not found: ${file}` : `cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Decodes a PNG (grey, grey+alpha, RGB, RGBA or palette; 1 to 16 bits) to 8-bit RGBA. */
export function decodePngFile(file: string): DecodedPng {
  const bytes = readPngBytes(file);
  const [width, height] = pngSize(bytes, file);
  if (width < 1 || height < 1 || width > MAX_PNG_SIDE || height > MAX_PNG_SIDE) throw new SimdnetError(`${file} is ${width}x${height}; simdnet reads PNGs of 1 to ${MAX_PNG_SIDE} pixels a side`);
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    throw new SimdnetError(`${file} is not a readable PNG (${(error as Error).message})`);
  }
  return { width, height, rgba: png.data };
}
