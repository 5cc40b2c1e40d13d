// The im2col matrix of a convolution, as the convolution kernels (conv-forward.ts and
// conv-backward.ts) read it without ever storing it: where each of its entries sits in the image,
// blocks of it built in cache, its adjoint scattered back, and the scratch the kernels share.
// Valid padding (a 'same' layer pads its input first: conv-pad.ts), stride 1 or more, square kernel.
//
// Layouts (all f32, pointers are byte offsets, sizes count elements):
//   input   [batch, height, width, inC]            NHWC
//   weights [kernel, kernel, inC, outC]            Keras; read as a [depth, outC] matrix, depth = kernel²·inC
//   output  [batch, oh, ow, outC]                  oh, ow: the layer's output size, which the caller
//                                                  computes (src/nn/layers/conv2d.ts) and passes in
// The convolution is output = A · weights with A the im2col matrix [rows = batch·oh·ow, depth]:
// row (b, oy, ox), the window at (oy·stride, ox·stride), columns ordered (ky, kx, c). A is never
// stored whole (for cnn-tuned's second layer it would be 26 MB per batch, written once and
// streamed back from memory three times). Each pass builds only the block of A its GEMM is about
// to use, in cache, straight from the image: that block is exactly what a BLIS-style GEMM would
// pack A into anyway.
//
// A[row, j] = input[origin(row) + offset(j)], with origin(row) = ((b·height + oy·s)·width +
// ox·s)·inC (s the stride) and offset(j) = ky·width·inC + (j - ky·kernel·inC), ky = j /
// (kernel·inC): for one row, the columns of one ky are kernel·inC floats that are contiguous in
// the NHWC input (a "run"). A stride only moves the origins, so every pass below is the same
// arithmetic at any stride.
//
// The GEMM blocking and micro-kernel are gemm.ts's, with the same K blocks and the same order of
// operations as gemmNN / gemmTN / gemmNT on a stored A, so results are the same bit for bit as
// im2col followed by those GEMMs. `pack` is per-thread scratch of conv2dScratchFloats floats.
import { KC, KC_TN, MC, packedBFloats } from './gemm';
import { madd } from './simd';
/** Rows of input-gradient columns computed (then scattered) per block: one L2-sized block. */
export const DCOLS_BLOCK_FLOATS: i32 = 1 << 16;

/** dst[0..count) = src[0..count), 4 floats at a time. */
// @ts-ignore: decorator
@inline
export function copyRun(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[0..count) += src[0..count), 4 floats at a time. */
// @ts-ignore: decorator
@inline
export function addRun(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const d = dst + (<usize>i << 2);
    v128.store(d, f32x4.add(v128.load(d), v128.load(src + (<usize>i << 2))));
  }
  for (; i < count; i++) {
    const d = dst + (<usize>i << 2);
    store<f32>(d, load<f32>(d) + load<f32>(src + (<usize>i << 2)));
  }
}

/**
 * dst[0..count) = src[0..count) in whole f32x4s: writes and reads up to 3 floats past the run.
 * Runs are written in order, so the next run overwrites what spilled; this keeps a one-channel
 * layer's 3- and 5-float runs to one or two vector copies instead of a scalar loop.
 */
// @ts-ignore: decorator
@inline
export function copyRunSpill(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
}

/** Float offset in the input of row `row`'s patch origin (row = (b·oh + oy)·ow + ox). */
// @ts-ignore: decorator
@inline
export function rowOrigin(row: i32, oh: i32, ow: i32, height: i32, width: i32, channels: i32, stride: i32): i32 {
  const pixels = oh * ow;
  const b = row / pixels;
  const p = row - b * pixels;
  const oy = p / ow;
  const ox = p - oy * ow;
  return ((b * height + oy * stride) * width + ox * stride) * channels;
}

/**
 * origins[r] = rowOrigin(row0 + r) for r < count (i32), stepping through (b, oy, ox) instead of
 * dividing per row: a one-channel layer has only 9 or 25 floats per row, so two divisions per row
 * would cost as much as copying it.
 */
