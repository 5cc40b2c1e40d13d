// The threaded builds differ from the single-threaded ones only in their memory import, which is
// declared shared with a maximum (asconfig.json: sharedMemory, maximumMemory). So the package
// ships two builds (plain SIMD and FMA) and the shared variants are made here, at load time, by
// rewriting that one import; test/engine/wasm-shared.test.ts checks the result is byte for byte
// what asc builds for the shared targets.
import { SimdnetError } from './errors.js';

/** asconfig.json's maximumMemory of the shared targets, in 64 KiB pages. */
export const SHARED_MAXIMUM_PAGES = 65536;

const IMPORT_SECTION = 2;
const MEMORY_IMPORT = 2;
const LIMITS_MIN = 0x00;
const LIMITS_MIN_MAX = 0x01;
const LIMITS_SHARED_MIN_MAX = 0x03;

/** Reads one unsigned LEB128 at `at`; returns its value and the offset after it. */
function readLeb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 5; i++) {
    value += (bytes[i] & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new SimdnetError('the kernel module is malformed (a truncated LEB128 number)');
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** The module with its imported memory declared shared, at most `maximumPages` pages. */
export function withSharedMemory(bytes: Uint8Array, maximumPages = SHARED_MAXIMUM_PAGES): Uint8Array<ArrayBuffer> {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new SimdnetError('the kernel module is not WebAssembly (no \\0asm header)');
  }
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const size = readLeb(bytes, at + 1);
    const body = size.next;
    const end = body + size.value;
    if (id !== IMPORT_SECTION) {
      at = end;
      continue;
    }
    let p = readLeb(bytes, body).next; // the number of imports
    while (p < end) {
      p = readLeb(bytes, p).next + readLeb(bytes, p).value; // module name
      p = readLeb(bytes, p).next + readLeb(bytes, p).value; // field name
      const kind = bytes[p++];
      if (kind !== MEMORY_IMPORT) {
        // Functions and tags name a type index; tables a reference type and limits; globals a type and mutability.
        if (kind === 0 || kind === 4) p = readLeb(bytes, kind === 4 ? p + 1 : p).next;
        else if (kind === 1) p = skipLimits(bytes, p + 1);
        else if (kind === 3) p += 2;
        else throw new SimdnetError(`the kernel module is malformed (import kind ${kind})`);
        continue;
      }
      const flags = bytes[p];
      if (flags !== LIMITS_MIN && flags !== LIMITS_MIN_MAX) throw new SimdnetError('the kernel module\'s memory is already shared');
      const initial = readLeb(bytes, p + 1);
      const limitsEnd = flags === LIMITS_MIN_MAX ? readLeb(bytes, initial.next).next : initial.next;
      const limits = [LIMITS_SHARED_MIN_MAX, ...leb(initial.value), ...leb(maximumPages)];
      const sectionBody = [...bytes.subarray(body, p), ...limits, ...bytes.subarray(limitsEnd, end)];
      const out = new Uint8Array(bytes.length - (end - at) + 1 + leb(sectionBody.length).length + sectionBody.length);
      out.set(bytes.subarray(0, at), 0);
      let o = at;
      out[o++] = IMPORT_SECTION;
      for (const b of leb(sectionBody.length)) out[o++] = b;
      out.set(sectionBody, o);
      out.set(bytes.subarray(end), o + sectionBody.length);
      return out;
    }
    break;
  }
  throw new SimdnetError('the kernel module imports no memory');
}

function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at];
  const first = readLeb(bytes, at + 1);
  return flags & 1 ? readLeb(bytes, first.next).next : first.next;
}
