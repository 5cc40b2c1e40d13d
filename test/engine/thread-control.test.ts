// The claim protocol of a job's parts (src/engine/thread-control.ts) on a control block in this
// thread, and the pool's back-off to running jobs alone while the cores are contended.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { CLAIMS, FAILED, FINISHED, THREAD_STRIDE, controlBytes, controlViews, runParts } from '../../src/engine/thread-control.js';

/** A control block for `parts` parts, each queueing one call of kernel 0 with its part number. */
function job(parts: number): { control: Int32Array; calls: Float64Array } {
  const views = controlViews(new SharedArrayBuffer(controlBytes(parts)), parts);
  for (let part = 0; part < parts; part++) {
    const base = part * THREAD_STRIDE;
    views.calls[base] = 1;
    views.calls[base + 1] = 0; // kernel id
    views.calls[base + 2] = 1; // argc
    views.calls[base + 3] = part;
  }
  return views;
}

describe('claiming parts', () => {
  it('runs every free part once, its own first, and counts each', () => {
    const { control, calls } = job(3);
    const ran: number[] = [];
    const result = runParts(control, calls, 3, 1, [(part: number) => ran.push(part)]);
    expect(ran).toEqual([1, 2, 0]);
    expect(result).toEqual({ error: undefined, ran: 3, ownTaken: false });
    expect(Atomics.load(control, FINISHED)).toBe(3);
  });

  it('skips parts another thread has claimed, and says when its own was one of them', () => {
    const { control, calls } = job(3);
    Atomics.store(control, CLAIMS + 2, 1);
    const ran: number[] = [];
    const result = runParts(control, calls, 3, 2, [(part: number) => ran.push(part)]);
    expect(ran).toEqual([0, 1]);
    expect(result.ownTaken).toBe(true);
    expect(result.ran).toBe(2);
    // A second thread arriving now finds nothing left to do.
    expect(runParts(control, calls, 3, 0, [(part: number) => ran.push(part)]).ran).toBe(0);
    expect(ran).toEqual([0, 1]);
  });

  it('a kernel that throws fails the job but its part still counts as finished', () => {
    const { control, calls } = job(2);
    const result = runParts(control, calls, 2, 0, [() => { throw new Error('boom'); }]);
    expect((result.error as Error).message).toBe('boom');
    expect(Atomics.load(control, FAILED)).toBe(1);
    expect(Atomics.load(control, FINISHED)).toBe(2);
  });
});

describe('the pool under contention', () => {
  const engines: Engine[] = [];
  afterAll(() => engines.forEach((e) => e.close()));

  it('runs jobs alone for 2, 4, 8 ... 1000 ms after contended ones, and halves the span after clean ones', async () => {
    const engine = await Engine.create({ threads: 2 });
    engines.push(engine);
    const pool = engine.pool as unknown as { contended(stole: boolean, waitedMs: number): void; takeSoloJob(): boolean };
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      /** How long jobs keep running alone from now, to the millisecond. */
      const soloSpan = (): number => {
        const start = now;
        while (pool.takeSoloJob()) now += 0.5;
        return now - start;
      };
      expect(soloSpan()).toBe(0);
      pool.contended(true, 0); // a worker's part had to be run here
      expect(soloSpan()).toBe(2);
      pool.contended(false, 5); // a long wait for a worker's part
      expect(soloSpan()).toBe(4);
      pool.contended(true, 0);
      expect(soloSpan()).toBe(8);
      pool.contended(false, 0); // a clean job: 8 -> 4
      pool.contended(false, 0); // 4 -> 2
      pool.contended(true, 0); // contended again: doubles what is left of the back-off
      expect(soloSpan()).toBe(4);
      for (let i = 0; i < 20; i++) pool.contended(true, 0);
      expect(soloSpan()).toBe(1000);
      // Clean jobs bring it back to none: 1000 ms halves to under 2 in 9 jobs, then to 0.
      for (let i = 0; i < 10; i++) pool.contended(false, 0);
      pool.contended(true, 0);
      expect(soloSpan()).toBe(2);
    } finally {
      clock.mockRestore();
    }
  });
});
