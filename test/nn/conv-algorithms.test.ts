// Every convolution algorithm a layer may pick gives the direct implicit GEMM's loss and
// gradients, from the same weights and batch, up to rounding: the one-channel kernels (with the
// max pool fused, where a finite-difference check would trip over ties in pooling windows) and
// the Winograd variants. Both builds.
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { ConvolutionChoice } from '../../src/nn/layers/layer.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { Random } from '../../src/util/random.js';

interface Case {
  spec: ModelSpec;
  choice: ConvolutionChoice;
  /** The algorithm the first convolution must take under `choice`. */
  kind: string;
  /** Largest |difference| as a fraction of the largest |gradient|. */
  tolerance: number;
}

const head = { type: 'dense', units: 5, activation: 'softmax' } as const;
const cases: Case[] = [
  {
    spec: { name: 'one-channel conv, ReLU, pool fused', inputShape: [12, 12, 1], layers: [{ type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, head] },
    choice: 'auto',
    kind: 'single',
    tolerance: 1e-5,
  },
  {
    spec: { name: 'one-channel conv 5x5, odd width, then a conv', inputShape: [11, 12, 1], layers: [{ type: 'conv2d', filters: 16, kernelSize: 5, activation: 'relu' }, { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'relu' }, { type: 'flatten' }, head] },
    choice: 'auto',
    kind: 'single',
    tolerance: 1e-5,
  },
  {
    spec: { name: 'F(4x4,3x3), pool after', inputShape: [10, 10, 8], layers: [{ type: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, head] },
    choice: 'winograd',
    kind: 'winograd',
    tolerance: 1e-4,
  },
  {
    spec: { name: 'F(2x2,5x5)', inputShape: [9, 11, 4], layers: [{ type: 'conv2d', filters: 8, kernelSize: 5, activation: 'linear' }, { type: 'flatten' }, head] },
    choice: 'winograd',
    kind: 'winograd',
    tolerance: 1e-4,
  },
];

// Padding 'same': each algorithm on the zero-padded image, as 'auto' picks them, against
// `--conv direct` on the same layer.
cases.push(
  {
    spec: { name: "'same' one-channel conv, pool fused", inputShape: [12, 12, 1], layers: [{ type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' }, { type: 'maxPooling2d', poolSize: 2 }, { type: 'flatten' }, head] },
    choice: 'auto',
    kind: 'single',
    tolerance: 1e-5,
  },
  {
    spec: { name: "'same' F(4x4,3x3) by auto, odd size", inputShape: [9, 10, 16], layers: [{ type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' }, { type: 'flatten' }, head] },
    choice: 'auto',
    kind: 'winograd',
    tolerance: 1e-4,
  },
  {
    spec: { name: "'same' F(2x2,5x5)", inputShape: [8, 9, 4], layers: [{ type: 'conv2d', filters: 8, kernelSize: 5, activation: 'linear', padding: 'same' }, { type: 'flatten' }, head] },
    choice: 'winograd',
    kind: 'winograd',
    tolerance: 1e-4,
  },
);

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

/** Loss and gradients of one training step on a fixed batch, with the given convolution choice. */
function lossAndGradients(engine: Engine, spec: ModelSpec, choice: ConvolutionChoice): { loss: number; grads: Float32Array; kind: string } {
  const batch = 4;
  const model = new Sequential(engine, spec, { maxBatch: batch, seed: 3, convolution: choice });
  const random = new Random(5);
  const input = engine.f32(model.input, batch * model.inputSize);
  for (let i = 0; i < input.length; i++) input[i] = random.next();
  engine.i32(model.labels, batch).set([0, 4, 2, 1]);
  model.zeroGrads();
  const loss = model.forward(batch, true);
  model.backward(batch);
  const kind = (model.layers[0] as { algorithm?: { kind: string } }).algorithm?.kind ?? 'none';
  return { loss, grads: engine.f32(model.grads, model.paramFloats).slice(), kind };
}

for (const fma of ['on', 'off'] as const) {
  describe(`convolution algorithms against the direct path (fma ${fma})`, () => {
    it.each(cases)('$spec.name', async ({ spec, choice, kind, tolerance }) => {
      const engine = await Engine.create({ fma });
      engines.push(engine);
      const fast = lossAndGradients(engine, spec, choice);
      const direct = lossAndGradients(engine, spec, 'direct');
      expect(fast.kind).toBe(kind);
      expect(direct.kind).toBe('direct');
      expect(Math.abs(fast.loss - direct.loss)).toBeLessThan(1e-5 * Math.abs(direct.loss));
      let largest = 0;
      let worst = 0;
      for (let i = 0; i < direct.grads.length; i++) {
        largest = Math.max(largest, Math.abs(direct.grads[i]));
        worst = Math.max(worst, Math.abs(fast.grads[i] - direct.grads[i]));
      }
      expect(largest).toBeGreaterThan(1e-3);
      expect(worst / largest).toBeLessThan(tolerance);
      // Not the same arithmetic: a test of two identical paths would prove nothing.
      expect(fast.grads).not.toEqual(direct.grads);
    });
  });
}
