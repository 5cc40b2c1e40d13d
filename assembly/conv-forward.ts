// Convolution forward pass as an implicit GEMM (see conv-im2col.ts for the layouts): output =
// act(A · weights + bias), with A read in place in the image or built a block at a time, and an
// optional 2x2 max pool done on each block of output as soon as it is final.
import { KC, KC_TN, MC, packedBFloats, packRows, sweep } from './gemm';
import { maxPool2x2Forward } from './pool';
import { biasForward, biasReluForward } from './activation';
import { fillOrigins, im2colBlock, originsAt, tileSegments2x16 } from './conv-im2col';

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
export function conv2dPoolsInline(oh: i32, ow: i32): i32 {
  return oh > 0 && ow > 0 && (oh & 1) == 0 && (ow & 1) == 0 && 2 * ow <= MC ? 1 : 0;
}

/**
 * output[batch, oh, ow, outC] = act(A · weights + bias), act = ReLU when relu is 1, else the
 * identity, with windows `stride` pixels apart. Overwrites output. When pooled is not 0, also does the 2x2 max pool that follows:
 * pooled and argmax as maxPool2x2Forward(output, pooled, argmax, batch, oh, ow, outC, 0) would
 * write them (requires oh and ow even and 2·ow <= 128). Loops as gemmNN: per K block, pack the weights' rows, then for
 * each block of MC rows build that block of A and sweep it; the bias and activation are applied
 * to a row block right after its last K block, while it is still in cache.
 */
export function conv2dForward(input: usize, weights: usize, bias: usize, output: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, oh: i32, ow: i32, outChannels: i32, kernel: i32, stride: i32, relu: i32, pooled: usize, argmax: usize): void {
  if (batch <= 0 || oh <= 0 || ow <= 0 || outChannels <= 0) return;
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
      fillOrigins(origins, r0, mb, height, width, inChannels, oh, ow, stride);
      if (direct) {
        sweepRows(input, origins, segments, segmentCount, pack, kc, c, mb, outChannels, k0 > 0);
      } else {
        im2colBlock(input, block, origins, r0, mb, k0, kc, height, width, inChannels, oh, ow, kernel, stride);
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
