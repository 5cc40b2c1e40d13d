// The TensorFlow.js layers format, as bytes: model.json (a Keras topology, a weights manifest and
// simdnet's metadata) and its float32 weight shards. Pure: Node (model-files.ts) reads and writes
// the files, the browser worker takes them from the page. tf.loadLayersModel reads what
// encodeModel writes, and parseModelJson reads tfjs's and the Python converter's output. Nothing
// is allocated from a size the JSON declares until the shards are found to hold exactly that.
import { SimdnetError } from '../engine/errors.js';
import type { ModelSpec } from '../nn/spec.js';
import { planModel } from '../nn/model-spec.js';
import { isObject } from '../nn/layers/fields.js';
import { fromKerasTopology, toKerasTopology, weightShapes, type WeightShape } from './keras-topology.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_FILE = 'group1-shard1of1.bin';
export const MAX_MODEL_JSON_BYTES = 8 * 2 ** 20;
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
  /** 'folder' when the data was a folder of the user's own (`--data DIR`): `dataset` is then its base name. */
  source?: 'folder';
  /** The fraction of each class held out for testing, when the folder had no test set of its own. */
  testSplit?: number;
  /** Grey models: whether the training images were light on dark (MNIST) or dark on light; predict matches it. */
  background?: 'dark' | 'light';
}

/** One weight tensor with its Keras name and shape. */
export interface NamedWeight {
  shape: WeightShape;
  values: Float32Array;
}

/** model.json (as an object) and the one shard holding every weight, in manifest order. */
export function encodeModel(spec: ModelSpec, weights: NamedWeight[], metadata: ModelMetadata = {}): { json: Record<string, unknown>; bin: Uint8Array } {
  const bin = new Uint8Array(weights.reduce((sum, w) => sum + w.values.byteLength, 0));
  let offset = 0;
  for (const w of weights) {
    bin.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), offset);
    offset += w.values.byteLength;
  }
  const json = {
    format: 'layers-model',
    generatedBy: 'simdnet',
    convertedBy: null,
    modelTopology: toKerasTopology(spec),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: weights.map((w) => ({ name: w.shape.name, shape: w.shape.shape, dtype: 'float32' })) }],
    userDefinedMetadata: { simdnet: metadata },
  };
  return { json, bin };
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
  if (meta.source === 'folder') out.source = 'folder';
  if (typeof meta.testSplit === 'number' && meta.testSplit > 0 && meta.testSplit < 1) out.testSplit = meta.testSplit;
  if (meta.background === 'dark' || meta.background === 'light') out.background = meta.background;
  if (meta.classNames !== undefined) {
    const names = meta.classNames;
    if (!Array.isArray(names) || names.length !== classes || !names.every((n) => typeof n === 'string' && n.length <= 100)) {
      throw new SimdnetError(`${file}: userDefinedMetadata.simdnet.classNames must be ${classes} strings, one per output class`);
    }
    out.classNames = names as string[];
  }
  return out;
}

/** model.json, checked: the spec, each weight's place in its shard group, and the shards each group needs. */
export interface ParsedModelJson {
  spec: ModelSpec;
  metadata: ModelMetadata;
  /** The weights the topology needs, in Keras order, each matched to its manifest entry. */
  weights: { shape: WeightShape; entry: ManifestWeight }[];
  /** Each group's shard file names and the bytes they must hold together. */
  groups: { paths: string[]; bytes: number }[];
}

/** Parses and checks model.json's text; `file` names it in errors. */
export function parseModelJson(text: string, file: string): ParsedModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimdnetError(`${file} is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!isObject(json)) throw new SimdnetError(`${file} is not a TensorFlow.js model (expected a JSON object)`);
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new SimdnetError(`${file} has format ${JSON.stringify(json.format)}; simdnet reads the layers-model format (graph models cannot be trained or mapped to layers)`);
  }
  const { spec, names } = fromKerasTopology(json.modelTopology, file);
  const manifest = parseManifest(json.weightsManifest, file);

  // Match each expected kernel and bias to a manifest entry by name (exact, or as a suffix after
  // a scope such as "sequential/"), with exactly the expected shape.
  const used = new Set<ManifestWeight>();
  const weights = weightShapes(spec, names).map((want) => {
    const found = manifest.weights.find((w) => w.name === want.name) ?? manifest.weights.find((w) => w.name.endsWith(`/${want.name}`));
    if (!found || used.has(found)) throw new SimdnetError(`${file}: weight '${want.name}' (shape [${want.shape}]) is missing from the weights manifest`);
    if (found.shape.length !== want.shape.length || found.shape.some((d, i) => d !== want.shape[i])) {
      throw new SimdnetError(`${file}: weight '${found.name}' has shape [${found.shape}], but the topology needs [${want.shape}]`);
    }
    used.add(found);
    return { shape: want, entry: found };
  });
  const extra = manifest.weights.find((w) => !used.has(w));
  if (extra) throw new SimdnetError(`${file}: weight '${extra.name}' belongs to no layer of the topology`);
  return { spec, metadata: parseMetadata(json.userDefinedMetadata, file, planModel(spec).classes), weights, groups: manifest.groups };
}

/** Refuses shard bytes that are not exactly what the group's manifest lists. */
export function checkGroupBytes(parsed: ParsedModelJson, group: number, total: number, where: string): void {
  const bytes = parsed.groups[group].bytes;
  if (total !== bytes) {
    throw new SimdnetError(`${where}: weights group ${group + 1} holds ${total} bytes, but model.json lists ${bytes} (${bytes / 4} float32 values); the files are truncated or do not belong together`);
  }
}

/** The weights, copied out of each group's concatenated shards (checked by checkGroupBytes); non-finite values are refused. */
export function assembleWeights(parsed: ParsedModelJson, groupData: Uint8Array[], file: string): NamedWeight[] {
  return parsed.weights.map(({ shape, entry }) => {
    const count = shape.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(count);
    new Uint8Array(values.buffer).set(groupData[entry.group].subarray(entry.offset, entry.offset + count * 4));
    for (let j = 0; j < count; j++) {
      if (!Number.isFinite(values[j])) throw new SimdnetError(`${file}: weight '${entry.name}' holds a non-finite value (${values[j]}) at element ${j}; the weights file is corrupt`);
    }
    return { shape, values };
  });
}
