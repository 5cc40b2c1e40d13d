// Training checkpoints: everything a run needs to continue bit for bit, in one file written
// atomically (temporary sibling, fsync, rename, fsync of the folder), so DIR/checkpoint.bin is
// always either the previous complete checkpoint or the new complete one, never a mix.
//
// Layout (little-endian, as wasm memory is):
//   0   "SIMDCKPT"                      magic, 8 bytes
//   8   u32 header bytes H
//   12  H bytes of JSON: CheckpointMeta (the run's options with its whole training spec, the
//       position, the optimizer's step, shuffler state, history, the SHA-256 of the payload)
//   ... zero padding to a multiple of 16
//   payload: params f32[paramFloats], the optimizer's state blocks f32[paramFloats] each (Adam's
//            two moments, SGD's velocity, ...), layer state f32[stateFloats] (moving
//            statistics), dropout stream state u8[16], training order i32[trainCount]
// The loader trusts nothing: every size is checked against the bytes present before any view
// is made, and the payload's hash must match, so a damaged file is refused with one line.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SimdnetError } from '../engine/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { sha256Hex } from '../data/idx.js';
import type { EpochRecord } from './types.js';
import type { TrainingSpec } from '../nn/spec.js';
import type { ConvolutionChoice } from '../nn/layers/layer.js';
import { canonicalJson, parseTrainingSpec } from '../nn/model-spec.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = 'SIMDCKPT';
/**
 * 3: the whole training spec and any optimizer's state blocks (2 held a model name and Adam's
 * moments; 1 held xoshiro128** dropout state).
 */
const VERSION = 3;
/** At most this many optimizer state blocks (Adam has 2). */
const MAX_OPTIMIZER_BLOCKS = 4;
/** Far above any real header (history of thousands of epochs); bounds what a hostile file can ask for. */
const MAX_HEADER_BYTES = 16 * 2 ** 20;
const RNG_STATE_BYTES = 16;

/** What must be the same for a resumed run to reproduce an uninterrupted one. */
export interface RunOptions {
  /** The model, optimizer (with the learning rate the run uses), schedule and loss. */
  spec: TrainingSpec;
  dataset: string;
  seed: number;
  batchSize: number;
  /** null: the whole training set. */
  limit: number | null;
  validationSplit: number;
  /** FMA kernels round differently from plain SIMD ones. */
  fma: boolean;
  /** Winograd and direct convolutions round differently too. */
  convolution: ConvolutionChoice;
}

