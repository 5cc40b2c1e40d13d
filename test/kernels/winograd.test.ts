// Winograd convolution against the float64 references of the direct definition
// (test/reference/conv.ts), every variant, both builds, on awkward shapes (outputs that are not
// multiples of the tile, more tiles than one block, few and many channels) and the models' shapes:
// the forward pass (with bias and ReLU), the input gradient (the full convolution of doutput with
// the flipped kernel, through winogradForward with pad = r - 1) and the weight gradient (operands,
// products, kernel transform). Errors are relative to Σ|x·w| of each result; the worst seen is printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { conv2dBackwardInputReference, conv2dBackwardWeightsReference, conv2dForwardReference, outSize, type ConvShape } from '../reference/conv.js';
import { compare, place, randomF32, rng } from './helpers.js';

/**
 * Each variant with its tolerance (relative to Σ|x·w|): the transforms at the points ±2 amplify
 * rounding (their matrices hold 4, 5 and 8), most for F(4x4,3x3)'s input gradient, where a small
 * result sums few terms. Worst measured here (both builds, printed by this test): F(2x2,3x3)
 * 4.6e-7, F(2x2,5x5) 4.5e-6, F(4x4,3x3) 2.0e-5; the direct kernels' FMA and plain builds differ by
 * up to 6e-5 at K = 7744 (WASM-NOTES).
 */
const VARIANTS = [
  { name: 'F(2x2, 3x3)', variant: 0, kernel: 3, tolerance: 2e-6 },
  { name: 'F(4x4, 3x3)', variant: 1, kernel: 3, tolerance: 1e-4 },
  { name: 'F(2x2, 5x5)', variant: 2, kernel: 5, tolerance: 2e-5 },
];
const TOLERANCE = 2e-5;

const shapes = (kernel: number): (Omit<ConvShape, 'kernel'> & { name: string })[] => [
  { name: 'output a tile exactly', batch: 1, height: kernel + 1, width: kernel + 1, inChannels: 4, outChannels: 4 },
  { name: 'ragged edges, 3 images', batch: 3, height: kernel + 6, width: kernel + 4, inChannels: 8, outChannels: 12 },
  { name: 'one output row', batch: 2, height: kernel, width: kernel + 9, inChannels: 12, outChannels: 4 },
  { name: 'more tiles than one block', batch: 5, height: 11, width: 10, inChannels: 4, outChannels: 20 },
  { name: 'cnn conv2', batch: 2, height: 13, width: 13, inChannels: 32, outChannels: 32 },
  { name: 'cnn-tuned conv2', batch: 2, height: 12, width: 12, inChannels: 64, outChannels: 64 },
];

const worst: Record<string, number> = {};
afterAll(() => console.log('winograd worst relative errors:', JSON.stringify(worst)));

