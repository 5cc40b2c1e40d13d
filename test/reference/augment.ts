// Scalar reference of the augmentation kernel (assembly/augment.ts) and of label smoothing
// (assembly/label-smoothing.ts), written from their stated math: the draws from Threefry, the
// exact shift by array indexing, and the bilinear map one f32 operation at a time (Math.fround),
// in the order the kernel's header gives, so the kernel can be held to it closely.
import { threefry2x32 } from './elementwise.js';

const f = Math.fround;

export interface AugmentOptions {
  translate: number;
  rotate: number;
  scale: number;
  flip: boolean;
}

export interface Draw {
  shiftX: number;
  shiftY: number;
  degrees: number;
  zoom: number;
  mirror: boolean;
}

/** ⌊bits·(2t+1)/2^32⌋ - t: exact in doubles (bits·9 < 2^36). */
const shiftOf = (bits: number, t: number): number => Math.floor((bits * (2 * t + 1)) / 4294967296) - t;
const signedUnit = (bits: number): number => (bits >>> 8) * (2 / 16777216) - 1;

/** Sample `sample`'s draws at `step` under key (k0, k1). */
export function augmentDraw(key: readonly [number, number], step: number, sample: number, o: AugmentOptions): Draw {
  const c = sample * 4;
  const [a0, a1] = threefry2x32(c, step, key[0], key[1]);
  const [b0, b1] = threefry2x32(c + 1, step, key[0], key[1]);
  const [m] = threefry2x32(c + 2, step, key[0], key[1]);
  return {
    shiftX: shiftOf(a0, o.translate),
    shiftY: shiftOf(a1, o.translate),
    degrees: signedUnit(b0) * f(o.rotate),
    zoom: 1 + signedUnit(b1) * f(o.scale),
    mirror: o.flip && m >>> 31 === 1,
  };
}

/** Reads pixel (x, y) channel ch of an image, 0 outside. */
function pixelAt(image: Float32Array, height: number, width: number, channels: number, x: number, y: number, ch: number): number {
  if (x < 0 || y < 0 || x >= width || y >= height) return 0;
  return image[(y * width + x) * channels + ch];
}

/** The augmentation of images [batch, height, width, channels], samples numbered from `first`. */
export function augmentImages(input: Float32Array, batch: number, height: number, width: number, channels: number, o: AugmentOptions, key: readonly [number, number], step: number, first = 0): Float32Array {
  const size = height * width * channels;
  const out = new Float32Array(batch * size);
  for (let i = 0; i < batch; i++) {
    const d = augmentDraw(key, step, first + i, o);
    const image = input.subarray(i * size, (i + 1) * size);
    const dst = out.subarray(i * size, (i + 1) * size);
    if (o.rotate === 0 && o.scale === 0) shiftImage(image, dst, height, width, channels, d);
    else warpImage(image, dst, height, width, channels, d);
  }
  return out;
}

function shiftImage(src: Float32Array, dst: Float32Array, height: number, width: number, channels: number, d: Draw): void {
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sx = d.mirror ? width - 1 - (x - d.shiftX) : x - d.shiftX;
      for (let ch = 0; ch < channels; ch++) dst[(y * width + x) * channels + ch] = pixelAt(src, height, width, channels, sx, y - d.shiftY, ch);
    }
}

function warpImage(src: Float32Array, dst: Float32Array, height: number, width: number, channels: number, d: Draw): void {
  const theta = d.degrees * (Math.PI / 180);
  const a = f(Math.cos(theta) / d.zoom);
  const b = f(Math.sin(theta) / d.zoom);
  const cx = f((width - 1) * 0.5);
  const cy = f((height - 1) * 0.5);
  for (let y = 0; y < height; y++) {
    const dy = f(y - d.shiftY - cy);
    const rowX = f(f(b * dy) + cx);
    const rowY = f(f(a * dy) + cy);
    for (let x = 0; x < width; x++) {
      const dx = f(x - d.shiftX - cx);
      let sx = f(f(a * dx) + rowX);
      const sy = f(rowY - f(b * dx));
      if (d.mirror) sx = f(width - 1 - sx);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = f(sx - x0);
      const fy = f(sy - y0);
      for (let ch = 0; ch < channels; ch++) {
        const at = (xx: number, yy: number) => pixelAt(src, height, width, channels, xx, yy, ch);
        const top = f(at(x0, y0) + f(fx * f(at(x0 + 1, y0) - at(x0, y0))));
        const bottom = f(at(x0, y0 + 1) + f(fx * f(at(x0 + 1, y0 + 1) - at(x0, y0 + 1))));
        dst[(y * width + x) * channels + ch] = f(top + f(fy * f(bottom - top)));
      }
    }
  }
}

/**
 * The same map in plain f64 arithmetic, with no f32 rounding: what the kernel approximates. The
 * kernel's f32 result should sit within a few 1e-6 of it on images in [0, 1].
 */
export function warpImageF64(src: Float32Array, height: number, width: number, channels: number, d: Draw): Float64Array {
  const dst = new Float64Array(height * width * channels);
  const theta = d.degrees * (Math.PI / 180);
  const a = Math.cos(theta) / d.zoom;
  const b = Math.sin(theta) / d.zoom;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const dx = x - d.shiftX - cx;
      const dy = y - d.shiftY - cy;
      let sx = a * dx + b * dy + cx;
      const sy = a * dy - b * dx + cy;
      if (d.mirror) sx = width - 1 - sx;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < channels; ch++) {
        const at = (xx: number, yy: number) => pixelAt(src, height, width, channels, xx, yy, ch);
        dst[(y * width + x) * channels + ch] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      }
    }
  return dst;
}

/** Smoothed targets as TF.js forms them in f32: ε/K off the label, (1 - ε) + ε/K on it. */
export function smoothedTargets(smoothing: number, classes: number): { on: number; off: number } {
  const off = f(f(smoothing) / classes);
  return { on: f(f(1 - f(smoothing)) + off), off };
}

/** Σ_r Σ_c -t log softmax(z), in f64, with probs written as the plain softmax. */
export function smoothedCrossEntropyForward(logits: Float32Array, labels: Int32Array, probs: Float32Array, rows: number, classes: number, smoothing: number): number {
  const { on, off } = smoothedTargets(smoothing, classes);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(row[c] - max);
    for (let c = 0; c < classes; c++) {
      probs[r * classes + c] = Math.exp(row[c] - max) / sum;
      loss -= (c === labels[r] ? on : off) * (row[c] - max - Math.log(sum));
    }
  }
  return loss;
}

export function smoothedCrossEntropyBackward(probs: Float32Array, labels: Int32Array, dlogits: Float32Array, rows: number, classes: number, smoothing: number, scale: number): void {
  const { on, off } = smoothedTargets(smoothing, classes);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      dlogits[i] = f(f(probs[i] - (c === labels[r] ? on : off)) * f(scale));
    }
}
