// zeroPad2d and crop2d against their references (exact: they are copies), and a 'same'
// convolution composed as the layer composes it (zeroPad2d, the valid kernels on the padded image
// at stride 1 or 2, the input gradient cropped back out) against the reference that reads zeros
// outside the image, both builds. Shapes: odd and even sizes, kernels 1 to 5, channels 1 to 16,
// batch 1 and 3, and the even totals of padding whose odd zero goes at the bottom and right.
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import {
  conv2dBackwardInputReference,
  conv2dBackwardWeightsReference,
  conv2dForwardReference,
  cropReference,
  outSize,
  zeroPadReference,
  type ConvShape,
} from '../reference/conv.js';
import { compare, place, randomF32, rng } from './helpers.js';

interface PadShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  paddedHeight: number;
  paddedWidth: number;
  top: number;
  left: number;
}

const padShapes: (PadShape & { name: string })[] = [
  { name: 'one pixel, border 1', batch: 1, height: 1, width: 1, channels: 1, paddedHeight: 3, paddedWidth: 3, top: 1, left: 1 },
  { name: 'odd channels, asymmetric', batch: 3, height: 5, width: 6, channels: 3, paddedHeight: 7, paddedWidth: 9, top: 0, left: 1 },
  { name: '16 channels, bottom-right only', batch: 2, height: 7, width: 4, channels: 16, paddedHeight: 8, paddedWidth: 5, top: 0, left: 0 },
  { name: 'no padding at all (a copy)', batch: 3, height: 4, width: 5, channels: 5, paddedHeight: 4, paddedWidth: 5, top: 0, left: 0 },
  { name: 'wide border, 8 channels', batch: 1, height: 3, width: 2, channels: 8, paddedHeight: 9, paddedWidth: 7, top: 4, left: 2 },
];

const sameShapes: (ConvShape & { name: string })[] = [
  { name: 'k3, odd input, 1 channel', batch: 3, height: 7, width: 9, inChannels: 1, outChannels: 16, kernel: 3, padding: 'same' },
  { name: 'k2 (total 1: the zero at the bottom-right)', batch: 1, height: 6, width: 5, inChannels: 3, outChannels: 5, kernel: 2, padding: 'same' },
  { name: 'k4 (1 before, 2 after)', batch: 3, height: 5, width: 8, inChannels: 5, outChannels: 7, kernel: 4, padding: 'same' },
  { name: 'k5, 16 channels', batch: 1, height: 6, width: 6, inChannels: 16, outChannels: 32, kernel: 5, padding: 'same' },
  { name: 'k1 (no padding)', batch: 3, height: 4, width: 3, inChannels: 8, outChannels: 3, kernel: 1, padding: 'same' },
  { name: 'kernel larger than the image', batch: 1, height: 2, width: 3, inChannels: 2, outChannels: 4, kernel: 5, padding: 'same' },
  { name: 'stride 2, k3, even input (0 before, 1 after)', batch: 3, height: 8, width: 8, inChannels: 3, outChannels: 5, kernel: 3, stride: 2, padding: 'same' },
  { name: 'stride 2, k3, odd input (1 and 1)', batch: 1, height: 9, width: 7, inChannels: 8, outChannels: 16, kernel: 3, stride: 2, padding: 'same' },
  { name: 'stride 2, k1, even input (no padding, last line unread)', batch: 3, height: 6, width: 4, inChannels: 5, outChannels: 6, kernel: 1, stride: 2, padding: 'same' },
  { name: 'stride 2, k4, 16 channels', batch: 3, height: 11, width: 10, inChannels: 16, outChannels: 32, kernel: 4, stride: 2, padding: 'same' },
  { name: 'stride 2, k5, 1 channel', batch: 1, height: 12, width: 13, inChannels: 1, outChannels: 9, kernel: 5, stride: 2, padding: 'same' },
];

/** The padded image the layer builds for a 'same' shape: as large as the windows reach. */
function paddedOf(s: ConvShape): PadShape {
  const { oh, ow, top, left } = outSize(s);
  const st = s.stride ?? 1;
  const paddedHeight = s.height + Math.max((oh - 1) * st + s.kernel - s.height, 0);
  const paddedWidth = s.width + Math.max((ow - 1) * st + s.kernel - s.width, 0);
  return { batch: s.batch, height: s.height, width: s.width, channels: s.inChannels, paddedHeight, paddedWidth, top, left };
}

const padArgs = (p: PadShape) => [p.batch, p.height, p.width, p.channels, p.paddedHeight, p.paddedWidth, p.top, p.left] as const;

const builds = [
  ['FMA', 'on'],
  ['plain SIMD', 'off'],
] as const;

const worst: Record<string, number> = {};

