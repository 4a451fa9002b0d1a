import { ReviewQueue } from '../queue.js';
import { retryDelayMs } from '../retry.js';
import { jobKey, jobLogFields, mergeJobs, type Platform, type ReviewJob } from './job.js';
import {
  DEFAULT_JOB_RETRY,
  type CloseReport,
  type EnqueueResult,
  type JobEnd,
  type JobQueue,
  type JobRetryPolicy,
  type JobRunner,
  type JobRunners,
  type QueueCounts,
  type QueueObserver,
} from './types.js';

export interface QueueLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentQueueLog: QueueLog = { info: () => {}, warn: () => {}, error: () => {} };

export interface MemoryQueueOptions {
  /** Reviews running at once. */
  concurrency: number;
  /** Targets waiting beyond this are refused (`full`). */
  maxWaiting: number;
  retry: JobRetryPolicy;
  /** Dead letters kept for `deadLetters()`; older ones are only in the logs. */
  maxDeadLetters: number;
  log: QueueLog;
  observer?: QueueObserver;
  /** Uniform random in [0, 1), injectable so tests can pin the backoff. */
  random?: () => number;
}

export const DEFAULT_MEMORY_QUEUE: Omit<MemoryQueueOptions, 'log'> = {
  concurrency: 2,
  maxWaiting: 1_000,
  retry: DEFAULT_JOB_RETRY,
  maxDeadLetters: 100,
};

export interface DeadLetter {
  job: ReviewJob;
  attempts: number;
  error: string;
  failedAt: number;
}

interface Pending {
  job: ReviewJob;
  /** Attempts already made at what this job asks (0 for a fresh request). */
  attempts: number;
}

/**
 * The default queue: everything in this process. Per target (pull or merge request) it keeps at most
 * one pending job, merging later requests into it, and the scheduler never runs two jobs of one target
 * at once. Bounded: `maxWaiting` targets wait at most; beyond that `enqueue` answers `full`.
 */
export class MemoryJobQueue implements JobQueue {
  readonly mode = 'memory' as const;
  private readonly options: MemoryQueueOptions;
  private readonly scheduler: ReviewQueue;
  /** Per target, what its next run will do; taken when the run starts. */
  private readonly pending = new Map<string, Pending>();
  private readonly runners: JobRunners = {};
  private readonly retries = new Map<NodeJS.Timeout, { key: string; fired: Promise<void> }>();
  private readonly dead: DeadLetter[] = [];
  private closing = false;

  constructor(options: Partial<MemoryQueueOptions> = {}) {
    this.options = { ...DEFAULT_MEMORY_QUEUE, log: silentQueueLog, ...options };
    this.scheduler = new ReviewQueue({
      concurrency: this.options.concurrency,
      maxWaiting: this.options.maxWaiting,
      // run() handles its own errors; anything reaching here is a bug worth a log line.
      onError: (key, error) => this.options.log.error({ key, err: String(error) }, 'review job crashed'),
    });
  }

  handle<P extends Platform>(platform: P, runner: JobRunner<Extract<ReviewJob, { platform: P }>>): void {
    (this.runners as Record<string, unknown>)[platform] = runner;
  }

  async enqueue(job: ReviewJob): Promise<EnqueueResult> {
    const result = this.closing ? 'unavailable' : this.schedule(job, 0);
    this.options.observer?.enqueued?.(job.platform, result);
    return result;
  }

  get depth(): number {
    return this.scheduler.depth;
  }

  get active(): number {
    return this.scheduler.active;
  }

  async counts(): Promise<QueueCounts> {
    return { waiting: this.depth, active: this.active, delayed: this.retries.size, failed: this.dead.length };
  }

  async problem(): Promise<string | null> {
    return this.closing ? 'shutting down' : null;
  }

  /** Jobs that failed every attempt, newest last (at most `maxDeadLetters`). */
  deadLetters(): readonly DeadLetter[] {
    return this.dead;
  }

  async onIdle(): Promise<void> {
    for (;;) {
      await this.scheduler.onIdle();
      if (this.retries.size === 0) return;
      await Promise.all([...this.retries.values()].map((retry) => retry.fired));
    }
  }

  async close(deadlineMs: number): Promise<CloseReport> {
    this.closing = true;
    // A retry due in a minute will not run before the process exits; name it instead.
    const abandoned: string[] = [];
    for (const [timer, retry] of this.retries) {
      clearTimeout(timer);
      abandoned.push(retry.key);
    }
    this.retries.clear();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.scheduler.onIdle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!drained) abandoned.push(...this.scheduler.keys());
    return { drained: drained && abandoned.length === 0, abandoned: [...new Set(abandoned)], requeued: 0 };
  }

  private schedule(job: ReviewJob, attempts: number): EnqueueResult {
    const key = jobKey(job);
    const before = this.pending.get(key);
    // A new request gets fresh attempts; a retry merged into one keeps the new request's.
    this.pending.set(
      key,
      before
        ? { job: mergeJobs(before.job, job), attempts: Math.min(before.attempts, attempts) }
        : { job, attempts },
    );
    const result = this.scheduler.enqueue(key, () => this.run(key));
    if (result === 'full') {
      if (before) this.pending.set(key, before);
      else this.pending.delete(key);
      return 'full';
    }
    return before ? 'coalesced' : result;
  }

  private async run(key: string): Promise<void> {
    const entry = this.pending.get(key);
    // Taken by an earlier run of this target (a job queued while it ran, whose request it then read).
    if (!entry) return;
    this.pending.delete(key);
    const { job } = entry;
    const attempt = entry.attempts + 1;
    const started = Date.now();
    this.options.observer?.started?.(job, started - job.enqueuedAt);
    let end: JobEnd;
    let failure: unknown;
    try {
      const runner = this.runners[job.platform] as JobRunner | undefined;
      if (!runner)
        throw new Error(`no ${job.platform} runner in this process (is ${job.platform} configured?)`);
      end = await runner(job);
    } catch (error) {
      end = 'failed';
      failure = error;
    }
    if (end === 'failed') end = this.afterFailure(entry.job, attempt, failure);
    this.options.observer?.finished?.(job, end, Date.now() - started);
  }

  private afterFailure(job: ReviewJob, attempt: number, error: unknown): JobEnd {
    const { log, retry } = this.options;
    const fields = { ...jobLogFields(job), attempt, attempts: retry.attempts, err: describe(error) };
    if (attempt < retry.attempts && !this.closing) {
      const delayMs = retryDelayMs(attempt, undefined, {
        ...retry,
        ...(this.options.random ? { random: this.options.random } : {}),
      })!;
      log.warn({ ...fields, delayMs }, 'review job failed; retrying after a jittered backoff');
      let fire!: () => void;
      const fired = new Promise<void>((resolve) => (fire = resolve));
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        if (this.schedule(job, attempt) === 'full') this.bury(job, attempt, 'queue full when retrying');
        fire();
      }, delayMs);
      this.retries.set(timer, { key: jobKey(job), fired });
      return 'retrying';
    }
    this.bury(job, attempt, fields.err);
    return 'dead';
  }

  private bury(job: ReviewJob, attempts: number, error: string): void {
    this.options.log.error(
      { ...jobLogFields(job), attempts, err: error },
      'review job failed every attempt; dead letter',
    );
    this.dead.push({ job, attempts, error, failedAt: Date.now() });
    if (this.dead.length > this.options.maxDeadLetters) this.dead.shift();
  }
}

function describe(error: unknown): string {
  if (error === undefined) return 'the review reported a failure';
  return error instanceof Error ? error.message : String(error);
}
