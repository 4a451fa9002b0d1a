import { registerJobKind, unique, type JobKind } from '../../queue/job.js';
import type { ReviewReason } from './job.js';

/** A GitHub review on the queue. */
export interface GitHubReviewJob {
  platform: 'github';
  /** `X-GitHub-Delivery` of every delivery merged into this job, oldest first. */
  deliveryIds: string[];
  /** The installation whose token the review uses. */
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  /** Head commit named by the webhook; the review itself reads the pull request's current head. */
  headSha?: string;
  reason: ReviewReason;
  enqueuedAt: number;
}

declare module '../../queue/job.js' {
  interface JobKinds {
    github: GitHubReviewJob;
  }
}

/** The review target of a pull request: `github:owner/repo#12`. */
export function githubTargetKey(pull: { owner: string; repo: string; pullNumber: number }): string {
  return `github:${pull.owner}/${pull.repo}#${pull.pullNumber}`;
}

/** Explicit requests review drafts and must survive being merged with a later automatic one. */
const EXPLICIT_REASONS: ReadonlySet<ReviewReason> = new Set(['rescan', 'check_run_rerequested']);

export const githubJobKind: JobKind<GitHubReviewJob> = {
  platform: 'github',
  key: githubTargetKey,
  deliveryIds: (job) => job.deliveryIds,
  // An explicit request (rescan, re-run) is never downgraded to an automatic one.
  merge: (older, newer) => ({
    ...newer,
    deliveryIds: unique([...older.deliveryIds, ...newer.deliveryIds]),
    reason:
      EXPLICIT_REASONS.has(older.reason) && !EXPLICIT_REASONS.has(newer.reason) ? older.reason : newer.reason,
  }),
  logFields: (job) => ({
    deliveryIds: job.deliveryIds,
    repo: `${job.owner}/${job.repo}`,
    pr: job.pullNumber,
  }),
  parse: (job) =>
    Array.isArray(job.deliveryIds) &&
    typeof job.installationId === 'number' &&
    typeof job.owner === 'string' &&
    typeof job.repo === 'string' &&
    typeof job.pullNumber === 'number' &&
    typeof job.reason === 'string'
      ? (job as unknown as GitHubReviewJob)
      : null,
};

registerJobKind(githubJobKind);
