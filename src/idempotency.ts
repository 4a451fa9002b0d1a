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
 * Shared by every replica through Redis: `SET key 1 PX ttl NX` per id. When one alias of a delivery
 * was already there, the aliases this call set are deleted again, so a partial claim leaves nothing.
 */
export class RedisDeliveryStore implements DeliveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number = DELIVERY_TTL_MS,
  ) {}

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    if (ids.length === 0) return 'claimed';
    const pipeline = this.redis.multi();
    for (const id of ids) pipeline.set(keyOf(id), '1', 'PX', this.ttlMs, 'NX');
    const results = (await pipeline.exec()) ?? [];
    const set = ids.filter((_, index) => results[index]?.[1] === 'OK');
    if (set.length === ids.length) return 'claimed';
    if (set.length > 0) await this.redis.del(...set.map(keyOf));
    return 'duplicate';
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.del(...ids.map(keyOf));
  }
}

function keyOf(id: string): string {
  return `${REDIS_DELIVERY_PREFIX}${id}`;
}
