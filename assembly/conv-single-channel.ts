// Convolution of a one-channel image (a first layer on grey images): valid padding, stride 1,
// outC a multiple of 16. With one input channel the im2col matrix has only kernel² columns, so
// the implicit GEMM (conv-forward.ts) spends more on stores and packing than on multiply-adds;
// these kernels run the definition directly instead, with the filters in registers' lanes. Both
// keep 8 accumulators, 4 vectors of one operand and 2 broadcasts of the other live: 14 of V8's
// ~15 usable xmm registers (../shared/WASM-NOTES.md), 6 loads per 8 multiply-adds.
//   forward: per pair of output pixels and 16 filters, kernel² taps; pairs go in 2x2 blocks, the
//            pooling windows, so the 2x2 max pool that follows (when fused) costs 8 loads a block
//   weights: per image, a partial gradient (kernel² taps + the bias row, by outC), two rows by 16
//            filters per pass over the image's pixels; conv2dSumPartials then adds the images'
//            partials in image order, so the result does not depend on how threads shared images
// Layouts as conv-im2col.ts: input [batch, height, width, 1], weights [kernel, kernel, 1, outC],
// output [batch, oh, ow, outC].
import { madd, reluLanes } from './simd';

/** A constant 1.0 for the bias row's "tap" (read in place of an input pixel, never advanced). */
const ONE: usize = memory.data<f32>([1, 1, 1, 1]);

/** 1 when these kernels take a layer of this shape. */
export function conv2dSingleChannelFits(inChannels: i32, outChannels: i32): i32 {
  return inChannels == 1 && outChannels > 0 && (outChannels & 15) == 0 ? 1 : 0;
}

/**
 * output = act(conv(input, weights) + bias), act = ReLU when relu = 1. With pooled (and argmax)
 * not 0, also the 2x2 max pool of the output as maxPool2x2Forward(output, pooled, argmax, batch,
 * oh, ow, outC, 0) would write it (oh and ow even); with pooled but argmax 0 (inference), only
 * the pooled maxima, the same values, and output is neither written nor needed (it may be 0).
 * Works in 2x2 blocks of output pixels, the pooling windows: the upper pair is computed and
 * stored, then the lower pair, whose registers are pooled with the upper pair read back from
 * cache. An odd height repeats its last row (the same values stored twice); an odd width's last
 * pixel is computed alone.
 */
