import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobKey, jobLogFields, mergeJobs, parseJob, type ReviewJob } from './job.js';
import type { QueueLog } from './memory.js';
import { QUEUE_NAME, REDIS_PREFIX, pendingKey, pingProblem } from './redis.js';
import type { CloseReport, JobEnd, JobOutcome, JobRunner, JobRunners, QueueObserver } from './types.js';

export interface RedisWorkerOptions {
  /** Jobs this process runs at once. */
  concurrency: number;
  /**
   * How long a job stays claimed without a heartbeat. BullMQ renews the claim every half of it while
   * the process lives; when the process dies, another worker takes the job over after this long.
   */
  lockDurationMs: number;
  /** How often this worker looks for jobs whose claim lapsed (their worker died). */
  stalledIntervalMs: number;
  /** Requests merged into one run at most; the rest wait for the target's next run. */
  maxMergedRequests: number;
  log: QueueLog;
  observer?: QueueObserver;
}

export const DEFAULT_REDIS_WORKER: Omit<RedisWorkerOptions, 'log'> = {
  concurrency: 2,
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxMergedRequests: 100,
};

/**
 * A BullMQ job came back to one whose requests were all handled already: an earlier run of the same
 * target read them (they were pushed while it started), so this one has nothing left to do.
 */
const SUPERSEDED = 'superseded';

/**
 * The consumer side of the Redis queue (`jitterbot worker`). For each job it reads its target's
 * pending requests, merges them (newest head wins), runs the platform's runner, and only then drops
 * the requests it handled — so a worker that dies mid-review leaves them for the worker that takes
 * the job over, and requests that arrived during the run stay for the next one.
 */
export class RedisJobWorker {
  private readonly options: RedisWorkerOptions;
  private readonly worker: Worker;
  private readonly runners: JobRunners;
  private requeued = 0;
  private running = 0;
  private closing = false;

  constructor(
    private readonly redis: Redis,
    runners: JobRunners,
    options: Partial<RedisWorkerOptions> = {},
  ) {
    this.options = { ...DEFAULT_REDIS_WORKER, log: { info() {}, warn() {}, error() {} }, ...options };
    this.runners = runners;
    this.worker = new Worker(QUEUE_NAME, (job, token, signal) => this.process(job, token, signal), {
      connection: redis,
      prefix: REDIS_PREFIX,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      autorun: false,
    });
    this.worker.on('error', (error) =>
      this.options.log.warn({ err: error.message }, 'review worker: Redis error'),
    );
    this.worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.options.log.error(
          { ...fieldsOf(job), jobId: job.id, attempts: job.attemptsMade, err: error.message },
          'review job failed every attempt; kept as a dead letter',
        );
      }
    });
    this.worker.on('stalled', (jobId) =>
      this.options.log.warn({ jobId }, 'review job lost its worker; requeued'),
    );
  }

  /** Starts taking jobs; resolves once connected. */
  async start(): Promise<void> {
    void this.worker
      .run()
      .catch((error: unknown) =>
        this.options.log.error({ err: (error as Error).message }, 'review worker stopped'),
      );
    await this.worker.waitUntilReady();
  }

  get active(): number {
    // BullMQ keeps no public count of running jobs; the runs this class tracks are the same thing.
    return this.running;
  }

  async problem(): Promise<string | null> {
    if (this.closing) return 'shutting down';
    if (!this.worker.isRunning()) return 'worker not running';
    return pingProblem(this.redis);
  }

  /**
   * Stops taking jobs and waits up to `deadlineMs` for running ones; those still running then are
   * handed back to the queue (another worker runs them from the start) before the connection closes.
   */
  async close(deadlineMs: number): Promise<CloseReport> {
    this.closing = true;
    const closed = this.worker.close();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.worker.cancelAllJobs('shutting down');
      await closed;
    }
    return { drained, abandoned: [], requeued: this.requeued };
  }

  private async process(
    bullJob: Job,
    token: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const own = parseJob(bullJob.data);
    if (!own) throw new Error('not a review job (unknown platform or shape)');
    const key = jobKey(own);
    const pending = (await this.redis.lrange(pendingKey(key), 0, this.options.maxMergedRequests - 1))
      .map((text) => parseJob(safeJson(text)))
      .filter((job): job is ReviewJob => job !== null);
    if (pending.length === 0) {
      this.options.observer?.finished?.(own, SUPERSEDED, 0);
      return SUPERSEDED;
    }
    const job = pending.reduce((merged, next) => mergeJobs(merged, next));
    const runner = this.runners[job.platform] as JobRunner | undefined;
    if (!runner) throw new Error(`no ${job.platform} runner in this worker (is ${job.platform} configured?)`);

    this.running += 1;
    const started = Date.now();
    this.options.observer?.started?.(job, started - job.enqueuedAt);
    let end: JobEnd = 'failed';
    try {
      const outcome = await this.runUnlessCancelled(runner, job, signal);
      if (outcome === 'cancelled') {
        end = 'retrying';
        this.requeued += 1;
        this.options.log.warn(
          { ...jobLogFields(job), jobId: bullJob.id },
          'shutting down: review handed back to the queue',
        );
        await bullJob.moveToWait(token);
        throw new WaitingError();
      }
      end = outcome;
      if (outcome === 'failed') throw new Error('the review reported a failure');
      // Only what this run read is dropped: requests pushed meanwhile stay for the next run.
      await this.redis.ltrim(pendingKey(key), pending.length, -1);
      return outcome;
    } catch (error) {
      if (!(error instanceof WaitingError) && end !== 'retrying') {
        const last = bullJob.attemptsMade + 1 >= (bullJob.opts.attempts ?? 1);
        end = last ? 'dead' : 'retrying';
      }
      throw error;
    } finally {
      this.running -= 1;
      this.options.observer?.finished?.(job, end, Date.now() - started);
    }
  }

  private async runUnlessCancelled(
    runner: JobRunner,
    job: ReviewJob,
    signal: AbortSignal | undefined,
  ): Promise<JobOutcome | 'cancelled'> {
    const run = runner(job);
    if (!signal) return run;
    // A cancelled run is abandoned, not awaited: its later failure must not become an unhandled rejection.
    run.catch(() => undefined);
    if (signal.aborted) return 'cancelled';
    return Promise.race([
      run,
      new Promise<'cancelled'>((resolve) =>
        signal.addEventListener('abort', () => resolve('cancelled'), { once: true }),
      ),
    ]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function fieldsOf(job: Job): Record<string, unknown> {
  const parsed = parseJob(job.data);
  return parsed ? jobLogFields(parsed) : {};
}
