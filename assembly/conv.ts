// 2-D convolution as an implicit GEMM: valid padding, stride 1, square kernel.
//
// Layouts (all f32, pointers are byte offsets, sizes count elements):
//   input   [batch, height, width, inC]            NHWC
//   weights [kernel, kernel, inC, outC]            Keras; read as a [depth, outC] matrix, depth = kernel²·inC
//   output  [batch, oh, ow, outC]                  oh = height-kernel+1, ow = width-kernel+1
// The convolution is output = A · weights with A the im2col matrix [rows = batch·oh·ow, depth]:
// row (b, oy, ox), columns ordered (ky, kx, c). A is never stored whole (for cnn-tuned's second
// layer it would be 26 MB per batch, written once and streamed back from memory three times).
// Each pass builds only the block of A its GEMM is about to use, in cache, straight from the
// image: that block is exactly what a BLIS-style GEMM would pack A into anyway.
//
// A[row, j] = input[origin(row) + offset(j)], with origin(row) = ((b·height + oy)·width + ox)·inC
// and offset(j) = ky·width·inC + (j - ky·kernel·inC), ky = j / (kernel·inC): for one row, the
// columns of one ky are kernel·inC floats that are contiguous in the NHWC input (a "run").
//
// The GEMM blocking and micro-kernel are gemm.ts's, with the same K blocks and the same order of
// operations as gemmNN / gemmTN / gemmNT on a stored A, so results are the same bit for bit as
// im2col followed by those GEMMs. `pack` is per-thread scratch of conv2dScratchFloats floats.
import { DIRECT_B_ROWS, KC, KC_TN, MC, packColumns, packedBFloats, packRows, sweep } from './gemm';
import { maxPool2x2Forward } from './pool';
import { biasForward, biasReluForward } from './activation';
import { madd } from './simd';

/** Rows of input-gradient columns computed (then scattered) per block: one L2-sized block. */
const DCOLS_BLOCK_FLOATS: i32 = 1 << 16;

