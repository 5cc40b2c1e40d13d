// Plain references for the average-pooling kernels, in float64 over NHWC arrays.

export interface PoolGeometry {
  batch: number;
  height: number;
  width: number;
  channels: number;
  pool: number;
  stride: number;
}

export function outputSize(g: PoolGeometry): { oh: number; ow: number } {
  return { oh: Math.floor((g.height - g.pool) / g.stride) + 1, ow: Math.floor((g.width - g.pool) / g.stride) + 1 };
}

/** output[b, oy, ox, c] = mean of the pool x pool window at (oy·stride, ox·stride). */
export function averagePoolForward(input: Float32Array, g: PoolGeometry): Float64Array {
  const { oh, ow } = outputSize(g);
  const out = new Float64Array(g.batch * oh * ow * g.channels);
  const at = (b: number, y: number, x: number, c: number) => ((b * g.height + y) * g.width + x) * g.channels + c;
  let o = 0;
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < g.channels; c++) {
          let sum = 0;
          for (let py = 0; py < g.pool; py++) for (let px = 0; px < g.pool; px++) sum += input[at(b, oy * g.stride + py, ox * g.stride + px, c)];
          out[o++] = sum / (g.pool * g.pool);
        }
  return out;
}

/** dinput: each window's doutput / pool² added to every pixel of the window; 0 where no window reaches. */
export function averagePoolBackward(doutput: Float32Array, g: PoolGeometry): Float64Array {
  const { oh, ow } = outputSize(g);
  const din = new Float64Array(g.batch * g.height * g.width * g.channels);
  const at = (b: number, y: number, x: number, c: number) => ((b * g.height + y) * g.width + x) * g.channels + c;
  let o = 0;
  for (let b = 0; b < g.batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < g.channels; c++) {
          const d = doutput[o++] / (g.pool * g.pool);
          for (let py = 0; py < g.pool; py++) for (let px = 0; px < g.pool; px++) din[at(b, oy * g.stride + py, ox * g.stride + px, c)] += d;
        }
  return din;
}

/** output[b, c] = mean over the pixels of input[b, ·, c]. */
export function globalAveragePoolForward(input: Float32Array, batch: number, pixels: number, channels: number): Float64Array {
  const out = new Float64Array(batch * channels);
  for (let b = 0; b < batch; b++)
    for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) out[b * channels + c] += input[(b * pixels + p) * channels + c] / pixels;
  return out;
}

/** dinput[b, p, c] = doutput[b, c] / pixels. */
export function globalAveragePoolBackward(doutput: Float32Array, batch: number, pixels: number, channels: number): Float64Array {
  const din = new Float64Array(batch * pixels * channels);
  for (let b = 0; b < batch; b++) for (let p = 0; p < pixels; p++) for (let c = 0; c < channels; c++) din[(b * pixels + p) * channels + c] = doutput[b * channels + c] / pixels;
  return din;
}
