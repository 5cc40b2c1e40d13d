// Finds, validates and compiles the kernel module. Four variants run (see asconfig.json): plain
// SIMD or relaxed-SIMD FMA, each with private or shared memory; the package ships the two with
// private memory and makes the shared ones from them (wasm-shared.ts). The host picks one here.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { SimdnetError } from './errors.js';
import { withSharedMemory } from './wasm-shared.js';

export type FmaChoice = 'auto' | 'on' | 'off';

export interface WasmVariant {
  fma: boolean;
  shared: boolean;
}

/** The file a variant is made from: the shared variants are rewritten from the private ones. */
export function variantFileName(variant: WasmVariant): string {
  return `simdnet.${variant.fma ? 'fma' : 'simd'}.wasm`;
}

/**
 * Where the wasm builds are: beside the module that loads them (dist/, in the package and after
 * `npm run build`), or build/ when this runs from src/engine (tests).
 */
export function buildDir(): string {
  for (const relative of ['./', '../../build/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(dir + variantFileName({ fma: false, shared: false }))) return dir;
  }
  throw new SimdnetError('the wasm kernels are not built: run `npm run build` first');
}

let relaxedFlagSet = false;

/** Node 20 hides relaxed SIMD behind a V8 flag that can still be set before the first compile. */
function enableRelaxedSimdInV8(): void {
  if (relaxedFlagSet) return;
  relaxedFlagSet = true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // Not V8, or the flag is gone because relaxed SIMD is on by default: validate() decides.
  }
}

export function readVariantBytes(variant: WasmVariant): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(readFileSync(buildDir() + variantFileName(variant)));
  return variant.shared ? withSharedMemory(bytes) : bytes;
}

/** Compiles the requested variant; FMA 'auto' falls back to plain SIMD where the runtime refuses relaxed SIMD. */
export async function compileKernels(fma: FmaChoice, shared: boolean): Promise<{ module: WebAssembly.Module; variant: WasmVariant }> {
  if (fma !== 'off') {
    enableRelaxedSimdInV8();
    const bytes = readVariantBytes({ fma: true, shared });
    if (WebAssembly.validate(bytes)) {
      return { module: await WebAssembly.compile(bytes), variant: { fma: true, shared } };
    }
    if (fma === 'on') throw new SimdnetError('--fma on: this runtime does not support WebAssembly relaxed SIMD');
  }
  const bytes = readVariantBytes({ fma: false, shared });
  if (!WebAssembly.validate(bytes)) {
    throw new SimdnetError('this JavaScript runtime lacks WebAssembly SIMD (needed: Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+)');
  }
  return { module: await WebAssembly.compile(bytes), variant: { fma: false, shared } };
}
