// Plain TypeScript references for the element-wise kernels (assembly/pool.ts, activation.ts,
// loss.ts, random.ts, dropout.ts, adam.ts, batch.ts). Written for clarity, one element at a time;
// Math.fround marks where the kernel rounds to f32, so exact kernels can be compared exactly.
const f = Math.fround;

/** Max pool 2x2 stride 2 (floor), NHWC; argmax holds element indices into input, first max wins. */
export function maxPool2x2Forward(input: Float32Array, batch: number, height: number, width: number, channels: number): { output: Float32Array; argmax: Int32Array } {
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  const output = new Float32Array(batch * oh * ow * channels);
  const argmax = new Int32Array(output.length);
  const at = (b: number, y: number, x: number, c: number) => ((b * height + y) * width + x) * channels + c;
  let o = 0;
  for (let b = 0; b < batch; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let c = 0; c < channels; c++) {
          let bestIndex = at(b, 2 * oy, 2 * ox, c);
          for (const [dy, dx] of [[0, 1], [1, 0], [1, 1]]) {
            const i = at(b, 2 * oy + dy, 2 * ox + dx, c);
            if (input[i] > input[bestIndex]) bestIndex = i;
          }
          output[o] = input[bestIndex];
          argmax[o++] = bestIndex;
        }
  return { output, argmax };
}

/** dinput = 0, then dinput[argmax[i]] = doutput[i] (windows do not overlap). */
export function maxPool2x2Backward(doutput: Float32Array, argmax: Int32Array, dinput: Float32Array): void {
  dinput.fill(0);
  for (let i = 0; i < doutput.length; i++) dinput[argmax[i]] = doutput[i];
}

export function biasReluForward(x: Float32Array, bias: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) x[r * cols + c] = Math.max(f(x[r * cols + c] + bias[c]), 0);
}

export function biasForward(x: Float32Array, bias: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) x[r * cols + c] = f(x[r * cols + c] + bias[c]);
}

export function reluBackward(y: Float32Array, dy: Float32Array): void {
  for (let i = 0; i < dy.length; i++) if (!(y[i] > 0)) dy[i] = 0;
}

/** dbias[c] += Σ_r dy[r, c], summed in f64. */
export function biasBackward(dy: Float32Array, dbias: Float32Array | Float64Array, rows: number, cols: number): void {
  for (let c = 0; c < cols; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += dy[r * cols + c];
    dbias[c] += sum;
  }
}

/** Softmax rows into probs; returns Σ -log p[label] in f64 (log-sum-exp form). */
export function softmaxCrossEntropyForward(logits: Float32Array, labels: Int32Array, probs: Float32Array, rows: number, classes: number): number {
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(row[c] - max);
    for (let c = 0; c < classes; c++) probs[r * classes + c] = Math.exp(row[c] - max) / sum;
    loss += Math.log(sum) - (row[labels[r]] - max);
  }
  return loss;
}

export function softmaxCrossEntropyBackward(probs: Float32Array, labels: Int32Array, dlogits: Float32Array, rows: number, classes: number, scale: number): void {
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < classes; c++) {
      const i = r * classes + c;
      dlogits[i] = (probs[i] - (c === labels[r] ? 1 : 0)) * scale;
    }
}

export function countCorrect(scores: Float32Array, labels: Int32Array, rows: number, classes: number): number {
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let arg = 0;
    for (let c = 1; c < classes; c++) if (scores[r * classes + c] > scores[r * classes + arg]) arg = c;
    if (arg === labels[r]) correct++;
  }
  return correct;
}

const THREEFRY_ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];

/** Threefry-2x32-20 (Random123) of counter (c0, c1) under key (k0, k1): both words, as u32. */
export function threefry2x32(c0: number, c1: number, k0: number, k1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let r = 0; r < 20; r++) {
    x0 = (x0 + x1) >>> 0;
    const s = THREEFRY_ROTATIONS[r % 8];
    x1 = (((x1 << s) | (x1 >>> (32 - s))) ^ x0) >>> 0;
    if (r % 4 === 3) {
      const i = (r + 1) / 4;
      x0 = (x0 + ks[i % 3]) >>> 0;
      x1 = (x1 + ks[(i + 1) % 3] + i) >>> 0;
    }
  }
  return [x0, x1];
}

/** The dropout stream of assembly/random.ts: a key from the seed and a block per call. */
export class DropoutStream {
  readonly key: [number, number];
  block = 0;

  constructor(seed: number) {
    let x = seed >>> 0;
    const key: number[] = [];
    for (let i = 0; i < 2; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      key.push((z ^ (z >>> 16)) >>> 0);
    }
    this.key = [key[0], key[1]];
  }

  /** Draw i of the current block: group i>>3, lane i&3, word (i>>2)&1. */
  draw(i: number): number {
    const counter = (i >> 3) * 4 + (i & 3);
    return threefry2x32(counter, this.block, this.key[0], this.key[1])[(i >> 2) & 1];
  }
}

/** Inverted dropout with the current block of `stream` (then the next block); rate 0 keeps all. */
export function dropoutForward(x: Float32Array, mask: Float32Array, rate: number, stream: DropoutStream): void {
  const r = f(rate);
  const keep = f(1 / (1 - r));
  for (let i = 0; i < x.length; i++) {
    mask[i] = r <= 0 ? 1 : (stream.draw(i) >>> 8) / 16777216 < r ? 0 : keep;
    x[i] = f(x[i] * mask[i]);
  }
  stream.block++;
}

export function dropoutBackward(dy: Float32Array, mask: Float32Array): void {
  for (let i = 0; i < dy.length; i++) dy[i] = f(dy[i] * mask[i]);
}

/** Keras-form Adam step in f64, each stored tensor rounded to f32 as the kernel stores it. */
export function adamUpdate(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, alpha: number, beta1: number, beta2: number, epsilon: number, decay = 0): void {
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = m[i] + (g - m[i]) * (1 - beta1);
    v[i] = v[i] + (g * g - v[i]) * (1 - beta2);
    params[i] = params[i] - decay * params[i] - (alpha * m[i]) / (Math.sqrt(v[i]) + epsilon);
  }
}

/** SGD as PyTorch and TF.js write it: v = μ·v + g; p -= lr·v (Nesterov: p -= lr·(g + μ·v)). */
export function sgdUpdate(params: Float32Array, grads: Float32Array, velocity: Float32Array, learningRate: number, momentum: number, nesterov: boolean): void {
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    if (momentum === 0) {
      params[i] = params[i] - learningRate * g;
      continue;
    }
    velocity[i] = momentum * velocity[i] + g;
    params[i] = params[i] - learningRate * (nesterov ? g + momentum * velocity[i] : velocity[i]);
  }
}

/** out[i, :] = images[indices[i], :] * scale, each product rounded once to f32. */
export function gatherImages(images: Uint8Array, indices: Int32Array, pixels: number, scale: number): Float32Array {
  const out = new Float32Array(indices.length * pixels);
  const s = f(scale);
  for (let i = 0; i < indices.length; i++)
    for (let p = 0; p < pixels; p++) out[i * pixels + p] = images[indices[i] * pixels + p] * s;
  return out;
}

export function gatherLabels(labels: Uint8Array, indices: Int32Array): Int32Array {
  return Int32Array.from(indices, (i) => labels[i]);
}
