// im2col, col2imAdd and the three convolution kernels against direct-loop references, both
// builds, on awkward shapes and the shapes of the cnn and cnn-tuned models (small batches).
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
    const { oh, ow } = outSize(s);
    const rows = batch * oh * ow;
    const depth = kernel * kernel * inChannels;
    const random = rng(height * 1000 + inChannels * 10 + outChannels);
    const input = randomF32(batch * height * width * inChannels, random);
    const weights = randomF32(depth * outChannels, random);
    const doutput = randomF32(rows * outChannels, random);
    const dweights0 = randomF32(depth * outChannels, random);
    const dinput0 = randomF32(input.length, random);
    const dcolsIn = randomF32(rows * depth, random);
    const k = engine.kernels;
    const packFloats = Math.max(k.gemmPackFloats(depth, outChannels), k.gemmPackFloats(rows, outChannels), k.gemmPackFloats(outChannels, depth));

    const mark = engine.mark();
    const pInput = place(engine, input);
    const pWeights = place(engine, weights);
    const pDoutput = place(engine, doutput);
    const pDweights = place(engine, dweights0);
    const pDinput = place(engine, dinput0);
    const pDinput2 = place(engine, dinput0);
    const pDcolsIn = place(engine, dcolsIn);
    const pOutput = place(engine, randomF32(rows * outChannels, random));
    const pCols = engine.reserve(rows * depth * 4);
    // im2col's vector copies may spill past a run; 16 sentinels check they never pass cols' end.
    const pCols2 = engine.reserve((rows * depth + 16) * 4);
    engine.f32(pCols2 + rows * depth * 4, 16).fill(777);
    const pDcols = engine.reserve(rows * depth * 4);
    const pPack = engine.reserve(packFloats * 4);

    k.im2col(pInput, pCols2, batch, height, width, inChannels, kernel);
    k.col2imAdd(pDcolsIn, pDinput2, batch, height, width, inChannels, kernel);
    k.conv2dForward(pInput, pWeights, pOutput, pCols, pPack, batch, height, width, inChannels, outChannels, kernel);
    k.conv2dBackwardWeights(pCols, pDoutput, pDweights, pPack, batch, height, width, inChannels, outChannels, kernel);
    k.conv2dBackwardInput(pDoutput, pWeights, pDcols, pDinput, pPack, batch, height, width, inChannels, outChannels, kernel);

    const cols = Float32Array.from(engine.f32(pCols2, rows * depth));
    const sentinels = Array.from(engine.f32(pCols2 + rows * depth * 4, 16));
    const colsKept = Float32Array.from(engine.f32(pCols, rows * depth));
    const dinputScatter = Float32Array.from(engine.f32(pDinput2, input.length));
    const output = Float32Array.from(engine.f32(pOutput, rows * outChannels));
    const dweights = Float32Array.from(engine.f32(pDweights, dweights0.length));
    const dinput = Float32Array.from(engine.f32(pDinput, input.length));
    engine.release(mark);

    // im2col is a copy: exact.
    const wantCols = im2colReference(input, s);
    expect(compare(cols, wantCols, new Float64Array(cols.length).fill(1), 0).mismatch).toBe('');
    expect(sentinels.every((v) => v === 777)).toBe(true);
    expect(compare(colsKept, wantCols, new Float64Array(cols.length).fill(1), 0).mismatch).toBe('');

    // col2imAdd sums up to kernel² terms per element, in an order of its own.
    const wantScatter = col2imAddReference(dcolsIn, dinput0, s);
    const scatterScale = col2imAddReference(dcolsIn.map(Math.abs), dinput0.map(Math.abs), s);
    expect(compare(dinputScatter, wantScatter, scatterScale).mismatch).toBe('');

    const forward = conv2dForwardReference(input, weights, s);
    expect(compare(output, forward.value, forward.scale).mismatch).toBe('');
    expect(nonzeros(output)).toBe(output.length);

    const dw = conv2dBackwardWeightsReference(input, doutput, dweights0, s);
    expect(compare(dweights, dw.value, dw.scale).mismatch).toBe('');

    const dx = conv2dBackwardInputReference(doutput, weights, dinput0, s);
    expect(compare(dinput, dx.value, dx.scale).mismatch).toBe('');
    // Accumulation really happened: the result differs from the prefilled gradient nearly everywhere.
    let changed = 0;
    for (let i = 0; i < dinput.length; i++) if (dinput[i] !== dinput0[i]) changed++;
    expect(changed).toBeGreaterThan(dinput.length * 0.9);
  });
});
