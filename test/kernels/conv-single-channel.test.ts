// The one-channel convolution kernels (assembly/conv-single-channel.ts) against the direct-loop
// references, both builds: forward with and without ReLU and with the inline 2x2 pool (also as
// inference runs it: pooled maxima only), the per-image partial weight gradients (with and
// without the bias row), and their image-order sum, whole and split into element ranges as
// threads take it. Odd widths exercise the lone last pixel; an odd number of rows (kernel² + 1)
// the last pass that computes its row twice.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { conv2dBackwardWeightsReference, conv2dForwardReference, outSize, type ConvShape } from '../reference/conv.js';
import { compare, nonzeros, place, randomF32, rng } from './helpers.js';

const shapes: (ConvShape & { name: string })[] = [
  { name: '1x1 kernel on a 1x1 image', batch: 1, height: 1, width: 1, inChannels: 1, outChannels: 16, kernel: 1 },
  { name: 'odd width, 2x2 kernel, 48 filters', batch: 3, height: 6, width: 9, inChannels: 1, outChannels: 48, kernel: 2 },
  { name: 'kernel covers the image', batch: 2, height: 5, width: 5, inChannels: 1, outChannels: 16, kernel: 5 },
  { name: '4x4 kernel (17 rows: short last pass)', batch: 2, height: 9, width: 7, inChannels: 1, outChannels: 32, kernel: 4 },
  { name: 'cnn conv1', batch: 3, height: 28, width: 28, inChannels: 1, outChannels: 32, kernel: 3 },
  { name: 'cnn-tuned conv1', batch: 2, height: 28, width: 28, inChannels: 1, outChannels: 64, kernel: 5 },
];

const builds = [
  ['FMA', 'on'],
  ['plain SIMD', 'off'],
] as const;

