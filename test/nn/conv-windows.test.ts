// Conv2D's padding and strides outside the kernels: what a spec may say (the defaults left out,
// so that the named models' specs and the checkpoints that store them read back unchanged, and
// bad values refused in one line), and that 'same' and stride-2 layers train to the same bits on
// one thread and on two (both builds, by 'auto' and by the direct path).
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { canonicalJson, parseTrainingSpec } from '../../src/nn/model-spec.js';
import { MODEL_NAMES, modelSpec } from '../../src/nn/models.js';
import type { ConvolutionChoice } from '../../src/nn/layers/layer.js';
import type { TrainingSpec } from '../../src/nn/spec.js';
import { trainThreeSteps } from '../train/three-steps.js';

const head = { type: 'dense', units: 10, activation: 'softmax' };
const parse = (layers: unknown[], inputShape = [9, 8, 2]) => parseTrainingSpec({ name: 'windows', inputShape, layers: [...layers, { type: 'flatten' }, head] }, 'spec.json');

describe('conv2d padding and strides in a spec', () => {
  it("reads the named models' specs (as a checkpoint stores them) back to the same canonical JSON", () => {
    for (const name of MODEL_NAMES) {
      const stored = JSON.parse(JSON.stringify(modelSpec(name)));
      expect(canonicalJson(parseTrainingSpec(stored, 'checkpoint'))).toBe(canonicalJson(modelSpec(name)));
    }
  });

  it('leaves the defaults out, written or not', () => {
    const plain = parse([{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' }]);
    const explicit = parse([{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', padding: 'valid', strides: 1 }]);
    expect(canonicalJson(explicit)).toBe(canonicalJson(plain));
    expect(plain.layers[0]).toEqual({ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' });
    const same = parse([{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', strides: 2 }]);
    expect(same.layers[0]).toEqual({ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu', padding: 'same', strides: 2 });
    expect(canonicalJson(same)).not.toBe(canonicalJson(plain));
  });

  it('refuses other paddings and strides, naming the layer and the field', () => {
    const conv = { type: 'conv2d', filters: 4, kernelSize: 3, activation: 'relu' };
    expect(() => parse([{ ...conv, strides: 3 }])).toThrow(/^spec\.json \('windows'\): layer 0 \(conv2d\): strides must be 1 or 2, got 3$/);
    expect(() => parse([{ ...conv, strides: [2, 2] }])).toThrow(/strides must be 1 or 2, got \[2,2\]$/);
    expect(() => parse([{ ...conv, padding: 'full' }])).toThrow(/layer 0 \(conv2d\): padding must be "valid" or "same", got "full"$/);
    expect(() => parse([{ ...conv, kernelSize: 5 }], [4, 6, 1])).toThrow(/kernel 5 is larger than its 4x6 input/);
    // 'same' pads a kernel larger than the image.
    expect(parse([{ ...conv, kernelSize: 5, padding: 'same' }], [4, 6, 1]).layers).toHaveLength(3);
  });
});

const engines: Engine[] = [];
afterAll(() => engines.forEach((e) => e.close()));

/** Every algorithm on a padded image (one-channel, Winograd under 'auto'), an asymmetric stride-2 'same' layer and a valid stride-2 one. */
const model: TrainingSpec = parseTrainingSpec(
  {
    name: 'same and strided',
    inputShape: [28, 28, 1],
    layers: [
      { type: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu', padding: 'same' },
      { type: 'maxPooling2d', poolSize: 2 },
      { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu', padding: 'same' },
      { type: 'conv2d', filters: 24, kernelSize: 3, activation: 'relu', padding: 'same', strides: 2 },
      { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'linear', strides: 2 },
      { type: 'flatten' },
      head,
    ],
  },
  'threads',
);

async function trainedWeights(threads: number, fma: 'on' | 'off', convolution: ConvolutionChoice): Promise<{ params: Float32Array; kinds: string[] }> {
  const e = await Engine.create({ threads, fma, shared: true });
  engines.push(e);
  // 29 samples a step: every layer after the first has enough to split by samples.
  const { model: net, params } = trainThreeSteps(e, model, convolution);
  const kinds = net.layers.map((l) => (l as { algorithm?: { kind: string } }).algorithm?.kind ?? '-');
  return { params, kinds };
}

for (const fma of ['off', 'on'] as const) {
  describe(`'same' and stride-2 training on 1 and 2 threads (fma ${fma})`, () => {
    it.each(['auto', 'direct'] as const)('--conv %s: the same weights bit for bit', async (convolution) => {
      const one = await trainedWeights(1, fma, convolution);
      const two = await trainedWeights(2, fma, convolution);
      expect(one.kinds).toEqual(convolution === 'auto' ? ['single', '-', 'winograd', 'direct', 'direct', '-', '-'] : ['direct', '-', 'direct', 'direct', 'direct', '-', '-']);
      expect(one.params.some((v, i) => v !== 0 && Number.isFinite(v) && i > 0)).toBe(true);
      expect(two.params).toEqual(one.params);
    }, 60_000);
  });
}