export function fillOrigins(origins: usize, row0: i32, count: i32, height: i32, width: i32, channels: i32, oh: i32, ow: i32, stride: i32): void {
  const pixels = oh * ow;
  const p = row0 % pixels;
  let oy = p / ow;
  let ox = p - oy * ow;
  let origin = rowOrigin(row0, oh, ow, height, width, channels, stride);
  const step = stride * channels;
  // From past a line's last window to the next line's first, and past an image's last line to
  // the next image ((kernel - 1)·channels and (kernel - 1)·width·channels for a valid stride 1).
  const lineJump = stride * (width - ow) * channels;
  const imageJump = (height - oh * stride) * width * channels;
  for (let r = 0; r < count; r++) {
    store<i32>(origins + (<usize>r << 2), origin);
    origin += step;
    if (++ox == ow) {
      ox = 0;
      origin += lineJump;
      if (++oy == oh) {
        oy = 0;
        origin += imageJump;
      }
    }
  }
}

/**
 * block[r, j - k0] = A[row0 + r, j] for r < mb and k0 <= j < k0 + kc; the block's rows are kc
 * floats apart. Writes nothing past the block. origins: the rows' fillOrigins table, or 0 to
 * compute each (the standalone im2col, which has no scratch).
 */
export function im2colBlock(input: usize, block: usize, origins: usize, row0: i32, mb: i32, k0: i32, kc: i32, height: i32, width: i32, channels: i32, oh: i32, ow: i32, kernel: i32, stride: i32): void {
  const run = kernel * channels;
  const lineFloats = width * channels;
  const kEnd = k0 + kc;
  const kyFirst = k0 / run;
  const kyLast = (kEnd - 1) / run;
  // Vector copies of runs that are not whole vectors spill into what comes next in the block, so
  // only the block's very last run (which would spill past it) is copied exactly.
  const spill = (run & 3) != 0 || (kc & 3) != 0;
  let dst = block;
  if (k0 == 0 && kc == kernel * run) {
    // Whole rows (every K block of a small layer): runs straight down the patch, no clipping.
    const runBytes = <usize>run << 2;
    const lineBytes = <usize>lineFloats << 2;
    for (let r = 0; r < mb; r++) {
      const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels, stride);
      let src = input + (<usize>origin << 2);
      if (spill && r < mb - 1) {
        for (let ky = 0; ky < kernel; ky++) {
          copyRunSpill(src, dst, run);
          src += lineBytes;
          dst += runBytes;
        }
      } else {
        for (let ky = 0; ky < kernel; ky++) {
          copyRun(src, dst, run);
          src += lineBytes;
          dst += runBytes;
        }
      }
    }
    return;
  }
  for (let r = 0; r < mb; r++) {
    const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels, stride);
    const lastRow = r == mb - 1;
    for (let ky = kyFirst; ky <= kyLast; ky++) {
      const from = max(k0, ky * run);
      const to = min(kEnd, ky * run + run);
      const src = input + (<usize>(origin + ky * lineFloats + from - ky * run) << 2);
      if (spill && !(lastRow && ky == kyLast)) copyRunSpill(src, dst, to - from);
      else copyRun(src, dst, to - from);
      dst += <usize>(to - from) << 2;
    }
  }
}

/**
 * dinput += the scatter of dcols rows row0 .. row0+count (each `depth` floats, the first at
 * dcols) back onto the image, rows in order: the adjoint of im2col for those rows. origins as
 * for im2colBlock.
 */
export function col2imRowsAdd(dcols: usize, dinput: usize, origins: usize, row0: i32, count: i32, height: i32, width: i32, channels: i32, oh: i32, ow: i32, kernel: i32, stride: i32): void {
  const run = kernel * channels;
  const runBytes = <usize>run << 2;
  const lineBytes = <usize>(width * channels) << 2;
  let src = dcols;
  for (let r = 0; r < count; r++) {
    const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels, stride);
    let dst = dinput + (<usize>origin << 2);
    for (let ky = 0; ky < kernel; ky++) {
      addRun(src, dst, run);
      dst += lineBytes;
      src += runBytes;
    }
  }
}

/** Byte offset in the scratch of the row-origins table (past everything else any pass packs). */
// @ts-ignore: decorator
@inline
export function originsAt(pack: usize, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): usize {
  return pack + (<usize>(conv2dScratchFloats(height, width, inChannels, outChannels, kernel) - max(MC, KC_TN) - 2 * KC_TN) << 2);
}

/** Rows of input-gradient columns per block for patches of `depth` floats (even, at least 2). */
// @ts-ignore: decorator
@inline
export function dcolsBlockRows(depth: i32): i32 {
  return max(2, min(MC, (DCOLS_BLOCK_FLOATS / max(depth, 1)) & ~1));
}

