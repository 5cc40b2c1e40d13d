// Pins the numbers of the notebook's four models: each trains a few steps from seed 0 on a
// synthetic dataset, and the SHA-256 of all its weights (in Keras order, no padding) must equal
// the digest recorded before the layer-registry refactor began (main at 960c9c8), with the
// direct convolution forced (--conv direct); the default path (the one-channel kernels for first
// layers, Winograd where it pays) has digests of its own. A change that
// moves any bit of any weight fails here; if that is intended, the commit says why, re-records
// the digest (SIMDNET_PRINT_DIGESTS=1 prints the current ones) and re-runs the study.
//
// Two epochs of three steps (64, 64 and a ragged 13), so shuffling, a partial batch, dropout
// masks, Adam's bias correction and both thread counts all reach the digest. The FMA and plain
// builds round differently, so each has its own digest; the thread count must not matter.
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Engine } from '../../src/engine/engine.js';
import { NOTEBOOK_MODELS } from '../../src/nn/models.js';
import { trainingDigest } from './digest.js';

const DIGESTS: Record<string, { fma: string; plain: string }> = {
  cnn: { fma: 'a72479b2d3483405599f68977d36b4a7c5d6466df0936f8120443a4ac9566ba3', plain: '12f56cb5f1f7b6e92b0a32f5199fe9b8136d579e0ff5561431d5873774ea3423' },
  'cnn-tuned': { fma: 'ad08422b36d4c8188ea10b5480cd6206fbf1c64f160f2dd902644d722f7034cd', plain: '984eb0678bd765a6af63e2ff4732baef09fae818d1a8e343c1bc4cd8e5f7e245' },
  mlp: { fma: '8bd5d1199225fb773d33b3040c6d05809e7da534a8a6558cd6d984898e103cc1', plain: '3c5418b14b9b6c37950d46368654d7880c964e4a6ec2436d449b0682cfbb33da' },
  'mlp-tuned': { fma: '786b271d96d7ea159ec01452798c6e95027fcfa1cb72d4f6911d0123eca89a29', plain: 'db711de976e857bf175332ac05f6fb5784e420b64b6317f9c39ca3548fee7b3c' },
};

/**
 * The default path (--conv auto): cnn and cnn-tuned run their first layer by the one-channel
 * kernels (assembly/conv-single-channel.ts) and their second by F(4x4,3x3) and F(2x2,5x5) (the
 * MLPs have no convolution, and 'auto' gives them the digests above).
 */
const AUTO_DIGESTS: Record<string, { fma: string; plain: string }> = {
  cnn: { fma: '2844ff57e01d5ee74ff625add2d3da5625fed1ccee1562473d12636e963997fb', plain: '861619789d0c68d7492af265329632463df3a8b811d711fb2f847ad5546d709d' },
  'cnn-tuned': { fma: '6c43079c84fa7517a1681eb1f97223c9fb6f35148825cc582dca8b93e56ec0e9', plain: '113824eadced7ee23489533bfa2f7eca3114216dbf0aa3506d5755a1bff93d1b' },
};
const CONVOLUTIONAL = Object.keys(AUTO_DIGESTS);

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

describe('pinned weight digests of the notebook models', () => {
  it('lists every notebook model', () => {
    expect(Object.keys(DIGESTS).sort()).toEqual([...NOTEBOOK_MODELS].sort());
  });

  for (const fma of ['on', 'off'] as const) {
    for (const threads of [1, 2]) {
      it(`fma ${fma}, ${threads} thread(s)`, async () => {
        const engine = await Engine.create({ fma, threads });
        engines.push(engine);
        expect(engine.variant.fma).toBe(fma === 'on');
        const got: Record<string, string> = {};
        const auto: Record<string, string> = {};
        for (const name of NOTEBOOK_MODELS) got[name] = await trainingDigest(engine, name, 'direct');
        for (const name of CONVOLUTIONAL) auto[name] = await trainingDigest(engine, name, 'auto');
        if (process.env.SIMDNET_PRINT_DIGESTS) console.log(`fma ${fma}, ${threads} thread(s):`, JSON.stringify({ direct: got, auto }, null, 1));
        for (const name of NOTEBOOK_MODELS) expect(got[name], name).toBe(DIGESTS[name][fma === 'on' ? 'fma' : 'plain']);
        for (const name of CONVOLUTIONAL) expect(auto[name], `${name} (--conv auto)`).toBe(AUTO_DIGESTS[name][fma === 'on' ? 'fma' : 'plain']);
      }, 120_000);
    }
  }

  it('the digest sees a single changed bit', () => {
    const weights = new Float32Array([0.25, -1.5, 3]);
    const hash = (w: Float32Array) => createHash('sha256').update(new Uint8Array(w.buffer)).digest('hex');
    const before = hash(weights);
    new Uint32Array(weights.buffer)[1] ^= 1;
    expect(hash(weights)).not.toBe(before);
  });
});
