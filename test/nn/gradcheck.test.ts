// Central-difference gradient checks of every layer (through its effect on the loss) and of
// whole small models. A layer's input gradient is checked through the weight gradients of a
// parameterised layer placed before it.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { LayerSpec, ModelSpec } from '../../src/nn/spec.js';
import { Random } from '../../src/util/random.js';

const softmaxOut: LayerSpec = { type: 'dense', units: 4, activation: 'softmax' };

function spec(name: string, inputShape: [number, number, number], layers: LayerSpec[]): ModelSpec {
  return { name, inputShape, layers: [...layers, softmaxOut] };
}

/** Cases whose convolutions run by Winograd (forced: at these few channels 'auto' would not). */
const WINOGRAD = new Set(['winograd 3x3 (F(4x4,3x3)), conv before it', 'winograd 5x5 (F(2x2,5x5)), pool after it']);

/**
 * Cases whose first convolution takes the one-channel kernels (one input channel, 16 filters).
 * With the pool fused, 16 filters make a tie within eps in some pooling window likely, so that
 * path is checked against the direct path's gradients instead (conv-algorithms.test.ts).
 */
const SINGLE_CHANNEL = new Set(['one-channel conv, odd output size']);

const cases: ModelSpec[] = [
  spec('dense', [1, 1, 7], [{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'relu' }]),
  spec('dense-dense', [1, 1, 6], [{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'relu' }, { type: 'dense', units: 3, activation: 'linear' }]),
  spec('dense-dropout-dense', [1, 1, 6], [
    { type: 'flatten' },
    { type: 'dense', units: 9, activation: 'relu' },
    { type: 'dropout', rate: 0.4 },
    { type: 'dense', units: 5, activation: 'relu' },
  ]),
  spec('conv', [6, 5, 2], [{ type: 'conv2d', filters: 3, kernelSize: 3, activation: 'relu' }, { type: 'flatten' }]),
  spec('conv-conv', [7, 7, 1], [
    { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu' },
    { type: 'conv2d', filters: 5, kernelSize: 3, activation: 'linear' },
    { type: 'flatten' },
  ]),
  spec('conv-pool (odd size)', [7, 9, 2], [
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
  ]),
  spec('conv-avgpool (overlapping windows)', [8, 9, 2], [
    { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu' },
    { type: 'averagePooling2d', poolSize: 3, strides: 2 },
    { type: 'flatten' },
  ]),
  spec('avgpool first (its output feeds the conv gradients)', [7, 7, 3], [
    { type: 'averagePooling2d', poolSize: 2, strides: 2 },
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'linear' },
    { type: 'flatten' },
  ]),
  // A linear conv: with a ReLU, one of the 25 pixels a weight reaches sits within eps of its kink.
  spec('conv-global average pool-dense', [6, 7, 2], [
    { type: 'conv2d', filters: 5, kernelSize: 3, activation: 'linear' },
    { type: 'globalAveragePooling2d' },
    { type: 'dense', units: 6, activation: 'relu' },
  ]),
  spec('winograd 3x3 (F(4x4,3x3)), conv before it', [9, 8, 2], [
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'relu' },
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'linear' },
    { type: 'flatten' },
  ]),
  spec('winograd 5x5 (F(2x2,5x5)), pool after it', [10, 9, 4], [
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'relu' },
    { type: 'conv2d', filters: 8, kernelSize: 5, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
  ]),
  spec('one-channel conv, odd output size', [7, 9, 1], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'linear' },
    { type: 'flatten' },
  ]),
  // Batch normalization's input gradient reaches the conv's and the dense layer's weights through
  // the batch statistics. A conv weight moves every normalized value of its channel, so with a
  // ReLU after it (an Activation layer, in place) the 2x3 output keeps kinks within eps unlikely;
  // the larger 4x5 output is checked linear.
  spec('conv-batch norm', [6, 7, 2], [
    { type: 'conv2d', filters: 5, kernelSize: 3, activation: 'linear' },
    { type: 'batchNormalization', momentum: 0.99, epsilon: 0.001 },
    { type: 'flatten' },
  ]),
  spec('conv-batch norm-relu', [4, 5, 2], [
    { type: 'conv2d', filters: 5, kernelSize: 3, activation: 'linear' },
    { type: 'batchNormalization', momentum: 0.99, epsilon: 0.001 },
    { type: 'activation', activation: 'relu' },
    { type: 'flatten' },
  ]),
  spec('dense-batch norm', [1, 1, 7], [
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'linear' },
    { type: 'batchNormalization', momentum: 0.9, epsilon: 0.01 },
  ]),
  spec('dense-activation', [1, 1, 7], [
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'linear' },
    { type: 'activation', activation: 'relu' },
    { type: 'dense', units: 5, activation: 'linear' },
  ]),
  spec('small cnn', [10, 10, 1], [
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'dropout', rate: 0.3 },
    { type: 'conv2d', filters: 5, kernelSize: 2, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'dropout', rate: 0.5 },
  ]),
];

