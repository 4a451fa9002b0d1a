import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { ZodType } from 'zod';
import { withDeadline } from '../deadline.js';
import { currentApiCallLog } from './api-calls.js';

/**
 * A content-addressed cache for what the platform readers fetch: blobs by their git object id, tree
 * listings by the commit they list. Both are immutable, so an entry never goes stale and is never
 * invalidated — a changed file has a new blob id and simply misses. Entries live in this process's
 * memory (an LRU bounded in bytes) and, when the process has Redis, there too, so every worker shares
 * what any of them read. Whatever comes back is checked (a blob against its id, a listing against its
 * schema); anything that fails the check, is oversized, or does not arrive in time is a miss.
 */
export interface ReadCache {
  /** The blob `id` (git object id) of a repository in `scope`, loaded and stored on a miss. */
  blob(scope: string, id: string, load: () => Promise<Uint8Array | null>): Promise<Uint8Array | null>;
  /** A JSON value stored under `kind`/`id` (e.g. a tree listing by commit), checked by `schema`. */
  json<T>(scope: string, kind: string, id: string, schema: ZodType<T>, load: () => Promise<T>): Promise<T>;
  /** A JSON value if some earlier read stored it, without loading it otherwise. */
  peek<T>(scope: string, kind: string, id: string, schema: ZodType<T>): Promise<T | undefined>;
  /** Stores a JSON value learnt on the way (e.g. the subtrees a recursive listing showed). */
  remember(scope: string, kind: string, id: string, value: unknown): Promise<void>;
}

export type CacheLayer = 'memory' | 'redis';
/** hit; miss; invalid: present but corrupt, oversized or unreadable (counted, then treated as a miss). */
export type CacheLookup = 'hit' | 'miss' | 'invalid';

export interface ReadCacheObserver {
  lookup(layer: CacheLayer, result: CacheLookup): void;
}

/** One layer: bytes by key. Layers never throw; a failure is a miss. */
interface CacheStore {
  readonly layer: CacheLayer;
  get(key: string): Promise<Buffer | undefined>;
  set(key: string, value: Buffer): Promise<void>;
}

export const DEFAULT_READ_CACHE = {
  /** Bytes the in-memory LRU holds (per process). */
  memoryBytes: 64 * 1024 * 1024,
  /** How long Redis keeps an entry after it was last written. */
  ttlSeconds: 24 * 60 * 60,
  /**
   * Larger values are neither stored nor trusted when read. Files are refused over 1 MiB anyway; this
   * leaves room for the listing of a tree of some 40 000 files.
   */
  maxValueBytes: 4 * 1024 * 1024,
  /** A Redis answer slower than this is a miss: the cache must never hold up a review. */
  redisTimeoutMs: 500,
};

export type ReadCacheSettings = typeof DEFAULT_READ_CACHE;

/** Bumped when the stored shape changes, so old entries are ignored rather than misread. */
const KEY_PREFIX = 'jitterbot:read:v1:';

/** A cache that stores nothing: the switch for `READ_CACHE=off` and for measuring without it. */
export const NO_READ_CACHE: ReadCache = {
  blob: (_scope, _id, load) => load(),
  json: (_scope, _kind, _id, _schema, load) => load(),
  peek: async () => undefined,
  remember: async () => {},
};

export function createReadCache(
  options: { redis?: Redis; observer?: ReadCacheObserver; settings?: Partial<ReadCacheSettings> } = {},
): ReadCache {
  const settings = { ...DEFAULT_READ_CACHE, ...options.settings };
  const stores: CacheStore[] = [memoryStore(settings)];
  if (options.redis) stores.push(redisStore(options.redis, settings));
  return new TieredReadCache(stores, settings.maxValueBytes, options.observer);
}

/** The git object id of a blob: SHA-1 for ordinary repositories, SHA-256 for 64-digit ids. */
export function gitBlobId(bytes: Uint8Array, idLength: number): string {
  return createHash(idLength === 64 ? 'sha256' : 'sha1')
    .update(`blob ${bytes.byteLength}\0`)
    .update(bytes)
    .digest('hex');
}

