// The body of every worker thread, Node or browser: instantiate the kernels on the shared
// memory, then claim and run parts of each job (its own part first) each time the generation
// moves, until it becomes -1.
import { GENERATION, SPIN, controlViews, runParts, waitWhileEqual } from './thread-control.js';
import { KERNEL_NAMES } from './kernel-table.js';

export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1..threads-1; the pool's own thread is 0. */
  thread: number;
  /** The team's size, the pool's thread included: the number of parts per job. */
  threads: number;
}

export function runWorkerLoop(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as Record<string, (...args: number[]) => unknown>;
  const kernels = KERNEL_NAMES.map((name) => exports[name]);
  const { control, calls } = controlViews(init.control, init.threads);
  let generation = Atomics.load(control, GENERATION);
  ready();
  // How long to spin for the next job before sleeping: halved each time this worker arrives to
  // find its part already run by another thread (it was not getting a core: spinning would only
  // take CPU from the threads doing the work), doubled back each time it arrives in time.
  let spin = SPIN;
  for (;;) {
    waitWhileEqual(control, GENERATION, generation, spin);
    generation = Atomics.load(control, GENERATION);
    if (generation < 0) return;
    const { ownTaken } = runParts(control, calls, init.threads, init.thread, kernels);
    spin = ownTaken ? spin >> 1 : Math.min(SPIN, Math.max(1024, spin * 2));
  }
}
