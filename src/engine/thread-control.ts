// The control block the thread pool and its workers share: the job generation, the count of
// finished parts, the failure flag, one claim flag per part, and each part's queue of kernel calls.
//
// A job is split into one part per thread, but a part belongs to whichever thread claims it
// first: each thread starts with its own (so consecutive kernels keep their data in the same
// core's cache) and then takes any part nobody has started. A worker that the OS has descheduled
// (other processes competing for the cores) therefore never holds the job up: the pool's thread
// runs its part too, and the job costs what it would on one thread. Parts compute the same
// arithmetic whoever runs them (each has its own packing scratch), so results stay bit-identical.
/** Int32 slots: generation (bumped per job; -1 tells workers to exit), finished parts, error flag, solo hint. */
export const GENERATION = 0;
export const FINISHED = 1;
export const FAILED = 2;
/** Set by the pool while it runs jobs alone (solo-policy.ts): workers then sleep instead of spinning. */
export const SOLO = 3;
/** Then one claim flag per part (0 free, 1 taken), reset by the pool before each job. */
export const CLAIMS = 4;
/** Per part, in the Float64 call area: [callCount, then per call: id, argc, args...]. */
export const MAX_CALLS = 8;
export const MAX_ARGS = 18;
export const CALL_STRIDE = 2 + MAX_ARGS;
export const THREAD_STRIDE = 1 + MAX_CALLS * CALL_STRIDE;

/** Int32 slots before the call area (kept even, so the Float64 area is 8-byte aligned). */
export function controlInts(threads: number): number {
  return (CLAIMS + threads + 1) & ~1;
}

export function controlBytes(threads: number): number {
  return controlInts(threads) * 4 + threads * THREAD_STRIDE * 8;
}

/** The two views of a control block. */
export function controlViews(buffer: SharedArrayBuffer, threads: number): { control: Int32Array; calls: Float64Array } {
  const ints = controlInts(threads);
  return { control: new Int32Array(buffer, 0, ints), calls: new Float64Array(buffer, ints * 4) };
}

/** Runs the calls queued for `part`. */
export function runQueuedCalls(calls: Float64Array, part: number, kernels: ((...args: number[]) => unknown)[]): void {
  const base = part * THREAD_STRIDE;
  const count = calls[base];
  for (let c = 0; c < count; c++) {
    const at = base + 1 + c * CALL_STRIDE;
    const fn = kernels[calls[at]];
    const argc = calls[at + 1];
    const args = new Array<number>(argc);
    for (let i = 0; i < argc; i++) args[i] = calls[at + 2 + i];
    fn(...args);
  }
}

/**
 * Claims and runs parts of the current job, `first` first, then any other still free, until none
 * is left; each finished part is counted, and the one that completes the job wakes the pool's
 * thread. A part whose kernel throws sets FAILED and still counts as finished (the job must end
 * before anyone may reuse the queues). Returns the first such error, how many parts ran here, and
 * whether `first` had already been taken by another thread (this one came late).
 */
export function runParts(control: Int32Array, calls: Float64Array, parts: number, first: number, kernels: ((...args: number[]) => unknown)[]): { error: unknown; ran: number; ownTaken: boolean } {
  let error: unknown;
  let ran = 0;
  let ownTaken = false;
  for (let i = 0; i < parts; i++) {
    const part = (first + i) % parts;
    if (Atomics.compareExchange(control, CLAIMS + part, 0, 1) !== 0) {
      if (i === 0) ownTaken = true;
      continue;
    }
    ran++;
    try {
      runQueuedCalls(calls, part, kernels);
    } catch (e) {
      error ??= e;
      Atomics.store(control, FAILED, 1);
    }
    if (Atomics.add(control, FINISHED, 1) + 1 === parts) Atomics.notify(control, FINISHED);
  }
  return { error, ran, ownTaken };
}

/**
 * Spins (a few hundred microseconds) before sleeping: the gaps between a training step's parallel
 * kernels are shorter than a wake-up from Atomics.wait. 4,000 spins let workers fall asleep
 * between the MLP's kernels: 200,000 measured +10% on mlp and +4% on mlp-tuned at 2 threads.
 */
export const SPIN = 200000;

/**
 * Returns once control[slot] is no longer `value`: after at most `spin` loads, by sleeping. Stops
 * spinning early once control[SOLO] is set (no job is coming soon; a spinning worker would take
 * CPU from the thread doing the work).
 */
export function waitWhileEqual(control: Int32Array, slot: number, value: number, spin = SPIN): void {
  for (let i = 0; i < spin; i++) {
    if (Atomics.load(control, slot) !== value) return;
    if ((i & 63) === 0 && Atomics.load(control, SOLO) !== 0) break;
  }
  while (Atomics.load(control, slot) === value) Atomics.wait(control, slot, value, 1000);
}