// Padding 'same' and stride 2 (conv2d.ts): each algorithm on a zero-padded image, even kernels
// and even sizes (the odd zero after the image), and a layer before each so that the input
// gradient cropped out of the padded one is checked too. The 4x4 cases are linear, with no max
// pool: a weight reaches so many pixels that some ReLU or pooling window sits within eps of its
// kink (there the numeric gradient moved by 5% from eps 1e-3 to 1e-4, onto the analytic one);
// the TF.js reference test has ReLUs and pools after such layers.
const windowCases: ModelSpec[] = [
  spec('same 3x3, conv before it', [7, 6, 2], [
    { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu', padding: 'same' },
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'linear', padding: 'same' },
    { type: 'flatten' },
  ]),
  spec('same 4x4 (1 zero before, 2 after)', [7, 8, 3], [
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'linear' },
    { type: 'conv2d', filters: 5, kernelSize: 4, activation: 'linear', padding: 'same' },
    { type: 'flatten' },
  ]),
  spec('same one-channel conv, conv before it', [7, 9, 1], [
    { type: 'conv2d', filters: 1, kernelSize: 2, activation: 'linear', padding: 'same' },
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'linear', padding: 'same' },
    { type: 'flatten' },
  ]),
  spec('same winograd 3x3 and 5x5', [8, 7, 4], [
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' },
    { type: 'conv2d', filters: 8, kernelSize: 5, activation: 'linear', padding: 'same' },
    { type: 'flatten' },
  ]),
  spec('stride 2, valid, last line unread', [9, 9, 2], [
    { type: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu' },
    { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'linear', strides: 2 },
    { type: 'flatten' },
  ]),
  spec('stride 2, same, even input (0 zeros before, 1 after)', [8, 8, 2], [
    { type: 'conv2d', filters: 3, kernelSize: 1, activation: 'linear' },
    { type: 'conv2d', filters: 5, kernelSize: 3, activation: 'linear', padding: 'same', strides: 2 },
    { type: 'flatten' },
  ]),
  spec('stride 2, same 4x4 (1 zero before, 2 after)', [8, 8, 3], [
    { type: 'conv2d', filters: 4, kernelSize: 2, activation: 'linear', padding: 'same' },
    { type: 'conv2d', filters: 6, kernelSize: 4, activation: 'linear', padding: 'same', strides: 2 },
    { type: 'flatten' },
  ]),
  spec('stride 2, one channel (the implicit GEMM)', [9, 8, 1], [
    { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'linear', strides: 2 },
    { type: 'flatten' },
  ]),
];
cases.push(...windowCases);
WINOGRAD.add('same winograd 3x3 and 5x5');
SINGLE_CHANNEL.add('same one-channel conv, conv before it');

/** The loss's label smoothing: its targets change the gradient the dense layers receive. */
cases.push({ ...spec('dense-dense, label smoothing 0.2', [1, 1, 6], [{ type: 'flatten' }, { type: 'dense', units: 5, activation: 'relu' }]), loss: { type: 'categoricalCrossentropy', labelSmoothing: 0.2 } } as ModelSpec);

/** Loss of one training forward pass with the dropout stream rewound to the same point. */
function lossWithFixedMasks(model: Sequential, batch: number, rngState: Uint8Array): number {
  model.engine.u8(model.scratch.rngState, 16).set(rngState);
  return model.forward(batch, true) / batch;
}

for (const fma of ['off', 'on'] as const) {
  describe(`gradient check (fma ${fma})`, () => {
    for (const modelSpec of cases) {
      it(modelSpec.name, async () => {
        const engine = await Engine.create({ fma });
        const batch = 3;
        const model = new Sequential(engine, modelSpec, { maxBatch: batch, seed: 7, convolution: WINOGRAD.has(modelSpec.name) ? 'winograd' : 'auto' });
        const kinds = model.layers.map((l) => (l as { algorithm?: { kind: string } }).algorithm?.kind);
        if (WINOGRAD.has(modelSpec.name)) expect(kinds).toContain('winograd');
        expect(kinds.includes('single')).toBe(SINGLE_CHANNEL.has(modelSpec.name));
        const random = new Random(11);
        const input = engine.f32(model.input, batch * model.inputSize);
        for (let i = 0; i < input.length; i++) input[i] = random.next() * 2 - 1;
        engine.i32(model.labels, batch).set([0, 3, 1]);
        const rngState = engine.u8(model.scratch.rngState, 16).slice();

        model.zeroGrads();
        lossWithFixedMasks(model, batch, rngState);
        model.backward(batch);
        const analytic = engine.f32(model.grads, model.paramFloats).slice();
        expect(analytic.some((g) => Math.abs(g) > 1e-4)).toBe(true);

        const eps = 1e-3;
        let checked = 0;
        for (const slot of model.slots) {
          if (!slot.trainable) continue;
          const layer = model.layers[slot.layer];
          const l = slot.layer;
          const stride = Math.max(1, Math.floor(slot.size / 40));
          for (let j = 0; j < slot.size; j += stride) {
            const index = slot.offset + j;
            const params = engine.f32(model.params, model.paramFloats);
            const saved = params[index];
            params[index] = saved + eps;
            const plus = lossWithFixedMasks(model, batch, rngState);
            params[index] = saved - eps;
            const minus = lossWithFixedMasks(model, batch, rngState);
            params[index] = saved;
            const numeric = (plus - minus) / (2 * eps);
            const error = Math.abs(numeric - analytic[index]);
            const bound = 5e-4 + 2e-2 * Math.abs(numeric);
            if (error > bound) {
              throw new Error(`layer ${l} (${layer.spec.type}) weight ${slot.index} element ${j}: analytic ${analytic[index]}, numeric ${numeric}`);
            }
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(10);
      });
    }
  });
}
