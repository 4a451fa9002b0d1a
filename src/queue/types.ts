import type { Platform, ReviewJob } from './job.js';

/**
 * The seam between webhook handlers and reviews. Handlers `enqueue` serialisable jobs and answer the
 * platform at once; runners registered with `handle` do the work — in this process (the in-process
 * queue) or in `jitterbot worker` processes sharing Redis (where the web process only enqueues).
 *
 * Guarantees of both implementations: two jobs for one pull or merge request never run at once; jobs
 * for one target that wait are merged into one (the newest head wins, explicit requests are kept); a
 * job that fails is retried with jittered exponential backoff, then kept as a dead letter.
 */
export interface JobQueue {
  readonly mode: 'memory' | 'redis';
  /**
   * How this process runs one platform's jobs. The in-process queue calls it; a Redis queue used by
   * `jitterbot serve` only enqueues and ignores it (its workers register their own).
   */
  handle<P extends Platform>(platform: P, runner: JobRunner<Extract<ReviewJob, { platform: P }>>): void;
  enqueue(job: ReviewJob): Promise<EnqueueResult>;
  /** Jobs in the whole queue (every process sharing it), for metrics. */
  counts(): Promise<QueueCounts>;
  /** Null when the queue can take jobs, otherwise what is wrong (for `/readyz`). */
  problem(): Promise<string | null>;
  /** Jobs this process holds and has not started (0 for a queue that hands jobs to Redis). */
  readonly depth: number;
  /** Jobs this process is running. */
  readonly active: number;
  /** Resolves when this process has nothing waiting, running or scheduled for retry. */
  onIdle(): Promise<void>;
  /**
   * Stops taking jobs, lets running ones finish for up to `deadlineMs`, and reports what was left:
   * the in-process queue can only name it (for an operator to rescan); a Redis queue hands it back.
   */
  close(deadlineMs: number): Promise<CloseReport>;
}

/**
 * - `queued`: a new job.
 * - `coalesced`: merged into a job for the same target that has not started.
 * - `full`: refused, the queue is at its bound (answer 503 so the delivery can be retried).
 * - `unavailable`: refused, the queue is closing or its store cannot be reached (also 503).
 */
export type EnqueueResult = 'queued' | 'coalesced' | 'full' | 'unavailable';

/** What a runner did. Throwing counts as `failed`. */
export type JobOutcome = 'reviewed' | 'skipped' | 'failed';

export type JobRunner<J extends ReviewJob = ReviewJob> = (job: J) => Promise<JobOutcome>;

export type JobRunners = { [P in Platform]?: JobRunner<Extract<ReviewJob, { platform: P }>> };

export interface QueueCounts {
  waiting: number;
  active: number;
  /** Waiting for a retry after a failure. */
  delayed: number;
  /** Dead letters: failed every attempt. */
  failed: number;
}

export interface CloseReport {
  /** Everything finished (or was handed back) before the deadline. */
  drained: boolean;
  /** Targets whose review did not run here and was not handed back (in-process queue only). */
  abandoned: string[];
  /** Jobs handed back to the shared queue for another worker (Redis only). */
  requeued: number;
}

/**
 * How a job ended, for metrics and logs: `superseded` jobs found their requests already done by an
 * earlier run of the same target; `retrying` failures will run again; `dead` ones will not.
 */
export type JobEnd = JobOutcome | 'superseded' | 'retrying' | 'dead';

/** Hook points for metrics; every method is optional and must not throw. */
export interface QueueObserver {
  enqueued?(platform: Platform, result: EnqueueResult): void;
  started?(job: ReviewJob, waitMs: number): void;
  finished?(job: ReviewJob, end: JobEnd, durationMs: number): void;
}

/** Job retries: attempts in all, and the full-jitter window of the first retry (it doubles each time). */
export interface JobRetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

/**
 * Five attempts, the retries drawn from windows of 5, 10, 20 and 40 s (75 s at worst): long enough to
 * ride out a short platform outage (every API call already retried a few times inside the job), short
 * enough that the author is not left waiting. Full jitter, so jobs that failed together do not retry
 * together.
 */
export const DEFAULT_JOB_RETRY: JobRetryPolicy = { attempts: 5, baseMs: 5_000, capMs: 40_000 };

/** Seconds a refused delivery is told to wait (`Retry-After`). */
export const QUEUE_RETRY_AFTER_SECONDS = 60;
