// Whether the thread pool should split its jobs or run them on its own thread, chosen by measuring
// both. Users' machines are busy (other tabs, other jobs): then a worker the OS deschedules
// mid-part holds its job for a time slice, a spinning worker takes CPU from the thread doing the
// work, and splitting can cost more than it gains. What it costs shows only in the throughput of
// the whole computation, gaps between jobs included, so that is what this measures.
//
// Work repeats: a training step (or a predicted batch) runs the same kernels with the same
// arguments, so the time from one start of the same job (the anchor) to the next is the time of one
// such cycle. The policy runs phases of whole cycles, at least PHASE_MS long (EXPLORE_MS when
// exploring), in one mode, and keeps each mode's last HISTORY phase times (per cycle) but for the
// first phase's, which holds the compilation of the first calls. It runs the faster mode by the
// medians and explores the slower one every few phases: after 2, then 4, 8 ... MAX_EXPLORE_GAP
// while the exploration confirms the choice (2, 8, 32, 64 when it was far behind), and at once
// again when an explored phase beat the choice (a change of load then flips the choice in two or
// three phases). On a quiet machine exploring solo costs a phase in 64 once settled; under load,
// the parallel phase that probes as often.
// Results do not depend on any of this: a part computes the same whoever runs it.
import { median } from '../util/median.js';

export const PHASE_MS = 50;
/** Exploring phases are shorter: on a quiet machine each costs what running alone loses. */
export const EXPLORE_MS = 15;
export const HISTORY = 5;
export const MAX_EXPLORE_GAP = 64;
/** An explored phase this much slower than the choice pushes the next look four times further. */
export const FAR_BEHIND = 1.25;
/** With no cycle this long (the anchor job never came back: other work), the job running now becomes the anchor, and the policy starts over. */
const REANCHOR_JOBS = 1000;

type Mode = 'split' | 'solo';

export class SoloPolicy {
  private anchor: object | undefined;
  private jobsSinceAnchor = 0;
  private mode: Mode = 'split';
  private phaseStart = NaN;
  private phaseCycles = 0;
  private readonly history: Record<Mode, number[]> = { split: [], solo: [] };
  private exploring = false;
  /** The first phase is not recorded: it holds the first runs' compilation and cold caches. */
  private warmedUp = false;
  private exploreGap = 2;
  private phasesSinceExplore = 0;

  /** Before running `job` (the same object for the same kernel and arguments) at time `now`: whether to run it alone. */
  runAlone(job: object, now: number): boolean {
    if (this.anchor === undefined || ++this.jobsSinceAnchor > REANCHOR_JOBS) this.restart(job, now);
    else if (job === this.anchor) this.cycleEnded(now);
    return this.mode === 'solo';
  }

  /** Phase times so far, per cycle, in ms: for tests and diagnostics. */
  phaseTimes(): Record<Mode, readonly number[]> {
    return this.history;
  }

  private restart(job: object, now: number): void {
    if (this.anchor !== undefined) {
      // Other work (another model, or evaluation at another batch size): its cycles are not
      // comparable with the old ones. Start over, splitting, its first phase not counted.
      this.history.split = [];
      this.history.solo = [];
      this.mode = 'split';
      this.exploring = false;
      this.exploreGap = 2;
      this.phasesSinceExplore = 0;
      this.warmedUp = false;
    }
    this.anchor = job;
    this.jobsSinceAnchor = 0;
    this.phaseStart = now;
    this.phaseCycles = 0;
  }

  private cycleEnded(now: number): void {
    this.jobsSinceAnchor = 0;
    this.phaseCycles++;
    const elapsed = now - this.phaseStart;
    if (elapsed < (this.exploring ? EXPLORE_MS : PHASE_MS)) return;
    if (this.warmedUp) {
      const times = this.history[this.mode];
      times.push(elapsed / this.phaseCycles);
      if (times.length > HISTORY) times.shift();
      this.mode = this.nextMode(elapsed / this.phaseCycles);
    }
    this.warmedUp = true;
    this.phaseStart = now;
    this.phaseCycles = 0;
  }

  private nextMode(last: number): Mode {
    const { split, solo } = this.history;
    if (split.length === 0) return 'split';
    if (solo.length === 0) return 'solo';
    const best: Mode = median(split) <= median(solo) ? 'split' : 'solo';
    const other: Mode = best === 'split' ? 'solo' : 'split';
    if (this.exploring) {
      this.exploring = false;
      const explored = this.mode;
      // It is now the choice: explore the other soon. It was faster than the choice's median
      // (which the older phases still hold): look again at once. Slower: look again twice as late,
      // four times as late when slower by more than FAR_BEHIND.
      const bestTime = median(this.history[best]);
      if (explored === best) this.exploreGap = 2;
      else if (last < bestTime) this.exploreGap = 1;
      else this.exploreGap = Math.min(MAX_EXPLORE_GAP, this.exploreGap * (last > bestTime * FAR_BEHIND ? 4 : 2));
    }
    if (++this.phasesSinceExplore >= this.exploreGap) {
      this.phasesSinceExplore = 0;
      this.exploring = true;
      return other;
    }
    return best;
  }
}
