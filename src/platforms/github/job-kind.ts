import { registerJobKind, unique, type JobKind } from '../../queue/job.js';

/** Why a review runs: an explicit request reviews drafts and closed-for-now states the push events skip. */
export type ReviewReason =
  'opened' | 'reopened' | 'synchronize' | 'ready_for_review' | 'rescan' | 'check_run_rerequested' | 'ci';

/** Explicit requests review drafts and must survive being merged with a later automatic one. */
export const EXPLICIT_REASONS: ReadonlySet<ReviewReason> = new Set(['rescan', 'check_run_rerequested']);

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
