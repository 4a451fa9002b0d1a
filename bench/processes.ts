/**
 * Running bench/measure.ts, one measurement per process so that peak RSS belongs to it alone: the
 * runner every benchmark that weighs a tree against its bare parse shares.
 */
import { execFileSync } from 'node:child_process';

export type Mode = 'parse' | 'detect' | 'review';

/** What bench/measure.ts prints. */
export interface Measurement {
  mode: Mode;
  files: number;
  bytes: number;
  findings: number;
  /** Wall time of the work, start-up excluded. */
  seconds: number;
  /** CPU of the whole process. */
  cpuSeconds: number;
  /** CPU spent starting Node and loading jitterbot, before the work. */
  startCpuSeconds: number;
  peakRssMb: number;
}

export function measure(mode: Mode, root: string, vendored = false): Measurement {
  const args = ['--import', 'tsx', 'bench/measure.ts', mode, root, ...(vendored ? ['--vendored'] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Measurement;
}

/** The bare parse, the analysis and the whole review of one tree, the file system cache warmed first. */
export function measureEach(
  root: string,
  vendored = false,
): { parse: Measurement; detect: Measurement; review: Measurement } {
  // Warm the file system cache so neither side pays for cold reads.
  measure('parse', root, vendored);
  return {
    parse: measure('parse', root, vendored),
    detect: measure('detect', root, vendored),
    review: measure('review', root, vendored),
  };
}

/** `a / b` as a column: `1.34x`. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`.padStart(6);
}
