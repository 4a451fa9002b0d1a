import type { Redis } from 'ioredis';

/**
 * Delivery ids already acted on, so a redelivered webhook does no work twice. `claim` is atomic per
 * store: of two replicas receiving the same delivery at once, one gets `claimed` and the other
 * `duplicate`. A handler that claims and then cannot enqueue releases the ids, so the platform's
 * retry of that delivery is not mistaken for a duplicate.
 */
export interface DeliveryStore {
  /** `duplicate` when any of the ids (aliases of one delivery) was claimed within the TTL. */
  claim(ids: readonly string[]): Promise<ClaimResult>;
  release(ids: readonly string[]): Promise<void>;
}

export type ClaimResult = 'claimed' | 'duplicate';

/**
 * How long a delivery id is remembered. GitHub lets an app's deliveries of the past 3 days be
 * redelivered (GitLab keeps "Recent events" for 2), so an id must outlive that window.
 */
export const DELIVERY_TTL_MS = 3 * 24 * 60 * 60 * 1000;

/** Ids kept by the in-process store; the oldest are forgotten first, so memory stays bounded. */
export const MEMORY_DELIVERY_LIMIT = 50_000;

/** Namespace of the Redis keys, one per delivery id: `jitterbot:delivery:<id>`. */
export const REDIS_DELIVERY_PREFIX = 'jitterbot:delivery:';

export interface MemoryDeliveryOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/** The default: one process's memory, bounded in count and age. */
export class MemoryDeliveryStore implements DeliveryStore {
  /** id → expiry; a Map iterates in insertion order, which makes the oldest entry the first one. */
  private readonly expiries = new Map<string, number>();
  private readonly options: MemoryDeliveryOptions;

  constructor(options: Partial<MemoryDeliveryOptions> = {}) {
    this.options = { ttlMs: DELIVERY_TTL_MS, maxEntries: MEMORY_DELIVERY_LIMIT, ...options };
  }

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    const now = this.now();
    if (ids.some((id) => (this.expiries.get(id) ?? 0) > now)) return 'duplicate';
    for (const id of ids) {
      this.expiries.delete(id);
      this.expiries.set(id, now + this.options.ttlMs);
    }
    while (this.expiries.size > this.options.maxEntries) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
    return 'claimed';
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.expiries.delete(id);
  }

  get size(): number {
    return this.expiries.size;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * All of a delivery's aliases or none: set every key with `PX ttl` unless one of them exists. One
 * script is one round trip and atomic, where MULTI would cost a pipeline object per webhook (ioredis
 * copies every command BullMQ defined on the connection into each one).
 */
const CLAIM_DELIVERIES = `
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'PX', ARGV[1])
end
return 1`;

type ClaimClient = Redis & {
  claimDeliveries(count: number, ...keysAndTtl: (string | number)[]): Promise<number>;
};

/** Shared by every replica through Redis: one key per delivery id, `jitterbot:delivery:<id>`. */
export class RedisDeliveryStore implements DeliveryStore {
  private readonly redis: ClaimClient;

  constructor(
    redis: Redis,
    private readonly ttlMs: number = DELIVERY_TTL_MS,
  ) {
    // numberOfKeys is left to each call: a delivery has one id or several aliases.
    if (!('claimDeliveries' in redis)) redis.defineCommand('claimDeliveries', { lua: CLAIM_DELIVERIES });
    this.redis = redis as ClaimClient;
  }

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    if (ids.length === 0) return 'claimed';
    const set = await this.redis.claimDeliveries(ids.length, ...ids.map(keyOf), this.ttlMs);
    return set === 1 ? 'claimed' : 'duplicate';
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.del(...ids.map(keyOf));
  }
}

function keyOf(id: string): string {
  return `${REDIS_DELIVERY_PREFIX}${id}`;
}
