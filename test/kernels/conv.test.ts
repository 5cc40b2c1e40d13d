// im2col, col2imAdd and the three convolution kernels against direct-loop references, both
// builds, on awkward shapes and the shapes of the cnn and cnn-tuned models (small batches), at
// stride 1 and 2 (odd and even sizes, kernels smaller than the stride).
// Shapes with more output pixels than one K block (256 rows) and more patch entries than one
// row block (128) exercise the blocking.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import {
  col2imAddReference,
  conv2dBackwardInputReference,
  conv2dBackwardWeightsReference,
  conv2dForwardReference,
  im2colReference,
  outSize,
  type ConvShape,
} from '../reference/conv.js';
import { compare, nonzeros, place, randomF32, rng } from './helpers.js';

const shapes: (ConvShape & { name: string })[] = [
  { name: '1x1 image, 1x1 kernel', batch: 1, height: 1, width: 1, inChannels: 1, outChannels: 1, kernel: 1 },
  { name: 'kernel covers the image', batch: 2, height: 5, width: 5, inChannels: 1, outChannels: 3, kernel: 5 },
  { name: 'primes', batch: 2, height: 7, width: 6, inChannels: 3, outChannels: 5, kernel: 3 },
  { name: 'k2, 7 filters', batch: 3, height: 6, width: 9, inChannels: 5, outChannels: 7, kernel: 2 },
  { name: 'odd channels, 17 filters', batch: 1, height: 8, width: 7, inChannels: 13, outChannels: 17, kernel: 3 },
  { name: 'cnn conv1', batch: 3, height: 28, width: 28, inChannels: 1, outChannels: 32, kernel: 3 },
  { name: 'cnn conv2', batch: 3, height: 13, width: 13, inChannels: 32, outChannels: 32, kernel: 3 },
  { name: 'cnn-tuned conv1', batch: 2, height: 28, width: 28, inChannels: 1, outChannels: 64, kernel: 5 },
  { name: 'cnn-tuned conv2', batch: 2, height: 12, width: 12, inChannels: 64, outChannels: 64, kernel: 5 },
  { name: 'cnn-tuned conv2, batch 5 (K blocks of pixels)', batch: 5, height: 12, width: 12, inChannels: 64, outChannels: 64, kernel: 5 },
  { name: 'odd everything, 600 patch entries', batch: 3, height: 11, width: 9, inChannels: 24, outChannels: 21, kernel: 5 },
  { name: 'even output, 5 filters (pooled inline, scalar)', batch: 3, height: 10, width: 8, inChannels: 2, outChannels: 5, kernel: 3 },
  { name: 'stride 2, odd input, primes', batch: 3, height: 9, width: 7, inChannels: 3, outChannels: 5, kernel: 3, stride: 2 },
  { name: 'stride 2, k2, one channel, 16 filters', batch: 1, height: 8, width: 8, inChannels: 1, outChannels: 16, kernel: 2, stride: 2 },
  { name: 'stride 2, kernel 1 (pixels skipped)', batch: 3, height: 6, width: 8, inChannels: 8, outChannels: 7, kernel: 1, stride: 2 },
  { name: 'stride 2, k4, runs of 64 (A read in place), pooled inline', batch: 3, height: 10, width: 11, inChannels: 16, outChannels: 32, kernel: 4, stride: 2 },
  { name: 'stride 2, k5, 5 channels, last column unread', batch: 2, height: 13, width: 12, inChannels: 5, outChannels: 9, kernel: 5, stride: 2 },
  { name: 'stride 2, 28x28x32 -> 64 (K blocks of pixels)', batch: 2, height: 28, width: 28, inChannels: 32, outChannels: 64, kernel: 3, stride: 2 },
  { name: 'stride 2, 600 patch entries (Aᵀ packed)', batch: 3, height: 11, width: 9, inChannels: 24, outChannels: 21, kernel: 5, stride: 2 },
];

const builds = [
  ['FMA', 'on'],
  ['plain SIMD', 'off'],
] as const;

