import { createHash } from 'node:crypto';

/**
 * What a queue carries: plain, JSON-serialisable data naming the review target and why it is asked
 * for — never a client, a token or a closure. Whoever runs the job (this process, or a `jitterbot
 * worker` on another machine) rebuilds the platform client from its own environment.
 *
 * The queue knows no platform: each one describes its jobs with a {@link JobKind} it registers here
 * (`registerJobKind`), and adds its job type to {@link JobKinds}, so the queue's types name it.
 */
export interface QueuedJob {
  /** The platform whose kind describes this job. */
  platform: string;
  /** Head commit named by the webhook, when it names one; the newest wins when jobs merge. */
  headSha?: string;
  /** When the oldest merged request was enqueued (ms since the epoch), for the wait-time metric. */
  enqueuedAt: number;
}

/**
 * Job types by platform. Empty here; each platform adds its own by declaration merging:
 * `declare module '…/queue/job.js' { interface JobKinds { github: GitHubReviewJob } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobKinds {}

export type Platform = keyof JobKinds & string;

export type ReviewJob = JobKinds[Platform];

/** What the queue needs to know of one platform's jobs. */
export interface JobKind<J extends QueuedJob> {
  platform: J['platform'];
  /** The review target: jobs with one key never run at once, and waiting ones merge. */
  key(job: J): string;
  /** Delivery ids of every request merged into the job, oldest first. */
  deliveryIds(job: J): string[];
  /**
   * `newer` arrived while `older` waited: one job that does what both asked (the queue itself keeps
   * the newer head and the older `enqueuedAt`).
   */
  merge(older: J, newer: J): J;
  /** Fields every log line about the job carries: delivery ids, repository or project, PR or MR. */
  logFields(job: J): Record<string, unknown>;
  /** The job read back from the queue's JSON, or null when it is not a job of this kind. */
  parse(value: Record<string, unknown>): J | null;
}

const kinds = new Map<string, JobKind<QueuedJob>>();

/** How the queue handles one platform's jobs; a platform registers its kind once, on load. */
export function registerJobKind<J extends QueuedJob>(kind: JobKind<J>): void {
  kinds.set(kind.platform, kind as unknown as JobKind<QueuedJob>);
}

function kindOf(job: QueuedJob): JobKind<QueuedJob> {
  const kind = kinds.get(job.platform);
  if (!kind) throw new Error(`no job kind registered for platform ${job.platform}`);
  return kind;
}

/** The review target: jobs with one key never run at once, and waiting ones merge. */
export function jobKey(job: ReviewJob): string {
  return kindOf(job).key(job);
}

export function deliveryIdsOf(job: ReviewJob): string[] {
  return kindOf(job).deliveryIds(job);
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
 * `newer` arrived while `older` waited: one job that does what both asked, by the platform's rule.
 * The newer head wins, and the wait is counted from the older request.
 */
export function mergeJobs<J extends ReviewJob>(older: J, newer: J): J {
  // Same key means same platform; reaching this is a bug in whoever built the key.
  if (older.platform !== newer.platform)
    throw new Error(`cannot merge a ${older.platform} job with a ${newer.platform} job`);
  const headSha = newer.headSha ?? older.headSha;
  return {
    ...(kindOf(newer).merge(older, newer) as J),
    enqueuedAt: Math.min(older.enqueuedAt, newer.enqueuedAt),
    ...(headSha ? { headSha } : {}),
  };
}

/** Fields every log line about a job carries: delivery ids, repository or project, PR or MR. */
export function jobLogFields(job: ReviewJob): Record<string, unknown> {
  return kindOf(job).logFields(job);
}

/** Reads a job back from the queue's JSON; null when it is not one (an old or foreign payload). */
export function parseJob(value: unknown): ReviewJob | null {
  if (typeof value !== 'object' || value === null) return null;
  const job = value as Record<string, unknown>;
  const kind = typeof job.platform === 'string' ? kinds.get(job.platform) : undefined;
  if (!kind) return null;
  return kind.parse(job) as ReviewJob | null;
}

export function unique(values: string[]): string[] {
  return [...new Set(values)];
}
