// One linear memory shared by the TypeScript side and the kernels. The engine hands out
// 64-byte-aligned regions with a bump allocator: models and datasets reserve what they need
// once, so nothing is allocated per batch. Growing memory detaches old views, so callers ask for
// fresh views (f32/i32/u8) after reserving rather than keeping them across reservations.
import { instantiate } from '@assemblyscript/loader';
import type { FmaChoice, WasmVariant } from './wasm.js';
import type { Kernels, Ptr } from './kernel-table.js';
import { SimdnetError } from './errors.js';
import { ThreadPool, type WorkerSpawner } from './thread-pool.js';

const PAGE = 65536;
/** The kernels keep no static data; the first page is left to the module's own use. */
const HEAP_START = PAGE;
/** Shared memories need a declared maximum; 4 GiB is wasm32's limit. */
const MAX_PAGES = 65536;

export interface EngineOptions {
  fma?: FmaChoice;
  /** Shared memory (implied by threads > 1). */
  shared?: boolean;
  /** Threads that run the kernels, this one included (default 1). */
  threads?: number;
}

export class Engine {
  private top = HEAP_START;
  /** Worker threads that share this memory; null when single-threaded. */
  pool: ThreadPool | null = null;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly kernels: Kernels,
    readonly module: WebAssembly.Module,
    readonly variant: WasmVariant,
  ) {}

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** Node: reads build/*.wasm, picks FMA where the runtime validates it, starts worker threads. */
  static async create(options: EngineOptions = {}): Promise<Engine> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new SimdnetError(`--threads expects an integer >= 1, got ${threads}`);
    const shared = (options.shared ?? false) || threads > 1;
    // Loaded on demand: they use node:fs and worker_threads, which browser hosts replace.
    const { compileKernels } = await import('./wasm.js');
    const { module, variant } = await compileKernels(options.fma ?? 'auto', shared);
    if (threads === 1) return Engine.fromModule(module, variant);
    const { spawnNodeWorker } = await import('./node-workers.js');
    return Engine.fromModule(module, variant, threads, spawnNodeWorker);
  }

  /** For hosts that fetch and compile the wasm themselves (browsers, workers). */
  static async fromModule(module: WebAssembly.Module, variant: WasmVariant, threads = 1, spawn?: WorkerSpawner): Promise<Engine> {
    const shared = variant.shared;
    if (threads > 1 && (!shared || !spawn)) throw new Error('threads need the shared-memory build and a worker spawner');
    const memory = new WebAssembly.Memory(shared ? { initial: 2, maximum: MAX_PAGES, shared: true } : { initial: 2 });
    const { exports } = await instantiate<Record<string, unknown>>(module, { env: { memory } });
    const engine = new Engine(memory, exports as unknown as Kernels, module, variant);
    if (threads > 1) engine.pool = await ThreadPool.start(threads, module, memory, exports, spawn!);
    return engine;
  }

  /** Stops the worker threads; the engine stays usable on this thread alone. */
  close(): void {
    this.pool?.close();
    this.pool = null;
  }

  /** Reserves `bytes` (rounded up to 64) and returns the byte offset. Contents start zeroed. */
  reserve(bytes: number, what = 'tensor'): Ptr {
    const ptr = this.top;
    const end = ptr + Math.ceil(bytes / 64) * 64;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        throw new SimdnetError(
          `out of WebAssembly memory reserving ${(bytes / 2 ** 20).toFixed(1)} MiB for ${what} ` +
            `(${(end / 2 ** 20).toFixed(0)} MiB in all); try a smaller --batch-size`,
          1,
        );
      }
    }
    this.top = end;
    return ptr;
  }

  /** Current end of reserved memory; pass to `release` to free everything reserved after it. */
  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    const bytes = this.top - mark;
    new Uint8Array(this.memory.buffer, mark, bytes).fill(0);
    this.top = mark;
  }

  f32(ptr: Ptr, count: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, count);
  }

  i32(ptr: Ptr, count: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, count);
  }

  u8(ptr: Ptr, count: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, count);
  }

  /** Reserves room for `values` and copies them in. */
  storeF32(values: ArrayLike<number>, what?: string): Ptr {
    const ptr = this.reserve(values.length * 4, what);
    this.f32(ptr, values.length).set(values);
    return ptr;
  }

  storeI32(values: ArrayLike<number>, what?: string): Ptr {
    const ptr = this.reserve(values.length * 4, what);
    this.i32(ptr, values.length).set(values);
    return ptr;
  }

  storeU8(values: Uint8Array, what?: string): Ptr {
    const ptr = this.reserve(values.length, what);
    this.u8(ptr, values.length).set(values);
    return ptr;
  }
}
