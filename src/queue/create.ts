import type { Redis } from 'ioredis';
import { MemoryDeliveryStore, RedisDeliveryStore, type DeliveryStore } from '../idempotency.js';
import { DEFAULT_MEMORY_QUEUE, MemoryJobQueue, type QueueLog } from './memory.js';
import { DEFAULT_REDIS_QUEUE, RedisJobQueue, connectRedis, redisConnection } from './redis.js';
import type { JobQueue, QueueObserver } from './types.js';

/** The queue and the delivery store of one process, both in memory or both in Redis. */
export interface QueueBackend {
  queue: JobQueue;
  deliveries: DeliveryStore;
  /** Closes the Redis connection (after `queue.close`); nothing to do in memory. */
  disconnect(): Promise<void>;
}

/**
 * From the environment: in memory by default (`QUEUE_CONCURRENCY`, `QUEUE_MAX_WAITING`); BullMQ and
 * Redis when `REDIS_URL` is set, in which case this process only enqueues and `jitterbot worker`
 * processes run the reviews. Throws with a readable message on a bad setting or an unreachable Redis.
 */
export async function queueFromEnv(
  env: Record<string, string | undefined>,
  deps: { log: QueueLog; observer?: QueueObserver },
): Promise<QueueBackend> {
  const observer = deps.observer ? { observer: deps.observer } : {};
  const url = env.REDIS_URL?.trim();
  if (!url) {
    const queue = new MemoryJobQueue({
      concurrency: positiveInt(env, 'QUEUE_CONCURRENCY', DEFAULT_MEMORY_QUEUE.concurrency),
      maxWaiting: positiveInt(env, 'QUEUE_MAX_WAITING', DEFAULT_MEMORY_QUEUE.maxWaiting),
      log: deps.log,
      ...observer,
    });
    return { queue, deliveries: new MemoryDeliveryStore(), disconnect: async () => {} };
  }
  const maxWaiting = positiveInt(env, 'QUEUE_MAX_WAITING', DEFAULT_REDIS_QUEUE.maxWaiting);
  const redis = redisConnection(url, 'producer');
  await connectRedis(redis);
  const queue = new RedisJobQueue(redis, { maxWaiting, log: deps.log, ...observer });
  return { queue, deliveries: new RedisDeliveryStore(redis), disconnect: () => quit(redis) };
}

/** A whole number ≥ 1 from the environment, or `fallback` when unset. */
export function positiveInt(env: Record<string, string | undefined>, name: string, fallback: number): number {
  return wholeNumber(env, name, fallback, 1);
}

/** A whole number ≥ `min` from the environment, or `fallback` when unset. */
export function wholeNumber(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, not "${raw}"`);
  return value;
}

export async function quit(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
