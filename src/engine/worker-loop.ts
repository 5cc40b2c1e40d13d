// The body of every worker thread, Node or browser: instantiate the kernels on the shared
// memory, then run queued calls each time the generation moves, until it becomes -1.
import { FAILED, FINISHED, GENERATION, runQueuedCalls, waitWhileEqual } from './thread-control.js';
import { KERNEL_NAMES } from './kernel-table.js';

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1..threads-1; the pool's own thread is 0. */
  thread: number;
  /** Callers count workers, not threads. */
  workers: number;
}

export function runWorkerLoop(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as Record<string, (...args: number[]) => unknown>;
  const kernels = KERNEL_NAMES.map((name) => exports[name]);
  const control = new Int32Array(init.control, 0, 4);
  const calls = new Float64Array(init.control, 16);
  let generation = Atomics.load(control, GENERATION);
  ready();
  for (;;) {
    waitWhileEqual(control, GENERATION, generation);
    generation = Atomics.load(control, GENERATION);
    if (generation < 0) return;
    try {
      runQueuedCalls(calls, init.thread, kernels);
    } catch {
      Atomics.store(control, FAILED, 1);
    }
    if (Atomics.add(control, FINISHED, 1) + 1 === init.workers) Atomics.notify(control, FINISHED);
  }
}
