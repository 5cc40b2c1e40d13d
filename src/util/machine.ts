import { availableParallelism, cpus, totalmem } from 'node:os';
import type { MachineInfo } from '../bench/suite.js';

/** One line naming the CPU, cores, memory and runtime, for result tables. */
export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}

/** The same, as the benchmark suite records it. */
export function machineInfo(): MachineInfo {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    runtime: `Node ${process.versions.node}`,
  };
}