for (const [build, fma] of [['FMA', 'on'], ['plain SIMD', 'off']] as const) {
  describe(`Winograd convolution, ${build}`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await Engine.create({ fma });
    });

    for (const { name: variantName, variant, kernel, tolerance } of VARIANTS) {
      for (const shape of shapes(kernel)) {
        const s: ConvShape = { ...shape, kernel };
        it(`${variantName}: ${shape.name} (${s.batch}x${s.height}x${s.width}x${s.inChannels} -> ${s.outChannels})`, () => {
          const k = engine.kernels;
          const mark = engine.mark();
          const { oh, ow } = outSize(s);
          const { batch, height, width, inChannels: c, outChannels: o } = s;
          const random = rng(height * 100 + c * 7 + o + variant);
          const input = randomF32(batch * height * width * c, random);
          const weights = randomF32(kernel * kernel * c * o, random);
          const bias = randomF32(o, random);
          const doutput = randomF32(batch * oh * ow * o, random);
          const dweights0 = randomF32(weights.length, random);
          const elements = k.winogradTileElements(variant);
          const tiles = k.winogradTiles(oh, ow, variant);
          const pack = engine.reserve(k.winogradScratchFloats(Math.max(c, o), Math.max(c, o), variant) * 4 + 64);
          const u = engine.reserve(elements * c * o * 4);
          const pIn = place(engine, input);
          const pW = place(engine, weights);
          const pOut = place(engine, randomF32(batch * oh * ow * o, random)); // garbage to overwrite
          const record = (key: string, got: Float32Array, want: { value: Float64Array; scale: Float64Array }) => {
            const { mismatch, worst: w } = compare(got, want.value, want.scale, tolerance);
            worst[`${build} ${variantName} ${key}`] = Math.max(worst[`${build} ${variantName} ${key}`] ?? 0, w);
            expect(mismatch, `${key}: ${mismatch}`).toBe('');
          };

          // Forward, plain and with bias and ReLU.
          k.winogradTransformKernel(pW, u, pack, c, o, 0, variant, 0, c);
          k.winogradForward(pIn, u, 0, pOut, pack, batch, height, width, c, oh, ow, o, 0, 0, variant);
          const forward = conv2dForwardReference(input, weights, s);
          record('forward', engine.f32(pOut, forward.value.length).slice(), forward);
          k.winogradForward(pIn, u, place(engine, bias), pOut, pack, batch, height, width, c, oh, ow, o, 0, 1, variant);
          const activated = {
            value: forward.value.map((v, i) => Math.max(0, v + bias[i % o])),
            scale: forward.scale.map((v, i) => v + Math.abs(bias[i % o])),
          };
          record('forward+bias+relu', engine.f32(pOut, forward.value.length).slice(), activated);

          // Input gradient: the flipped kernel over doutput padded by r - 1.
          const uFlip = engine.reserve(elements * c * o * 4);
          const pDin = place(engine, randomF32(input.length, random));
          k.winogradTransformKernel(pW, uFlip, pack, c, o, 1, variant, 0, o);
          // By channel ranges, in any order (as threads take them): the same bits as one call.
          for (const [flip, channels, whole] of [[0, c, u], [1, o, uFlip]] as const) {
            const parts = engine.reserve(elements * c * o * 4);
            const cut = Math.ceil(channels / 3);
            engine.f32(parts, elements * c * o).fill(NaN);
            k.winogradTransformKernel(pW, parts, pack, c, o, flip, variant, cut, channels - cut);
            // The first call wrote its channels' transforms only.
            expect(engine.f32(parts, elements * c * o).filter(Number.isNaN).length, `flip ${flip}`).toBe((elements * c * o * cut) / channels);
            k.winogradTransformKernel(pW, parts, pack, c, o, flip, variant, 0, cut);
            expect(engine.f32(parts, elements * c * o), `flip ${flip}`).toEqual(engine.f32(whole, elements * c * o));
          }
          k.winogradForward(place(engine, doutput), uFlip, 0, pDin, pack, batch, oh, ow, o, height, width, c, kernel - 1, 0, variant);
          record('input gradient', engine.f32(pDin, input.length).slice(), conv2dBackwardInputReference(doutput, weights, new Float32Array(input.length), s));

          // Weight gradient: operands for every tile, products per element, then the kernel transform (accumulating).
          const v = engine.reserve(batch * tiles * elements * c * 4);
          const z = engine.reserve(batch * tiles * elements * o * 4);
          const du = engine.reserve(elements * c * o * 4);
          const pDw = place(engine, dweights0);
          k.winogradGradientOperands(pIn, place(engine, doutput), v, z, pack, batch, height, width, c, oh, ow, o, tiles, elements, variant);
          // The input gradient again, as the forward pass's adjoint over the same tiles (Z shared with the weight gradient).
          const pDin2 = place(engine, randomF32(input.length, random));
          k.winogradInputGradient(z, u, pDin2, pack, batch, height, width, c, oh, ow, o, tiles, elements, variant);
          record('input gradient (adjoint)', engine.f32(pDin2, input.length).slice(), conv2dBackwardInputReference(doutput, weights, new Float32Array(input.length), s));
          k.winogradGradientProducts(v, z, du, pack, batch * tiles, c, o, 0, elements, variant);
          k.winogradGradientKernel(du, pDw, pack, c, o, 0, c, variant);
          record('weight gradient', engine.f32(pDw, weights.length).slice(), conv2dBackwardWeightsReference(input, doutput, dweights0, s));
          engine.release(mark);
        });
      }
    }

    it('a wrong transform is caught: F(2x2, 5x5) transforms applied to a 3x3 layer miss by far', () => {
      const k = engine.kernels;
      const mark = engine.mark();
      const s: ConvShape = { batch: 1, height: 8, width: 8, inChannels: 4, outChannels: 4, kernel: 3 };
      const random = rng(5);
      const input = randomF32(8 * 8 * 4, random);
      const weights = randomF32(3 * 3 * 16, random);
      const pack = engine.reserve(k.winogradScratchFloats(4, 4, 2) * 4);
      const u = engine.reserve(36 * 16 * 4);
      // The 3x3 kernel read as the first taps of a 5x5 one: a different convolution.
      k.winogradTransformKernel(place(engine, weights), u, pack, 4, 4, 0, 2, 0, 4);
      const out = engine.reserve(6 * 6 * 4 * 4);
      k.winogradForward(place(engine, input), u, 0, out, pack, 1, 8, 8, 4, 6, 6, 4, 1, 0, 2);
      const want = conv2dForwardReference(input, weights, s);
      expect(compare(engine.f32(out, want.value.length), want.value, want.scale, TOLERANCE).mismatch).not.toBe('');
      engine.release(mark);
    });
  });
}
