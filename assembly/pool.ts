// Max pooling, 2x2 window, stride 2, NHWC. Odd heights/widths drop the last row/column, as
// Keras 'valid' does. The forward pass saves, per output element, the i32 element index into the
// input of the window's maximum; the backward pass writes each window whole from it. Windows do not
// overlap, so each input element receives at most one gradient.

/**
 * output[b, oy, ox, c] = max of input[b, 2oy..2oy+1, 2ox..2ox+1, c], with oh = height>>1,
 * ow = width>>1. argmax[same index] = element index (not bytes) into input of that maximum; ties
 * go to the first in window order (0,0),(0,1),(1,0),(1,1).
 * input: f32[batch, height, width, channels]; output: f32 and argmax: i32 [batch, oh, ow, channels].
 * indexBase is added to every argmax (0 normally; a convolution pooling one block of its output
 * at a time passes the block's offset, so indices stay relative to the whole call).
 */
export function maxPool2x2Forward(input: usize, output: usize, argmax: usize, batch: i32, height: i32, width: i32, channels: i32, indexBase: i32): void {
  const oh = height >> 1;
  const ow = width >> 1;
  const rowStride = width * channels; // elements between input rows
  let o: i32 = 0; // output element index
  if ((channels & 3) == 0) {
    // Four channels at a time: strict '>' with bitselect keeps the first maximum, as the scalar path.
    const lane = i32x4(0, 1, 2, 3);
    const cv = i32x4.splat(channels);
    const rv = i32x4.splat(rowStride);
    for (let b = 0; b < batch; b++) {
      for (let oy = 0; oy < oh; oy++) {
        let base = (b * height + 2 * oy) * rowStride; // element index of (b, 2oy, 0, 0)
        for (let ox = 0; ox < ow; ox++) {
          for (let c = 0; c < channels; c += 4) {
            const i00 = base + c;
            const p = input + (<usize>i00 << 2);
            let best = v128.load(p);
            const v01 = v128.load(p + (<usize>channels << 2));
            const v10 = v128.load(p + (<usize>rowStride << 2));
            const v11 = v128.load(p + (<usize>(rowStride + channels) << 2));
            const x00 = i32x4.add(i32x4.splat(i00), lane);
            let idx = x00;
            let gt = f32x4.gt(v01, best);
            best = v128.bitselect(v01, best, gt);
            idx = v128.bitselect(i32x4.add(x00, cv), idx, gt);
            gt = f32x4.gt(v10, best);
            best = v128.bitselect(v10, best, gt);
            idx = v128.bitselect(i32x4.add(x00, rv), idx, gt);
            gt = f32x4.gt(v11, best);
            best = v128.bitselect(v11, best, gt);
            idx = v128.bitselect(i32x4.add(i32x4.add(x00, rv), cv), idx, gt);
            v128.store(output + (<usize>o << 2), best);
            v128.store(argmax + (<usize>o << 2), i32x4.add(idx, i32x4.splat(indexBase)));
            o += 4;
          }
          base += 2 * channels;
        }
      }
    }
    return;
  }
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      let base = (b * height + 2 * oy) * rowStride;
      for (let ox = 0; ox < ow; ox++) {
        for (let c = 0; c < channels; c++) {
          const i00 = base + c;
          let bi = i00;
          let best = load<f32>(input + (<usize>i00 << 2));
          let i = i00 + channels;
          let v = load<f32>(input + (<usize>i << 2));
          if (v > best) { best = v; bi = i; }
          i = i00 + rowStride;
          v = load<f32>(input + (<usize>i << 2));
          if (v > best) { best = v; bi = i; }
          i = i00 + rowStride + channels;
          v = load<f32>(input + (<usize>i << 2));
          if (v > best) { best = v; bi = i; }
          store<f32>(output + (<usize>o << 2), best);
          store<i32>(argmax + (<usize>o << 2), bi + indexBase);
          o++;
        }
        base += 2 * channels;
      }
    }
  }
}

/**
 * dinput = the gradient of maxPool2x2Forward: dinput[argmax[o]] = doutput[o] for every output
 * element o, and 0 everywhere else (the other three elements of each window, and the last row or
 * column that an odd size drops). Overwrites all of dinput[batch, height, width, channels], so it
 * needs no zeroing first. argmax as maxPool2x2Forward wrote it for this same batch slice.
 *
 * positiveOf, when not 0, is this pool's forward output (f32, like doutput) and the pool also
 * applies the backward of a ReLU before it: a window's gradient is kept only where its maximum is
 * > 0, which for a ReLU output is exactly where the ReLU passed (the input at argmax is that
 * maximum), so the ReLU's own pass over the 4x larger input gradient is not needed. An in-place
 * dropout may have scaled the output since; it multiplies by 0 (where the gradient is 0 anyway)
 * or by a positive factor, so the test still holds.
 *
 * gradientMask, when not 0, is the mask of a dropout applied in place to this pool's output: the
 * incoming gradient is multiplied by it here (the dropout's own backward pass is skipped).
 */