export interface CheckpointMeta {
  version: number;
  options: RunOptions;
  /** Epochs the run was asked for; a resume may ask for more. */
  epochs: number;
  /** Epochs finished. */
  epoch: number;
  /** Batches finished in epoch `epoch + 1` (0 at an epoch boundary; > 0 after Ctrl-C). */
  batch: number;
  /** Running sums of the unfinished epoch, so its record comes out as if never interrupted. */
  lossSum: number;
  correct: number;
  epochSeconds: number;
  /** Steps the optimizer has taken, and how many state blocks it keeps. */
  optimizerStep: number;
  optimizerBlocks: number;
  shufflerState: number;
  history: EpochRecord[];
  paramFloats: number;
  stateFloats: number;
  trainCount: number;
  payloadSha256: string;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  params: Float32Array;
  optimizerState: Float32Array[];
  layerState: Float32Array;
  rngState: Uint8Array;
  order: Int32Array;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

function payloadBytes(m: Pick<CheckpointMeta, 'paramFloats' | 'optimizerBlocks' | 'stateFloats' | 'trainCount'>): number {
  return (1 + m.optimizerBlocks) * m.paramFloats * 4 + m.stateFloats * 4 + RNG_STATE_BYTES + m.trainCount * 4;
}

export function encodeCheckpoint(c: Omit<Checkpoint, 'meta'> & { meta: Omit<CheckpointMeta, 'payloadSha256' | 'version'> }): Uint8Array {
  const { paramFloats, trainCount, optimizerBlocks, stateFloats } = c.meta;
  if (c.params.length !== paramFloats || c.optimizerState.length !== optimizerBlocks || c.optimizerState.some((b) => b.length !== paramFloats)) {
    throw new Error('checkpoint: parameter or optimizer blocks disagree with paramFloats');
  }
  if (c.layerState.length !== stateFloats || c.rngState.length !== RNG_STATE_BYTES || c.order.length !== trainCount) throw new Error('checkpoint: layer state, rng state or order has the wrong size');
  const payload = new Uint8Array(payloadBytes(c.meta));
  let at = 0;
  for (const block of [c.params, ...c.optimizerState, c.layerState, c.rngState, c.order]) {
    payload.set(new Uint8Array(block.buffer, block.byteOffset, block.byteLength), at);
    at += block.byteLength;
  }
  const meta: CheckpointMeta = { version: VERSION, ...c.meta, payloadSha256: sha256Hex(payload) };
  const header = Buffer.from(JSON.stringify(meta));
  const start = align16(12 + header.length);
  const out = new Uint8Array(start + payload.length);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(payload, start);
  return out;
}

const isInt = (x: unknown, min = 0): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The first thing wrong with a parsed header, or undefined when it has every field, well typed. */
function badMeta(m: Record<string, unknown>): string | undefined {
  if (m.version !== VERSION) return `version ${String(m.version)}, this simdnet reads version ${VERSION}`;
  const o = m.options as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) return 'no run options';
  if (typeof o.dataset !== 'string') return 'no dataset name';
  try {
    o.spec = parseTrainingSpec(o.spec, 'training spec');
  } catch (error) {
    return (error as Error).message;
  }
  if (!isInt(o.seed) || !isInt(o.batchSize, 1) || !(o.limit === null || isInt(o.limit, 1)) || !isNum(o.validationSplit) || typeof o.fma !== 'boolean' || !['auto', 'direct', 'winograd'].includes(o.convolution as string)) {
    return 'malformed run options';
  }
  for (const key of ['epochs', 'epoch', 'batch', 'correct', 'optimizerStep', 'optimizerBlocks', 'shufflerState', 'paramFloats', 'stateFloats', 'trainCount'] as const) {
    if (!isInt(m[key])) return `malformed field '${key}'`;
  }
  if ((m.optimizerBlocks as number) > MAX_OPTIMIZER_BLOCKS) return `${m.optimizerBlocks} optimizer state blocks`;
  if (!isNum(m.lossSum) || !isNum(m.epochSeconds)) return 'malformed running sums';
  if (!Array.isArray(m.history) || m.history.length !== m.epoch) return 'history does not match the epoch count';
  const numOrNull = (x: unknown): boolean => x === null || typeof x === 'number';
  for (const [i, r] of (m.history as Record<string, unknown>[]).entries()) {
    if (typeof r !== 'object' || r === null || r.epoch !== i + 1 || typeof r.trainLoss !== 'number' || typeof r.trainAccuracy !== 'number' || !numOrNull(r.valLoss) || !numOrNull(r.valAccuracy) || typeof r.seconds !== 'number') {
      return `malformed history record ${i + 1}`;
    }
  }
  if (typeof m.payloadSha256 !== 'string') return 'no payload hash';
  return undefined;
}

