// Model directories: a save/load round trip is bit-exact, and every kind of corrupt or mismatched
// directory fails with one line (a SimdnetError, exit code 2) that names the file and the problem,
// without allocating from the sizes the files claim.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, cpSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import { MODELS } from '../../src/nn/models.js';
import { SimdnetError } from '../../src/engine/errors.js';
import { loadModel, namedWeights, saveModel } from '../../src/io/model-files.js';
import { instantiate } from '../../src/io/inference.js';

let engine: Engine;
const root = mkdtempSync(join(tmpdir(), 'simdnet-model-files-'));
const saved: Record<string, string> = {};

beforeAll(async () => {
  engine = await Engine.create();
  for (const name of Object.keys(MODELS)) {
    const mark = engine.mark();
    const model = new Sequential(engine, MODELS[name], { maxBatch: 2, seed: 7 });
    saved[name] = join(root, name);
    saveModel(saved[name], model, { dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    engine.release(mark);
  }
});

/** A copy of the saved mlp with model.json edited by `edit`. */
function variant(label: string, edit: (json: any) => void, from = 'mlp'): string {
  const dir = join(root, `${from}-${label}`);
  cpSync(saved[from], dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

function loadError(dir: string): SimdnetError {
  try {
    loadModel(dir);
  } catch (error) {
    expect(error).toBeInstanceOf(SimdnetError);
    const e = error as SimdnetError;
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error(`loading ${dir} did not fail`);
}

describe('model files', () => {
  it.each(Object.keys(MODELS))('%s: save and load are bit-exact, with the same spec', (name) => {
    const loaded = loadModel(saved[name]);
    expect(loaded.spec.layers).toEqual(MODELS[name].layers);
    expect(loaded.spec.inputShape).toEqual([28, 28, 1]);
    expect(loaded.metadata.dataset).toBe('mnist');
    const mark = engine.mark();
    const original = new Sequential(engine, MODELS[name], { maxBatch: 2, seed: 7 });
    const copy = instantiate(engine, loaded, 2);
    const bytes = (m: Sequential) => Buffer.from(engine.f32(m.params, m.paramFloats).slice().buffer);
    expect(bytes(copy).equals(bytes(original))).toBe(true); // a byte compare: toEqual on 10^5 floats takes seconds
    expect(namedWeights(copy).map((w) => w.shape.shape)).toEqual(loaded.weights.map((w) => w.shape.shape));
    engine.release(mark);
  });

  it('writes the layout tfjs expects: kernels [kh,kw,in,out] and [in,out], each followed by its bias', () => {
    const json = JSON.parse(readFileSync(join(saved.cnn, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(json.modelTopology.config.layers[0].config.batch_input_shape).toEqual([null, 28, 28, 1]);
    expect(json.modelTopology.config.layers.map((l: any) => l.class_name)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense']);
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    expect(json.weightsManifest[0].weights.map((w: any) => `${w.name} ${w.shape}`)).toEqual([
      'conv2d_1/kernel 3,3,1,32',
      'conv2d_1/bias 32',
      'conv2d_2/kernel 3,3,32,32',
      'conv2d_2/bias 32',
      'dense_1/kernel 800,128',
      'dense_1/bias 128',
      'dense_2/kernel 128,10',
      'dense_2/bias 10',
    ]);
    const floats = 3 * 3 * 32 + 32 + 3 * 3 * 32 * 32 + 32 + 800 * 128 + 128 + 128 * 10 + 10;
    expect(readFileSync(join(saved.cnn, 'group1-shard1of1.bin')).length).toBe(floats * 4);
  });

  it('rejects a missing directory, a missing or unparsable model.json', () => {
    expect(loadError(join(root, 'nowhere')).message).toMatch(/model file not found: .*nowhere.*model\.json/);
    const dir = variant('garbage', () => {});
    writeFileSync(join(dir, 'model.json'), '{"format": "layers-model", "modelTop');
    expect(loadError(dir).message).toMatch(/model\.json is not valid JSON/);
  });

  it('rejects truncated, oversized or missing weight files', () => {
    const short = variant('short', () => {});
    truncateSync(join(short, 'group1-shard1of1.bin'), 1000);
    expect(loadError(short).message).toMatch(/holds 1000 bytes, but model\.json lists \d+/);
    const long = variant('long', () => {});
    writeFileSync(join(long, 'group1-shard1of1.bin'), Buffer.concat([readFileSync(join(long, 'group1-shard1of1.bin')), Buffer.alloc(4)]));
    expect(loadError(long).message).toMatch(/do not belong together/);
    const gone = variant('gone', (j) => (j.weightsManifest[0].paths = ['other.bin']));
    expect(loadError(gone).message).toMatch(/weights file not found: .*other\.bin/);
  });

  it('rejects non-finite weights', () => {
    const dir = variant('nan', () => {});
    const bin = readFileSync(join(dir, 'group1-shard1of1.bin'));
    bin.writeFloatLE(NaN, 40);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bin);
    expect(loadError(dir).message).toMatch(/dense_1\/kernel' holds a non-finite value \(NaN\) at element 10/);
  });

  it('rejects manifests that do not match the topology', () => {
    expect(loadError(variant('shape', (j) => (j.weightsManifest[0].weights[0].shape = [784, 64]))).message).toMatch(/has shape \[784,64\], but the topology needs \[784,128\]/);
    expect(loadError(variant('name', (j) => (j.weightsManifest[0].weights[1].name = 'dense_9/bias'))).message).toMatch(/weight 'dense_1\/bias' \(shape \[128\]\) is missing/);
    expect(loadError(variant('extra', (j) => j.weightsManifest[0].weights.push({ name: 'stray', shape: [1], dtype: 'float32' }))).message).toMatch(/'stray' belongs to no layer/);
    expect(loadError(variant('dtype', (j) => (j.weightsManifest[0].weights[0].dtype = 'int32'))).message).toMatch(/dtype "int32"; simdnet reads float32 only/);
    expect(loadError(variant('quant', (j) => (j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 1, min: 0 }))).message).toMatch(/quantized/);
    expect(loadError(variant('escape', (j) => (j.weightsManifest[0].paths = ['../cnn/group1-shard1of1.bin']))).message).toMatch(/not a plain file name/);
    expect(loadError(variant('nomanifest', (j) => delete j.weightsManifest)).message).toMatch(/weightsManifest is missing/);
  });

  it('refuses absurd sizes before allocating anything', () => {
    const huge = variant('huge', (j) => {
      j.modelTopology.config.layers[1].config.units = 2 ** 40;
    });
    expect(loadError(huge).message).toMatch(/units must be an integer in \[1, 65536\]/);
    const bigShape = variant('bigshape', (j) => (j.weightsManifest[0].weights[0].shape = [2 ** 20, 2 ** 20]));
    expect(loadError(bigShape).message).toMatch(/more than simdnet's limit/);
  });

  it('rejects topologies simdnet cannot run, naming the layer', () => {
    const cls = (name: string) => variant(`cls-${name}`, (j) => (j.modelTopology.config.layers[1].class_name = name));
    expect(loadError(cls('LSTM')).message).toMatch(/layer 1 \(LSTM 'dense_1'\): layer class LSTM is not supported/);
    expect(loadError(variant('act', (j) => (j.modelTopology.config.layers[1].config.activation = 'tanh'))).message).toMatch(/activation "tanh" is not supported/);
    expect(loadError(variant('pad', (j) => (j.modelTopology.config.layers[0].config.padding = 'causal'), 'cnn')).message).toMatch(/padding "causal" is not supported/);
    expect(loadError(variant('stride', (j) => (j.modelTopology.config.layers[0].config.strides = [1, 2]), 'cnn')).message).toMatch(/strides \[1,2\] is not supported/);
    // Supported now, but the cnn's weights were saved for a valid stride-1 layer: its dense kernel no longer fits.
    expect(loadError(variant('same', (j) => (j.modelTopology.config.layers[0].config.padding = 'same'), 'cnn')).message).toMatch(/has shape \[800,128\], but the topology needs \[1152,128\]/);
    expect(loadError(variant('functional', (j) => (j.modelTopology.class_name = 'Model'))).message).toMatch(/only Sequential models are supported/);
    expect(loadError(variant('graph', (j) => (j.format = 'graph-model'))).message).toMatch(/layers-model format/);
    expect(loadError(variant('noinput', (j) => delete j.modelTopology.config.layers[0].config.batch_input_shape)).message).toMatch(/declares no batch_input_shape/);
    expect(loadError(variant('last', (j) => (j.modelTopology.config.layers.at(-1).config.activation = 'linear'))).message).toMatch(/last layer must be a Dense layer with softmax/);
    expect(loadError(variant('classes', (j) => (j.userDefinedMetadata.simdnet.classNames = ['a']))).message).toMatch(/classNames must be 10 strings/);
  });

  it('reads what the Python converter writes: an InputLayer first, Keras 3 batch_shape, scoped weight names', () => {
    const dir = variant('keras', (j) => {
      const layers = j.modelTopology.config.layers;
      delete layers[0].config.batch_input_shape;
      layers.unshift({ class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], dtype: 'float32', name: 'input_layer' } });
      for (const w of j.weightsManifest[0].weights) w.name = `sequential/${w.name}`;
      delete j.userDefinedMetadata;
    });
    const loaded = loadModel(dir);
    expect(loaded.spec.layers).toEqual(MODELS.mlp.layers);
    expect(loaded.metadata).toEqual({});
  });
});