describe.each(builds)('one-channel convolution, %s build', (_name, fma) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ fma });
  });

  it('takes only one input channel and filters in multiples of 16', () => {
    const k = engine.kernels;
    expect(k.conv2dSingleChannelFits(1, 32)).toBe(1);
    expect(k.conv2dSingleChannelFits(1, 16)).toBe(1);
    expect(k.conv2dSingleChannelFits(1, 24)).toBe(0);
    expect(k.conv2dSingleChannelFits(3, 32)).toBe(0);
    expect(k.conv2dSingleChannelFits(1, 0)).toBe(0);
  });

  it.each(shapes)('$name', (s) => {
    const { batch, height, width, outChannels: f, kernel } = s;
    const { oh, ow } = outSize(s);
    const taps = kernel * kernel;
    const outCount = batch * oh * ow * f;
    const random = rng(height * 100 + width * 10 + f + kernel);
    const input = randomF32(batch * height * width, random);
    const weights = randomF32(taps * f, random);
    const bias = randomF32(f, random);
    const doutput = randomF32(outCount, random);
    const dweights0 = randomF32((taps + 1) * f, random);
    const k = engine.kernels;

    const mark = engine.mark();
    const pInput = place(engine, input);
    const pWeights = place(engine, weights);
    const pBias = place(engine, bias);
    const pDoutput = place(engine, doutput);
    // Outputs start as garbage: the kernels must overwrite every element.
    const pOutput = place(engine, randomF32(outCount, random));
    const pOutputRelu = place(engine, randomF32(outCount, random));
    const pooledCount = batch * (oh >> 1) * (ow >> 1) * f;
    const pools = oh % 2 === 0 && ow % 2 === 0;
    const pOutputPooled = place(engine, randomF32(outCount, random));
    const pPooled = place(engine, randomF32(pooledCount, random));
    const pArgmax = place(engine, new Float32Array(pooledCount));
    const pPooledWant = place(engine, new Float32Array(pooledCount));
    const pArgmaxWant = place(engine, new Float32Array(pooledCount));
    // Partials with sentinels past the last image's: the kernel writes exactly batch × rows × f.
    const rows = taps + 1;
    const pPartial = engine.reserve((batch * rows * f + 16) * 4);
    engine.f32(pPartial, batch * rows * f).set(randomF32(batch * rows * f, random));
    engine.f32(pPartial + batch * rows * f * 4, 16).fill(777);
    const pPartialNoBias = place(engine, randomF32(batch * taps * f, random));
    const pDweights = place(engine, dweights0);
    const pDweightsSplit = place(engine, dweights0);
    const pDweightsNoBias = place(engine, dweights0.subarray(0, taps * f));

    k.conv2dSingleChannelForward(pInput, pWeights, pBias, pOutput, batch, height, width, oh, ow, f, kernel, 0, 0, 0);
    k.conv2dSingleChannelForward(pInput, pWeights, pBias, pOutputRelu, batch, height, width, oh, ow, f, kernel, 1, 0, 0);
    // Inference: the pooled maxima alone, with no output and no argmax.
    const pPooledOnly = place(engine, randomF32(pooledCount, random));
    if (pools) {
      k.conv2dSingleChannelForward(pInput, pWeights, pBias, pOutputPooled, batch, height, width, oh, ow, f, kernel, 1, pPooled, pArgmax);
      k.maxPool2x2Forward(pOutputRelu, pPooledWant, pArgmaxWant, batch, oh, ow, f, 0);
      k.conv2dSingleChannelForward(pInput, pWeights, pBias, 0, batch, height, width, oh, ow, f, kernel, 1, pPooledOnly, 0);
    }
    k.conv2dSingleChannelPartials(pInput, pDoutput, pPartial, batch, height, width, oh, ow, f, kernel, 1);
    k.conv2dSingleChannelPartials(pInput, pDoutput, pPartialNoBias, batch, height, width, oh, ow, f, kernel, 0);
    k.conv2dSumPartials(pPartial, pDweights, batch, rows * f, rows * f);
    k.conv2dSumPartials(pPartialNoBias, pDweightsNoBias, batch, taps * f, taps * f);
    // Two threads' element ranges, the first ending off a multiple of 4 (the scalar tail).
    const cut = Math.max(1, ((rows * f) >> 1) - 1);
    k.conv2dSumPartials(pPartial, pDweightsSplit, batch, cut, rows * f);
    k.conv2dSumPartials(pPartial + cut * 4, pDweightsSplit + cut * 4, batch, rows * f - cut, rows * f);

    const output = Float32Array.from(engine.f32(pOutput, outCount));
    const outputRelu = Float32Array.from(engine.f32(pOutputRelu, outCount));
    const dweights = Float32Array.from(engine.f32(pDweights, rows * f));
    const dweightsSplit = Float32Array.from(engine.f32(pDweightsSplit, rows * f));
    const dweightsNoBias = Float32Array.from(engine.f32(pDweightsNoBias, taps * f));
    const sentinels = Array.from(engine.f32(pPartial + batch * rows * f * 4, 16));
    const partialTaps = Array.from({ length: batch }, (_, b) => Array.from(engine.f32(pPartial + b * rows * f * 4, taps * f)));
    const partialNoBias = Array.from({ length: batch }, (_, b) => Array.from(engine.f32(pPartialNoBias + b * taps * f * 4, taps * f)));
    if (pools) {
      expect(Array.from(engine.f32(pOutputPooled, outCount))).toEqual(Array.from(outputRelu));
      expect(Array.from(engine.f32(pPooled, pooledCount))).toEqual(Array.from(engine.f32(pPooledWant, pooledCount)));
      expect(Array.from(engine.i32(pArgmax, pooledCount))).toEqual(Array.from(engine.i32(pArgmaxWant, pooledCount)));
      expect(Array.from(engine.f32(pPooledOnly, pooledCount))).toEqual(Array.from(engine.f32(pPooledWant, pooledCount)));
    }
    engine.release(mark);

    const forward = conv2dForwardReference(input, weights, s);
    const withBias = forward.value.map((v, i) => v + bias[i % f]);
    const scale = forward.scale.map((v, i) => v + Math.abs(bias[i % f]));
    expect(compare(output, withBias, scale).mismatch).toBe('');
    expect(nonzeros(output)).toBe(output.length);
    expect(compare(outputRelu, withBias.map((v) => Math.max(v, 0)), scale).mismatch).toBe('');

    // dW (taps rows) then the bias row: doutput's column sums.
    const dw = conv2dBackwardWeightsReference(input, doutput, dweights0.subarray(0, taps * f), s);
    const db = Float64Array.from(dweights0.subarray(taps * f));
    const dbScale = Float64Array.from(db, Math.abs);
    for (let i = 0; i < outCount; i++) {
      db[i % f] += doutput[i];
      dbScale[i % f] += Math.abs(doutput[i]);
    }
    const want = Float64Array.from([...dw.value, ...db]);
    const wantScale = Float64Array.from([...dw.scale, ...dbScale]);
    expect(compare(dweights, want, wantScale).mismatch).toBe('');
    expect(compare(dweightsNoBias, dw.value, dw.scale).mismatch).toBe('');
    // The sum is per element in image order, so splitting it changes nothing, bit for bit.
    expect(Array.from(dweightsSplit)).toEqual(Array.from(dweights));
    // Each image's taps do not depend on whether the bias row rides along.
    expect(partialTaps).toEqual(partialNoBias);
    expect(sentinels.every((v) => v === 777)).toBe(true);
  });
});
