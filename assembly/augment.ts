// Data augmentation of a training batch: every image shifted by whole pixels, rotated, zoomed and
// mirrored by amounts drawn for that sample alone. A sample's draws are Threefry-2x32-20 of the
// counter (4·sample + j, step) under the stream key at `state` (random.ts; the trainer seeds a key
// of its own, apart from dropout's), so they depend only on the seed, the optimizer step and the
// sample's place in the batch: a slice of the batch is augmented on any thread with the bits one
// thread would use, and a resumed run, which restores the step count, draws what it would have.
//
// Draws of sample s at step t (u = (bits >>> 8)·2^-24, so 2u - 1 is uniform in [-1, 1)):
//   counter (4s, t):     word 0 → shift x, word 1 → shift y, each ⌊bits·(2T+1)/2^32⌋ - T in [-T, T]
//   counter (4s + 1, t): word 0 → degrees (2u - 1)·R, word 1 → zoom 1 + (2u - 1)·S
//   counter (4s + 2, t): word 0 → mirror when its top bit is 1 (and flip is on)
//
// Without rotation or zoom (R = S = 0) an image is an exact shifted (and mirrored) copy with zero
// fill. Otherwise each output pixel (x, y) reads the input bilinearly at the inverse map about the
// centre c = ((W-1)/2, (H-1)/2): d = (x - tx, y - ty) - c, (sx, sy) = (a·dx + b·dy, a·dy - b·dx) + c
// with a = cos θ / zoom, b = sin θ / zoom, then sx = (W-1) - sx when mirrored; taps outside the
// image read 0 (the datasets' background). The arithmetic is f32 mul and add in a fixed order, no
// FMA, so both builds give the same images and the scalar reference can follow it step by step.
import { threefry2x32 } from './random';

/** Degrees to radians, as the reference computes it (Math.PI / 180 in f64). */
const RADIANS_PER_DEGREE: f64 = Math.PI / 180.0;

/** Uniform integer in [-t, t] from 32 random bits: a multiply-high, whose bias is below 2^-29. */
// @ts-ignore: decorator
@inline
function shiftOf(bits: u32, t: i32): i32 {
  return <i32>((<u64>bits * <u64>(2 * t + 1)) >> 32) - t;
}

/** 2u - 1 for u = (bits >>> 8)·2^-24: uniform in [-1, 1), exact in f64. */
// @ts-ignore: decorator
@inline
function signedUnit(bits: u32): f64 {
  return <f64>(bits >>> 8) * (2.0 / 16777216.0) - 1.0;
}

/**
 * Sample `sample`'s draws at step `step`, for tests and the report: out = f64[5] of shift x, shift
 * y, degrees, zoom and mirror (0 or 1), as augmentImages uses them.
 */
export function augmentDraw(out: usize, state: usize, step: u32, sample: i32, translate: i32, rotate: f32, scale: f32, flip: i32): void {
  const k0 = load<u32>(state), k1 = load<u32>(state, 4);
  const c = <u32>sample << 2;
  store<f64>(out, <f64>shiftOf(threefry2x32(c, step, k0, k1, 0), translate));
  store<f64>(out, <f64>shiftOf(threefry2x32(c, step, k0, k1, 1), translate), 8);
  store<f64>(out, signedUnit(threefry2x32(c + 1, step, k0, k1, 0)) * <f64>rotate, 16);
  store<f64>(out, 1.0 + signedUnit(threefry2x32(c + 1, step, k0, k1, 1)) * <f64>scale, 24);
  store<f64>(out, flip != 0 && threefry2x32(c + 2, step, k0, k1, 0) >>> 31 != 0 ? 1.0 : 0.0, 32);
}

/**
 * Augments images first .. first+batch-1 of a batch: output[i] = the transform of input[i], both
 * f32 [batch, height, width, channels] (NHWC), not overlapping. translate: the largest shift in
 * whole pixels per axis; rotate: the largest angle in degrees; scale: the largest relative zoom;
 * flip 1: mirror left-right with probability 1/2. `state` holds the key (random.ts), which this
 * kernel only reads; `step` is the optimizer's step count, `first` the batch index of input[0].
 */
export function augmentImages(input: usize, output: usize, state: usize, batch: i32, height: i32, width: i32, channels: i32, translate: i32, rotate: f32, scale: f32, flip: i32, step: u32, first: i32): void {
  const k0 = load<u32>(state), k1 = load<u32>(state, 4);
  const bytes = <usize>(height * width * channels) << 2;
  const exact = rotate == 0 && scale == 0;
  for (let i = 0; i < batch; i++) {
    const c = <u32>(first + i) << 2;
    const tx = shiftOf(threefry2x32(c, step, k0, k1, 0), translate);
    const ty = shiftOf(threefry2x32(c, step, k0, k1, 1), translate);
    const mirror = flip != 0 && threefry2x32(c + 2, step, k0, k1, 0) >>> 31 != 0;
    const src = input + <usize>i * bytes;
    const dst = output + <usize>i * bytes;
    if (exact) {
      shiftImage(src, dst, height, width, channels, tx, ty, mirror);
    } else {
      const theta = signedUnit(threefry2x32(c + 1, step, k0, k1, 0)) * <f64>rotate * RADIANS_PER_DEGREE;
      const zoom = 1.0 + signedUnit(threefry2x32(c + 1, step, k0, k1, 1)) * <f64>scale;
      warpImage(src, dst, height, width, channels, tx, ty, mirror, <f32>(Math.cos(theta) / zoom), <f32>(Math.sin(theta) / zoom));
    }
  }
}

