// The kernels, split across a thread pool by each kernel's rule in the table (kernel-table.ts,
// kernel-splits.ts). A split kernel queues one call per thread, runs them, and returns when every
// thread is done; a kernel without a rule, or a call its rule finds too small, runs here.
import { KERNELS, KERNEL_NAMES, type Args, type KernelName, type Kernels, type Ptr } from './kernel-table.js';
import type { SplitContext, SplitRule } from './kernel-splits.js';
import type { ThreadPool } from './thread-pool.js';

function toArgs(name: KernelName, values: number[]): Args {
  const names: readonly string[] = KERNELS[name].args;
  const args: Args = {};
  for (let i = 0; i < names.length; i++) args[names[i]] = values[i];
  return args;
}

function toValues(name: KernelName, args: Args): number[] {
  if (!(name in KERNELS)) throw new Error(`split call to unknown kernel '${name}'`);
  return (KERNELS[name].args as readonly string[]).map((arg) => {
    const value = args[arg];
    if (value === undefined) throw new Error(`${name}: split call lacks argument '${arg}'`);
    return value;
  });
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
    kernels[name] = (...values: number[]) => {
      const split = rule(toArgs(name, values), name, context);
      if (!split) return run[name](...values);
      pool.begin();
      split.calls.forEach(([kernel, args], thread) => pool.queue(thread, kernel as KernelName, toValues(kernel as KernelName, args)));
      pool.run();
      if (split.after) run[split.after[0] as KernelName](...toValues(split.after[0] as KernelName, split.after[1]));
    };
  }
  return kernels as unknown as Kernels;
}
