// Scalar reference convolution for the kernel tests: direct loops over the definition, f64
// accumulation. Layouts as in assembly/conv-im2col.ts: NHWC activations, weights [k, k, inC,
// outC]; stride 1 or more, padding 'valid' (the default) or TensorFlow's 'same', written out here
// on its own (not src/nn/layers/conv2d.ts's arithmetic): taps that fall outside the image read 0.

export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  padding?: 'valid' | 'same';
}

/** Output size and the zeros before the image (top, left). */
export function outSize(s: ConvShape): { oh: number; ow: number; top: number; left: number } {
  const st = s.stride ?? 1;
  if (s.padding !== 'same') return { oh: Math.floor((s.height - s.kernel) / st) + 1, ow: Math.floor((s.width - s.kernel) / st) + 1, top: 0, left: 0 };
  const oh = Math.ceil(s.height / st);
  const ow = Math.ceil(s.width / st);
  // TensorFlow: the total padding, half of it (rounded down) before the image.
  const top = Math.floor(Math.max((oh - 1) * st + s.kernel - s.height, 0) / 2);
  const left = Math.floor(Math.max((ow - 1) * st + s.kernel - s.width, 0) / 2);
  return { oh, ow, top, left };
}

/** tap(b, oy, ox, ky, kx, c): the index in the input of that tap of that output pixel, or -1 where it reads padding. */
function taps(s: ConvShape): (b: number, oy: number, ox: number, ky: number, kx: number, c: number) => number {
  const { top, left } = outSize(s);
  const st = s.stride ?? 1;
  return (b, oy, ox, ky, kx, c) => {
    const y = oy * st + ky - top;
    const x = ox * st + kx - left;
    if (y < 0 || y >= s.height || x < 0 || x >= s.width) return -1;
    return ((b * s.height + y) * s.width + x) * s.inChannels + c;
  };
}

/** padded[b, top + y, left + x, c] = input[b, y, x, c], zeros elsewhere. */
export function zeroPadReference(input: ArrayLike<number>, batch: number, height: number, width: number, channels: number, paddedHeight: number, paddedWidth: number, top: number, left: number): Float64Array {
  const out = new Float64Array(batch * paddedHeight * paddedWidth * channels);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < channels; c++) out[((b * paddedHeight + y + top) * paddedWidth + x + left) * channels + c] = input[((b * height + y) * width + x) * channels + c];
  return out;
}

/** output[b, y, x, c] = padded[b, top + y, left + x, c]. */
export function cropReference(padded: ArrayLike<number>, batch: number, height: number, width: number, channels: number, paddedHeight: number, paddedWidth: number, top: number, left: number): Float64Array {
  const out = new Float64Array(batch * height * width * channels);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < channels; c++) out[((b * height + y) * width + x) * channels + c] = padded[((b * paddedHeight + y + top) * paddedWidth + x + left) * channels + c];
  return out;
}

/** cols[(b,oy,ox), (ky,kx,c)] = input[b, s·oy+ky-top, s·ox+kx-left, c] (0 in the padding). */
export function im2colReference(input: ArrayLike<number>, s: ConvShape): Float64Array {
  const { batch, inChannels: ch, kernel } = s;
  const tap = taps(s);
  const { oh, ow } = outSize(s);
  const depth = kernel * kernel * ch;
  const cols = new Float64Array(batch * oh * ow * depth);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const row = (b * oh + oy) * ow + ox;
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let c = 0; c < ch; c++) {
              const at = tap(b, oy, ox, ky, kx, c);
              cols[row * depth + (ky * kernel + kx) * ch + c] = at < 0 ? 0 : input[at];
            }
      }
  return cols;
}