/** out(x, y) = in(x - tx, y - ty), mirrored: in((W-1) - (x - tx), y - ty); 0 where that is outside. */
function shiftImage(src: usize, dst: usize, height: i32, width: i32, channels: i32, tx: i32, ty: i32, mirror: bool): void {
  const pixel = <usize>channels << 2;
  const row = <usize>width * pixel;
  // Output columns whose source column lies inside the image (the same span when mirrored).
  const x0 = max(0, tx);
  const x1 = min(width, width + tx);
  for (let y = 0; y < height; y++) {
    const out = dst + <usize>y * row;
    const sy = y - ty;
    if (sy < 0 || sy >= height || x1 <= x0) {
      zeroSpan(out, row);
      continue;
    }
    const from = src + <usize>sy * row;
    zeroSpan(out, <usize>x0 * pixel);
    zeroSpan(out + <usize>x1 * pixel, <usize>(width - x1) * pixel);
    const span = <usize>(x1 - x0);
    if (!mirror) copySpan(out + <usize>x0 * pixel, from + <usize>(x0 - tx) * pixel, span * pixel);
    else mirrorSpan(out + <usize>x0 * pixel, from, width - 1 + tx - x0, <i32>span, channels);
  }
}

// Rows here are tens of floats: memory.fill and memory.copy call out of the module (V8 runs them
// as runtime builtins), which measured some 20 ns a call, more than moving the row itself.

/** Zeroes `bytes` (a multiple of 4) at ptr. */
function zeroSpan(ptr: usize, bytes: usize): void {
  const zero = f32x4.splat(0);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(ptr + i, zero);
  for (; i < bytes; i += 4) store<f32>(ptr + i, 0);
}

/** Copies `bytes` (a multiple of 4) from src to dst, which do not overlap. */
function copySpan(dst: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(src + i));
}

/** dst pixel k = src pixel (last - k) for k < count, each of `channels` floats. */
function mirrorSpan(dst: usize, src: usize, last: i32, count: i32, channels: i32): void {
  let k = 0;
  if (channels == 1) {
    // Four pixels per step, their order reversed in the register.
    for (; k + 4 <= count; k += 4) {
      const v = v128.load(src + (<usize>(last - k - 3) << 2));
      v128.store(dst + (<usize>k << 2), i32x4.shuffle(v, v, 3, 2, 1, 0));
    }
  }
  const pixel = <usize>channels << 2;
  for (; k < count; k++) copySpan(dst + <usize>k * pixel, src + <usize>(last - k) * pixel, pixel);
}

/** Bilinear resampling of one image at the inverse map (a, b) about the centre; see the file's header. */
function warpImage(src: usize, dst: usize, height: i32, width: i32, channels: i32, tx: i32, ty: i32, mirror: bool, a: f32, b: f32): void {
  const half: f32 = 0.5;
  const cx = <f32>(width - 1) * half;
  const cy = <f32>(height - 1) * half;
  const right = <f32>(width - 1);
  const pixel = <usize>channels << 2;
  const row = <usize>width * pixel;
  let out = dst;
  for (let y = 0; y < height; y++) {
    const dy = <f32>(y - ty) - cy;
    const rowX = b * dy + cx;
    const rowY = a * dy + cy;
    let x = 0;
    if (channels == 1) x = warpRowGrey(src, out, height, width, tx, mirror, a, b, cx, right, rowX, rowY);
    for (; x < width; x++) warpPixel(src, out + <usize>x * pixel, x, height, width, pixel, row, tx, mirror, a, b, cx, right, rowX, rowY);
    out += row;
  }
}

/**
 * One output pixel (every channel) of warpImage's row: the map, then the four taps. The vector
 * row below computes the same f32 operations on four pixels at once.
 */