export function conv2dSingleChannelForward(input: usize, weights: usize, bias: usize, output: usize, batch: i32, height: i32, width: i32, oh: i32, ow: i32, outC: i32, kernel: i32, relu: i32, pooled: usize, argmax: usize): void {
  const rowBytes = <usize>width << 2;
  const pixelBytes = <usize>outC << 2; // one output pixel, and the weights of one tap
  const rowSkip = <usize>(width - kernel) << 2; // from past a patch row's end to the next row's start
  const outRowBytes = <usize>ow * pixelBytes;
  const lanes = i32x4(0, 1, 2, 3);
  const right = i32x4.splat(outC); // element offsets in a pooling window
  const down = i32x4.splat(ow * outC);
  const downRight = i32x4.splat(ow * outC + outC);
  // Inference: only the pooled maxima are needed, not the output nor where the maxima were.
  const pooledOnly = pooled != 0 && argmax == 0;
  for (let b = 0; b < batch; b++) {
    const image = input + <usize>(b * height) * rowBytes;
    for (let y0 = 0; y0 < oh; y0 += 2) {
      const rowsInBlock = y0 + 1 < oh ? 2 : 1;
      const upperOut = output + <usize>(b * oh + y0) * outRowBytes;
      let x = 0;
      for (; x + 1 < ow; x += 2) {
        for (let g = 0; g < outC; g += 16) {
          const gb = <usize>g << 2;
          const b0 = v128.load(bias + gb), b1 = v128.load(bias + gb, 16), b2 = v128.load(bias + gb, 32), b3 = v128.load(bias + gb, 48);
          let c00 = b0, c01 = b1, c02 = b2, c03 = b3, c10 = b0, c11 = b1, c12 = b2, c13 = b3;
          const o = upperOut + <usize>x * pixelBytes + gb;
          for (let r = 0; r < 2; r++) {
            // r = 1 is the lower row (the upper one again when the height is odd).
            const yr = r < rowsInBlock ? r : 0;
            c00 = b0; c01 = b1; c02 = b2; c03 = b3; c10 = b0; c11 = b1; c12 = b2; c13 = b3;
            // One loop over all kernel² taps (short nested loops cost more than the multiply-adds
            // here): p steps along a patch row, and to the next row's start after its last tap.
            let w = weights + gb;
            const wEnd = w + <usize>(kernel * kernel) * pixelBytes;
            let p = image + <usize>(y0 + yr) * rowBytes + (<usize>x << 2);
            let kx = 0;
            while (w < wEnd) {
              const a0 = v128.load32_splat(p), a1 = v128.load32_splat(p, 4);
              const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
              c00 = madd(a0, w0, c00); c01 = madd(a0, w1, c01); c02 = madd(a0, w2, c02); c03 = madd(a0, w3, c03);
              c10 = madd(a1, w0, c10); c11 = madd(a1, w1, c11); c12 = madd(a1, w2, c12); c13 = madd(a1, w3, c13);
              w += pixelBytes;
              p += 4;
              if (++kx == kernel) {
                kx = 0;
                p += rowSkip;
              }
            }
            if (relu) {
              c00 = reluLanes(c00); c01 = reluLanes(c01); c02 = reluLanes(c02); c03 = reluLanes(c03);
              c10 = reluLanes(c10); c11 = reluLanes(c11); c12 = reluLanes(c12); c13 = reluLanes(c13);
            }
            if (pooledOnly) {
              // The window's maximum so far, in window order (as poolWindow takes it), in pooled itself.
              const q = pooled + pooledAt(b, y0, x, g, oh, ow, outC);
              if (r == 0) {
                v128.store(q, f32x4.pmax(c00, c10)); v128.store(q, f32x4.pmax(c01, c11), 16);
                v128.store(q, f32x4.pmax(c02, c12), 32); v128.store(q, f32x4.pmax(c03, c13), 48);
              } else {
                v128.store(q, f32x4.pmax(f32x4.pmax(v128.load(q), c00), c10)); v128.store(q, f32x4.pmax(f32x4.pmax(v128.load(q, 16), c01), c11), 16);
                v128.store(q, f32x4.pmax(f32x4.pmax(v128.load(q, 32), c02), c12), 32); v128.store(q, f32x4.pmax(f32x4.pmax(v128.load(q, 48), c03), c13), 48);
              }
              continue;
            }
            const out = o + <usize>yr * outRowBytes;
            v128.store(out, c00); v128.store(out, c01, 16); v128.store(out, c02, 32); v128.store(out, c03, 48);
            const out1 = out + pixelBytes;
            v128.store(out1, c10); v128.store(out1, c11, 16); v128.store(out1, c12, 32); v128.store(out1, c13, 48);
          }
          if (pooled && !pooledOnly) {
            // Window order (y0,x), (y0,x+1), (y0+1,x), (y0+1,x+1); strict '>' keeps the first maximum.
            const first = ((b * oh + y0) * ow + x) * outC + g;
            const at = pooledAt(b, y0, x, g, oh, ow, outC);
            poolWindow(o, pixelBytes, c00, c10, i32x4.add(i32x4.splat(first), lanes), right, down, downRight, pooled + at, argmax + at);
            poolWindow(o + 16, pixelBytes, c01, c11, i32x4.add(i32x4.splat(first + 4), lanes), right, down, downRight, pooled + at + 16, argmax + at + 16);
            poolWindow(o + 32, pixelBytes, c02, c12, i32x4.add(i32x4.splat(first + 8), lanes), right, down, downRight, pooled + at + 32, argmax + at + 32);
            poolWindow(o + 48, pixelBytes, c03, c13, i32x4.add(i32x4.splat(first + 12), lanes), right, down, downRight, pooled + at + 48, argmax + at + 48);
          }
        }
      }
      if (x < ow) {
        // An odd width's last pixel alone (no pooling: the width is odd).
        for (let g = 0; g < outC; g += 16) {
          const gb = <usize>g << 2;
          for (let r = 0; r < rowsInBlock; r++) {
            let c0 = v128.load(bias + gb), c1 = v128.load(bias + gb, 16), c2 = v128.load(bias + gb, 32), c3 = v128.load(bias + gb, 48);
            let w = weights + gb;
            for (let ky = 0; ky < kernel; ky++) {
              const row = image + <usize>(y0 + r + ky) * rowBytes + (<usize>x << 2);
              for (let kx = 0; kx < kernel; kx++) {
                const a = v128.load32_splat(row + (<usize>kx << 2));
                c0 = madd(a, v128.load(w), c0); c1 = madd(a, v128.load(w, 16), c1); c2 = madd(a, v128.load(w, 32), c2); c3 = madd(a, v128.load(w, 48), c3);
                w += pixelBytes;
              }
            }
            if (relu) {
              c0 = reluLanes(c0); c1 = reluLanes(c1); c2 = reluLanes(c2); c3 = reluLanes(c3);
            }
            const out = upperOut + <usize>r * outRowBytes + <usize>x * pixelBytes + gb;
            v128.store(out, c0); v128.store(out, c1, 16); v128.store(out, c2, 32); v128.store(out, c3, 48);
          }
        }
      }
    }
  }
}

