// PNG files as model input: decode, pad to the model's aspect ratio and area-resample to its
// height x width, grey or RGB as the model takes them.
// Grey models: the image is made grey (alpha composited over white, as a viewer shows it) and
// matched to the polarity of the data the model learnt from. MNIST and Fashion-MNIST are light
// shapes on a black background; a photo or a drawing on paper is dark on light, so by default an
// image whose border is on the other side of mid-grey from the training data's is inverted.
// Colour models: alpha is composited onto black, as the folder datasets read their PNGs, and the
// image is never inverted unless --invert yes asks.
import { SimdnetError } from '../engine/errors.js';
import { decodePngFile } from './png-decode.js';

export type InvertChoice = 'auto' | 'yes' | 'no';

/** Which way round the training images are: light shapes on a dark background (MNIST) or dark on light. */
export type Background = 'dark' | 'light';

export interface PngInputOptions {
  /** Default 'auto': invert when the image's border and the training data's background differ. */
  invert?: InvertChoice;
  /** The training data's background (default 'dark', MNIST's); grey models only. */
  background?: Background;
}

export interface ModelImage {
  /** height·width·channels values in [0, 1], row-major with channels last, as the model takes them. */
  pixels: Float32Array;
  /** The file's own size. */
  width: number;
  height: number;
  inverted: boolean;
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

/** One channel of 8-bit RGBA in [0, 255], composited onto black (premultiplied by alpha). */
function channelOnBlack(rgba: Uint8Array, count: number, channel: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rgba[i * 4 + channel] * rgba[i * 4 + 3]) / 255;
  return out;
}

function borderMean(plane: Float32Array, width: number, height: number): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < width; x++) {
    sum += plane[x] + plane[(height - 1) * width + x];
    n += 2;
  }
  for (let y = 1; y < height - 1; y++) {
    sum += plane[y * width] + plane[y * width + width - 1];
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
 * Resamples `plane` (width x height) to outWidth x outHeight by area averaging, after padding it
 * with `background` (centred) to the output's aspect ratio, so the shape keeps its proportions.
 */
export function resizePadded(plane: Float32Array, width: number, height: number, outWidth: number, outHeight: number, background: number): Float32Array {
  const paddedWidth = Math.max(width, Math.round((height * outWidth) / outHeight));
  const paddedHeight = Math.max(height, Math.round((width * outHeight) / outWidth));
  const left = Math.floor((paddedWidth - width) / 2);
  const top = Math.floor((paddedHeight - height) / 2);
  const at = (x: number, y: number) => {
    const sx = x - left;
    const sy = y - top;
    return sx >= 0 && sx < width && sy >= 0 && sy < height ? plane[sy * width + sx] : background;
  };
  const tapsX = areaWeights(paddedWidth, outWidth);
  const tapsY = areaWeights(paddedHeight, outHeight);
  const out = new Float32Array(outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (const ty of tapsY[oy]) for (const tx of tapsX[ox]) sum += ty.weight * tx.weight * at(tx.index, ty.index);
      out[oy * outWidth + ox] = sum;
    }
  }
  return out;
}

/** `resizePadded` to a size x size square. */
export function resizeSquare(grey: Float32Array, width: number, height: number, size: number, background: number): Float32Array {
  return resizePadded(grey, width, height, size, size, background);
}

/**
 * Reads a PNG (grey, grey+alpha, RGB, RGBA or palette; 1 to 16 bits) as one input of a model
 * taking `shape` = [height, width, channels]: 1 channel (grey) or 3 (RGB).
 */
export function readPngForModel(file: string, shape: readonly [number, number, number], options: PngInputOptions = {}): ModelImage {
  const [outHeight, outWidth, channels] = shape;
  if (channels !== 1 && channels !== 3) throw new SimdnetError(`predict reads PNGs for models of 1 (grey) or 3 (RGB) channels; this one takes ${channels}`);
  const invert = options.invert ?? 'auto';
  const { width, height, rgba } = decodePngFile(file);
  const count = width * height;
  const planes = channels === 1 ? [toGrey(rgba, count)] : [0, 1, 2].map((c) => channelOnBlack(rgba, count, c));
  let inverted = invert === 'yes';
  if (channels === 1 && invert === 'auto') {
    const lightBorder = borderMean(planes[0], width, height) > 127.5;
    inverted = lightBorder !== ((options.background ?? 'dark') === 'light');
  }
  if (inverted) for (const plane of planes) for (let i = 0; i < count; i++) plane[i] = 255 - plane[i];
  const pixels = new Float32Array(outHeight * outWidth * channels);
  planes.forEach((plane, c) => {
    const resized = resizePadded(plane, width, height, outWidth, outHeight, borderMean(plane, width, height));
    for (let i = 0; i < resized.length; i++) pixels[i * channels + c] = Math.min(1, Math.max(0, resized[i] / 255));
  });
  return { pixels, width, height, inverted };
}
