// Model directories in the TensorFlow.js layers format: DIR/model.json and DIR/group1-shard1of1.bin
// (model-format.ts says what they hold). Writes are atomic; a read checks every shard's size
// against model.json before it reads a byte of it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import type { ModelSpec } from '../nn/spec.js';
import type { Sequential } from '../nn/sequential.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { layerNames, weightShapes } from './keras-topology.js';
import { readWeights } from '../nn/weights.js';
import { MAX_MODEL_JSON_BYTES, MODEL_JSON, WEIGHTS_FILE, assembleWeights, checkGroupBytes, encodeModel, parseModelJson, type ModelMetadata, type NamedWeight } from './model-format.js';

export { MODEL_JSON, WEIGHTS_FILE, type ModelMetadata };

export interface LoadedModel {
  dir: string;
  spec: ModelSpec;
  /** Every kernel and bias, in layer order, with the values for each. */
  weights: NamedWeight[];
  metadata: ModelMetadata;
}

/** The model's weight tensors in Keras's order, each with its Keras name and shape. */
export function namedWeights(model: Sequential): NamedWeight[] {
  const shapes = weightShapes(model.spec, layerNames(model.spec));
  return readWeights(model).map((values, i) => ({ shape: shapes[i], values }));
}

/** Saves a trained model as DIR/model.json + DIR/group1-shard1of1.bin; returns the paths written. */
export function saveModel(dir: string, model: Sequential, metadata: ModelMetadata = {}): string[] {
  const { json, bin } = encodeModel(model.spec, namedWeights(model), metadata);
  // Weights first: a model.json never points at a shard that is not there yet.
  const binPath = join(dir, WEIGHTS_FILE);
  const jsonPath = join(dir, MODEL_JSON);
  writeFileAtomic(binPath, bin);
  writeFileAtomic(jsonPath, JSON.stringify(json) + '\n');
  return [jsonPath, binPath];
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

/** Reads and validates a model directory (or a path to its model.json). */
export function loadModel(path: string): LoadedModel {
  const dir = path.endsWith('.json') ? join(path, '..') : path;
  const jsonPath = path.endsWith('.json') ? path : join(dir, MODEL_JSON);
  const jsonBytes = statOrFail(jsonPath, 'model file');
  if (jsonBytes > MAX_MODEL_JSON_BYTES) throw new SimdnetError(`${jsonPath} is ${jsonBytes} bytes; a model.json over ${MAX_MODEL_JSON_BYTES} bytes is not a model simdnet can run`);
  const parsed = parseModelJson(readFileSync(jsonPath, 'utf8'), jsonPath);
  // Each group's shards, concatenated, must hold exactly the bytes its manifest lists.
  const groupData = parsed.groups.map((group, g) => {
    const sizes = group.paths.map((p) => statOrFail(join(dir, p), 'weights file'));
    checkGroupBytes(parsed, g, sizes.reduce((a, b) => a + b, 0), join(dir, group.paths[0]));
    const bytes = new Uint8Array(group.bytes);
    let at = 0;
    group.paths.forEach((p, i) => {
      const data = readFileSync(join(dir, p));
      if (data.length !== sizes[i]) throw new SimdnetError(`${join(dir, p)} changed while it was being read`);
      bytes.set(data, at);
      at += data.length;
    });
    return bytes;
  });
  return { dir, spec: parsed.spec, weights: assembleWeights(parsed, groupData, jsonPath), metadata: parsed.metadata };
}
