import type { Redis } from 'ioredis';
import { positiveInt, quit } from '../queue/create.js';
import { connectRedis, redisConnection } from '../queue/redis.js';
import {
  DEFAULT_READ_CACHE,
  NO_READ_CACHE,
  createReadCache,
  type ReadCache,
  type ReadCacheObserver,
} from './read-cache.js';

// Apart from read-cache.ts so that a process that only reads (`jitterbot review` in CI) does not load
// the queue's Redis modules.

/**
 * From the environment: `READ_CACHE=off` turns caching off; `READ_CACHE_MEMORY_MB` and
 * `READ_CACHE_TTL_SECONDS` size it. Redis is used when the caller has a connection (workers do).
 */
export function readCacheFromEnv(
  env: Record<string, string | undefined>,
  deps: { redis?: Redis; observer?: ReadCacheObserver } = {},
): ReadCache {
  if (cacheOff(env)) return NO_READ_CACHE;
  return createReadCache({
    ...deps,
    settings: {
      memoryBytes:
        positiveInt(env, 'READ_CACHE_MEMORY_MB', DEFAULT_READ_CACHE.memoryBytes / 2 ** 20) * 2 ** 20,
      ttlSeconds: positiveInt(env, 'READ_CACHE_TTL_SECONDS', DEFAULT_READ_CACHE.ttlSeconds),
    },
  });
}

/**
 * The cache of a process that runs reviews beside others (`jitterbot worker`): in memory and in the
 * Redis at `REDIS_URL`, on a connection of its own that fails fast, so a Redis outage makes misses,
 * not stalled reviews.
 */
export async function sharedReadCacheFromEnv(
  env: Record<string, string | undefined>,
  observer?: ReadCacheObserver,
): Promise<{ cache: ReadCache; close(): Promise<void> }> {
  const url = env.REDIS_URL?.trim();
  const deps = observer ? { observer } : {};
  if (!url || cacheOff(env)) return { cache: readCacheFromEnv(env, deps), close: async () => {} };
  const redis = redisConnection(url, 'producer');
  await connectRedis(redis);
  return { cache: readCacheFromEnv(env, { ...deps, redis }), close: () => quit(redis) };
}

function cacheOff(env: Record<string, string | undefined>): boolean {
  return env.READ_CACHE?.trim().toLowerCase() === 'off';
}
