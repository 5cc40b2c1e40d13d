// Model directories in the TensorFlow.js layers format: DIR/model.json (Keras topology plus a
// weights manifest) and DIR/group1-shard1of1.bin (float32, little-endian, each layer's kernel then
// its bias). tf.loadLayersModel reads what saveModel writes, and loadModel reads tfjs's and the
// Python converter's output. Nothing is allocated from a size the files declare until the files on
// disk are found to hold exactly that many bytes.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import type { ModelSpec } from '../nn/spec.js';
import type { Sequential } from '../nn/sequential.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { fromKerasTopology, layerNames, toKerasTopology, weightShapes, type WeightShape } from './keras-topology.js';
import { readWeights } from '../nn/weights.js';
import { planModel } from '../nn/model-spec.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
const MAX_MODEL_JSON_BYTES = 8 * 2 ** 20;
/** 64 Mi floats (256 MiB): far above the study's models, far below wasm32's 4 GiB. */
const MAX_PARAMS = 64 * 2 ** 20;
/** A shard path is a plain file name in the model directory: no folders, no "..". */
const SHARD_NAME = /^(?!\.\.?$)[A-Za-z0-9._-]{1,255}$/;

/** What simdnet records beside the topology (model.json's userDefinedMetadata.simdnet). */
export interface ModelMetadata {
  /** The dataset the model was trained on, e.g. "fashion-mnist". */
  dataset?: string;
  /** One name per output class, in order. */
  classNames?: string[];
  testAccuracy?: number;
}

export interface LoadedModel {
  dir: string;
  spec: ModelSpec;
  /** Every kernel and bias, in layer order, with the values for each. */
  weights: { shape: WeightShape; values: Float32Array }[];
  metadata: ModelMetadata;
}

/** The model's weight tensors in Keras's order, each with its Keras name and shape. */
export function namedWeights(model: Sequential): { shape: WeightShape; values: Float32Array }[] {
  const shapes = weightShapes(model.spec, layerNames(model.spec));
  return readWeights(model).map((values, i) => ({ shape: shapes[i], values }));
}

/** Saves a trained model as DIR/model.json + DIR/group1-shard1of1.bin; returns the paths written. */
export function saveModel(dir: string, model: Sequential, metadata: ModelMetadata = {}): string[] {
  const weights = namedWeights(model);
  const bytes = new Uint8Array(weights.reduce((sum, w) => sum + w.values.byteLength, 0));
  let offset = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), offset);
    offset += w.values.byteLength;
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'simdnet',
    convertedBy: null,
    modelTopology: toKerasTopology(model.spec),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weights.map((w) => ({ name: w.shape.name, shape: w.shape.shape, dtype: 'float32' })) }],
    userDefinedMetadata: { simdnet: metadata },
  };
  // Weights first: a model.json never points at a shard that is not there yet.
  const binPath = join(dir, WEIGHTS_FILE);
  const jsonPath = join(dir, MODEL_JSON);
  writeFileAtomic(binPath, bytes);
  writeFileAtomic(jsonPath, JSON.stringify(modelJson) + '\n');
  return [jsonPath, binPath];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function statOrFail(path: string, what: string): number {
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new SimdnetError(`${what} ${path} is not a file`);
  return stat.size;
}

interface ManifestWeight {
  name: string;
  shape: number[];
  /** Byte offset within its group's concatenated shards. */
  offset: number;
  group: number;
}

/** Checks the weights manifest and returns where each weight sits, plus each group's shard paths and byte count. */
function parseManifest(manifest: unknown, file: string): { weights: ManifestWeight[]; groups: { paths: string[]; bytes: number }[] } {
  if (!Array.isArray(manifest) || manifest.length === 0) throw new SimdnetError(`${file}: weightsManifest is missing or empty`);
  const weights: ManifestWeight[] = [];
  const groups: { paths: string[]; bytes: number }[] = [];
  let totalFloats = 0;
  manifest.forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new SimdnetError(`${file}: weightsManifest[${g}] needs paths and weights arrays`);
    const paths = group.paths.map((p) => {
      if (typeof p !== 'string' || !SHARD_NAME.test(p)) throw new SimdnetError(`${file}: weightsManifest[${g}] path ${JSON.stringify(p)} is not a plain file name in the model directory`);
      return p;
    });
    if (paths.length === 0) throw new SimdnetError(`${file}: weightsManifest[${g}] lists no paths`);
    let offset = 0;
    for (const entry of group.weights) {
      if (!isObject(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.shape)) throw new SimdnetError(`${file}: weightsManifest[${g}] has an entry without a name and shape`);
      const where = `${file}: weight '${entry.name}'`;
      if (entry.dtype !== 'float32') throw new SimdnetError(`${where} has dtype ${JSON.stringify(entry.dtype)}; simdnet reads float32 only`);
      if (entry.quantization !== undefined) throw new SimdnetError(`${where} is quantized; simdnet reads unquantized float32 only`);
      let size = 1;
      for (const d of entry.shape) {
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_PARAMS) throw new SimdnetError(`${where} has an invalid shape ${JSON.stringify(entry.shape)}`);
        size *= d;
        if (size > MAX_PARAMS) throw new SimdnetError(`${where} has ${JSON.stringify(entry.shape)} elements, more than simdnet's limit of ${MAX_PARAMS}`);
      }
      totalFloats += size;
      if (totalFloats > MAX_PARAMS) throw new SimdnetError(`${file}: the weights add up to more than simdnet's limit of ${MAX_PARAMS} floats`);
      weights.push({ name: entry.name, shape: entry.shape as number[], offset, group: g });
      offset += size * 4;
    }
    groups.push({ paths, bytes: offset });
  });
  return { weights, groups };
}

