// A fixed team of threads over one shared WebAssembly.Memory. The pool's own thread is thread 0;
// workers 1..n-1 sleep on a shared control block and run the calls queued for them each time the
// generation counter moves. One job = one fork/join: queue calls per thread, run, wait for all.
// Workers are created by a host-specific spawner (worker_threads in Node, Web Workers in pages).
import { CALL_STRIDE, CONTROL_INTS, FAILED, FINISHED, GENERATION, MAX_ARGS, MAX_CALLS, THREAD_STRIDE, controlBytes, runQueuedCalls, waitWhileEqual } from './thread-control.js';
import { KERNEL_ID, KERNEL_NAMES, type KernelName } from './kernel-table.js';
import type { WorkerInit } from './worker-loop.js';

export interface SpawnedWorker {
  terminate(): void;
}

/** Starts one worker with `init` and resolves once it is waiting for jobs. */
export type WorkerSpawner = (init: WorkerInit) => Promise<SpawnedWorker>;

export class ThreadPool {
  private readonly control: Int32Array;
  private readonly calls: Float64Array;
  private readonly ownKernels: ((...args: number[]) => unknown)[];
  private closed = false;

  private constructor(
    readonly threads: number,
    buffer: SharedArrayBuffer,
    kernels: Record<string, unknown>,
    private readonly workers: SpawnedWorker[],
  ) {
    this.control = new Int32Array(buffer, 0, CONTROL_INTS);
    this.calls = new Float64Array(buffer, CONTROL_INTS * 4);
    this.ownKernels = KERNEL_NAMES.map((name) => kernels[name] as (...args: number[]) => unknown);
  }

  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: Record<string, unknown>, spawn: WorkerSpawner): Promise<ThreadPool> {
    const buffer = new SharedArrayBuffer(controlBytes(threads));
    const workers = await Promise.all(
      Array.from({ length: threads - 1 }, (_, i) => spawn({ module, memory, control: buffer, thread: i + 1, workers: threads - 1 })),
    );
    return new ThreadPool(threads, buffer, kernels, workers);
  }

  /** Clears every thread's queue; then `queue` calls and `run` them. */
  begin(): void {
    for (let t = 0; t < this.threads; t++) this.calls[t * THREAD_STRIDE] = 0;
  }

  queue(thread: number, kernel: KernelName, args: number[]): void {
    const base = thread * THREAD_STRIDE;
    const count = this.calls[base];
    if (count >= MAX_CALLS || args.length > MAX_ARGS) throw new Error(`thread ${thread}: too many queued calls or arguments`);
    const at = base + 1 + count * CALL_STRIDE;
    this.calls[at] = KERNEL_ID[kernel];
    this.calls[at + 1] = args.length;
    for (let i = 0; i < args.length; i++) this.calls[at + 2 + i] = args[i];
    this.calls[base] = count + 1;
  }

  /** Wakes the workers, runs thread 0's calls here, and returns when every thread is done. */
  run(): void {
    if (this.closed) throw new Error('thread pool is closed');
    const workers = this.threads - 1;
    Atomics.store(this.control, FINISHED, 0);
    // Wraps before reaching the sign bit: a negative generation means "exit".
    Atomics.store(this.control, GENERATION, (Atomics.load(this.control, GENERATION) + 1) & 0x3fffffff);
    Atomics.notify(this.control, GENERATION);
    runQueuedCalls(this.calls, 0, this.ownKernels);
    for (;;) {
      const finished = Atomics.load(this.control, FINISHED);
      if (finished === workers) break;
      waitWhileEqual(this.control, FINISHED, finished);
    }
    if (Atomics.load(this.control, FAILED)) throw new Error('a worker thread failed while running a kernel');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, GENERATION, -1);
    Atomics.notify(this.control, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}