/** Decodes and verifies a checkpoint file's bytes; any damage is a SimdnetError naming `path`. */
export function decodeCheckpoint(bytes: Uint8Array, path: string): Checkpoint {
  const fail = (why: string): SimdnetError => new SimdnetError(`${path}: not a usable simdnet checkpoint (${why}); delete it to start over`, 2);
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('latin1') !== MAGIC) throw fail('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getUint32(8, true);
  if (headerBytes > MAX_HEADER_BYTES || 12 + headerBytes > bytes.length) throw fail(`header of ${headerBytes} bytes in a ${bytes.length}-byte file`);
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(Buffer.from(bytes.subarray(12, 12 + headerBytes)).toString('utf8'));
  } catch {
    throw fail('header is not JSON');
  }
  if (typeof meta !== 'object' || meta === null) throw fail('header is not an object');
  const why = badMeta(meta as unknown as Record<string, unknown>);
  if (why) throw fail(why);
  const start = align16(12 + headerBytes);
  // Exact in doubles: both counts are safe integers and the product stays far below 2^53 unless hostile.
  const expected = payloadBytes(meta);
  if (start + expected !== bytes.length) throw fail(`payload of ${bytes.length - start} bytes, expected ${expected}`);
  const payload = bytes.subarray(start);
  if (sha256Hex(payload) !== meta.payloadSha256) throw fail('payload checksum mismatch');
  // Copy into fresh, aligned buffers: the file's bytes need not sit on a 4-byte boundary.
  const own = new Uint8Array(payload).buffer;
  const f = meta.paramFloats;
  const blocks = Array.from({ length: meta.optimizerBlocks }, (_, i) => new Float32Array(own, (i + 1) * f * 4, f));
  const stateAt = (1 + meta.optimizerBlocks) * f * 4;
  const rngAt = stateAt + meta.stateFloats * 4;
  return {
    meta,
    params: new Float32Array(own, 0, f),
    optimizerState: blocks,
    layerState: new Float32Array(own, stateAt, meta.stateFloats),
    rngState: new Uint8Array(own, rngAt, RNG_STATE_BYTES),
    order: new Int32Array(own, rngAt + RNG_STATE_BYTES, meta.trainCount),
  };
}

/** Leftover temporaries of writers that died (SIGKILL, power loss): never read, safe to delete. */
export function staleTemporaries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => {
    const m = /^\.checkpoint\.bin\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (!m) return false;
    const pid = Number(m[1]);
    if (pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false; // its writer is alive: not ours to touch
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  });
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not every platform fsyncs folders; the rename is still atomic */
  }
}

export function writeCheckpoint(dir: string, checkpoint: Parameters<typeof encodeCheckpoint>[0]): void {
  const bytes = encodeCheckpoint(checkpoint);
  try {
    for (const name of staleTemporaries(dir)) rmSync(join(dir, name), { force: true });
    writeFileAtomic(join(dir, CHECKPOINT_FILE), bytes);
  } catch (err) {
    throw new SimdnetError(`cannot write the checkpoint in ${dir} (${(err as Error).message})`, 1);
  }
  syncDir(dir);
}

/** The checkpoint in `dir`, or undefined when there is none yet. */
export function readCheckpoint(dir: string): Checkpoint | undefined {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new SimdnetError(`${path}: cannot read (${(err as Error).message})`);
  }
  return decodeCheckpoint(bytes, path);
}

const FLAG_OF: Record<Exclude<keyof RunOptions, 'spec'>, string> = {
  dataset: '--dataset',
  seed: '--seed',
  batchSize: '--batch-size',
  limit: '--limit',
  validationSplit: '--validation-split',
  fma: '--fma',
  convolution: '--conv',
};

/** Refuses a resume whose options differ from the checkpoint's: it could not reproduce the run. */
export function checkResumeOptions(saved: RunOptions, wanted: RunOptions, dir: string): void {
  const refuse = (flag: string, was: string, now: string): never => {
    throw new SimdnetError(`cannot resume from ${dir}: the checkpoint was made with ${flag} ${was}, this run asks for ${now}; drop the flag or pass the checkpoint's value`);
  };
  if (saved.spec.name !== wanted.spec.name) refuse('--model', saved.spec.name, wanted.spec.name);
  if (saved.spec.optimizer.learningRate !== wanted.spec.optimizer.learningRate) refuse('--lr', String(saved.spec.optimizer.learningRate), String(wanted.spec.optimizer.learningRate));
  if (canonicalJson(saved.spec) !== canonicalJson(wanted.spec)) {
    throw new SimdnetError(`cannot resume from ${dir}: the checkpoint was made with another training spec for '${saved.spec.name}' (layers, optimizer, schedule, loss or augmentation differ); resume without --model or --spec to use the checkpoint's own`);
  }
  for (const key of Object.keys(FLAG_OF) as (keyof typeof FLAG_OF)[]) {
    if (saved[key] !== wanted[key]) {
      const show = (v: unknown): string => (key === 'fma' ? (v ? 'on' : 'off') : v === null ? '(none)' : String(v));
      refuse(FLAG_OF[key], show(saved[key]), show(wanted[key]));
    }
  }
}