/** dinput[b, s·oy+ky-top, s·ox+kx-left, c] += dcols[(b,oy,ox), (ky,kx,c)], into a copy of dinput (what falls in the padding dropped). */
export function col2imAddReference(dcols: ArrayLike<number>, dinput: ArrayLike<number>, s: ConvShape): Float64Array {
  const { batch, inChannels: ch, kernel } = s;
  const tap = taps(s);
  const { oh, ow } = outSize(s);
  const depth = kernel * kernel * ch;
  const out = Float64Array.from(dinput);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const row = (b * oh + oy) * ow + ox;
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let c = 0; c < ch; c++) {
              const at = tap(b, oy, ox, ky, kx, c);
              if (at >= 0) out[at] += dcols[row * depth + (ky * kernel + kx) * ch + c];
            }
      }
  return out;
}

/** output[b, oy, ox, o] = Σ input[b, s·oy+ky-top, s·ox+kx-left, c]·w[ky, kx, c, o]; value and Σ|·| per element. */
export function conv2dForwardReference(input: ArrayLike<number>, weights: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, inChannels: ch, outChannels: oc, kernel } = s;
  const tap = taps(s);
  const { oh, ow } = outSize(s);
  const value = new Float64Array(batch * oh * ow * oc);
  const scale = new Float64Array(value.length);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let o = 0; o < oc; o++) {
          let sum = 0;
          let mag = 0;
          for (let ky = 0; ky < kernel; ky++)
            for (let kx = 0; kx < kernel; kx++)
              for (let c = 0; c < ch; c++) {
                const at = tap(b, oy, ox, ky, kx, c);
                const p = at < 0 ? 0 : input[at] * weights[((ky * kernel + kx) * ch + c) * oc + o];
                sum += p;
                mag += Math.abs(p);
              }
          const at = ((b * oh + oy) * ow + ox) * oc + o;
          value[at] = sum;
          scale[at] = mag;
        }
  return { value, scale };
}

/** dweights0 + Σ over (b,oy,ox) of input[b, s·oy+ky-top, s·ox+kx-left, c]·doutput[b, oy, ox, o]; value and Σ|·|. */
export function conv2dBackwardWeightsReference(input: ArrayLike<number>, doutput: ArrayLike<number>, dweights0: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, inChannels: ch, outChannels: oc, kernel } = s;
  const tap = taps(s);
  const { oh, ow } = outSize(s);
  const value = Float64Array.from(dweights0);
  const scale = Float64Array.from(dweights0, Math.abs);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let c = 0; c < ch; c++) {
              const at = tap(b, oy, ox, ky, kx, c);
              if (at < 0) continue;
              const x = input[at];
              const wAt = ((ky * kernel + kx) * ch + c) * oc;
              const dAt = ((b * oh + oy) * ow + ox) * oc;
              for (let o = 0; o < oc; o++) {
                const p = x * doutput[dAt + o];
                value[wAt + o] += p;
                scale[wAt + o] += Math.abs(p);
              }
            }
  return { value, scale };
}

/** dinput0 + Σ doutput[b, oy, ox, o]·w[ky, kx, c, o] scattered to [b, s·oy+ky-top, s·ox+kx-left, c]; value and Σ|·|. */
export function conv2dBackwardInputReference(doutput: ArrayLike<number>, weights: ArrayLike<number>, dinput0: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, inChannels: ch, outChannels: oc, kernel } = s;
  const tap = taps(s);
  const { oh, ow } = outSize(s);
  const value = Float64Array.from(dinput0);
  const scale = Float64Array.from(dinput0, Math.abs);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let c = 0; c < ch; c++) {
              const wAt = ((ky * kernel + kx) * ch + c) * oc;
              const dAt = ((b * oh + oy) * ow + ox) * oc;
              let sum = 0;
              let mag = 0;
              for (let o = 0; o < oc; o++) {
                const p = doutput[dAt + o] * weights[wAt + o];
                sum += p;
                mag += Math.abs(p);
              }
              const at = tap(b, oy, ox, ky, kx, c);
              if (at < 0) continue;
              value[at] += sum;
              scale[at] += mag;
            }
  return { value, scale };
}
