import type { Redis } from 'ioredis';
import { batched } from './queue/batch.js';
import { withDeadline } from './deadline.js';

/**
 * Delivery ids already acted on, so a redelivered webhook does no work twice. `claim` is atomic per
 * store: of two replicas receiving the same delivery at once, one gets `claimed` and the other
 * `duplicate`. A claim is held only briefly until the handler has enqueued the review and `confirm`s
 * it; a handler that cannot enqueue releases the ids, so the platform's retry of that delivery is not
 * mistaken for a duplicate — and when the store went away before it could release them either, the
 * claim lapses by itself.
 */
export interface DeliveryStore {
  /** `duplicate` when any of the ids (aliases of one delivery) is claimed. Held for the hold time. */
  claim(ids: readonly string[]): Promise<ClaimResult>;
  /** The delivery was acted on: remember its ids for the whole TTL. */
  confirm(ids: readonly string[]): Promise<void>;
  release(ids: readonly string[]): Promise<void>;
}

export type ClaimResult = 'claimed' | 'duplicate';

/**
 * Confirms a claim without making the sender wait for it. A confirmation lost to an outage costs
 * nothing but the claim lapsing after the hold time: a later redelivery of that delivery then finds
 * the job it already made (jobs are keyed by delivery id), or at worst a review runs once more.
 */
export function confirmInBackground(store: DeliveryStore, ids: readonly string[]): void {
  store.confirm(ids).catch(() => undefined);
}

/**
 * How long a delivery id is remembered. GitHub lets an app's deliveries of the past 3 days be
 * redelivered (GitLab keeps "Recent events" for 2), so an id must outlive that window.
 */
export const DELIVERY_TTL_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * How long a claim lasts unconfirmed: far longer than enqueuing takes, shorter than the `Retry-After`
 * a refused delivery is given, so its redelivery is never taken for a duplicate.
 */
export const CLAIM_HOLD_MS = 30_000;

/** Ids kept by the in-process store; the oldest are forgotten first, so memory stays bounded. */
export const MEMORY_DELIVERY_LIMIT = 50_000;

/** Namespace of the Redis keys, one per delivery id: `jitterbot:delivery:<id>`. */
export const REDIS_DELIVERY_PREFIX = 'jitterbot:delivery:';

export interface MemoryDeliveryOptions {
  ttlMs: number;
  holdMs: number;
  maxEntries: number;
  now?: () => number;
}

/** The default: one process's memory, bounded in count and age. */
export class MemoryDeliveryStore implements DeliveryStore {
  /** id → expiry; a Map iterates in insertion order, which makes the oldest entry the first one. */
  private readonly expiries = new Map<string, number>();
  private readonly options: MemoryDeliveryOptions;

  constructor(options: Partial<MemoryDeliveryOptions> = {}) {
    this.options = {
      ttlMs: DELIVERY_TTL_MS,
      holdMs: CLAIM_HOLD_MS,
      maxEntries: MEMORY_DELIVERY_LIMIT,
      ...options,
    };
  }

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    const now = this.now();
    if (ids.some((id) => (this.expiries.get(id) ?? 0) > now)) return 'duplicate';
    this.keep(ids, now + Math.min(this.options.holdMs, this.options.ttlMs));
    while (this.expiries.size > this.options.maxEntries) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
    return 'claimed';
  }

  async confirm(ids: readonly string[]): Promise<void> {
    this.keep(ids, this.now() + this.options.ttlMs);
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.expiries.delete(id);
  }

  /** Re-inserted, so the Map's order stays the order of expiry. */
  private keep(ids: readonly string[], expiry: number): void {
    for (const id of ids) {
      this.expiries.delete(id);
      this.expiries.set(id, expiry);
    }
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
 * (claimed: every alias set with `PX hold`) or 0 (one alias already existed: nothing set) per delivery.
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

/** A delivery store that has not answered in this long is unreachable: the webhook gets its 503. */
const STORE_DEADLINE_MS = 3_000;
const SILENT = `Redis did not answer the delivery store within ${STORE_DEADLINE_MS} ms`;

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

  private readonly confirmOne: (ids: readonly string[]) => Promise<void>;

  constructor(
    redis: Redis,
    private readonly ttlMs: number = DELIVERY_TTL_MS,
    holdMs: number = CLAIM_HOLD_MS,
  ) {
    // The key count is given per call: it depends on the batch.
    if (!('claimDeliveries' in redis)) redis.defineCommand('claimDeliveries', { lua: CLAIM_DELIVERIES });
    this.redis = redis as ClaimClient;
    this.claimOne = batched((deliveries: (readonly string[])[]) => {
      const keys = deliveries.flatMap((ids) => ids.map(keyOf));
      const sizes = deliveries.map((ids) => ids.length);
      return this.redis.claimDeliveries(keys.length, ...keys, Math.min(holdMs, ttlMs), ...sizes);
    });
    this.confirmOne = batched(async (deliveries: (readonly string[])[]) => {
      const pipeline = this.redis.pipeline();
      for (const id of deliveries.flat()) pipeline.pexpire(keyOf(id), this.ttlMs);
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      return deliveries.map(() => undefined);
    });
  }

  async claim(ids: readonly string[]): Promise<ClaimResult> {
    if (ids.length === 0) return 'claimed';
    const claimed = await withDeadline(this.claimOne(ids), STORE_DEADLINE_MS, SILENT);
    return claimed === 1 ? 'claimed' : 'duplicate';
  }

  async confirm(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await withDeadline(this.confirmOne(ids), STORE_DEADLINE_MS, SILENT);
  }

  async release(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await withDeadline(this.redis.del(...ids.map(keyOf)), STORE_DEADLINE_MS, SILENT);
  }
}

function keyOf(id: string): string {
  return `${REDIS_DELIVERY_PREFIX}${id}`;
}