function warpPixel(src: usize, out: usize, x: i32, height: i32, width: i32, pixel: usize, row: usize, tx: i32, mirror: bool, a: f32, b: f32, cx: f32, right: f32, rowX: f32, rowY: f32): void {
  const dx = <f32>(x - tx) - cx;
  let sx = a * dx + rowX;
  const sy = rowY - b * dx;
  if (mirror) sx = right - sx;
  const fx0 = Mathf.floor(sx);
  const fy0 = Mathf.floor(sy);
  const ix = <i32>fx0;
  const iy = <i32>fy0;
  if (ix < -1 || iy < -1 || ix >= width || iy >= height) {
    zeroSpan(out, pixel);
    return;
  }
  const fx = sx - fx0;
  const fy = sy - fy0;
  const p00 = src + <usize>iy * row + <usize>ix * pixel;
  if (ix >= 0 && iy >= 0 && ix + 1 < width && iy + 1 < height) {
    for (let c: usize = 0; c < pixel; c += 4) {
      const p = p00 + c;
      store<f32>(out + c, lerp2(load<f32>(p), load<f32>(p + pixel), load<f32>(p + row), load<f32>(p + row + pixel), fx, fy));
    }
  } else {
    // On the border: taps outside read 0 (their addresses are never loaded).
    const left = ix >= 0, rightIn = ix + 1 < width, top = iy >= 0, bottom = iy + 1 < height;
    for (let c: usize = 0; c < pixel; c += 4) {
      const p = p00 + c;
      const v00: f32 = top && left ? load<f32>(p) : 0;
      const v01: f32 = top && rightIn ? load<f32>(p + pixel) : 0;
      const v10: f32 = bottom && left ? load<f32>(p + row) : 0;
      const v11: f32 = bottom && rightIn ? load<f32>(p + row + pixel) : 0;
      store<f32>(out + c, lerp2(v00, v01, v10, v11, fx, fy));
    }
  }
}

/** Four taps' worth of one-channel values at byte offsets (lanes of `at`) from src. */
// @ts-ignore: decorator
@inline
function gather4(src: usize, at: v128): v128 {
  let v = f32x4.splat(load<f32>(src + <usize>i32x4.extract_lane(at, 0)));
  v = f32x4.replace_lane(v, 1, load<f32>(src + <usize>i32x4.extract_lane(at, 1)));
  v = f32x4.replace_lane(v, 2, load<f32>(src + <usize>i32x4.extract_lane(at, 2)));
  return f32x4.replace_lane(v, 3, load<f32>(src + <usize>i32x4.extract_lane(at, 3)));
}

/**
 * A one-channel row four pixels at a time: the map and the lerps as f32x4 (lane for lane the
 * scalar operations, so the same bits), the taps gathered by lane. A group with any tap outside
 * the image goes pixel by pixel. Returns the first column it did not do (a tail of fewer than 4).
 * Measured 3x faster than warpPixel on a batch of 64 28x28 images (930 µs → 300 µs, one thread).
 */
function warpRowGrey(src: usize, out: usize, height: i32, width: i32, tx: i32, mirror: bool, a: f32, b: f32, cx: f32, right: f32, rowX: f32, rowY: f32): i32 {
  const va = f32x4.splat(a), vb = f32x4.splat(b), vcx = f32x4.splat(cx), vright = f32x4.splat(right);
  const vrowX = f32x4.splat(rowX), vrowY = f32x4.splat(rowY);
  const lanes = i32x4(0, 1, 2, 3);
  const zero = i32x4.splat(0), lastX = i32x4.splat(width - 2), lastY = i32x4.splat(height - 2);
  const stride = i32x4.splat(width << 2);
  const row = <usize>width << 2;
  let x = 0;
  for (; x + 4 <= width; x += 4) {
    const dx = f32x4.sub(f32x4.convert_i32x4_s(i32x4.add(i32x4.splat(x - tx), lanes)), vcx);
    let sx = f32x4.add(f32x4.mul(va, dx), vrowX);
    const sy = f32x4.sub(vrowY, f32x4.mul(vb, dx));
    if (mirror) sx = f32x4.sub(vright, sx);
    const fx0 = f32x4.floor(sx);
    const fy0 = f32x4.floor(sy);
    const ix = i32x4.trunc_sat_f32x4_s(fx0);
    const iy = i32x4.trunc_sat_f32x4_s(fy0);
    const inside = v128.and(v128.and(i32x4.ge_s(ix, zero), i32x4.le_s(ix, lastX)), v128.and(i32x4.ge_s(iy, zero), i32x4.le_s(iy, lastY)));
    if (!i32x4.all_true(inside)) {
      for (let l = 0; l < 4; l++) warpPixel(src, out + (<usize>(x + l) << 2), x + l, height, width, 4, row, tx, mirror, a, b, cx, right, rowX, rowY);
      continue;
    }
    const at = i32x4.add(i32x4.mul(iy, stride), i32x4.shl(ix, 2));
    const fx = f32x4.sub(sx, fx0);
    const fy = f32x4.sub(sy, fy0);
    const v00 = gather4(src, at), v01 = gather4(src + 4, at), v10 = gather4(src + row, at), v11 = gather4(src + row + 4, at);
    const top = f32x4.add(v00, f32x4.mul(fx, f32x4.sub(v01, v00)));
    const bottom = f32x4.add(v10, f32x4.mul(fx, f32x4.sub(v11, v10)));
    v128.store(out + (<usize>x << 2), f32x4.add(top, f32x4.mul(fy, f32x4.sub(bottom, top))));
  }
  return x;
}

/** Bilinear interpolation as two lerps along x, then one along y (exact at fx = 0 or fy = 0). */
// @ts-ignore: decorator
@inline
function lerp2(v00: f32, v01: f32, v10: f32, v11: f32, fx: f32, fy: f32): f32 {
  const top = v00 + fx * (v01 - v00);
  const bottom = v10 + fx * (v11 - v10);
  return top + fy * (bottom - top);
}