/** dst[0..count) = src[0..count), 4 floats at a time. */
// @ts-ignore: decorator
@inline
function copyRun(src: usize, dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[0..count) += src[0..count), 4 floats at a time. */
// @ts-ignore: decorator
@inline
function addRun(src: usize, dst: usize, count: i32): void {
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
function copyRunSpill(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
}

/** Float offset in the input of row `row`'s patch origin (row = (b·oh + oy)·ow + ox). */
// @ts-ignore: decorator
@inline
function rowOrigin(row: i32, oh: i32, ow: i32, height: i32, width: i32, channels: i32): i32 {
  const pixels = oh * ow;
  const b = row / pixels;
  const p = row - b * pixels;
  const oy = p / ow;
  const ox = p - oy * ow;
  return ((b * height + oy) * width + ox) * channels;
}

/**
 * origins[r] = rowOrigin(row0 + r) for r < count (i32), stepping through (b, oy, ox) instead of
 * dividing per row: a one-channel layer has only 9 or 25 floats per row, so two divisions per row
 * would cost as much as copying it.
 */
function fillOrigins(origins: usize, row0: i32, count: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  const pixels = oh * ow;
  const p = row0 % pixels;
  let oy = p / ow;
  let ox = p - oy * ow;
  let origin = rowOrigin(row0, oh, ow, height, width, channels);
  const lineJump = (kernel - 1) * channels;
  const imageJump = (kernel - 1) * width * channels;
  for (let r = 0; r < count; r++) {
    store<i32>(origins + (<usize>r << 2), origin);
    origin += channels;
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
function im2colBlock(input: usize, block: usize, origins: usize, row0: i32, mb: i32, k0: i32, kc: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
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
      const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels);
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
    const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels);
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
 * Packs Aᵀ's rows i0 .. i0+mb (patch entries; columns of A) over A's rows k0 .. k0+kc (output
 * pixels) in row pairs, straight from the image: pair p, step kk, entry r at
 * packA[(p·kc + kk)·2 + r] holds A[k0 + kk, i0 + 2p + r] (the layout gemm.ts's packTransposedA
 * gives a stored A). Four pixels by four entries go through one 4x4 transpose where a run allows.
 * origins: the fillOrigins table of rows k0 .. k0+kc.
 */
function packTransposedImage(input: usize, origins: usize, k0: i32, kc: i32, i0: i32, mb: i32, packA: usize, height: i32, width: i32, channels: i32, kernel: i32): void {
  const run = kernel * channels;
  const lineFloats = width * channels;
  const pairBytes = <usize>kc << 3;
  // Entry `depth` (one past the patch) is the bias row: all ones (see conv2dBackwardWeights).
  const onesRow = i0 + mb > kernel * run;
  const iEnd = min(i0 + mb, kernel * run);
  const kc4 = kc & ~3;
  for (let kk = 0; kk < kc4; kk += 4) {
    const at = origins + (<usize>kk << 2);
    const o0 = load<i32>(at), o1 = load<i32>(at, 4), o2 = load<i32>(at, 8), o3 = load<i32>(at, 12);
    const step = packA + (<usize>kk << 3);
    if (channels == 1 && o3 == o0 + 3) {
      // One channel, four neighbouring pixels of a line: entry i of the four rows is one vector
      // load, and two entries interleave into their pair's four steps.
      let ky = i0 / run;
      let kx = i0 - ky * run;
      for (let i = i0; i < iEnd; i += 2) {
        const va = v128.load(input + (<usize>(o0 + ky * lineFloats + kx) << 2));
        if (++kx == run) { kx = 0; ky++; }
        let vb = va;
        if (i + 1 < iEnd) {
          vb = v128.load(input + (<usize>(o0 + ky * lineFloats + kx) << 2));
          if (++kx == run) { kx = 0; ky++; }
        }
        const dst = step + <usize>((i - i0) >> 1) * pairBytes;
        v128.store(dst, i32x4.shuffle(va, vb, 0, 4, 1, 5));
        v128.store(dst, i32x4.shuffle(va, vb, 2, 6, 3, 7), 16);
      }
      continue;
    }
    for (let ky = i0 / run; ky * run < iEnd; ky++) {
      const from = max(i0, ky * run);
      const to = min(iEnd, ky * run + run);
      const shift = ky * lineFloats - ky * run;
      let i = from;
      if (((i - i0) & 1) == 0) {
        for (; i + 4 <= to; i += 4) {
          const r0 = v128.load(input + (<usize>(o0 + shift + i) << 2));
          const r1 = v128.load(input + (<usize>(o1 + shift + i) << 2));
          const r2 = v128.load(input + (<usize>(o2 + shift + i) << 2));
          const r3 = v128.load(input + (<usize>(o3 + shift + i) << 2));
          const dst = step + <usize>((i - i0) >> 1) * pairBytes;
          v128.store(dst, i64x2.shuffle(r0, r1, 0, 2));
          v128.store(dst, i64x2.shuffle(r2, r3, 0, 2), 16);
          v128.store(dst + pairBytes, i64x2.shuffle(r0, r1, 1, 3));
          v128.store(dst + pairBytes, i64x2.shuffle(r2, r3, 1, 3), 16);
        }
      }
      for (; i < to; i++) {
        const dst = step + <usize>((i - i0) >> 1) * pairBytes + (<usize>((i - i0) & 1) << 2);
        store<f32>(dst, load<f32>(input + (<usize>(o0 + shift + i) << 2)));
        store<f32>(dst, load<f32>(input + (<usize>(o1 + shift + i) << 2)), 8);
        store<f32>(dst, load<f32>(input + (<usize>(o2 + shift + i) << 2)), 16);
        store<f32>(dst, load<f32>(input + (<usize>(o3 + shift + i) << 2)), 24);
      }
    }
  }
  for (let kk = kc4; kk < kc; kk++) {
    const o = load<i32>(origins + (<usize>kk << 2));
    const step = packA + (<usize>kk << 3);
    for (let i = i0; i < iEnd; i++) {
      const ky = i / run;
      const dst = step + <usize>((i - i0) >> 1) * pairBytes + (<usize>((i - i0) & 1) << 2);
      store<f32>(dst, load<f32>(input + (<usize>(o + ky * lineFloats - ky * run + i) << 2)));
    }
  }
  if (onesRow) {
    const at = packA + <usize>((iEnd - i0) >> 1) * pairBytes + (<usize>((iEnd - i0) & 1) << 2);
    for (let kk = 0; kk < kc; kk++) store<f32>(at + (<usize>kk << 3), 1);
  }
}

/**
 * dinput += the scatter of dcols rows row0 .. row0+count (each `depth` floats, the first at
 * dcols) back onto the image, rows in order: the adjoint of im2col for those rows. origins as
 * for im2colBlock.
 */
function col2imRowsAdd(dcols: usize, dinput: usize, origins: usize, row0: i32, count: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  const run = kernel * channels;
  const runBytes = <usize>run << 2;
  const lineBytes = <usize>(width * channels) << 2;
  let src = dcols;
  for (let r = 0; r < count; r++) {
    const origin = origins ? load<i32>(origins + (<usize>r << 2)) : rowOrigin(row0 + r, oh, ow, height, width, channels);
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
function originsAt(pack: usize, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): usize {
  return pack + (<usize>(conv2dScratchFloats(height, width, inChannels, outChannels, kernel) - max(MC, KC_TN) - 2 * KC_TN) << 2);
}

/** Rows of input-gradient columns per block for patches of `depth` floats (even, at least 2). */
// @ts-ignore: decorator
@inline
function dcolsBlockRows(depth: i32): i32 {
  return max(2, min(MC, (DCOLS_BLOCK_FLOATS / max(depth, 1)) & ~1));
}

/**
 * Layers with fewer patch entries than this read A straight from the image in the weight
 * gradient instead of packing Aᵀ (as gemmTN reads a short-rowed stored A in place): packing an
 * entry costs about as much as the 2·outC multiply-adds it feeds when outC is 32.
 */
const PACK_A_DEPTH: i32 = 512;

/**
 * Splits the K block's pixels (origins: its fillOrigins table, kc entries) into segments along
 * output lines, where each pixel's patch starts `channels` floats after the previous one: writes
 * (origin of the segment's first pixel, length) pairs at segments (as tileSegments2x16 reads
 * them) and returns how many.
 */
function lineSegments(origins: usize, kc: i32, channels: i32, segments: usize): i32 {
  let count = 0;
  let start = 0;
  for (let kk = 1; kk <= kc; kk++) {
    if (kk == kc || load<i32>(origins + (<usize>kk << 2)) != load<i32>(origins + (<usize>(kk - 1) << 2)) + channels) {
      store<i32>(segments + (<usize>count << 3), load<i32>(origins + (<usize>start << 2)));
      store<i32>(segments + (<usize>count << 3), kk - start, 4);
      count++;
      start = kk;
    }
  }
  return count;
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
function tileSegments2x16(base: usize, rowStride: usize, aStep: usize, segments: usize, segmentCount: i32, p: usize, bStep: usize, c: usize, ldc: usize, add: bool, two: bool, ones: i32): void {
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

/** The weight gradient's tileSegments2x16 (accumulating), specialised for each (two, ones) case. */
function tileFor(base: usize, rowStride: usize, pixelBytes: usize, segments: usize, segmentCount: i32, p: usize, bStep: usize, c: usize, ldc: usize, two: bool, ones: i32): void {
  if (!two) {
    if (ones == 2) tileSegments2x16(base, 0, pixelBytes, segments, segmentCount, p, bStep, c, ldc, true, false, 2);
    else tileSegments2x16(base, 0, pixelBytes, segments, segmentCount, p, bStep, c, ldc, true, false, 0);
  } else if (ones == 1) {
    tileSegments2x16(base, 0, pixelBytes, segments, segmentCount, p, bStep, c, ldc, true, true, 1);
  } else {
    tileSegments2x16(base, rowStride, pixelBytes, segments, segmentCount, p, bStep, c, ldc, true, true, 0);
  }
}

/** Float offset of patch entry i from a pixel's patch origin: ky·width·channels + (i - ky·kernel·channels). */
// @ts-ignore: decorator
@inline
function entryOffset(i: i32, width: i32, channels: i32, kernel: i32): i32 {
  const run = kernel * channels;
  const ky = i / run;
  return ky * width * channels + i - ky * run;
}

/**
 * The weight gradient's sweep for one K block of a shallow layer: dW rows i0 .. i0+mb, columns
 * (colCount of them, ldc apart) += Aᵀ · B with A read from the image. Full 16-column panels of B
 * at b + q·bPanel (bStep per pixel); the last colCount % 16 columns as a packed panel at tail,
 * followed by a 2×16 scratch tile, as in gemm.ts's sweep.
 */
function sweepImage(input: usize, segments: usize, segmentCount: i32, i0: i32, mb: i32, b: usize, bPanel: usize, bStep: usize, tail: usize, kc: i32, c: usize, colCount: i32, ldc: i32, width: i32, channels: i32, kernel: i32): void {
  const ldcBytes = <usize>ldc << 2;
  const pixelBytes = <usize>channels << 2;
  const full = colCount >> 4;
  const rest = colCount & 15;
  const end = i0 + mb;
  const depth = kernel * kernel * channels;
  for (let i = i0; i < end; i += 2) {
    const two = i + 1 < end;
    // Row `depth` is the bias row (A = 1): as the second of a pair, or alone.
    const ones = i == depth ? 2 : two && i + 1 == depth ? 1 : 0;
    const off = ones == 2 ? 0 : entryOffset(i, width, channels, kernel);
    const base = input + (<usize>off << 2);
    const rowStride = two && ones == 0 ? <usize>(entryOffset(i + 1, width, channels, kernel) - off) << 2 : 0;
    const ci = c + <usize>(i - i0) * ldcBytes;
    for (let q = 0; q < full; q++) {
      const p = b + <usize>q * bPanel;
      tileFor(base, rowStride, pixelBytes, segments, segmentCount, p, bStep, ci + (<usize>q << 6), ldcBytes, two, ones);
    }
    if (rest) {
      // Last columns: a full 2×16 tile in scratch, seeded with C's values, then copied back.
      const tile = tail + (<usize>kc << 6);
      const cq = ci + (<usize>(full << 4) << 2);
      const rows = two ? 2 : 1;
      for (let r = 0; r < rows; r++) {
        for (let jj = 0; jj < 16; jj++) {
          store<f32>(tile + (<usize>(r * 16 + jj) << 2), jj < rest ? load<f32>(cq + <usize>r * ldcBytes + (<usize>jj << 2)) : 0);
        }
      }
      tileFor(base, rowStride, pixelBytes, segments, segmentCount, tail, 64, tile, 64, two, ones);
      for (let r = 0; r < rows; r++) {
        for (let jj = 0; jj < rest; jj++) {
          store<f32>(cq + <usize>r * ldcBytes + (<usize>jj << 2), load<f32>(tile + (<usize>(r * 16 + jj) << 2)));
        }
      }
    }
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
 * (NHWC); row (b, oy, ox), columns ordered (ky, kx, c). Overwrites cols and nothing past it.
 * The convolution kernels never store A whole; this is for tests and tools.
 */
export function im2col(input: usize, cols: usize, batch: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  if (height < kernel || width < kernel || batch <= 0) return;
  im2colBlock(input, cols, 0, 0, rows, 0, kernel * kernel * channels, height, width, channels, kernel);
}

/**
 * dinput[batch, height, width, channels] += the scatter of dcols[batch·oh·ow, kernel²·channels]
 * back onto the image: the adjoint of im2col (same layouts). Accumulates.
 */
export function col2imAdd(dcols: usize, dinput: usize, batch: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  if (height < kernel || width < kernel || batch <= 0) return;
  col2imRowsAdd(dcols, dinput, 0, 0, batch * (height - kernel + 1) * (width - kernel + 1), height, width, channels, kernel);
}

/**
 * The forward reads A in place in the image (no im2col block) when a patch row's runs are at
 * least this many floats: each run is then one long stretch of the micro-kernel's k loop.
 */
const DIRECT_RUN: i32 = 64;

/**
 * The K block k0 .. k0+kc of patch entries as runs within one ky: writes (offset of the run's
 * first entry from a pixel's patch origin, length) pairs at segments (as tileSegments2x16 reads
 * them); returns how many.
 */
function runSegments(k0: i32, kc: i32, width: i32, channels: i32, kernel: i32, segments: usize): i32 {
  const run = kernel * channels;
  const end = k0 + kc;
  let count = 0;
  let j = k0;
  while (j < end) {
    const ky = j / run;
    const to = min(end, ky * run + run);
    store<i32>(segments + (<usize>count << 3), ky * width * channels + j - ky * run);
    store<i32>(segments + (<usize>count << 3), to - j, 4);
    count++;
    j = to;
  }
  return count;
}

/** The forward's sweep over a row block with A in place: every 16-column panel, every row pair. */
function sweepRows(input: usize, origins: usize, segments: usize, segmentCount: i32, pack: usize, kc: i32, c: usize, mb: i32, outChannels: i32, add: bool): void {
  const ldcBytes = <usize>outChannels << 2;
  const panels = outChannels >> 4;
  for (let q = 0; q < panels; q++) {
    const p = pack + <usize>q * (<usize>kc << 6);
    const cq = c + (<usize>q << 6);
    for (let i = 0; i < mb; i += 2) {
      const o0 = load<i32>(origins + (<usize>i << 2));
      const rowBase = input + (<usize>o0 << 2);
      const ci = cq + <usize>i * ldcBytes;
      if (i + 1 < mb) {
        const rowStride = <usize>(load<i32>(origins + (<usize>(i + 1) << 2)) - o0) << 2;
        if (add) tileSegments2x16(rowBase, rowStride, 4, segments, segmentCount, p, 64, ci, ldcBytes, true, true, 0);
        else tileSegments2x16(rowBase, rowStride, 4, segments, segmentCount, p, 64, ci, ldcBytes, false, true, 0);
      } else {
        if (add) tileSegments2x16(rowBase, 0, 4, segments, segmentCount, p, 64, ci, ldcBytes, true, false, 0);
        else tileSegments2x16(rowBase, 0, 4, segments, segmentCount, p, 64, ci, ldcBytes, false, false, 0);
      }
    }
  }
}

/** 1 when conv2dForward can do the 2x2 max pool after it inline for this shape, else 0. */
export function conv2dPoolsInline(height: i32, width: i32, kernel: i32): i32 {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  return oh > 0 && ow > 0 && (oh & 1) == 0 && (ow & 1) == 0 && 2 * ow <= MC ? 1 : 0;
}

/**
 * output[batch, oh, ow, outC] = act(A · weights + bias), act = ReLU when relu is 1, else the
 * identity. Overwrites output. When pooled is not 0, also does the 2x2 max pool that follows:
 * pooled and argmax as maxPool2x2Forward(output, pooled, argmax, batch, oh, ow, outC, 0) would
 * write them (requires oh and ow even and 2·ow <= 128). Loops as gemmNN: per K block, pack the weights' rows, then for
 * each block of MC rows build that block of A and sweep it; the bias and activation are applied
 * to a row block right after its last K block, while it is still in cache.
 */
export function conv2dForward(input: usize, weights: usize, bias: usize, output: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32, relu: i32, pooled: usize, argmax: usize): void {
  if (height < kernel || width < kernel || batch <= 0 || outChannels <= 0) return;
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  const rows = batch * oh * ow;
  // With a 2x2 max pool after it (pooled != 0; oh and ow even, 2·ow <= MC), row blocks are whole
  // pairs of output lines, pooled as soon as they are final, while they are still in cache.
  const pairRows = 2 * ow;
  const blockRows = pooled ? (MC / pairRows) * pairRows : MC;
  const depth = kernel * kernel * inChannels;
  const outBytes = <usize>outChannels << 2;
  const block = pack + (<usize>packedBFloats(depth, outChannels) << 2);
  const origins = originsAt(pack, height, width, inChannels, outChannels, kernel);
  const segments = origins + (<usize>max(MC, KC_TN) << 2);
  // Long runs and whole 16-column panels: A straight from the image, no im2col block to fill.
  const direct = kernel * inChannels >= DIRECT_RUN && (outChannels & 15) == 0;
  for (let k0 = 0; k0 < depth; k0 += KC) {
    const kc = min(KC, depth - k0);
    const last = k0 + kc >= depth;
    packRows(weights, outChannels, k0, kc, 0, outChannels, pack);
    const tail = pack + (<usize>(outChannels >> 4) * <usize>kc << 6);
    const lda = <usize>kc << 2;
    const segmentCount = direct ? runSegments(k0, kc, width, inChannels, kernel, segments) : 0;
    for (let r0 = 0; r0 < rows; r0 += blockRows) {
      const mb = min(blockRows, rows - r0);
      const c = output + <usize>r0 * outBytes;
      fillOrigins(origins, r0, mb, height, width, inChannels, kernel);
      if (direct) {
        sweepRows(input, origins, segments, segmentCount, pack, kc, c, mb, outChannels, k0 > 0);
      } else {
        im2colBlock(input, block, origins, r0, mb, k0, kc, height, width, inChannels, kernel);
        sweep(block, lda << 1, lda, 4, pack, <usize>kc << 6, 64, tail, kc, c, mb, outChannels, outChannels, k0 > 0);
      }
      if (last) {
        if (relu) biasReluForward(c, bias, mb, outChannels);
        else biasForward(c, bias, mb, outChannels);
        if (pooled) {
          const at = <usize>(r0 >> 2) * outBytes;
          maxPool2x2Forward(c, pooled + at, argmax + at, 1, mb / ow, ow, outChannels, r0 * outChannels);
        }
      }
    }
  }
}

/**
 * dweights[firstRow .. firstRow+rowCount, firstCol .. firstCol+colCount] += (Aᵀ · doutput) over
 * that window of the [depth, outC] weight matrix (one thread's share; 0, depth, 0, outC for all
 * of it). firstRow must be even and firstCol a multiple of 16 unless the window reaches the end.
 * Row `depth` may be included (rowCount up to depth + 1 - firstRow): it is the bias row, A = 1,
 * so the bias gradient (stored right after the weights' gradient, as Keras orders them) comes out
 * of the same sweep as Σ doutput over the pixels in order.
 * Loops as gemmTN: per K block of KC_TN output pixels, pack doutput's rows, then for each block
 * of MC patch entries pack Aᵀ straight from the image and sweep it, or, for a shallow layer,
 * sweep A in place in the image, pixel by pixel along output lines.
 */
export function conv2dBackwardWeights(input: usize, doutput: usize, dweights: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32, firstRow: i32, rowCount: i32, firstCol: i32, colCount: i32): void {
  if (height < kernel || width < kernel || batch <= 0 || rowCount <= 0 || colCount <= 0) return;
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  const ldBytes = <usize>outChannels << 2;
  const b = doutput + (<usize>firstCol << 2);
  const packA = pack + (<usize>packedBFloats(KC_TN, colCount) << 2);
  const direct = rowCount <= DIRECT_B_ROWS;
  const shallow = kernel * kernel * inChannels < PACK_A_DEPTH;
  const origins = originsAt(pack, height, width, inChannels, outChannels, kernel);
  const segments = origins + (<usize>max(MC, KC_TN) << 2);
  for (let k0 = 0; k0 < rows; k0 += KC_TN) {
    const kc = min(KC_TN, rows - k0);
    fillOrigins(origins, k0, kc, height, width, inChannels, kernel);
    // As gemmTN: with few rows of dW, doutput's full panels are read in place.
    packRows(b, outChannels, k0, kc, direct ? colCount & ~15 : 0, colCount, pack);
    const tail = pack + (<usize>(direct ? 0 : colCount >> 4) * <usize>kc << 6);
    const bBlock = direct ? b + <usize>k0 * ldBytes : pack;
    const bPanel: usize = direct ? 64 : <usize>kc << 6;
    const bStep: usize = direct ? ldBytes : 64;
    const segmentCount = shallow ? lineSegments(origins, kc, inChannels, segments) : 0;
    for (let i0 = firstRow; i0 < firstRow + rowCount; i0 += MC) {
      const mb = min(MC, firstRow + rowCount - i0);
      const c = dweights + <usize>i0 * ldBytes + (<usize>firstCol << 2);
      if (shallow) {
        sweepImage(input, segments, segmentCount, i0, mb, bBlock, bPanel, bStep, tail, kc, c, colCount, outChannels, width, inChannels, kernel);
      } else {
        packTransposedImage(input, origins, k0, kc, i0, mb, packA, height, width, inChannels, kernel);
        sweep(packA, <usize>kc << 3, 4, 8, bBlock, bPanel, bStep, tail, kc, c, mb, colCount, outChannels, true);
      }
    }
  }
}

/**
 * dinput[batch, height, width, inC] += col2im(doutput · weightsᵀ). Loops as gemmNT over blocks
 * of output pixels: each block's columns of input gradient are computed into the scratch and
 * scattered onto dinput at once, in row order, so they never leave the cache.
 */
export function conv2dBackwardInput(doutput: usize, weights: usize, dinput: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): void {
  if (height < kernel || width < kernel || batch <= 0 || outChannels <= 0) return;
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  const depth = kernel * kernel * inChannels;
  const blockRows = dcolsBlockRows(depth);
  const dcols = pack + (<usize>packedBFloats(outChannels, depth) << 2);
  const ldaBytes = <usize>outChannels << 2;
  const oneBlock = outChannels <= KC;
  const origins = originsAt(pack, height, width, inChannels, outChannels, kernel);
  if (oneBlock) packColumns(weights, outChannels, 0, outChannels, depth, pack);
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const mb = min(blockRows, rows - r0);
    for (let k0 = 0; k0 < outChannels; k0 += KC) {
      const kc = min(KC, outChannels - k0);
      if (!oneBlock) packColumns(weights, outChannels, k0, kc, depth, pack);
      const tail = pack + (<usize>(depth >> 4) * <usize>kc << 6);
      const a = doutput + <usize>r0 * ldaBytes + (<usize>k0 << 2);
      sweep(a, ldaBytes << 1, ldaBytes, 4, pack, <usize>kc << 6, 64, tail, kc, dcols, mb, depth, depth, k0 > 0);
    }
    fillOrigins(origins, r0, mb, height, width, inChannels, kernel);
    col2imRowsAdd(dcols, dinput, origins, r0, mb, height, width, inChannels, kernel);
  }
}