/**
 * C rows (r, r+1) (r alone when !two) x 16 columns (+)= A · B over one K block whose A is read in
 * place in the image as segments: segment s starts segments[s].offset floats after base (row r)
 * and runs segments[s].length steps of aStep bytes; row r+1 is rowStride bytes after row r. B's
 * step k at p + k·bStep, continuing across segments. C is loaded (when add) or starts at zero,
 * and is stored once for the whole block. ones: 1 when row r+1 is a row of ones (a bias row),
 * 2 when row r (alone) is; 0 otherwise. The forward reads a pixel's patch entries (aStep 4, ky
 * runs); the weight gradient reads one patch entry of successive pixels (aStep = channels·4,
 * output-line runs).
 */
// @ts-ignore: decorator
@inline
export function tileSegments2x16(base: usize, rowStride: usize, aStep: usize, segments: usize, segmentCount: i32, p: usize, bStep: usize, c: usize, ldc: usize, add: bool, two: bool, ones: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const c1 = c + ldc;
  if (add) {
    c00 = v128.load(c); c01 = v128.load(c, 16); c02 = v128.load(c, 32); c03 = v128.load(c, 48);
    if (two) {
      c10 = v128.load(c1); c11 = v128.load(c1, 16); c12 = v128.load(c1, 32); c13 = v128.load(c1, 48);
    }
  }
  for (let s = 0; s < segmentCount; s++) {
    let a = base + (<usize>load<i32>(segments + (<usize>s << 3)) << 2);
    const pEnd = p + <usize>load<i32>(segments + (<usize>s << 3), 4) * bStep;
    while (p < pEnd) {
      const b0 = v128.load(p), b1 = v128.load(p, 16), b2 = v128.load(p, 32), b3 = v128.load(p, 48);
      const a0 = ones == 2 ? f32x4.splat(1) : v128.load32_splat(a);
      c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c02 = madd(a0, b2, c02); c03 = madd(a0, b3, c03);
      if (two) {
        const a1 = ones == 1 ? f32x4.splat(1) : v128.load32_splat(a + rowStride);
        c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11); c12 = madd(a1, b2, c12); c13 = madd(a1, b3, c13);
      }
      a += aStep;
      p += bStep;
    }
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  if (two) {
    v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
  }
}

/**
 * Floats of per-thread scratch the three convolution kernels need for this layer shape: packed
 * operands first, then a table of row origins at originsAt(...).
 */
export function conv2dScratchFloats(height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): i32 {
  const depth = kernel * kernel * inChannels;
  const forward = packedBFloats(depth, outChannels) + MC * min(depth, KC) + 4;
  const weights = packedBFloats(KC_TN, outChannels) + MC * KC_TN;
  const input = packedBFloats(outChannels, depth) + dcolsBlockRows(depth) * depth;
  // Then the rows' origins (i32), at most max(MC, KC_TN) of them, then up to KC_TN segments
  // (two i32 each) of a K block of pixels.
  return max(forward, max(weights, input)) + max(MC, KC_TN) + 2 * KC_TN;
}

/**
 * cols[batch·oh·ow, kernel·kernel·channels] = A from input[batch, height, width, channels]
 * (NHWC); row (b, oy, ox), columns ordered (ky, kx, c), windows `stride` apart. Overwrites cols
 * and nothing past it. The convolution kernels never store A whole; this is for tests and tools.
 */
export function im2col(input: usize, cols: usize, batch: i32, height: i32, width: i32, channels: i32, oh: i32, ow: i32, kernel: i32, stride: i32): void {
  if (batch <= 0 || oh <= 0 || ow <= 0) return;
  im2colBlock(input, cols, 0, 0, batch * oh * ow, 0, kernel * kernel * channels, height, width, channels, oh, ow, kernel, stride);
}

/**
 * dinput[batch, height, width, channels] += the scatter of dcols[batch·oh·ow, kernel²·channels]
 * back onto the image: the adjoint of im2col (same layouts). Accumulates.
 */
export function col2imAdd(dcols: usize, dinput: usize, batch: i32, height: i32, width: i32, channels: i32, oh: i32, ow: i32, kernel: i32, stride: i32): void {
  if (batch <= 0 || oh <= 0 || ow <= 0) return;
  col2imRowsAdd(dcols, dinput, 0, 0, batch * oh * ow, height, width, channels, oh, ow, kernel, stride);
}
