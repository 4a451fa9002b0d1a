import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time a process has used so far, all its threads, in ms — from Linux's per-thread scheduler
 * statistics (nanosecond resolution); NaN where /proc is not available.
 */
export function cpuTimeMs(pid: number): number {
  try {
    let ns = 0;
    for (const thread of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${thread}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** CPU used by each named process between `start` and the returned `stop`. */
export function cpuMeter(processes: Record<string, number>): () => Record<string, number> {
  const before = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuTimeMs(pid)]));
  return () =>
    Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [name, cpuTimeMs(pid) - before[name]!]),
    );
}
