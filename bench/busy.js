// Busy processes for the under-load benchmarks: each spins on one core. They must not outlive
// the benchmark: a run stopped by SIGTERM or SIGKILL (`timeout`, a closed terminal) skips its
// `finally`, and a forgotten spinner silently loads every later measurement on the machine. So
// each one also checks about ten times a second whether its parent is still the benchmark, and
// exits once it is not.
import { spawn } from 'node:child_process';

/** Starts `count` busy processes; returns the function that stops them. */
export function startBusy(count) {
  const code = `for (;;) { for (let i = 0; i < 1e8; i++); if (process.ppid !== ${process.pid}) process.exit(0); }`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' }));
  return () => {
    for (const child of children) child.kill();
  };
}