/** Byte offset in pooled of the window whose upper left output pixel is (b, y0, x), filter g. */
// @ts-ignore: decorator
@inline
function pooledAt(b: i32, y0: i32, x: i32, g: i32, oh: i32, ow: i32, outC: i32): usize {
  return <usize>(((b * (oh >> 1) + (y0 >> 1)) * (ow >> 1) + (x >> 1)) * outC + g) << 2;
}

/**
 * Pools one 2x2 window for 4 filters: the upper pixels read back from upper and upper + pixelBytes
 * (stored just before), the lower ones still in registers; index is the upper left's element index.
 * pmax(best, v) is `v > best ? v : best`, the strict '>' that keeps the first maximum; the winner's
 * offset is the largest of the offsets whose comparison held, as the offsets grow in window order.
 */
// @ts-ignore: decorator
@inline
function poolWindow(upper: usize, pixelBytes: usize, lowerLeft: v128, lowerRight: v128, index: v128, right: v128, down: v128, downRight: v128, pooled: usize, argmax: usize): void {
  const upperRight = v128.load(upper + pixelBytes);
  let best = v128.load(upper);
  const toRight = v128.and(f32x4.lt(best, upperRight), right);
  best = f32x4.pmax(best, upperRight);
  const toDown = v128.and(f32x4.lt(best, lowerLeft), down);
  best = f32x4.pmax(best, lowerLeft);
  const toDownRight = v128.and(f32x4.lt(best, lowerRight), downRight);
  best = f32x4.pmax(best, lowerRight);
  v128.store(pooled, best);
  v128.store(argmax, i32x4.add(index, i32x4.max_u(i32x4.max_u(toRight, toDown), toDownRight)));
}

/**
 * partial[b, t, f] = Σ over image b's output pixels of A[pixel, t]·doutput[pixel, f], for the
 * kernel² taps t (A[pixel, t] the input pixel under tap t) and, when biasRow = 1, t = kernel² with
 * A = 1 (the bias gradient). Overwrites partial: batch × (kernel² + biasRow) × outC floats.
 */