export function maxPool2x2Backward(doutput: usize, argmax: usize, dinput: usize, batch: i32, height: i32, width: i32, channels: i32, positiveOf: usize, gradientMask: usize): void {
  const oh = height >> 1;
  const ow = width >> 1;
  const rowStride = width * channels;
  let o: i32 = 0;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      let base = (b * height + 2 * oy) * rowStride;
      for (let ox = 0; ox < ow; ox++) {
        let c = 0;
        if ((channels & 3) == 0) {
          const lane = i32x4(0, 1, 2, 3);
          for (; c < channels; c += 4) {
            const i00 = base + c;
            const x00 = i32x4.add(i32x4.splat(i00), lane);
            const at = v128.load(argmax + (<usize>o << 2));
            let d = v128.load(doutput + (<usize>o << 2));
            if (gradientMask) d = f32x4.mul(d, v128.load(gradientMask + (<usize>o << 2)));
            if (positiveOf) d = v128.and(d, f32x4.gt(v128.load(positiveOf + (<usize>o << 2)), f32x4.splat(0)));
            const p = dinput + (<usize>i00 << 2);
            v128.store(p, v128.and(d, i32x4.eq(at, x00)));
            v128.store(p + (<usize>channels << 2), v128.and(d, i32x4.eq(at, i32x4.add(x00, i32x4.splat(channels)))));
            v128.store(p + (<usize>rowStride << 2), v128.and(d, i32x4.eq(at, i32x4.add(x00, i32x4.splat(rowStride)))));
            v128.store(p + (<usize>(rowStride + channels) << 2), v128.and(d, i32x4.eq(at, i32x4.add(x00, i32x4.splat(rowStride + channels)))));
            o += 4;
          }
        }
        for (; c < channels; c++) {
          const i00 = base + c;
          const at = load<i32>(argmax + (<usize>o << 2));
          let d = load<f32>(doutput + (<usize>o << 2));
          if (gradientMask) d *= load<f32>(gradientMask + (<usize>o << 2));
          if (positiveOf && !(load<f32>(positiveOf + (<usize>o << 2)) > 0)) d = 0;
          store<f32>(dinput + (<usize>i00 << 2), at == i00 ? d : 0);
          store<f32>(dinput + (<usize>(i00 + channels) << 2), at == i00 + channels ? d : 0);
          store<f32>(dinput + (<usize>(i00 + rowStride) << 2), at == i00 + rowStride ? d : 0);
          store<f32>(dinput + (<usize>(i00 + rowStride + channels) << 2), at == i00 + rowStride + channels ? d : 0);
          o++;
        }
        base += 2 * channels;
      }
      // An odd width drops each row pair's last column.
      if (width & 1) {
        for (let r = 0; r < 2; r++) {
          const q = dinput + (<usize>((b * height + 2 * oy + r) * rowStride + (width - 1) * channels) << 2);
          for (let cc = 0; cc < channels; cc++) store<f32>(q + (<usize>cc << 2), 0);
        }
      }
    }
    // An odd height drops the image's last row.
    if (height & 1) {
      const q = dinput + (<usize>((b * height + height - 1) * rowStride) << 2);
      for (let i = 0; i < rowStride; i++) store<f32>(q + (<usize>i << 2), 0);
    }
  }
}

// ---- Average pooling, pool x pool windows every `stride` pixels, 'valid' (windows that would run
// past the edge are dropped, as Keras does), NHWC. oh, ow: the layer's output size.

/** out[0..channels) = Σ of the window's pixels at src (rows rowStride floats apart) × scale. */
// @ts-ignore: decorator
@inline
function windowMean(src: usize, out: usize, channels: i32, pool: i32, rowStride: i32, scale: f32): void {
  let c = 0;
  const vscale = f32x4.splat(scale);
  for (; c + 4 <= channels; c += 4) {
    let sum = f32x4.splat(0);
    for (let py = 0; py < pool; py++) {
      const row = src + (<usize>(py * rowStride + c) << 2);
      for (let px = 0; px < pool; px++) sum = f32x4.add(sum, v128.load(row + (<usize>(px * channels) << 2)));
    }
    v128.store(out + (<usize>c << 2), f32x4.mul(sum, vscale));
  }
  for (; c < channels; c++) {
    let sum: f32 = 0;
    for (let py = 0; py < pool; py++) {
      for (let px = 0; px < pool; px++) sum += load<f32>(src + (<usize>(py * rowStride + px * channels + c) << 2));
    }
    store<f32>(out + (<usize>c << 2), sum * scale);
  }
}

