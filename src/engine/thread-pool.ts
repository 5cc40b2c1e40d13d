// A fixed team of threads over one shared WebAssembly.Memory. The pool's own thread is thread 0;
// workers 1..n-1 sleep on a shared control block and, each time the generation counter moves,
// claim and run parts of the job (thread-control.ts: their own part first, then any left). One
// job = one fork/join: queue calls per part, run, wait until every part is done.
// Workers are created by a host-specific spawner (worker_threads in Node, Web Workers in pages).
import { CALL_STRIDE, CLAIMS, FAILED, FINISHED, GENERATION, SOLO, MAX_ARGS, MAX_CALLS, THREAD_STRIDE, controlBytes, controlViews, runParts, runQueuedCalls, waitWhileEqual } from './thread-control.js';
import { KERNEL_ID, KERNEL_NAMES, type KernelName } from './kernel-table.js';
import type { WorkerInit } from './worker-loop.js';
import { SoloPolicy } from './solo-policy.js';

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
  private readonly solo = new SoloPolicy();
  /** What the last takeSoloJob said (and control[SOLO] holds). */
  private alone = false;

  private constructor(
    readonly threads: number,
    buffer: SharedArrayBuffer,
    kernels: Record<string, unknown>,
    private readonly workers: SpawnedWorker[],
  ) {
    ({ control: this.control, calls: this.calls } = controlViews(buffer, threads));
    this.ownKernels = KERNEL_NAMES.map((name) => kernels[name] as (...args: number[]) => unknown);
  }

  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: Record<string, unknown>, spawn: WorkerSpawner): Promise<ThreadPool> {
    const buffer = new SharedArrayBuffer(controlBytes(threads));
    const workers = await Promise.all(
      Array.from({ length: threads - 1 }, (_, i) => spawn({ module, memory, control: buffer, thread: i + 1, threads })),
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

  /**
   * Wakes the workers, runs part 0 here and then any part no worker has started (a worker the OS
   * has not scheduled yet), and returns when every part is done. `solo` (from takeSoloJob): all
   * parts here, one after the other, without waking anyone.
   */
  run(solo = false): void {
    if (this.closed) throw new Error('thread pool is closed');
    if (solo) {
      for (let part = 0; part < this.threads; part++) runQueuedCalls(this.calls, part, this.ownKernels);
      return;
    }
    const parts = this.threads;
    Atomics.store(this.control, FINISHED, 0);
    Atomics.store(this.control, FAILED, 0);
    for (let part = 0; part < parts; part++) Atomics.store(this.control, CLAIMS + part, 0);
    // Wraps before reaching the sign bit: a negative generation means "exit".
    Atomics.store(this.control, GENERATION, (Atomics.load(this.control, GENERATION) + 1) & 0x3fffffff);
    Atomics.notify(this.control, GENERATION);
    const { error } = runParts(this.control, this.calls, parts, 0, this.ownKernels);
    for (;;) {
      const finished = Atomics.load(this.control, FINISHED);
      if (finished === parts) break;
      waitWhileEqual(this.control, FINISHED, finished);
    }
    if (error) throw error;
    if (Atomics.load(this.control, FAILED)) throw new Error('a worker thread failed while running a kernel');
  }

  /**
   * Whether the next job should run here, unsplit, instead of in parts: while splitting does not
   * pay (solo-policy.ts). The caller then calls the kernel as it is, which computes the same as
   * its parts and does no work twice (a GEMM split by rows packs B once per part).
   */
  takeSoloJob(job: object): boolean {
    const alone = this.solo.runAlone(job, performance.now());
    if (alone !== this.alone) Atomics.store(this.control, SOLO, (this.alone = alone) ? 1 : 0);
    return alone;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, GENERATION, -1);
    Atomics.notify(this.control, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}
