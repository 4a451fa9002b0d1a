/**
 * The test Redis started by test/global-setup-redis.ts. Each test file uses its own database number,
 * so files running in parallel never see each other's queues and keys.
 */
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** '' when redis-server is not installed: Redis-backed suites use `describe.skipIf(!REDIS_URL)`. */
export const REDIS_URL = inject('redisUrl');

/** Databases by test file (the scratch server is started with 32). */
export const DB = {
  queue: 1,
  idempotency: 2,
  crash: 3,
  fault: 4,
  shutdown: 5,
  metrics: 6,
  readCache: 7,
} as const;

export function redisUrlFor(db: number): string {
  return `${REDIS_URL}/${db}`;
}

/** A connection to an emptied database; BullMQ needs `maxRetriesPerRequest: null` on shared ones. */
export async function emptyDatabase(db: number): Promise<Redis> {
  const redis = new Redis(redisUrlFor(db), { maxRetriesPerRequest: null });
  await redis.flushdb();
  return redis;
}