describe.each(builds)('convolution, %s build', (_name, fma) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ fma });
  });

  it.each(shapes)('$name', (s) => {
    const { batch, height, width, inChannels, outChannels, kernel } = s;
    const stride = s.stride ?? 1;
    const { oh, ow } = outSize(s);
    const rows = batch * oh * ow;
    const depth = kernel * kernel * inChannels;
    const random = rng(height * 1000 + inChannels * 10 + outChannels);
    const input = randomF32(batch * height * width * inChannels, random);
    const weights = randomF32(depth * outChannels, random);
    const bias = randomF32(outChannels, random);
    const doutput = randomF32(rows * outChannels, random);
    const dweights0 = randomF32(depth * outChannels, random);
    const dinput0 = randomF32(input.length, random);
    const dcolsIn = randomF32(rows * depth, random);
    const k = engine.kernels;
    const packFloats = k.conv2dScratchFloats(height, width, inChannels, outChannels, kernel);

    const mark = engine.mark();
    const pInput = place(engine, input);
    const pWeights = place(engine, weights);
    const pBias = place(engine, bias);
    const pDoutput = place(engine, doutput);
    const pDweights = place(engine, dweights0);
    const pDweightsWindow = place(engine, dweights0);
    const pDinput = place(engine, dinput0);
    const pDinput2 = place(engine, dinput0);
    const pDcolsIn = place(engine, dcolsIn);
    const pOutput = place(engine, randomF32(rows * outChannels, random));
    const pOutputRelu = place(engine, randomF32(rows * outChannels, random));
    // im2col's vector copies may spill past a run; 16 sentinels check they never pass cols' end.
    const pCols = engine.reserve((rows * depth + 16) * 4);
    engine.f32(pCols + rows * depth * 4, 16).fill(777);
    // The convolutions' scratch is exactly conv2dScratchFloats: sentinels past it must survive.
    const pPack = engine.reserve((packFloats + 16) * 4);
    engine.f32(pPack + packFloats * 4, 16).fill(777);

    k.im2col(pInput, pCols, batch, height, width, inChannels, oh, ow, kernel, stride);
    k.col2imAdd(pDcolsIn, pDinput2, batch, height, width, inChannels, oh, ow, kernel, stride);
    k.conv2dForward(pInput, pWeights, pBias, pOutput, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, 0, 0, 0);
    k.conv2dForward(pInput, pWeights, pBias, pOutputRelu, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, 1, 0, 0);
    // The 2x2 max pool done inline, block by block: the same as pooling the whole output after.
    const poolsInline = k.conv2dPoolsInline(oh, ow) === 1;
    expect(poolsInline).toBe(oh % 2 === 0 && ow % 2 === 0 && 2 * ow <= 128);
    const pooledCount = (oh >> 1) * (ow >> 1) * outChannels * batch;
    const pOutputPooled = place(engine, randomF32(rows * outChannels, random));
    const pPooled = place(engine, randomF32(pooledCount, random));
    const pArgmax = place(engine, new Float32Array(pooledCount));
    const pPooledWant = place(engine, new Float32Array(pooledCount));
    const pArgmaxWant = place(engine, new Float32Array(pooledCount));
    if (poolsInline) {
      k.conv2dForward(pInput, pWeights, pBias, pOutputPooled, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, 1, pPooled, pArgmax);
      k.maxPool2x2Forward(pOutputRelu, pPooledWant, pArgmaxWant, batch, oh, ow, outChannels, 0);
    }
    k.conv2dBackwardWeights(pInput, pDoutput, pDweights, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, 0, depth, 0, outChannels);
    // One thread's share: rows from an even first row, columns from a 16-column boundary.
    const window = { row: Math.min(2, depth - 1) & ~1, rows: Math.max(1, depth - 3), col: outChannels > 16 ? 16 : 0 };
    window.rows = Math.min(window.rows, depth - window.row);
    const windowCols = outChannels - window.col;
    k.conv2dBackwardWeights(pInput, pDoutput, pDweightsWindow, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, window.row, window.rows, window.col, windowCols);
    k.conv2dBackwardInput(pDoutput, pWeights, pDinput, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride);
    // With the bias row (row `depth`, A = 1): the bias gradient lands right after dW, as the
    // column sums of doutput, and dW is the same bit for bit. Split as two threads would.
    const pDweightsBias = place(engine, new Float32Array((depth + 1) * outChannels));
    const splitRow = Math.min(depth + 1, (depth >> 1) & ~1 || 2);
    k.conv2dBackwardWeights(pInput, pDoutput, pDweightsBias, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, 0, splitRow, 0, outChannels);
    k.conv2dBackwardWeights(pInput, pDoutput, pDweightsBias, pPack, batch, height, width, inChannels, oh, ow, outChannels, kernel, stride, splitRow, depth + 1 - splitRow, 0, outChannels);
    const dweightsBias = Float32Array.from(engine.f32(pDweightsBias, (depth + 1) * outChannels));

    const cols = Float32Array.from(engine.f32(pCols, rows * depth));
    const colSentinels = Array.from(engine.f32(pCols + rows * depth * 4, 16));
    const packSentinels = Array.from(engine.f32(pPack + packFloats * 4, 16));
    const dinputScatter = Float32Array.from(engine.f32(pDinput2, input.length));
    const output = Float32Array.from(engine.f32(pOutput, rows * outChannels));
    const outputRelu = Float32Array.from(engine.f32(pOutputRelu, rows * outChannels));
    const dweights = Float32Array.from(engine.f32(pDweights, dweights0.length));
    const dweightsWindow = Float32Array.from(engine.f32(pDweightsWindow, dweights0.length));
    const dinput = Float32Array.from(engine.f32(pDinput, input.length));
    if (poolsInline) {
      expect(Array.from(engine.f32(pOutputPooled, rows * outChannels))).toEqual(Array.from(outputRelu));
      expect(Array.from(engine.f32(pPooled, pooledCount))).toEqual(Array.from(engine.f32(pPooledWant, pooledCount)));
      expect(Array.from(engine.i32(pArgmax, pooledCount))).toEqual(Array.from(engine.i32(pArgmaxWant, pooledCount)));
    }
    engine.release(mark);

    // im2col is a copy: exact.
    const wantCols = im2colReference(input, s);
    expect(compare(cols, wantCols, new Float64Array(cols.length).fill(1), 0).mismatch).toBe('');
    expect(colSentinels.every((v) => v === 777)).toBe(true);
    expect(packSentinels.every((v) => v === 777)).toBe(true);

    // col2imAdd sums up to kernel² terms per element, in an order of its own.
    const wantScatter = col2imAddReference(dcolsIn, dinput0, s);
    const scatterScale = col2imAddReference(dcolsIn.map(Math.abs), dinput0.map(Math.abs), s);
    expect(compare(dinputScatter, wantScatter, scatterScale).mismatch).toBe('');

    const forward = conv2dForwardReference(input, weights, s);
    const withBias = forward.value.map((v, i) => v + bias[i % outChannels]);
    const biasScale = forward.scale.map((v, i) => v + Math.abs(bias[i % outChannels]));
    expect(compare(output, withBias, biasScale).mismatch).toBe('');
    expect(nonzeros(output)).toBe(output.length);
    expect(compare(outputRelu, withBias.map((v) => Math.max(v, 0)), biasScale).mismatch).toBe('');
    const positive = withBias.filter((v) => v > 0).length;
    if (rows * outChannels >= 8) expect(positive).toBeGreaterThan(0);
    if (rows * outChannels >= 8) expect(positive).toBeLessThan(withBias.length);

    const dw = conv2dBackwardWeightsReference(input, doutput, dweights0, s);
    expect(compare(dweights, dw.value, dw.scale).mismatch).toBe('');
    // The window matches the full result inside it (bit for bit: same arithmetic) and is untouched outside.
    for (let i = 0; i < depth; i++) {
      for (let j = 0; j < outChannels; j++) {
        const inside = i >= window.row && i < window.row + window.rows && j >= window.col;
        const at = i * outChannels + j;
        expect(dweightsWindow[at], `dW[${i}, ${j}]`).toBe(inside ? dweights[at] : dweights0[at]);
      }
    }

    const dwFromZero = conv2dBackwardWeightsReference(input, doutput, new Float32Array(depth * outChannels), s);
    expect(compare(dweightsBias.subarray(0, depth * outChannels), dwFromZero.value, dwFromZero.scale).mismatch).toBe('');
    const biasSums = new Float64Array(outChannels);
    const biasSumScale = new Float64Array(outChannels);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outChannels; o++) {
        biasSums[o] += doutput[r * outChannels + o];
        biasSumScale[o] += Math.abs(doutput[r * outChannels + o]);
      }
    }
    expect(compare(dweightsBias.subarray(depth * outChannels), biasSums, biasSumScale).mismatch).toBe('');

    const dx = conv2dBackwardInputReference(doutput, weights, dinput0, s);
    expect(compare(dinput, dx.value, dx.scale).mismatch).toBe('');
    // Accumulation really happened: the result differs from the prefilled gradient nearly
    // everywhere a window reaches (with a stride, some pixels may be in none).
    const reached = col2imAddReference(new Float64Array(rows * depth).fill(1), new Float64Array(input.length), s);
    let changed = 0;
    let inWindows = 0;
    for (let i = 0; i < dinput.length; i++) {
      if (reached[i] === 0) expect(dinput[i], `dinput[${i}] is in no window`).toBe(dinput0[i]);
      else inWindows++;
      if (dinput[i] !== dinput0[i]) changed++;
    }
    expect(changed).toBeGreaterThan(inWindows * 0.9);
  });
});