/** Only a full object id names something immutable; a branch or a short id must never be cached. */
export function isObjectId(ref: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(ref);
}

class TieredReadCache implements ReadCache {
  constructor(
    private readonly stores: CacheStore[],
    private readonly maxValueBytes: number,
    private readonly observer?: ReadCacheObserver,
  ) {}

  async blob(scope: string, id: string, load: () => Promise<Uint8Array | null>): Promise<Uint8Array | null> {
    if (!isObjectId(id)) return load();
    const key = `${KEY_PREFIX}${scope}:blob:${id}`;
    const intact = (bytes: Buffer) => gitBlobId(bytes, id.length) === id;
    const cached = await this.lookup(key, intact);
    if (cached) return cached;
    const loaded = await load();
    // Bytes that do not hash to their id (a platform that rewrote them) are served but not kept.
    if (loaded && intact(Buffer.from(loaded))) await this.store(key, Buffer.from(loaded));
    return loaded;
  }

  async json<T>(
    scope: string,
    kind: string,
    id: string,
    schema: ZodType<T>,
    load: () => Promise<T>,
  ): Promise<T> {
    const cached = await this.peek(scope, kind, id, schema);
    if (cached !== undefined) return cached;
    const loaded = await load();
    await this.remember(scope, kind, id, loaded);
    return loaded;
  }

  async remember(scope: string, kind: string, id: string, value: unknown): Promise<void> {
    if (isObjectId(id))
      await this.store(`${KEY_PREFIX}${scope}:${kind}:${id}`, Buffer.from(JSON.stringify(value)));
  }

  async peek<T>(scope: string, kind: string, id: string, schema: ZodType<T>): Promise<T | undefined> {
    if (!isObjectId(id)) return undefined;
    let parsed: T | undefined;
    const valid = (bytes: Buffer): boolean => {
      const result = schema.safeParse(parseJson(bytes));
      if (result.success) parsed = result.data;
      return result.success;
    };
    return (await this.lookup(`${KEY_PREFIX}${scope}:${kind}:${id}`, valid)) ? parsed : undefined;
  }

  /** The first layer holding an intact value; earlier layers that missed are filled from it. */
  private async lookup(key: string, intact: (bytes: Buffer) => boolean): Promise<Buffer | undefined> {
    for (const [index, store] of this.stores.entries()) {
      const value = await store.get(key);
      const result: CacheLookup =
        value === undefined
          ? 'miss'
          : value.byteLength <= this.maxValueBytes && intact(value)
            ? 'hit'
            : 'invalid';
      this.observer?.lookup(store.layer, result);
      if (result !== 'hit' || !value) continue;
      const calls = currentApiCallLog();
      if (calls) calls.cacheHits += 1;
      await Promise.all(this.stores.slice(0, index).map((earlier) => earlier.set(key, value)));
      return value;
    }
    return undefined;
  }

  private async store(key: string, value: Buffer): Promise<void> {
    if (value.byteLength > this.maxValueBytes) return;
    await Promise.all(this.stores.map((store) => store.set(key, value)));
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function memoryStore(settings: ReadCacheSettings): CacheStore {
  const lru = new LRUCache<string, Buffer>({
    maxSize: settings.memoryBytes,
    maxEntrySize: settings.maxValueBytes,
    // An empty file still takes an entry.
    sizeCalculation: (value) => Math.max(1, value.byteLength),
  });
  return {
    layer: 'memory',
    get: async (key) => lru.get(key),
    set: async (key, value) => void lru.set(key, value),
  };
}

function redisStore(redis: Redis, settings: ReadCacheSettings): CacheStore {
  const bounded = <T>(work: Promise<T>): Promise<T | undefined> =>
    withDeadline(work, settings.redisTimeoutMs, 'read cache: Redis did not answer').catch(() => undefined);
  return {
    layer: 'redis',
    get: async (key) => (await bounded(redis.getBuffer(key))) ?? undefined,
    set: async (key, value) => void (await bounded(redis.set(key, value, 'EX', settings.ttlSeconds))),
  };
}
