// Scalar reference convolution for the kernel tests: direct loops over the definition, f64
// accumulation. Layouts as in assembly/conv.ts: NHWC activations, weights [k, k, inC, outC],
// valid padding, stride 1.

export interface ConvShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
}

export function outSize(s: ConvShape): { oh: number; ow: number } {
  return { oh: s.height - s.kernel + 1, ow: s.width - s.kernel + 1 };
}

/** cols[(b,oy,ox), (ky,kx,c)] = input[b, oy+ky, ox+kx, c]. */
export function im2colReference(input: ArrayLike<number>, s: ConvShape): Float64Array {
  const { batch, height, width, inChannels: ch, kernel } = s;
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
              cols[row * depth + (ky * kernel + kx) * ch + c] = input[((b * height + oy + ky) * width + ox + kx) * ch + c];
            }
      }
  return cols;
}

/** dinput[b, oy+ky, ox+kx, c] += dcols[(b,oy,ox), (ky,kx,c)], into a copy of dinput. */
export function col2imAddReference(dcols: ArrayLike<number>, dinput: ArrayLike<number>, s: ConvShape): Float64Array {
  const { batch, height, width, inChannels: ch, kernel } = s;
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
              out[((b * height + oy + ky) * width + ox + kx) * ch + c] += dcols[row * depth + (ky * kernel + kx) * ch + c];
            }
      }
  return out;
}

/** output[b, oy, ox, o] = Σ input[b, oy+ky, ox+kx, c]·w[ky, kx, c, o]; value and Σ|·| per element. */
export function conv2dForwardReference(input: ArrayLike<number>, weights: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, height, width, inChannels: ch, outChannels: oc, kernel } = s;
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
                const p = input[((b * height + oy + ky) * width + ox + kx) * ch + c] * weights[((ky * kernel + kx) * ch + c) * oc + o];
                sum += p;
                mag += Math.abs(p);
              }
          const at = ((b * oh + oy) * ow + ox) * oc + o;
          value[at] = sum;
          scale[at] = mag;
        }
  return { value, scale };
}

/** dweights0 + Σ over (b,oy,ox) of input[b, oy+ky, ox+kx, c]·doutput[b, oy, ox, o]; value and Σ|·|. */
export function conv2dBackwardWeightsReference(input: ArrayLike<number>, doutput: ArrayLike<number>, dweights0: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, height, width, inChannels: ch, outChannels: oc, kernel } = s;
  const { oh, ow } = outSize(s);
  const value = Float64Array.from(dweights0);
  const scale = Float64Array.from(dweights0, Math.abs);
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ky = 0; ky < kernel; ky++)
          for (let kx = 0; kx < kernel; kx++)
            for (let c = 0; c < ch; c++) {
              const x = input[((b * height + oy + ky) * width + ox + kx) * ch + c];
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

/** dinput0 + Σ doutput[b, oy, ox, o]·w[ky, kx, c, o] scattered to [b, oy+ky, ox+kx, c]; value and Σ|·|. */
export function conv2dBackwardInputReference(doutput: ArrayLike<number>, weights: ArrayLike<number>, dinput0: ArrayLike<number>, s: ConvShape): { value: Float64Array; scale: Float64Array } {
  const { batch, height, width, inChannels: ch, outChannels: oc, kernel } = s;
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
              const at = ((b * height + oy + ky) * width + ox + kx) * ch + c;
              value[at] += sum;
              scale[at] += mag;
            }
  return { value, scale };
}
