// Convolution backward passes as implicit GEMMs (see conv-im2col.ts for the layouts): the weight
// (and bias) gradient Aᵀ · doutput, with Aᵀ packed straight from the image or read in place, and
// the input gradient col2im(doutput · weightsᵀ), scattered a cache-sized block at a time.
import { DIRECT_B_ROWS, KC, KC_TN, MC, packColumns, packedBFloats, packRows, sweep } from './gemm';
import { col2imRowsAdd, dcolsBlockRows, fillOrigins, originsAt, tileSegments2x16 } from './conv-im2col';

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
 * Layers with fewer patch entries than this read A straight from the image in the weight
 * gradient instead of packing Aᵀ (as gemmTN reads a short-rowed stored A in place): packing an
 * entry costs about as much as the 2·outC multiply-adds it feeds when outC is 32.
 */
const PACK_A_DEPTH: i32 = 512;

/**
 * Splits the K block's pixels (origins: its fillOrigins table, kc entries) into segments along
 * output lines, where each pixel's patch starts `step` floats (stride · channels) after the
 * previous one: writes (origin of the segment's first pixel, length) pairs at segments (as
 * tileSegments2x16 reads them) and returns how many.
 */
function lineSegments(origins: usize, kc: i32, step: i32, segments: usize): i32 {
  let count = 0;
  let start = 0;
  for (let kk = 1; kk <= kc; kk++) {
    if (kk == kc || load<i32>(origins + (<usize>kk << 2)) != load<i32>(origins + (<usize>(kk - 1) << 2)) + step) {
      store<i32>(segments + (<usize>count << 3), load<i32>(origins + (<usize>start << 2)));
      store<i32>(segments + (<usize>count << 3), kk - start, 4);
      count++;
      start = kk;
    }
  }
  return count;
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
function sweepImage(input: usize, segments: usize, segmentCount: i32, i0: i32, mb: i32, b: usize, bPanel: usize, bStep: usize, tail: usize, kc: i32, c: usize, colCount: i32, ldc: i32, width: i32, channels: i32, kernel: i32, stride: i32): void {
  const ldcBytes = <usize>ldc << 2;
  // From one pixel's window to the next one's along an output line.
  const pixelBytes = <usize>(stride * channels) << 2;
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
export function conv2dBackwardWeights(input: usize, doutput: usize, dweights: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, oh: i32, ow: i32, outChannels: i32, kernel: i32, stride: i32, firstRow: i32, rowCount: i32, firstCol: i32, colCount: i32): void {
  if (batch <= 0 || oh <= 0 || ow <= 0 || rowCount <= 0 || colCount <= 0) return;
  const rows = batch * oh * ow;
  const ldBytes = <usize>outChannels << 2;
  const b = doutput + (<usize>firstCol << 2);
  const packA = pack + (<usize>packedBFloats(KC_TN, colCount) << 2);
  const direct = rowCount <= DIRECT_B_ROWS;
  const shallow = kernel * kernel * inChannels < PACK_A_DEPTH;
  const origins = originsAt(pack, height, width, inChannels, outChannels, kernel);
  const segments = origins + (<usize>max(MC, KC_TN) << 2);
  for (let k0 = 0; k0 < rows; k0 += KC_TN) {
    const kc = min(KC_TN, rows - k0);
    fillOrigins(origins, k0, kc, height, width, inChannels, oh, ow, stride);
    // As gemmTN: with few rows of dW, doutput's full panels are read in place.
    packRows(b, outChannels, k0, kc, direct ? colCount & ~15 : 0, colCount, pack);
    const tail = pack + (<usize>(direct ? 0 : colCount >> 4) * <usize>kc << 6);
    const bBlock = direct ? b + <usize>k0 * ldBytes : pack;
    const bPanel: usize = direct ? 64 : <usize>kc << 6;
    const bStep: usize = direct ? ldBytes : 64;
    const segmentCount = shallow ? lineSegments(origins, kc, stride * inChannels, segments) : 0;
    for (let i0 = firstRow; i0 < firstRow + rowCount; i0 += MC) {
      const mb = min(MC, firstRow + rowCount - i0);
      const c = dweights + <usize>i0 * ldBytes + (<usize>firstCol << 2);
      if (shallow) {
        sweepImage(input, segments, segmentCount, i0, mb, bBlock, bPanel, bStep, tail, kc, c, colCount, outChannels, width, inChannels, kernel, stride);
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
export function conv2dBackwardInput(doutput: usize, weights: usize, dinput: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, oh: i32, ow: i32, outChannels: i32, kernel: i32, stride: i32): void {
  if (batch <= 0 || oh <= 0 || ow <= 0 || outChannels <= 0) return;
  const rows = batch * oh * ow;
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
    fillOrigins(origins, r0, mb, height, width, inChannels, oh, ow, stride);
    col2imRowsAdd(dcols, dinput, origins, r0, mb, height, width, inChannels, oh, ow, kernel, stride);
  }
}