export function conv2dSingleChannelPartials(input: usize, doutput: usize, partial: usize, batch: i32, height: i32, width: i32, oh: i32, ow: i32, outC: i32, kernel: i32, biasRow: i32): void {
  const taps = kernel * kernel;
  const rows = taps + biasRow;
  const rowBytes = <usize>width << 2;
  const pixelBytes = <usize>outC << 2;
  for (let b = 0; b < batch; b++) {
    const image = input + (<usize>(b * height * width) << 2);
    const grad = doutput + (<usize>(b * oh * ow * outC) << 2);
    const out = partial + (<usize>(b * rows * outC) << 2);
    for (let t = 0; t < rows; t += 2) {
      // Two rows per pass; an odd count's last pass computes its row twice. A tap reads the input
      // pixel at its offset from each output pixel, stepping 4 bytes per pixel and a row's worth
      // at each row's end; the bias row reads ONE and never steps.
      const t1 = min(t + 1, rows - 1);
      const isBias0 = t >= taps, isBias1 = t1 >= taps;
      const start0 = isBias0 ? ONE : image + <usize>(t / kernel) * rowBytes + (<usize>(t % kernel) << 2);
      const start1 = isBias1 ? ONE : image + <usize>(t1 / kernel) * rowBytes + (<usize>(t1 % kernel) << 2);
      const step0: usize = isBias0 ? 0 : 4, step1: usize = isBias1 ? 0 : 4;
      const rowSkip0: usize = isBias0 ? 0 : <usize>(width - ow) << 2, rowSkip1: usize = isBias1 ? 0 : <usize>(width - ow) << 2;
      for (let g = 0; g < outC; g += 16) {
        let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        let p0 = start0, p1 = start1;
        let d = grad + (<usize>g << 2);
        for (let y = 0; y < oh; y++) {
          for (let x = 0; x < ow; x++) {
            const d0 = v128.load(d), d1 = v128.load(d, 16), d2 = v128.load(d, 32), d3 = v128.load(d, 48);
            const a0 = v128.load32_splat(p0);
            c00 = madd(a0, d0, c00); c01 = madd(a0, d1, c01); c02 = madd(a0, d2, c02); c03 = madd(a0, d3, c03);
            const a1 = v128.load32_splat(p1);
            c10 = madd(a1, d0, c10); c11 = madd(a1, d1, c11); c12 = madd(a1, d2, c12); c13 = madd(a1, d3, c13);
            p0 += step0;
            p1 += step1;
            d += pixelBytes;
          }
          p0 += rowSkip0;
          p1 += rowSkip1;
        }
        const r0 = out + (<usize>(t * outC + g) << 2);
        const r1 = out + (<usize>(t1 * outC + g) << 2);
        v128.store(r0, c00); v128.store(r0, c01, 16); v128.store(r0, c02, 32); v128.store(r0, c03, 48);
        v128.store(r1, c10); v128.store(r1, c11, 16); v128.store(r1, c12, 32); v128.store(r1, c13, 48);
      }
    }
  }
}

/**
 * dweights[i] += Σ_b partial[b·stride + i] for i < count, adding the images' partials in image
 * order (first .. first + count of each partial's `stride` floats; a thread takes a range of i).
 */
export function conv2dSumPartials(partial: usize, dweights: usize, batch: i32, count: i32, stride: i32): void {
  const strideBytes = <usize>stride << 2;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const off = <usize>i << 2;
    let sum = v128.load(dweights + off);
    let p = partial + off;
    for (let b = 0; b < batch; b++) {
      sum = f32x4.add(sum, v128.load(p));
      p += strideBytes;
    }
    v128.store(dweights + off, sum);
  }
  for (; i < count; i++) {
    const off = <usize>i << 2;
    let sum = load<f32>(dweights + off);
    for (let b = 0; b < batch; b++) sum += load<f32>(partial + off + <usize>b * strideBytes);
    store<f32>(dweights + off, sum);
  }
}
