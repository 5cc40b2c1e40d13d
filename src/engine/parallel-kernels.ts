// The kernels, split across a thread pool by each kernel's rule in the table (kernel-table.ts,
// kernel-splits.ts). A split kernel queues one call per thread, runs them, and returns when every
// thread is done; a kernel without a rule, or a call its rule finds too small, runs here.
import { KERNELS, KERNEL_NAMES, type Args, type KernelName, type Kernels, type Ptr } from './kernel-table.js';
import { argsView, type SplitContext, type SplitRule } from './kernel-splits.js';
import type { ThreadPool } from './thread-pool.js';

/** Another kernel's arguments, given by name, as its argument list. */
function toValues(name: KernelName, args: Args): number[] {
  if (!(name in KERNELS)) throw new Error(`split call to unknown kernel '${name}'`);
  return (KERNELS[name].args as readonly string[]).map((arg) => {
    const value = args[arg];
    if (value === undefined) throw new Error(`${name}: split call lacks argument '${arg}'`);
    return value;
  });
}

/** A split worked out: each thread's call, and what runs after them (null: run unsplit). */
type Plan = { calls: [KernelName, number[]][]; inParts: boolean; after?: [KernelName, number[]] } | null;

/**
 * The last few calls' plans by their exact arguments. A training step calls each kernel with the
 * same few argument lists every time, so working a split out again each call (measured 2-3 µs
 * for a GEMM, 5% of an MLP step at 2 threads) is saved; plans are pure functions of the arguments.
 */
class PlanCache {
  private readonly keys: number[][] = [];
  private readonly plans: Plan[] = [];
  private next = 0;

  find(values: number[]): Plan | undefined {
    search: for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i];
      if (key.length !== values.length) continue;
      for (let j = 0; j < key.length; j++) if (key[j] !== values[j]) continue search;
      return this.plans[i];
    }
    return undefined;
  }

  add(values: number[], plan: Plan): void {
    this.keys[this.next] = values.slice();
    this.plans[this.next] = plan;
    this.next = (this.next + 1) % 8;
  }
}

/**
 * The kernels with every splittable one running across `pool`. `packs` holds the packing scratch
 * of threads 1..n-1 (each as large as the one the caller passes); the split kernels keep no
 * other state, so one model's calls never depend on another's.
 */
export function splitKernels(base: Kernels, pool: ThreadPool, packs: Ptr[]): Kernels {
  const context: SplitContext = { threads: pool.threads, pack: (thread, own) => (thread === 0 ? own : packs[thread - 1]) };
  const kernels = { ...base } as Record<KernelName, (...args: number[]) => unknown>;
  const run = base as unknown as Record<KernelName, (...args: number[]) => unknown>;
  for (const name of KERNEL_NAMES) {
    const rule = (KERNELS[name] as { split?: SplitRule }).split;
    if (!rule) continue;
    const View = argsView(KERNELS[name].args);
    const plans = new PlanCache();
    kernels[name] = (...values: number[]) => {
      let plan = plans.find(values);
      if (plan === undefined) {
        const split = rule(new View(values), name, context);
        plan = split && {
          inParts: split.inParts ?? false,
          calls: split.calls.map(([kernel, args]) => [kernel as KernelName, Array.isArray(args) ? args : toValues(kernel as KernelName, args)]),
          after: split.after && [split.after[0] as KernelName, toValues(split.after[0] as KernelName, split.after[1])],
        };
        plans.add(values, plan);
      }
      if (plan === null) return run[name](...values);
      // While splitting does not pay the pool runs jobs alone: as the kernel itself, or as its
      // parts one after the other where they must stay parts.
      const solo = pool.takeSoloJob(plan);
      if (solo && !plan.inParts) return run[name](...values);
      pool.begin();
      for (let thread = 0; thread < plan.calls.length; thread++) pool.queue(thread, plan.calls[thread][0], plan.calls[thread][1]);
      pool.run(solo);
      if (plan.after) run[plan.after[0]](...plan.after[1]);
    };
  }
  return kernels as unknown as Kernels;
}
