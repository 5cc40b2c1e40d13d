// The benchmarks' default warm-up: a model's forward multiply-adds, counted from its layer plan,
// decide how many untimed steps come first, the same on every machine.
import { describe, expect, it } from 'vitest';
import { macsPerSample } from '../../src/nn/model-spec.js';
import { MODELS } from '../../src/nn/models.js';
import { WARMUP_MACS, defaultWarmupBatches } from '../../src/train/throughput.js';

describe('macsPerSample', () => {
  it('counts each kernel weight once per output pixel, by hand for the notebook models', () => {
    expect(macsPerSample(MODELS.mlp)).toBe(784 * 128 + 128 * 64 + 64 * 10);
    expect(macsPerSample(MODELS['mlp-tuned'])).toBe(784 * 256 + 256 * 128 + 128 * 10);
    // conv 26x26 outputs of 3x3x1x32, then 11x11 of 3x3x32x32 after the pool; 5x5x32 -> 800 -> 128 -> 10.
    expect(macsPerSample(MODELS.cnn)).toBe(26 * 26 * 9 * 32 + 11 * 11 * 9 * 32 * 32 + 800 * 128 + 128 * 10);
  });
});

describe('defaultWarmupBatches', () => {
  it('takes enough steps for WARMUP_MACS of forward work', () => {
    expect(defaultWarmupBatches(MODELS.mlp, 64, 30)).toBe(Math.ceil(WARMUP_MACS / (109_184 * 64)));
    expect(defaultWarmupBatches(MODELS.mlp, 64, 30)).toBe(573);
    expect(defaultWarmupBatches(MODELS['mlp-tuned'], 64, 30)).toBe(267);
    expect(defaultWarmupBatches(MODELS.cnn, 64, 30)).toBe(45);
    // A bigger batch is more work per step: fewer steps.
    expect(defaultWarmupBatches(MODELS.mlp, 256, 30)).toBe(Math.ceil(WARMUP_MACS / (109_184 * 256)));
  });

  it('takes at least a third of the timed steps, and at least 5', () => {
    expect(defaultWarmupBatches(MODELS['cnn-tuned'], 64, 30)).toBe(10);
    expect(defaultWarmupBatches(MODELS['cnn-tuned'], 64, 3)).toBe(Math.ceil(WARMUP_MACS / (macsPerSample(MODELS['cnn-tuned']) * 64)));
    expect(defaultWarmupBatches(MODELS['cnn-tuned'], 4096, 3)).toBe(5);
    expect(defaultWarmupBatches(MODELS.mlp, 64, 3000)).toBe(1000);
  });
});
