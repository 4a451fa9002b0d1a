import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobLogFields, parseJob } from './job.js';
import { QUEUE_NAME, REDIS_PREFIX } from './redis.js';

/**
 * Dead letters: review jobs that failed every attempt. BullMQ keeps them in the sorted set
 * `jitterbot:reviews:failed` (each job's data and error in the hash `jitterbot:reviews:<id>`); this is
 * the operator's view of it, behind `jitterbot dead-letters`.
 */
export interface DeadLetterEntry {
  id: string;
  platform: string;
  /** Delivery ids, repository or project, PR or MR. */
  target: Record<string, unknown>;
  attempts: number;
  error: string;
  failedAt: string | null;
}

/** At most this many are listed or retried per command. */
export const DEAD_LETTER_PAGE = 1_000;

export async function listDeadLetters(
  redis: Redis,
  limit: number = DEAD_LETTER_PAGE,
): Promise<DeadLetterEntry[]> {
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: REDIS_PREFIX });
  try {
    const jobs = await queue.getFailed(0, limit - 1);
    return jobs.map((job) => {
      const parsed = parseJob(job.data);
      return {
        id: job.id ?? '',
        platform: parsed?.platform ?? 'unknown',
        target: parsed ? jobLogFields(parsed) : {},
        attempts: job.attemptsMade,
        error: job.failedReason ?? '',
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      };
    });
  } finally {
    await queue.close();
  }
}

/** Moves dead letters back to the queue (all of them, or the given ids); returns how many moved. */
export async function retryDeadLetters(redis: Redis, ids?: readonly string[]): Promise<number> {
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: REDIS_PREFIX });
  try {
    const jobs = ids
      ? (await Promise.all(ids.map((id) => queue.getJob(id)))).filter((job) => job !== undefined)
      : await queue.getFailed(0, DEAD_LETTER_PAGE - 1);
    let moved = 0;
    for (const job of jobs) {
      if ((await job.getState()) !== 'failed') continue;
      await job.retry('failed');
      moved += 1;
    }
    return moved;
  } finally {
    await queue.close();
  }
}
