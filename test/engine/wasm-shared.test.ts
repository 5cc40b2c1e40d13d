// The shared-memory kernel builds are derived at load time from the single-threaded ones
// (src/engine/wasm-shared.ts): the result must be byte for byte what asc builds for the shared
// targets (build/*.shared.wasm, which only the tests read), and bad input gets a clear error.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withSharedMemory } from '../../src/engine/wasm-shared.js';

const build = (name: string) => new Uint8Array(readFileSync(new URL(`../../build/${name}`, import.meta.url)));

describe('shared-memory builds derived from the single-threaded ones', () => {
  it.each(['simd', 'fma'])('%s: the same bytes as asc\'s shared target', (variant) => {
    const single = build(`simdnet.${variant}.wasm`);
    const shared = build(`simdnet.${variant}.shared.wasm`);
    expect(Buffer.from(single).equals(Buffer.from(shared))).toBe(false);
    expect(Buffer.from(withSharedMemory(single)).equals(Buffer.from(shared))).toBe(true);
  });

  it('a module with a shared memory import instantiates with a shared memory', async () => {
    const module = await WebAssembly.compile(withSharedMemory(build('simdnet.simd.wasm')));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    expect(typeof instance.exports.zeroF32).toBe('function');
  });

  it('refuses what it cannot rewrite, in one line', () => {
    expect(() => withSharedMemory(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not WebAssembly/);
    // An empty module: the header and version, no imports.
    expect(() => withSharedMemory(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toThrow(/imports no memory/);
    const shared = withSharedMemory(build('simdnet.simd.wasm'));
    expect(() => withSharedMemory(shared)).toThrow(/already shared/);
  });
});
