// The claim protocol of a job's parts (src/engine/thread-control.ts) on a control block in this
// thread.
import { describe, expect, it } from 'vitest';
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
