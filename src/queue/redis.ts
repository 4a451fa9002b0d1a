import { Queue, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { backoffWindowMs } from '../retry.js';
import { batched } from './batch.js';
import { jobId, jobKey, type Platform, type ReviewJob } from './job.js';
import type { QueueLog } from './memory.js';
import { withDeadline } from '../deadline.js';
import {
  DEFAULT_JOB_RETRY,
  type CloseReport,
  type EnqueueResult,
  type JobQueue,
  type JobRetryPolicy,
  type QueueCounts,
  type QueueObserver,
} from './types.js';

/** BullMQ keys are `jitterbot:reviews:*`; dead letters are the sorted set `jitterbot:reviews:failed`. */
export const REDIS_PREFIX = 'jitterbot';
export const QUEUE_NAME = 'reviews';
/** Requests not yet reviewed, per target: a list of job JSON, oldest first. */
export const PENDING_PREFIX = `${REDIS_PREFIX}:pending:`;

export interface RedisQueueOptions {
  retry: JobRetryPolicy;
  /** Waiting jobs beyond this are refused (`full`), so a dead worker fleet cannot fill Redis. */
  maxWaiting: number;
  /** Requests kept per target while its review waits; more are refused (`full`). */
  maxPendingPerTarget: number;
  /**
   * An enqueue Redis has not answered by then is `unavailable` (503): a connection lost mid-call can
   * leave BullMQ waiting for Redis to come back, while the platform gives up on the webhook after 10 s.
   */
  enqueueTimeoutMs: number;
  log: QueueLog;
  observer?: QueueObserver;
}

export const DEFAULT_REDIS_QUEUE: Omit<RedisQueueOptions, 'log'> = {
  retry: DEFAULT_JOB_RETRY,
  maxWaiting: 10_000,
  maxPendingPerTarget: 1_000,
  enqueueTimeoutMs: 3_000,
};

/**
 * Pending requests outlive any sane wait for a worker; after this a target's list is dropped (its
 * review is long stale, and the next push brings a new one).
 */
export const PENDING_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Finished jobs kept so a redelivery collapses into them and an operator can look them up. */
const KEEP_COMPLETED = { age: 24 * 60 * 60, count: 1_000 };
/** Dead letters are kept until an operator retries or deletes them (bounded all the same). */
const KEEP_FAILED = { count: 10_000 };

/**
 * The waiting count behind `maxWaiting` is read at most this often (plus what this process added
 * since): the bound need not be exact, and a count per webhook would cost a Redis round trip each.
 */
const WAITING_COUNT_MAX_AGE_MS = 1_000;

/** How long `problem()` waits for Redis to answer a PING before calling it unreachable. */
const PING_TIMEOUT_MS = 1_000;
/** Reconnect delays: full jitter over a window doubling from 100 ms to 10 s. */
const RECONNECT_BASE_MS = 100;
const RECONNECT_CAP_MS = 10_000;
/** How long start-up waits for Redis before giving up with a clear message. */
export const CONNECT_TIMEOUT_MS = 10_000;

export type RedisRole = 'producer' | 'worker';

/**
 * A connection for one role. Web processes fail fast when Redis is away (no offline queue, one retry
 * per command), so a webhook gets a 503 in milliseconds instead of hanging; BullMQ workers need
 * `maxRetriesPerRequest: null` for their blocking reads. Reconnects are jittered: ioredis's default is
 * a fixed `min(times × 50, 2000)` ms schedule that every replica would follow in lockstep.
 */
export function redisConnection(url: string, role: RedisRole): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) =>
      Math.floor(Math.random() * backoffWindowMs(times, RECONNECT_BASE_MS, RECONNECT_CAP_MS)),
    ...(role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false }
      : { maxRetriesPerRequest: null }),
  };
  const redis = new Redis(url, options);
  // Connection errors surface where they matter — a failed command (503, a retried job) and /readyz —
  // so the event itself needs no handler; without one ioredis prints every reconnect failure.
  redis.on('error', () => undefined);
  return redis;
}

