// 2-D convolution as im2col + GEMM: valid padding, stride 1, square kernel, no bias (the caller
// fuses bias and ReLU afterwards).
//
// Layouts (all f32, pointers are byte offsets, sizes count elements):
//   input   [batch, height, width, inC]            NHWC
//   weights [kernel, kernel, inC, outC]            Keras; read as a [K, outC] matrix, K = kernel²·inC
//   output  [batch, oh, ow, outC]                  oh = height-kernel+1, ow = width-kernel+1
//   cols    [batch·oh·ow, K]                       row (b, oy, ox), columns ordered (ky, kx, c)
// With columns ordered (ky, kx, c), one (row, ky) of cols is kernel·inC floats that are contiguous
// in the NHWC input, so im2col and its adjoint are runs of straight SIMD copies/adds.
//
// `pack` is GEMM scratch (see gemm.ts) of at least gemmPackFloats(K, outC) floats for the forward
// pass, gemmPackFloats(batch·oh·ow, outC) for the weight gradient and gemmPackFloats(outC, K) for
// the input gradient.
import { gemmNN, gemmNT, gemmTN } from './gemm';

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
 * im2col writes its runs in order, so the next run overwrites what spilled; this keeps conv1's
 * 3- and 5-float runs (one channel) to one or two vector copies instead of a scalar loop.
 */
// @ts-ignore: decorator
@inline
function copyRunSpill(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 4) {
    v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
}

/**
 * cols[batch·oh·ow, kernel·kernel·channels] from input[batch, height, width, channels] (NHWC);
 * row (b, oy, ox), columns ordered (ky, kx, c). Overwrites cols and nothing past it.
 */
export function im2col(input: usize, cols: usize, batch: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  if (oh <= 0 || ow <= 0 || batch <= 0) return;
  const run = kernel * channels;
  const runBytes = <usize>run << 2;
  const rowBytes = <usize>width * <usize>channels << 2;
  // Runs that are not whole vectors spill into the next run; only the very last run of cols
  // (which would spill past cols, and read past input) is copied exactly.
  const spill = (run & 3) != 0;
  let dst = cols;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const line = input + <usize>(b * height + oy) * rowBytes;
      const lastLine = b == batch - 1 && oy == oh - 1;
      for (let ox = 0; ox < ow; ox++) {
        let src = line + (<usize>(ox * channels) << 2);
        if (spill && !(lastLine && ox == ow - 1)) {
          for (let ky = 0; ky < kernel; ky++) {
            copyRunSpill(src, dst, run);
            src += rowBytes;
            dst += runBytes;
          }
        } else {
          for (let ky = 0; ky < kernel; ky++) {
            copyRun(src, dst, run);
            src += rowBytes;
            dst += runBytes;
          }
        }
      }
    }
  }
}

/**
 * dinput[batch, height, width, channels] += the scatter of dcols[batch·oh·ow, kernel²·channels]
 * back onto the image: the adjoint of im2col (same layouts). Accumulates.
 */
export function col2imAdd(dcols: usize, dinput: usize, batch: i32, height: i32, width: i32, channels: i32, kernel: i32): void {
  const oh = height - kernel + 1;
  const ow = width - kernel + 1;
  if (oh <= 0 || ow <= 0) return;
  const run = kernel * channels;
  const runBytes = <usize>run << 2;
  const rowBytes = <usize>width * <usize>channels << 2;
  let src = dcols;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const line = dinput + <usize>(b * height + oy) * rowBytes;
      for (let ox = 0; ox < ow; ox++) {
        let dst = line + (<usize>(ox * channels) << 2);
        for (let ky = 0; ky < kernel; ky++) {
          addRun(src, dst, run);
          dst += rowBytes;
          src += runBytes;
        }
      }
    }
  }
}

/**
 * output[batch, oh, ow, outC] = im2col(input) · weights[kernel, kernel, inC, outC]; overwrites
 * output, no bias. cols ([batch·oh·ow, kernel²·inC]) is filled and kept for the weight gradient.
 */
export function conv2dForward(input: usize, weights: usize, output: usize, cols: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): void {
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  const depth = kernel * kernel * inChannels;
  im2col(input, cols, batch, height, width, inChannels, kernel);
  gemmNN(cols, weights, output, rows, depth, outChannels, depth, outChannels, outChannels, 0, pack);
}

/**
 * dweights[kernel, kernel, inC, outC] += colsᵀ · doutput[batch, oh, ow, outC], with cols as
 * conv2dForward left it.
 */
export function conv2dBackwardWeights(cols: usize, doutput: usize, dweights: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): void {
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  const depth = kernel * kernel * inChannels;
  gemmTN(cols, doutput, dweights, depth, rows, outChannels, depth, outChannels, outChannels, 1, pack);
}

/**
 * dinput[batch, height, width, inC] += col2im(doutput · weightsᵀ); dcols is scratch of
 * batch·oh·ow·kernel²·inC floats (overwritten).
 */
export function conv2dBackwardInput(doutput: usize, weights: usize, dcols: usize, dinput: usize, pack: usize, batch: i32, height: i32, width: i32, inChannels: i32, outChannels: i32, kernel: i32): void {
  const rows = batch * (height - kernel + 1) * (width - kernel + 1);
  const depth = kernel * kernel * inChannels;
  gemmNT(doutput, weights, dcols, rows, outChannels, depth, outChannels, outChannels, depth, 0, pack);
  col2imAdd(dcols, dinput, batch, height, width, inChannels, kernel);
}
