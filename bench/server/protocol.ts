import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Messages between `npm run bench:server` and the processes it starts (Node IPC). */
export type ChildMessage =
  | { kind: 'ready'; url?: string }
  | { kind: 'reviewed'; review: Review }
  | {
      kind: 'stats';
      depth: number;
      active: number;
      peakRssMb: number;
      /** Since the previous stats request. */
      maxLoopDelayMs: number;
      /** Reviews the stand-in GitHub has been sent. */
      posted?: number;
    };

/** Pull requests numbered from here are closed in the stand-in GitHub (bench/server/github-child.ts). */
export const CLOSED_FROM = 100_000;

export type ParentMessage = { kind: 'stats' } | { kind: 'stop' };

/**
 * What the web process records of each review that ran: its target (`owner/repo#pr`) and the deliveries
 * merged into it. The review reads the pull request's current head when it starts, so which pushes a
 * run covers is what matters, not the head its job happens to name.
 */
export interface Review {
  target: string;
  deliveryIds: string[];
  /**
   * The run found its pull request's current head already reviewed and posted nothing: its
   * deliveries are covered by that review (a later push's run read the same head first).
   */
  alreadyReviewed?: boolean;
}

export function reviewOf(job: {
  owner: string;
  repo: string;
  pullNumber: number;
  deliveryIds: string[];
}): Review {
  return { target: `${job.owner}/${job.repo}#${job.pullNumber}`, deliveryIds: job.deliveryIds };
}

export function send(message: ChildMessage): void {
  process.send?.(message);
}

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

/**
 * The longest the process's event loop was blocked since the previous call (under a closed-loop load
 * this is how long one turn of the loop takes: every request in flight waits for it).
 */
export function maxLoopDelayMs(): number {
  const max = loopDelay.max / 1e6;
  loopDelay.reset();
  return max;
}

export function peakRssMb(): number {
  // maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS / 1024;
}
