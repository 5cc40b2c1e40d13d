// PNG files as model input: decode (pngjs), grey, pad to a square, area-resample to the model's
// size, and match MNIST's polarity. MNIST and Fashion-MNIST are light shapes on a black
// background; a photo or a drawing on paper is dark on light, so by default an image whose
// border is mostly light is inverted.
import { readFileSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import { SimdnetError } from '../engine/errors.js';

/** Larger PNGs are refused before decoding: 4096x4096 RGBA is already 64 MiB. */
const MAX_SIDE = 4096;
const MAX_FILE_BYTES = 64 * 2 ** 20;
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export type InvertChoice = 'auto' | 'yes' | 'no';

export interface ModelImage {
  /** [size * size] greys in [0, 1], light shape on a dark background. */
  pixels: Float32Array;
  width: number;
  height: number;
  inverted: boolean;
}

/** Width and height from the IHDR chunk, checked before pngjs allocates anything. */
function pngSize(bytes: Uint8Array, file: string): [number, number] {
  if (bytes.length < 24 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new SimdnetError(`${file} is not a PNG file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new SimdnetError(`${file} is not a valid PNG (no IHDR header)`);
  return [view.getUint32(16), view.getUint32(20)];
}

/** Greys in [0, 255] from 8-bit RGBA, composited over white as an image viewer shows it. */
function toGrey(rgba: Uint8Array, count: number): Float32Array {
  const grey = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const r = rgba[i * 4], g = rgba[i * 4 + 1], b = rgba[i * 4 + 2], a = rgba[i * 4 + 3] / 255;
    grey[i] = a * (0.299 * r + 0.587 * g + 0.114 * b) + (1 - a) * 255;
  }
  return grey;
}

function borderMean(grey: Float32Array, width: number, height: number): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    sum += grey[x] + grey[(height - 1) * width + x];
    n += 2;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += grey[y * width] + grey[y * width + width - 1];
    n += 2;
  }
  return sum / n;
}

/** Source pixels, with weights summing to 1, that cover each of `outSize` cells spanning `inSize` pixels. */
function areaWeights(inSize: number, outSize: number): { index: number; weight: number }[][] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const from = o * scale;
    const to = from + scale;
    const taps: { index: number; weight: number }[] = [];
    for (let i = Math.floor(from); i < Math.min(inSize, Math.ceil(to)); i++) {
      const overlap = Math.min(to, i + 1) - Math.max(from, i);
      if (overlap > 0) taps.push({ index: i, weight: overlap / scale });
    }
    return taps;
  });
}

/**
 * Resamples `grey` (width x height) to size x size by area averaging, after padding the shorter
 * side with `background` so the shape keeps its aspect ratio.
 */
export function resizeSquare(grey: Float32Array, width: number, height: number, size: number, background: number): Float32Array {
  const side = Math.max(width, height);
  const left = Math.floor((side - width) / 2);
  const top = Math.floor((side - height) / 2);
  const at = (x: number, y: number) => {
    const sx = x - left;
    const sy = y - top;
    return sx >= 0 && sx < width && sy >= 0 && sy < height ? grey[sy * width + sx] : background;
  };
  const taps = areaWeights(side, size);
  const out = new Float32Array(size * size);
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let sum = 0;
      for (const ty of taps[oy]) for (const tx of taps[ox]) sum += ty.weight * tx.weight * at(tx.index, ty.index);
      out[oy * size + ox] = sum;
    }
  }
  return out;
}

/** Reads a PNG (grey, grey+alpha, RGB, RGBA or palette; 1 to 16 bits) as a size x size model input. */
export function readPngForModel(file: string, size: number, invert: InvertChoice = 'auto'): ModelImage {
  let bytes: Buffer;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new SimdnetError(`${file} is not a file`);
    if (stat.size > MAX_FILE_BYTES) throw new SimdnetError(`${file} is ${stat.size} bytes; PNGs over ${MAX_FILE_BYTES} bytes are refused`);
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof SimdnetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === 'ENOENT' ? `image not found: ${file}` : `cannot read ${file}: ${(error as Error).message}`);
  }
  const [width, height] = pngSize(bytes, file);
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) throw new SimdnetError(`${file} is ${width}x${height}; simdnet reads PNGs of 1 to ${MAX_SIDE} pixels a side`);
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    throw new SimdnetError(`${file} is not a readable PNG (${(error as Error).message})`);
  }
  const grey = toGrey(png.data, width * height);
  const background = borderMean(grey, width, height);
  const inverted = invert === 'yes' || (invert === 'auto' && background > 127.5);
  if (inverted) for (let i = 0; i < grey.length; i++) grey[i] = 255 - grey[i];
  const pixels = resizeSquare(grey, width, height, size, inverted ? 255 - background : background);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, Math.max(0, pixels[i] / 255));
  return { pixels, width, height, inverted };
}
