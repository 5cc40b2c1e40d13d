// The pool's choice between splitting jobs and running them alone (src/engine/solo-policy.ts), on
// simulated cycles of two jobs whose time depends on the mode: it must settle on the faster mode,
// look at the other rarely, and follow a change of load.
import { describe, expect, it } from 'vitest';
import { MAX_EXPLORE_GAP, PHASE_MS, SoloPolicy } from '../../src/engine/solo-policy.js';

const first = { job: 'first' };
const second = { job: 'second' };
type Cost = (alone: boolean) => number;
/** Milliseconds per cycle: splitting faster (a quiet machine), or slower (a loaded one). */
const quiet: Cost = (alone) => (alone ? 3 : 2);
const loaded: Cost = (alone) => (alone ? 3 : 5);

/** Runs `cycles` cycles (first, second); returns how many ran alone. */
function run(policy: SoloPolicy, clock: { now: number }, cycles: number, cost: Cost): number {
  let alone = 0;
  for (let c = 0; c < cycles; c++) {
    const mode = policy.runAlone(first, clock.now);
    expect(policy.runAlone(second, clock.now + 0.1)).toBe(mode); // a mode holds for whole cycles
    if (mode) alone++;
    clock.now += cost(mode);
  }
  return alone;
}

/** Cycles in one phase of `msPerCycle`. */
const phase = (msPerCycle: number) => Math.ceil(PHASE_MS / msPerCycle);

describe('splitting or running alone', () => {
  it('settles on splitting where it is faster, and then looks at running alone once in 64 phases', () => {
    const policy = new SoloPolicy();
    const clock = { now: 0 };
    expect(run(policy, clock, 4000, quiet)).toBeGreaterThan(0); // it did look
    expect(run(policy, clock, MAX_EXPLORE_GAP * phase(2), quiet)).toBeLessThanOrEqual(2 * phase(3));
    expect(policy.phaseTimes().split.every((t) => t === 2)).toBe(true);
  });

  it('runs alone where splitting is slower, and splits again once the load goes', () => {
    const policy = new SoloPolicy();
    const clock = { now: 0 };
    expect(run(policy, clock, 4000, loaded) / 4000).toBeGreaterThan(0.95);
    // Settled alone: the next look at splitting comes within MAX_EXPLORE_GAP phases, and two or
    // three phases then flip the choice.
    run(policy, clock, (MAX_EXPLORE_GAP + 4) * phase(3), quiet);
    expect(run(policy, clock, MAX_EXPLORE_GAP * phase(2), quiet)).toBeLessThanOrEqual(2 * phase(3));
  });

  it('follows a machine that gets loaded within a few phases', () => {
    const policy = new SoloPolicy();
    const clock = { now: 0 };
    run(policy, clock, 4000, quiet);
    run(policy, clock, 4 * phase(5), loaded);
    // Alone from then on, but for one look at splitting at most.
    expect(run(policy, clock, 20 * phase(3), loaded)).toBeGreaterThanOrEqual(20 * phase(3) - phase(5));
  });

  it('takes a job that comes back as its anchor when the first one never does', () => {
    const policy = new SoloPolicy();
    policy.runAlone({ job: 'once' }, 0);
    run(policy, { now: 0 }, 2000, quiet);
    expect(policy.phaseTimes().split.length).toBeGreaterThan(0);
    expect(policy.phaseTimes().solo.length).toBeGreaterThan(0);
  });
});

describe('other work', () => {
  it('starts over when its anchor never comes back: the old cycles are not compared with the new', () => {
    const policy = new SoloPolicy();
    const clock = { now: 0 };
    run(policy, clock, 4000, loaded); // settled alone, on cycles of 3 ms
    // Now other work, whose cycles of two other jobs split faster: no trace of the old phases.
    const other = [{ job: 'other first' }, { job: 'other second' }];
    // 1,000 jobs without the old anchor, then one more: the other work is the anchor, the old
    // phase times are gone and it splits (its first phase not counted).
    for (let j = 0; j < 1001; j++) policy.runAlone(other[j % 2], clock.now);
    expect(policy.phaseTimes()).toEqual({ split: [], solo: [] });
    expect(policy.runAlone(other[0], clock.now)).toBe(false);
    let alone = 0;
    for (let c = 0; c < 4000; c++) {
      // All the time in the first job: whichever of the two becomes the anchor, a cycle then
      // holds one first job, in the mode the anchor's call chose.
      const mode = policy.runAlone(other[0], clock.now);
      if (mode) alone++;
      clock.now += mode ? 30 : 20;
      policy.runAlone(other[1], clock.now);
    }
    expect(policy.phaseTimes().solo.every((t) => t === 30)).toBe(true);
    expect(policy.phaseTimes().split.every((t) => t === 20)).toBe(true);
    expect(alone / 4000).toBeLessThan(0.05);
  });
});
