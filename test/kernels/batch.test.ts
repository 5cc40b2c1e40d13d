import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import * as ref from '../reference/elementwise.js';
import { BUILDS, createEngine, expectClose, placeF32, placeI32, randomF32, reserveAt, seeded } from './elementwise-helpers.js';

for (const build of BUILDS) {
  describe(`batch gather (${build.name})`, () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine(build.fma);
    });

    // 784 = 49·16 (MNIST) has no tail; the others exercise the scalar tail or skip the SIMD loop.
    for (const pixels of [1, 7, 13, 16, 33, 784]) {
      it(`gatherImages and gatherLabels, ${pixels} pixels per image`, () => {
        const mark = engine.mark();
        const rand = seeded(pixels);
        const images = 29;
        const data = Uint8Array.from({ length: images * pixels }, () => Math.floor(rand() * 256));
        data[0] = 255;
        data[data.length - 1] = 0;
        const labels = Uint8Array.from({ length: images }, () => Math.floor(rand() * 256));
        // Repeats, first and last image included.
        const indices = Int32Array.from({ length: 13 }, (_, i) => (i === 0 ? 0 : i === 1 ? images - 1 : Math.floor(rand() * images)));
        // u8 tensors start at odd byte offsets; f32 ones at odd float offsets.
        const dataPtr = engine.reserve(data.length + 3) + 3;
        engine.u8(dataPtr, data.length).set(data);
        const labelsPtr = engine.reserve(labels.length + 1) + 1;
        engine.u8(labelsPtr, labels.length).set(labels);
        const idxPtr = placeI32(engine, indices, 1);
        const outPtr = reserveAt(engine, indices.length * pixels, 3);
        const scale = 1 / 255;
        engine.kernels.gatherImages(dataPtr, idxPtr, outPtr, indices.length, pixels, scale);
        expectClose(engine.f32(outPtr, indices.length * pixels), ref.gatherImages(data, indices, pixels, scale), 0, 0, 'images');

        const labelsOut = reserveAt(engine, indices.length, 2);
        engine.kernels.gatherLabels(labelsPtr, idxPtr, labelsOut, indices.length);
        expectClose(engine.i32(labelsOut, indices.length), ref.gatherLabels(labels, indices), 0, 0, 'labels');
        engine.release(mark);
      });
    }

    for (const count of [0, 1, 7, 13, 1000]) {
      it(`zeroF32 clears exactly ${count} floats`, () => {
        const mark = engine.mark();
        const values = randomF32(count + 2, seeded(count), 1, 2);
        const ptr = placeF32(engine, values, 1);
        engine.kernels.zeroF32(ptr + 4, count);
        const got = engine.f32(ptr, count + 2);
        expect(got[0]).toBe(values[0]);
        expect(got[count + 1]).toBe(values[count + 1]);
        expectClose(got.subarray(1, count + 1), new Float32Array(count), 0, 0, 'zeroed');
        engine.release(mark);
      });
    }
  });
}
