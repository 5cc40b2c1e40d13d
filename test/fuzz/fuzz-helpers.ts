// Shared pieces of the property-based fuzz tests: run counts, byte mutations, and the one
// property every hostile-input target must keep (a valid result or a one-line SimdnetError).
import fc from 'fast-check';
import { SimdnetError } from '../../src/engine/errors.js';

/** At least 2,000 cases per target per run; SIMDNET_FUZZ_RUNS raises it, SIMDNET_FUZZ_SEED replays a failure. */
export const fuzzParams: fc.Parameters<unknown> = {
  numRuns: Math.max(2000, Number(process.env.SIMDNET_FUZZ_RUNS ?? 0)),
  ...(process.env.SIMDNET_FUZZ_SEED ? { seed: Number(process.env.SIMDNET_FUZZ_SEED) } : {}),
};

/** Longest any single case may take: a parser that loops or inflates without bound fails here. */
export const CASE_TIME_LIMIT_MS = 2000;

/** Header values a hostile file likes: zero, one, powers of two near the limits, all ones. */
export const hostileU32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 28, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 24, 2 ** 16 + 1),
  fc.nat({ max: 0xffffffff }),
);

export type Mutation =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'truncate'; at: number }
  | { op: 'append'; bytes: Uint8Array }
  | { op: 'splice'; at: number; bytes: Uint8Array }
  | { op: 'u32'; at: number; value: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('splice' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  // Header fields sit at 0, 4, 8, 12; bias towards them.
  fc.record({ op: fc.constant('u32' as const), at: fc.oneof(fc.constantFrom(0, 4, 8, 12), fc.nat()), value: hostileU32 }),
);

export function mutate(input: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(input);
  for (const m of mutations) {
    const at = bytes.length ? m.op === 'u32' ? m.at % Math.max(1, bytes.length - 3) : (m as { at?: number }).at! % bytes.length : 0;
    switch (m.op) {
      case 'flip':
        if (bytes.length) bytes[at] ^= m.mask;
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
      case 'append': {
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes);
        out.set(m.bytes, bytes.length);
        bytes = out;
        break;
      }
      case 'splice': {
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(m.bytes, at);
        out.set(bytes.subarray(at), at + m.bytes.length);
        bytes = out;
        break;
      }
      case 'u32':
        if (bytes.length >= 4) new DataView(bytes.buffer).setUint32(at, m.value, false);
        break;
    }
  }
  return bytes;
}

/**
 * Runs `fn` on hostile input: it must return, or throw a SimdnetError whose message is one line;
 * any other exception fails the property (fast-check then prints the seed and the shrunk input).
 */
export function validOrSimdnetError<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: SimdnetError } {
  const started = performance.now();
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof SimdnetError)) throw error;
    if (error.message.includes('\n')) throw new Error(`multi-line error: ${JSON.stringify(error.message)}`);
    return { ok: false, error };
  } finally {
    const ms = performance.now() - started;
    if (ms > CASE_TIME_LIMIT_MS) throw new Error(`one case took ${ms.toFixed(0)} ms`);
  }
}