/**
 * output[b, oy, ox, c] = mean of input[b, oy·stride .. +pool, ox·stride .. +pool, c].
 * input: f32[batch, height, width, channels]; output: f32[batch, oh, ow, channels].
 */
export function averagePool2dForward(input: usize, output: usize, batch: i32, height: i32, width: i32, channels: i32, pool: i32, stride: i32, oh: i32, ow: i32): void {
  const rowStride = width * channels;
  const scale = <f32>(1.0 / <f64>(pool * pool));
  let o: usize = output;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const src = input + (<usize>(((b * height + oy * stride) * width + ox * stride) * channels) << 2);
        windowMean(src, o, channels, pool, rowStride, scale);
        o += <usize>channels << 2;
      }
    }
  }
}

/**
 * dinput = the gradient of averagePool2dForward: every input pixel of a window receives
 * doutput / pool², summed over the windows it belongs to (they overlap when stride < pool);
 * pixels in no window (the edge 'valid' drops) get 0. Overwrites all of dinput.
 */
export function averagePool2dBackward(doutput: usize, dinput: usize, batch: i32, height: i32, width: i32, channels: i32, pool: i32, stride: i32, oh: i32, ow: i32): void {
  memory.fill(dinput, 0, <usize>batch * <usize>height * <usize>width * <usize>channels << 2);
  const rowStride = width * channels;
  const scale = <f32>(1.0 / <f64>(pool * pool));
  const vscale = f32x4.splat(scale);
  let o: usize = doutput;
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dst = dinput + (<usize>(((b * height + oy * stride) * width + ox * stride) * channels) << 2);
        let c = 0;
        for (; c + 4 <= channels; c += 4) {
          const d = f32x4.mul(v128.load(o + (<usize>c << 2)), vscale);
          for (let py = 0; py < pool; py++) {
            const row = dst + (<usize>(py * rowStride + c) << 2);
            for (let px = 0; px < pool; px++) {
              const p = row + (<usize>(px * channels) << 2);
              v128.store(p, f32x4.add(v128.load(p), d));
            }
          }
        }
        for (; c < channels; c++) {
          const d = load<f32>(o + (<usize>c << 2)) * scale;
          for (let py = 0; py < pool; py++) {
            for (let px = 0; px < pool; px++) {
              const p = dst + (<usize>(py * rowStride + px * channels + c) << 2);
              store<f32>(p, load<f32>(p) + d);
            }
          }
        }
        o += <usize>channels << 2;
      }
    }
  }
}

// ---- Global average pooling: the mean over all pixels of each channel, NHWC.

/** output[b, c] = mean over the `pixels` pixels of input[b, ·, c]. input: f32[batch, pixels, channels]. */
export function globalAveragePool2dForward(input: usize, output: usize, batch: i32, pixels: i32, channels: i32): void {
  const scale = <f32>(1.0 / <f64>pixels);
  for (let b = 0; b < batch; b++) {
    const src = input + (<usize>(b * pixels * channels) << 2);
    const out = output + (<usize>(b * channels) << 2);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      let sum = f32x4.splat(0);
      for (let p = 0; p < pixels; p++) sum = f32x4.add(sum, v128.load(src + (<usize>(p * channels + c) << 2)));
      v128.store(out + (<usize>c << 2), f32x4.mul(sum, f32x4.splat(scale)));
    }
    for (; c < channels; c++) {
      let sum: f32 = 0;
      for (let p = 0; p < pixels; p++) sum += load<f32>(src + (<usize>(p * channels + c) << 2));
      store<f32>(out + (<usize>c << 2), sum * scale);
    }
  }
}

/** dinput[b, p, c] = doutput[b, c] / pixels for every pixel p (overwrites dinput). */
export function globalAveragePool2dBackward(doutput: usize, dinput: usize, batch: i32, pixels: i32, channels: i32): void {
  const scale = <f32>(1.0 / <f64>pixels);
  for (let b = 0; b < batch; b++) {
    const d = doutput + (<usize>(b * channels) << 2);
    const dst = dinput + (<usize>(b * pixels * channels) << 2);
    for (let p = 0; p < pixels; p++) {
      const row = dst + (<usize>(p * channels) << 2);
      let c = 0;
      for (; c + 4 <= channels; c += 4) v128.store(row + (<usize>c << 2), f32x4.mul(v128.load(d + (<usize>c << 2)), f32x4.splat(scale)));
      for (; c < channels; c++) store<f32>(row + (<usize>c << 2), load<f32>(d + (<usize>c << 2)) * scale);
    }
  }
}