/** Connects, or explains why it could not (without ever echoing the URL: it may hold a password). */
export async function connectRedis(redis: Redis, timeoutMs: number = CONNECT_TIMEOUT_MS): Promise<void> {
  let lastError: Error | undefined;
  const onError = (error: Error): void => void (lastError = error);
  redis.on('error', onError);
  try {
    await withDeadline(redis.connect(), timeoutMs, `no answer within ${timeoutMs} ms`);
  } catch (error) {
    redis.disconnect();
    const reason = lastError ?? (error as Error);
    throw new Error(`cannot reach Redis at REDIS_URL: ${reason.message}`, { cause: error });
  } finally {
    redis.off('error', onError);
  }
}

/** The BullMQ options of every review job (the producer decides them; workers only obey). */
export function jobOptions(job: ReviewJob, retry: JobRetryPolicy): JobsOptions {
  return {
    jobId: jobId(job),
    // At most one job per target is active and at most one more waits: a request that arrives while
    // the target's job runs is stored as its successor, the newest one winning (BullMQ 6
    // `keepLastIfActive`). What each run does comes from the target's pending list (see the worker).
    deduplication: { id: jobKey(job), keepLastIfActive: true },
    attempts: retry.attempts,
    // jitter: 1 draws each retry delay uniformly from [0, delay · 2^(attempt-1)): full jitter.
    backoff: { type: 'exponential', delay: retry.baseMs, jitter: 1 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

/**
 * Appends requests to their targets' pending lists (KEYS, one per request; ARGV[1] the bound,
 * ARGV[2] the TTL, ARGV[3..] the requests' JSON): per request the list's new length, or -1 when the
 * list was at its bound and the request was not stored.
 */
const PUSH_PENDING = `
local lengths = {}
for i, key in ipairs(KEYS) do
  if redis.call('LLEN', key) >= tonumber(ARGV[1]) then
    lengths[i] = -1
  else
    lengths[i] = redis.call('RPUSH', key, ARGV[i + 2])
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return lengths`;

type PendingClient = Redis & {
  pushPending(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

function withPendingCommands(redis: Redis): PendingClient {
  if (!('pushPending' in redis)) redis.defineCommand('pushPending', { lua: PUSH_PENDING });
  return redis as PendingClient;
}

export function pendingKey(key: string): string {
  return `${PENDING_PREFIX}${key}`;
}

/**
 * `jitterbot serve` with REDIS_URL: enqueues into BullMQ and runs nothing. Each request is appended to
 * its target's pending list, then a job for the target is added; BullMQ's deduplication keeps one
 * active and one waiting job per target, and the worker that runs it merges the pending requests.
 */
export class RedisJobQueue implements JobQueue {
  readonly mode = 'redis' as const;
  readonly depth = 0;
  readonly active = 0;
  private readonly options: RedisQueueOptions;
  private readonly redis: PendingClient;
  private readonly queue: Queue;
  private inFlight = new Set<Promise<unknown>>();
  private closing = false;
  private waiting: { count: number; at: number; pending?: Promise<number> } = { count: 0, at: 0 };
  /** Requests stored together, one script call per burst (`-1`: the target's list is full). */
  private readonly pushPending: (job: ReviewJob) => Promise<number>;
  /**
   * Jobs added together, one pipeline per burst; each answers whether BullMQ kept it as a new job
   * (false: deduplicated into the job already waiting for its target).
   */
  private readonly addJob: (job: ReviewJob) => Promise<boolean>;

  constructor(redis: Redis, options: Partial<RedisQueueOptions> = {}) {
    this.options = { ...DEFAULT_REDIS_QUEUE, log: { info() {}, warn() {}, error() {} }, ...options };
    this.redis = withPendingCommands(redis);
    this.queue = new Queue(QUEUE_NAME, { connection: redis, prefix: REDIS_PREFIX });
    this.pushPending = batched((jobs: ReviewJob[]) =>
      this.redis.pushPending(
        jobs.length,
        ...jobs.map((job) => pendingKey(jobKey(job))),
        this.options.maxPendingPerTarget,
        PENDING_TTL_MS,
        ...jobs.map((job) => JSON.stringify(job)),
      ),
    );
    this.addJob = batched(async (jobs: ReviewJob[]) => {
      const requests = jobs.map((job) => ({
        name: 'review',
        data: job,
        opts: jobOptions(job, this.options.retry),
      }));
      const added = await this.queue.addBulk(requests);
      // BullMQ answers the id of the job already waiting for the target when it deduplicated.
      return added.map((job, index) => job.id === requests[index]!.opts.jobId);
    });
    // Without a listener an ioredis error event would be an unhandled 'error'; the cause is in /readyz.
    this.queue.on('error', (error) =>
      this.options.log.warn({ err: error.message }, 'review queue: Redis error'),
    );
  }

  /** Runners belong to `jitterbot worker` processes; a web process only enqueues. */
  handle(): void {}

  async enqueue(job: ReviewJob): Promise<EnqueueResult> {
    const result = this.closing ? 'unavailable' : await this.track(this.addInTime(job));
    this.options.observer?.enqueued?.(job.platform, result);
    return result;
  }

  async counts(): Promise<QueueCounts> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  async problem(): Promise<string | null> {
    if (this.closing) return 'shutting down';
    return pingProblem(this.redis);
  }

  async onIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async close(deadlineMs: number): Promise<CloseReport> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.onIdle().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
    ]);
    clearTimeout(timer);
    await this.queue.close().catch(() => undefined);
    return { drained, abandoned: [], requeued: 0 };
  }

  private async addInTime(job: ReviewJob): Promise<EnqueueResult> {
    const { log, enqueueTimeoutMs } = this.options;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'unavailable'>((resolve) => {
      timer = setTimeout(() => {
        log.error(
          { key: jobKey(job), platform: job.platform as Platform, timeoutMs: enqueueTimeoutMs },
          'Redis did not take a review in time',
        );
        resolve('unavailable');
      }, enqueueTimeoutMs);
    });
    try {
      return await Promise.race([this.add(job), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async add(job: ReviewJob): Promise<EnqueueResult> {
    const { log, maxWaiting } = this.options;
    const key = jobKey(job);
    try {
      if ((await this.waitingCount()) >= maxWaiting) return 'full';
      if ((await this.pushPending(job)) < 0) return 'full';
      if (!(await this.addJob(job))) return 'coalesced';
      this.waiting.count += 1;
      return 'queued';
    } catch (error) {
      log.error(
        { key, platform: job.platform as Platform, err: (error as Error).message },
        'could not enqueue a review in Redis',
      );
      return 'unavailable';
    }
  }

  /** Jobs waiting in the whole queue, as of at most WAITING_COUNT_MAX_AGE_MS ago. */
  private async waitingCount(): Promise<number> {
    if (Date.now() - this.waiting.at < WAITING_COUNT_MAX_AGE_MS) return this.waiting.count;
    this.waiting.pending ??= this.queue
      .getJobCountByTypes('waiting', 'prioritized', 'delayed')
      .then((count) => {
        this.waiting = { count, at: Date.now() };
        return count;
      })
      .finally(() => (this.waiting.pending = undefined));
    return this.waiting.pending;
  }

  private async track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    try {
      return await promise;
    } finally {
      this.inFlight.delete(promise);
    }
  }
}

/** Null when Redis answers PING in time, otherwise why not. */
export async function pingProblem(redis: Redis): Promise<string | null> {
  const late = `Redis did not answer PING within ${PING_TIMEOUT_MS} ms`;
  try {
    const answer = await withDeadline(redis.ping(), PING_TIMEOUT_MS, late);
    return answer === 'PONG' ? null : `Redis answered PING with ${answer}`;
  } catch (error) {
    const message = (error as Error).message;
    return message === late ? late : `Redis unreachable: ${message}`;
  }
}