function parseMetadata(value: unknown, file: string, classes: number): ModelMetadata {
  const meta = isObject(value) && isObject(value.simdnet) ? value.simdnet : undefined;
  if (!meta) return {};
  const out: ModelMetadata = {};
  if (typeof meta.dataset === 'string') out.dataset = meta.dataset;
  if (typeof meta.testAccuracy === 'number') out.testAccuracy = meta.testAccuracy;
  if (meta.classNames !== undefined) {
    const names = meta.classNames;
    if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === 'string' && n.length <= 100)) {
      throw new SimdnetError(`${file}: userDefinedMetadata.simdnet.classNames must be ${classes} strings, one per output class`);
    }
    out.classNames = names as string[];
  }
  return out;
}

/** Reads and validates a model directory (or a path to its model.json). */
export function loadModel(path: string): LoadedModel {
  const dir = path.endsWith('.json') ? join(path, '..') : path;
  const jsonPath = path.endsWith('.json') ? path : join(dir, MODEL_JSON);
  const jsonBytes = statOrFail(jsonPath, 'model file');
  if (jsonBytes > MAX_MODEL_JSON_BYTES) throw new SimdnetError(`${jsonPath} is ${jsonBytes} bytes; a model.json over ${MAX_MODEL_JSON_BYTES} bytes is not a model simdnet can run`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (error) {
    throw new SimdnetError(`${jsonPath} is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isObject(json)) throw new SimdnetError(`${jsonPath} is not a TensorFlow.js model (expected a JSON object)`);
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new SimdnetError(`${jsonPath} has format ${JSON.stringify(json.format)}; simdnet reads the layers-model format (graph models cannot be trained or mapped to layers)`);
  }
  const { spec, names } = fromKerasTopology(json.modelTopology, jsonPath);
  const manifest = parseManifest(json.weightsManifest, jsonPath);

  // Match each expected kernel and bias to a manifest entry by name (exact, or as a suffix after
  // a scope such as "sequential/"), with exactly the expected shape.
  const expected = weightShapes(spec, names);
  const used = new Set<ManifestWeight>();
  const matched = expected.map((want) => {
    const found = manifest.weights.find((w) => w.name === want.name) ?? manifest.weights.find((w) => w.name.endsWith(`/${want.name}`));
    if (!found || used.has(found)) throw new SimdnetError(`${jsonPath}: weight '${want.name}' (shape [${want.shape}]) is missing from the weights manifest`);
    if (found.shape.length !== want.shape.length || found.shape.some((d, i) => d !== want.shape[i])) {
      throw new SimdnetError(`${jsonPath}: weight '${found.name}' has shape [${found.shape}], but the topology needs [${want.shape}]`);
    }
    used.add(found);
    return found;
  });
  const extra = manifest.weights.find((w) => !used.has(w));
  if (extra) throw new SimdnetError(`${jsonPath}: weight '${extra.name}' belongs to no layer of the topology`);

  // Each group's shards, concatenated, must hold exactly the bytes its manifest lists.
  const groupData = manifest.groups.map((group, g) => {
    const sizes = group.paths.map((p) => statOrFail(join(dir, p), 'weights file'));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== group.bytes) {
      throw new SimdnetError(`${join(dir, group.paths[0])}: weights group ${g + 1} holds ${total} bytes, but model.json lists ${group.bytes} (${group.bytes / 4} float32 values); the files are truncated or do not belong together`);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    group.paths.forEach((p, i) => {
      const data = readFileSync(join(dir, p));
      if (data.length !== sizes[i]) throw new SimdnetError(`${join(dir, p)} changed while it was being read`);
      bytes.set(data, at);
      at += data.length;
    });
    return bytes;
  });

  const weights = expected.map((shape, i) => {
    const w = matched[i];
    const count = shape.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(groupData[w.group].subarray(w.offset, w.offset + count * 4));
    for (let j = 0; j < count; j++) {
      if (!Number.isFinite(values[j])) throw new SimdnetError(`${jsonPath}: weight '${w.name}' holds a non-finite value (${values[j]}) at element ${j}; the weights file is corrupt`);
    }
    return { shape, values };
  });

  return { dir, spec, weights, metadata: parseMetadata(json.userDefinedMetadata, jsonPath, planModel(spec).classes) };
}
