// The report's picture of a run's augmentation: one test image and versions of it drawn by the
// training kernel under the run's own key at step 0, that is, what samples 0, 1, ... of the first
// batch would have been turned into had they all been this image.
import type { Engine } from '../engine/engine.js';
import { AUGMENT_SEED_STREAM, augmentBatch, type AugmentationSpec } from '../nn/augmentation.js';
import { deriveSeed } from '../util/random.js';
import type { AugmentedExample } from './types.js';

export function augmentedExample(engine: Engine, spec: AugmentationSpec, shape: [number, number, number], seed: number, image: Uint8Array, index: number, versions = 8): AugmentedExample {
  const pixels = shape[0] * shape[1] * shape[2];
  const k = engine.kernels;
  const mark = engine.mark();
  try {
    const images = engine.storeU8(image.subarray(0, pixels), 'gallery image');
    const indices = engine.storeI32(new Int32Array(versions), 'gallery indices');
    const source = engine.reserve(versions * pixels * 4, 'gallery images');
    const output = engine.reserve(versions * pixels * 4, 'augmented gallery images');
    const state = engine.reserve(16, 'gallery random state');
    const draws = engine.reserve(versions * 40, 'gallery draws');
    k.rngSeed(state, deriveSeed(seed, AUGMENT_SEED_STREAM));
    k.gatherImages(images, indices, source, versions, pixels, 1 / 255);
    augmentBatch(k, spec, { source, output, state, shape }, versions, 0);
    for (let v = 0; v < versions; v++) k.augmentDraw(draws + v * 40, state, 0, v, spec.translate, spec.rotate, spec.scale, spec.flipHorizontal ? 1 : 0);
    const out = engine.f32(output, versions * pixels);
    const d = new Float64Array(engine.memory.buffer, draws, versions * 5);
    return {
      index,
      pixels: Array.from(image.subarray(0, pixels)),
      versions: Array.from({ length: versions }, (_, v) => ({
        pixels: Array.from(out.subarray(v * pixels, (v + 1) * pixels), (x) => Math.round(Math.min(1, Math.max(0, x)) * 255)),
        shift: [d[v * 5], d[v * 5 + 1]],
        degrees: d[v * 5 + 2],
        zoom: d[v * 5 + 3],
        mirror: d[v * 5 + 4] === 1,
      })),
    };
  } finally {
    engine.release(mark);
  }
}
