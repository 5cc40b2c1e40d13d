// Fuzzing the model loader (simdnet evaluate/predict read model directories from anywhere):
// random JSON, structurally mutated model.json (any node replaced by a hostile value), byte-level
// mutations of model.json, and mutated weight files. Each must load into a consistent model or
// fail with a one-line SimdnetError; nothing else may escape, hang or allocate from a claimed size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { Sequential } from '../../src/nn/sequential.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { MODEL_JSON, WEIGHTS_FILE, loadModel, saveModel, type LoadedModel } from '../../src/io/model-files.js';
import { fuzzParams, hostileU32, mutate, mutation, validOrSimdnetError } from './fuzz-helpers.js';

// Every layer type, tiny, so each case writes a few hundred bytes.
const spec: ModelSpec = {
  name: 'tiny',
  inputShape: [6, 6, 1],
  layers: [
    { type: 'conv2d', filters: 2, kernelSize: 3, activation: 'relu' },
    { type: 'maxPooling2d', poolSize: 2 },
    { type: 'dropout', rate: 0.25 },
    { type: 'flatten' },
    { type: 'dense', units: 4, activation: 'relu' },
    { type: 'dense', units: 10, activation: 'softmax' },
  ],
};

let validJson: string;
let validBin: Uint8Array;
// In memory where the platform offers it: each case writes and reads the files again.
const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'simdnet-model-fuzz-'));
const FUZZ_TIMEOUT_MS = 120_000;

beforeAll(async () => {
  const engine = await Engine.create();
  const model = new Sequential(engine, spec, { maxBatch: 1, seed: 1 });
  saveModel(dir, model, { dataset: 'mnist', testAccuracy: 0.5, classNames: 'abcdefghij'.split('') });
  validJson = readFileSync(join(dir, MODEL_JSON), 'utf8');
  validBin = readFileSync(join(dir, WEIGHTS_FILE));
  expect(loadModel(dir).spec.layers).toHaveLength(spec.layers.length);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(loaded: LoadedModel): void {
  for (const w of loaded.weights) {
    expect(w.values.length).toBe(w.shape.shape.reduce((a, b) => a * b, 1));
    expect(w.values.every(Number.isFinite)).toBe(true);
  }
}

let lastBin: Uint8Array | undefined;
function load(json: string | Uint8Array, bin: Uint8Array = validBin): void {
  writeFileSync(join(dir, MODEL_JSON), json);
  if (bin !== lastBin) writeFileSync(join(dir, WEIGHTS_FILE), bin);
  lastBin = bin;
  const r = validOrSimdnetError(() => loadModel(dir));
  if (r.ok) check(r.value);
}

/** Every path to a node of a JSON value, root included. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileU32,
  fc.constantFrom(-1, 0.5, 1e308, -0, 2 ** 53, 65536, 4097, '..', '../../etc/passwd', '/etc/passwd', 'a/b', '', 'float16', 'valid', 'same', [1e9, 1e9], [null, 1e6, 1e6, 64], [], {}, null),
);

describe('fuzz: model loader', () => {
  it('random JSON as model.json', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => load(JSON.stringify(value))), fuzzParams);
  }, FUZZ_TIMEOUT_MS);

  it('model.json with one node replaced by a hostile value', () => {
    const parsed = JSON.parse(validJson);
    const all = paths(parsed);
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat({ max: all.length - 1 }), value: hostileValue }), { minLength: 1, maxLength: 3 }), (edits) => {
        let doc: unknown = parsed;
        for (const { at, value } of edits) {
          try {
            doc = replaceAt(doc, all[at], value);
          } catch {
            /* an earlier edit removed this path; skip */
          }
        }
        load(JSON.stringify(doc));
      }),
      fuzzParams,
    );
  }, FUZZ_TIMEOUT_MS);

  it('byte-level mutations of model.json', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ops) => load(mutate(Buffer.from(validJson), ops))), fuzzParams);
  }, FUZZ_TIMEOUT_MS);

  it('mutated weight files (truncated, extended, NaN bit patterns)', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ops) => load(validJson, mutate(validBin, ops))), fuzzParams);
  }, FUZZ_TIMEOUT_MS);
});