describe.each(builds)('zero padding, %s build', (_name, fma) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await Engine.create({ fma });
  });

  it.each(padShapes)('zeroPad2d and crop2d: $name', (p) => {
    const random = rng(p.paddedHeight * 100 + p.channels);
    const inputFloats = p.batch * p.height * p.width * p.channels;
    const paddedFloats = p.batch * p.paddedHeight * p.paddedWidth * p.channels;
    const input = randomF32(inputFloats, random);
    const paddedIn = randomF32(paddedFloats, random);
    const mark = engine.mark();
    // Garbage where the outputs go (the border must be written, not assumed zero), and 16
    // sentinels past each output that must survive.
    const pInput = place(engine, input);
    const pPadded = place(engine, Float32Array.from({ length: paddedFloats + 16 }, (_, i) => (i < paddedFloats ? 5 : 777)));
    const pPaddedIn = place(engine, paddedIn);
    const pCropped = place(engine, Float32Array.from({ length: inputFloats + 16 }, (_, i) => (i < inputFloats ? 5 : 777)));
    engine.kernels.zeroPad2d(pInput, pPadded, ...padArgs(p));
    engine.kernels.crop2d(pPaddedIn, pCropped, ...padArgs(p));
    const padded = Array.from(engine.f32(pPadded, paddedFloats + 16));
    const cropped = Array.from(engine.f32(pCropped, inputFloats + 16));
    engine.release(mark);

    const args = padArgs(p);
    expect(padded.slice(0, paddedFloats)).toEqual(Array.from(zeroPadReference(input, ...args)));
    expect(cropped.slice(0, inputFloats)).toEqual(Array.from(cropReference(paddedIn, ...args)));
    expect(padded.slice(paddedFloats).every((v) => v === 777)).toBe(true);
    expect(cropped.slice(inputFloats).every((v) => v === 777)).toBe(true);
  });

  it.each(sameShapes)("'same' convolution through the padded image: $name", (s) => {
    const { batch, inChannels, outChannels, kernel } = s;
    const stride = s.stride ?? 1;
    const p = paddedOf(s);
    const { oh, ow } = outSize(s);
    const rows = batch * oh * ow;
    const depth = kernel * kernel * inChannels;
    const inputFloats = batch * s.height * s.width * inChannels;
    const paddedFloats = batch * p.paddedHeight * p.paddedWidth * inChannels;
    const random = rng(s.height * 1000 + inChannels * 10 + outChannels + stride);
    const input = randomF32(inputFloats, random);
    const weights = randomF32(depth * outChannels, random);
    const doutput = randomF32(rows * outChannels, random);
    const k = engine.kernels;
    const geometry = [batch, p.paddedHeight, p.paddedWidth, inChannels, oh, ow, outChannels, kernel, stride] as const;

    const mark = engine.mark();
    const pInput = place(engine, input);
    const pWeights = place(engine, weights);
    const pBias = place(engine, new Float32Array(outChannels));
    const pDoutput = place(engine, doutput);
    const pPadded = engine.reserve(paddedFloats * 4);
    const pOutput = engine.reserve(rows * outChannels * 4);
    const pDweights = place(engine, new Float32Array(depth * outChannels));
    const pDinput = place(engine, randomF32(inputFloats, random));
    const pPack = engine.reserve(k.conv2dScratchFloats(p.paddedHeight, p.paddedWidth, inChannels, outChannels, kernel) * 4);
    k.zeroPad2d(pInput, pPadded, ...padArgs(p));
    k.conv2dForward(pPadded, pWeights, pBias, pOutput, pPack, ...geometry, 0, 0, 0);
    k.conv2dBackwardWeights(pPadded, pDoutput, pDweights, pPack, ...geometry, 0, depth, 0, outChannels);
    // The layer's backward: the padded image's buffer takes the padded input gradient.
    k.zeroF32(pPadded, paddedFloats);
    k.conv2dBackwardInput(pDoutput, pWeights, pPadded, pPack, ...geometry);
    k.crop2d(pPadded, pDinput, ...padArgs(p));
    const output = engine.f32(pOutput, rows * outChannels).slice();
    const dweights = engine.f32(pDweights, depth * outChannels).slice();
    const dinput = engine.f32(pDinput, inputFloats).slice();
    engine.release(mark);

    const forward = conv2dForwardReference(input, weights, s);
    const dw = conv2dBackwardWeightsReference(input, doutput, new Float32Array(depth * outChannels), s);
    const dx = conv2dBackwardInputReference(doutput, weights, new Float32Array(inputFloats), s);
    const results = { forward: compare(output, forward.value, forward.scale), weights: compare(dweights, dw.value, dw.scale), input: compare(dinput, dx.value, dx.scale) };
    for (const [pass, r] of Object.entries(results)) {
      expect(r.mismatch, pass).toBe('');
      worst[pass] = Math.max(worst[pass] ?? 0, r.worst);
    }

    // Where the total padding is odd, the reference with the zeros split the other way round
    // (the extra one before the image) is caught: the placement is tested, not just the size.
    const totalH = p.paddedHeight - s.height;
    if (totalH % 2 === 1 && s.height > 1) {
      const misplaced = misplacedForward(input, weights, s, p.top + 1);
      expect(compare(output, misplaced.value, misplaced.scale).mismatch).not.toBe('');
    }
  });
});

/** The forward with the image `top` rows down its padded frame (the reference's padding otherwise): for the check that a wrong placement fails. */
function misplacedForward(input: Float32Array, weights: Float32Array, s: ConvShape, top: number): { value: Float64Array; scale: Float64Array } {
  const p = paddedOf(s);
  const padded = zeroPadReference(input, s.batch, s.height, s.width, s.inChannels, p.paddedHeight + 1, p.paddedWidth, top, p.left);
  const framed: ConvShape = { ...s, height: p.paddedHeight + 1, width: p.paddedWidth, padding: 'valid' };
  const full = conv2dForwardReference(padded, weights, framed);
  // The first oh rows of windows, as many as the 'same' output has.
  const { oh, ow } = outSize(s);
  const fullRows = outSize(framed).oh;
  const keep = (values: Float64Array) => {
    const out = new Float64Array(s.batch * oh * ow * s.outChannels);
    for (let b = 0; b < s.batch; b++) out.set(values.subarray(b * fullRows * ow * s.outChannels, (b * fullRows + oh) * ow * s.outChannels), b * oh * ow * s.outChannels);
    return out;
  };
  return { value: keep(full.value), scale: keep(full.scale) };
}

describe('worst errors', () => {
  it('prints them on request', () => {
    if (process.env.SIMDNET_PRINT_ERRORS) console.log(`'same' through zeroPad2d, worst relative errors: ${JSON.stringify(worst)}`);
  });
});
