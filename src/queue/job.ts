import { createHash } from 'node:crypto';
import type { ReviewReason } from '../platforms/github/job.js';
import { combineRequests, type GitlabReviewRequest } from '../platforms/gitlab/review-job.js';

/**
 * What a queue carries: plain, JSON-serialisable data naming the review target and why it is asked
 * for — never a client, a token or a closure. Whoever runs the job (this process, or a `jitterbot
 * worker` on another machine) rebuilds the platform client from its own environment.
 */
export type ReviewJob = GitHubReviewJob | GitlabReviewJob;

export type Platform = ReviewJob['platform'];

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
  /** When the oldest merged delivery was enqueued (ms since the epoch), for the wait-time metric. */
  enqueuedAt: number;
}

export interface GitlabReviewJob {
  platform: 'gitlab';
  request: GitlabReviewRequest;
  /** Head commit named by the webhook, when it names one. */
  headSha?: string;
  enqueuedAt: number;
}

/** Explicit requests review drafts and must survive being merged with a later automatic one. */
const EXPLICIT_GITHUB_REASONS: ReadonlySet<ReviewReason> = new Set(['rescan', 'check_run_rerequested']);

/** The review target: jobs with one key never run at once, and waiting ones merge. */
export function jobKey(job: ReviewJob): string {
  return job.platform === 'github'
    ? `github:${job.owner}/${job.repo}#${job.pullNumber}`
    : `gitlab:${job.request.project.id}!${job.request.mrIid}`;
}

export function deliveryIdsOf(job: ReviewJob): string[] {
  return job.platform === 'github' ? job.deliveryIds : job.request.deliveryIds;
}

/**
 * A stable id for the request this job stands for: target + head commit + delivery id. A redelivered
 * webhook (same delivery id) therefore collapses into the job it already created, even when the
 * delivery store has forgotten it, while one delivery that names several pull requests (a re-run
 * check suite) still makes one job per pull request. Hashed: queue ids must not contain `:`.
 */
export function jobId(job: ReviewJob): string {
  const identity = `${jobKey(job)}\n${job.headSha ?? ''}\n${deliveryIdsOf(job).join(',')}`;
  return `${job.platform}-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}

/**
 * `newer` arrived while `older` waited: one job that does what both asked. The newer head wins; every
 * delivery id is kept for the logs; an explicit request (rescan, re-run) is never downgraded to an
 * automatic one, and GitLab's reasons and rescan commands are unioned by the adapter's own rule.
 */
export function mergeJobs(older: ReviewJob, newer: ReviewJob): ReviewJob {
  if (older.platform === 'github' && newer.platform === 'github') {
    const explicitBefore =
      EXPLICIT_GITHUB_REASONS.has(older.reason) && !EXPLICIT_GITHUB_REASONS.has(newer.reason);
    return {
      ...newer,
      deliveryIds: unique([...older.deliveryIds, ...newer.deliveryIds]),
      reason: explicitBefore ? older.reason : newer.reason,
      enqueuedAt: Math.min(older.enqueuedAt, newer.enqueuedAt),
      ...((newer.headSha ?? older.headSha) ? { headSha: newer.headSha ?? older.headSha } : {}),
    };
  }
  if (older.platform === 'gitlab' && newer.platform === 'gitlab') {
    const request = combineRequests(older.request, newer.request);
    return {
      ...newer,
      request: { ...request, deliveryIds: unique(request.deliveryIds) },
      enqueuedAt: Math.min(older.enqueuedAt, newer.enqueuedAt),
      ...((newer.headSha ?? older.headSha) ? { headSha: newer.headSha ?? older.headSha } : {}),
    };
  }
  // Same key means same platform; reaching this is a bug in whoever built the key.
  throw new Error(`cannot merge a ${older.platform} job with a ${newer.platform} job`);
}

/** Fields every log line about a job carries: delivery ids, repository or project, PR or MR. */
export function jobLogFields(job: ReviewJob): Record<string, unknown> {
  return job.platform === 'github'
    ? { deliveryIds: job.deliveryIds, repo: `${job.owner}/${job.repo}`, pr: job.pullNumber }
    : {
        deliveryIds: job.request.deliveryIds,
        project: job.request.project.path,
        projectId: job.request.project.id,
        mr: job.request.mrIid,
      };
}

/** Reads a job back from the queue's JSON; null when it is not one (an old or foreign payload). */
export function parseJob(value: unknown): ReviewJob | null {
  if (typeof value !== 'object' || value === null) return null;
  const job = value as Partial<ReviewJob> & Record<string, unknown>;
  if (job.platform === 'github') {
    const ok =
      Array.isArray(job.deliveryIds) &&
      typeof job.installationId === 'number' &&
      typeof job.owner === 'string' &&
      typeof job.repo === 'string' &&
      typeof job.pullNumber === 'number' &&
      typeof job.reason === 'string';
    return ok ? (job as GitHubReviewJob) : null;
  }
  if (job.platform === 'gitlab') {
    const request = job.request as Partial<GitlabReviewRequest> | undefined;
    const ok =
      typeof request === 'object' &&
      Array.isArray(request.deliveryIds) &&
      typeof request.mrIid === 'number' &&
      typeof request.project?.id === 'number' &&
      Array.isArray(request.reasons) &&
      Array.isArray(request.rescans);
    return ok ? (job as GitlabReviewJob) : null;
  }
  return null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
