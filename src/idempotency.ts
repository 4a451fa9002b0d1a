import type { Redis } from 'ioredis';
import { batched } from './queue/batch.js';

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
 * Claims a batch of deliveries, each all of its aliases or none: KEYS are the aliases of every
 * delivery in turn, ARGV[1] the TTL and ARGV[2..] how many aliases each delivery has. Answers 1
 * (claimed: every alias set with `PX ttl`) or 0 (one alias already existed: nothing set) per delivery.
 * A script is atomic and one round trip; a delivery repeated within the batch is a duplicate of itself.
 */
const CLAIM_DELIVERIES = `
local claimed = {}
local first = 1
for group = 2, #ARGV do
  local last = first + tonumber(ARGV[group]) - 1
  local free = 1
  for i = first, last do
    if redis.call('EXISTS', KEYS[i]) == 1 then free = 0 break end
  end
  if free == 1 then
    for i = first, last do redis.call('SET', KEYS[i], '1', 'PX', ARGV[1]) end
  end
  claimed[#claimed + 1] = free
  first = last + 1
end
return claimed`;

type ClaimClient = Redis & {
  claimDeliveries(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

/**
 * Shared by every replica through Redis: one key per delivery id, `jitterbot:delivery:<id>`. Claims
 * made together (a burst of webhooks) go to Redis as one script call.
 */
export class RedisDeliveryStore implements DeliveryStore {
  private readonly redis: ClaimClient;
  private readonly claimOne: (ids: readonly string[]) => Promise<number>;

  constructor(
    redis: Redis,
    private readonly ttlMs: number = DELIVERY_TTL_MS,
  ) {
    // The key count is given per call: it depends on the batch.
    if (!('claimDeliveries' in redis)) redis.defineCommand('claimDeliveries', { lua: CLAIM_DELIVERIES });
    this.redis = redis as ClaimClient;
    this.claimOne = batched((deliveries: (readonly string[])[]) => {
      const keys = deliveries.flatMap((ids) => ids.map(keyOf));
      const sizes = deliveries.map((ids) => ids.length);
      return this.redis.claimDeliveries(keys.length, ...keys, this.ttlMs, ...sizes);
    });
  }

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    if (ids.length === 0) return 'claimed';
    return (await this.claimOne(ids)) === 1 ? 'claimed' : 'duplicate';
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.redis.del(...ids.map(keyOf));
  }
}

function keyOf(id: string): string {
  return `${REDIS_DELIVERY_PREFIX}${id}`;
}
