import type { Redis } from 'ioredis';
import { withDeadline } from './deadline.js';

/**
 * What the bot has finished, kept beside the delivery store (memory, or Redis when scaled out) so a
 * review reconciled after an outage and a late redelivery of its webhook never both post:
 *
 * - completed reviews, by target and head commit ({@link reviewedKey}): written when a review is
 *   published (findings or none), read by the job before it posts and by the reconciler;
 * - deliveries acted on ({@link handledDeliveryKey}): written when the job a delivery asked for ended
 *   without failing (reviewed, or nothing to review), so the reconciler need not fetch them again;
 * - the projects a platform's webhooks came from, which a reconciler without a delivery log (GitLab)
 *   looks through.
 */
export interface ReviewRecords {
  has(key: string): Promise<boolean>;
  add(keys: readonly string[]): Promise<void>;
  /** Remembers `member` (newest first); only the newest `REMEMBERED_PER_SET` of a set are kept. */
  remember(set: string, member: string): Promise<void>;
  /** Up to `limit` members of a set, most recently remembered first. */
  members(set: string, limit: number): Promise<string[]>;
}

/** A review of one target's head commit: `github:owner/repo#12@<sha>`, `gitlab:42!7@<sha>`. */
export function reviewedKey(target: string, headSha: string): string {
  return `reviewed:${target}@${headSha}`;
}

export function handledDeliveryKey(platform: string, deliveryId: string): string {
  return `handled:${platform}:${deliveryId}`;
}

/**
 * How long a record lasts: longer than the 3 days over which GitHub lets a delivery be redelivered
 * and longest reconcile look-back, so a record never lapses while something could still repeat it.
 */
export const RECORD_TTL_MS = 4 * 24 * 60 * 60 * 1000;

/** Records kept by the in-process store; the oldest are forgotten first. */
export const MEMORY_RECORD_LIMIT = 50_000;

/** Members kept per remembered set (projects served): a bound, not an expected size. */
export const REMEMBERED_PER_SET = 1_000;

export const REDIS_RECORD_PREFIX = 'jitterbot:record:';
export const REDIS_SET_PREFIX = 'jitterbot:seen:';

/** One process's memory: lost on restart, when the reconciler asks the platforms instead. */
export class MemoryReviewRecords implements ReviewRecords {
  /** key → expiry, in insertion order, so the first entry is the oldest. */
  private readonly expiries = new Map<string, number>();
  private readonly sets = new Map<string, Map<string, number>>();

  constructor(private readonly options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {}

  async has(key: string): Promise<boolean> {
    return (this.expiries.get(key) ?? 0) > this.now();
  }

  async add(keys: readonly string[]): Promise<void> {
    const expiry = this.now() + (this.options.ttlMs ?? RECORD_TTL_MS);
    for (const key of keys) {
      this.expiries.delete(key);
      this.expiries.set(key, expiry);
    }
    trimOldest(this.expiries, this.options.maxEntries ?? MEMORY_RECORD_LIMIT);
  }

  async remember(set: string, member: string): Promise<void> {
    const members = this.sets.get(set) ?? new Map<string, number>();
    this.sets.set(set, members);
    members.delete(member);
    members.set(member, this.now());
    trimOldest(members, REMEMBERED_PER_SET);
  }

  async members(set: string, limit: number): Promise<string[]> {
    return [...(this.sets.get(set)?.keys() ?? [])].reverse().slice(0, limit);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function trimOldest(map: Map<string, number>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) return;
    map.delete(oldest);
  }
}

const RECORDS_DEADLINE_MS = 3_000;
const SILENT = `Redis did not answer the review records within ${RECORDS_DEADLINE_MS} ms`;

/** Shared by every replica and worker: a key per record, a sorted set (by time) per remembered set. */
export class RedisReviewRecords implements ReviewRecords {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number = RECORD_TTL_MS,
  ) {}

  async has(key: string): Promise<boolean> {
    return (
      (await withDeadline(this.redis.exists(REDIS_RECORD_PREFIX + key), RECORDS_DEADLINE_MS, SILENT)) > 0
    );
  }

  async add(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.set(REDIS_RECORD_PREFIX + key, '1', 'PX', this.ttlMs);
    await this.exec(pipeline);
  }

  async remember(set: string, member: string): Promise<void> {
    const key = REDIS_SET_PREFIX + set;
    const pipeline = this.redis.pipeline();
    // Sub-millisecond time: members remembered within one millisecond keep their order.
    pipeline.zadd(key, performance.timeOrigin + performance.now(), member);
    // Keeps the newest members: ranks run from the lowest score, the oldest.
    pipeline.zremrangebyrank(key, 0, -REMEMBERED_PER_SET - 1);
    await this.exec(pipeline);
  }

  async members(set: string, limit: number): Promise<string[]> {
    return withDeadline(
      this.redis.zrevrange(REDIS_SET_PREFIX + set, 0, limit - 1),
      RECORDS_DEADLINE_MS,
      SILENT,
    );
  }

  private async exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
    const results = (await withDeadline(pipeline.exec(), RECORDS_DEADLINE_MS, SILENT)) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
  }
}
