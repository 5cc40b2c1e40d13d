// Zero padding for 'same' convolutions, as a copy: the input into the middle of a zero-bordered
// image, over which every convolution algorithm (implicit GEMM, one-channel, Winograd) then runs
// as a valid one, unchanged; and the crop that is its adjoint, taking the input gradient back out
// of the padded one. The copy costs one pass over the input; the kernels it saves would each need
// bounds tests in their inner loops. Layouts NHWC: input [batch, height, width, channels], padded
// [batch, paddedHeight, paddedWidth, channels] with the image at rows top.., columns left..
import { copyRun } from './conv-im2col';

/** dst[0..count) = 0, 4 floats at a time. */
// @ts-ignore: decorator
@inline
function zeroRun(dst: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) v128.store(dst + (<usize>i << 2), f32x4.splat(0));
  for (; i < count; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/**
 * padded[b, top + y, left + x, c] = input[b, y, x, c], zero everywhere else (the border is
 * rewritten every call: the layer reuses the padded buffer for the padded input gradient).
 * Overwrites all of padded.
 */
export function zeroPad2d(input: usize, padded: usize, batch: i32, height: i32, width: i32, channels: i32, paddedHeight: i32, paddedWidth: i32, top: i32, left: i32): void {
  const line = width * channels;
  const paddedLine = paddedWidth * channels;
  const before = left * channels;
  const after = paddedLine - before - line;
  let src = input;
  let dst = padded;
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < paddedHeight; y++) {
      if (y < top || y >= top + height) {
        zeroRun(dst, paddedLine);
      } else {
        zeroRun(dst, before);
        copyRun(src, dst + (<usize>before << 2), line);
        zeroRun(dst + (<usize>(before + line) << 2), after);
        src += <usize>line << 2;
      }
      dst += <usize>paddedLine << 2;
    }
  }
}

/** output[b, y, x, c] = padded[b, top + y, left + x, c]: zeroPad2d's adjoint. Overwrites output. */
export function crop2d(padded: usize, output: usize, batch: i32, height: i32, width: i32, channels: i32, paddedHeight: i32, paddedWidth: i32, top: i32, left: i32): void {
  const line = width * channels;
  const paddedLine = paddedWidth * channels;
  let dst = output;
  for (let b = 0; b < batch; b++) {
    let src = padded + (<usize>((b * paddedHeight + top) * paddedLine + left * channels) << 2);
    for (let y = 0; y < height; y++) {
      copyRun(src, dst, line);
      src += <usize>paddedLine << 2;
      dst += <usize>line << 2;
    }
  }
}
