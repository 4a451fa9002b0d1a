/**
 * The reconciler's schedule (on start, then jittered, single-flight, capped, never throwing), its
 * settings, and the review records it reads, in memory and in Redis.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import '../src/platforms/job-kinds.js';
import type { GitHubReviewJob } from '../src/platforms/github/job-kind.js';
import {
  createReconciler,
  startReconciler,
  type ReconcileRun,
  type ReconcileSource,
} from '../src/reconcile/reconciler.js';
import { DEFAULT_RECONCILE, reconcileSettingsFromEnv } from '../src/reconcile/settings.js';
import {
  MemoryReviewRecords,
  REMEMBERED_PER_SET,
  RedisReviewRecords,
  type ReviewRecords,
} from '../src/review-records.js';
import { DB, REDIS_URL, emptyDatabase } from './redis/redis.js';

const silent = { info() {}, warn() {}, error() {} };

const job = (pullNumber: number): GitHubReviewJob => ({
  platform: 'github',
  deliveryIds: [`d-${pullNumber}`],
  installationId: 1,
  owner: 'o',
  repo: 'r',
  pullNumber,
  headSha: 'a'.repeat(40),
  reason: 'opened',
  enqueuedAt: 0,
});

/** A source that records the runs it was given and does what `body` says with each. */
function source(body: (run: ReconcileRun) => Promise<void> = async () => {}): {
  source: ReconcileSource;
  runs: ReconcileRun[];
} {
  const runs: ReconcileRun[] = [];
  return {
    runs,
    source: {
      platform: 'github',
      async reconcile(run) {
        runs.push(run);
        await body(run);
      },
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('reconciler schedule', () => {
  it('runs at start, then after jittered waits around the interval, and stops', async () => {
    vi.useFakeTimers();
    const { source: counted, runs } = source();
    const draws = [0, 0.999];
    const reconciler = startReconciler({
      sources: [counted],
      settings: { ...DEFAULT_RECONCILE, intervalMs: 1_000 },
      enqueue: async () => 'queued',
      log: silent,
      random: () => draws.shift() ?? 0.5,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    // The first wait drew 0: half the interval.
    await vi.advanceTimersByTimeAsync(499);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    // The second drew 0.999: about one and a half intervals.
    await vi.advanceTimersByTimeAsync(1_400);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toHaveLength(3);
    reconciler.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(3);
  });

  it('never overlaps runs: a call during a run gets that run', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { source: slow, runs } = source(() => gate);
    const runOnce = createReconciler({
      sources: [slow],
      settings: DEFAULT_RECONCILE,
      enqueue: async () => 'queued',
      log: silent,
    });
    const first = runOnce();
    const second = runOnce();
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    release();
    expect(await first).toBe(await second);
    await runOnce();
    expect(runs).toHaveLength(2);
  });

  it('looks back over the window, leaves young changes to a later run except at start', async () => {
    const { source: seen, runs } = source();
    const runOnce = createReconciler({
      sources: [seen],
      settings: DEFAULT_RECONCILE,
      enqueue: async () => 'queued',
      log: silent,
      now: () => 10_000_000_000,
    });
    await runOnce({ fresh: true });
    await runOnce();
    expect(runs.map((run) => [run.since, run.until])).toEqual([
      [10_000_000_000 - DEFAULT_RECONCILE.lookbackMs, 10_000_000_000],
      [10_000_000_000 - DEFAULT_RECONCILE.lookbackMs, 10_000_000_000 - DEFAULT_RECONCILE.minAgeMs],
    ]);
  });

  it('caps API calls and queued reviews per source and run, and counts only accepted reviews', async () => {
    const results = ['queued', 'full', 'coalesced'] as const;
    const { source: greedy } = source(async (run) => {
      while (run.call());
      for (let i = 0; i < 5; i += 1) await run.enqueue(job(i), 'test', `d-${i}`);
    });
    const enqueued: number[] = [];
    const runOnce = createReconciler({
      sources: [greedy],
      settings: { ...DEFAULT_RECONCILE, maxApiCalls: 3, maxEnqueued: 3 },
      enqueue: async (queued) => {
        enqueued.push((queued as GitHubReviewJob).pullNumber);
        return results[enqueued.length - 1] ?? 'queued';
      },
      log: silent,
    });
    const [report] = await runOnce();
    expect(report).toEqual({ platform: 'github', apiCalls: 3, enqueued: 3, capped: true });
    expect(enqueued).toEqual([0, 1, 2, 3]);
  });

  it('tells later runs what an earlier one queued, until it leaves the look-back window', async () => {
    let now = 10_000_000_000;
    const seen: boolean[] = [];
    const { source: once } = source(async (run) => {
      seen.push(run.queuedBefore('d-1'));
      if (!run.queuedBefore('d-1')) await run.enqueue(job(1), 'test', 'd-1');
    });
    const runOnce = createReconciler({
      sources: [once],
      settings: DEFAULT_RECONCILE,
      enqueue: async () => 'queued',
      log: silent,
      now: () => now,
    });
    await runOnce();
    await runOnce();
    now += DEFAULT_RECONCILE.lookbackMs + 1;
    await runOnce();
    expect(seen).toEqual([false, true, false]);
  });

  it('reports a failing source and still runs the others', async () => {
    const { source: failing } = source(async () => {
      throw new Error('GitHub is down');
    });
    const { source: fine, runs } = source();
    const runOnce = createReconciler({
      sources: [failing, { ...fine, platform: 'gitlab' }],
      settings: DEFAULT_RECONCILE,
      enqueue: async () => 'queued',
      log: silent,
    });
    const reports = await runOnce();
    expect(reports.map((report) => [report.platform, report.error])).toEqual([
      ['github', 'GitHub is down'],
      ['gitlab', undefined],
    ]);
    expect(runs).toHaveLength(1);
  });
});

describe('reconciler settings', () => {
  it('reads the environment, with an off switch', () => {
    expect(reconcileSettingsFromEnv({})).toEqual(DEFAULT_RECONCILE);
    expect(
      reconcileSettingsFromEnv({
        RECONCILE: 'off',
        RECONCILE_INTERVAL_SECONDS: '60',
        RECONCILE_LOOKBACK_MINUTES: '30',
        RECONCILE_MIN_AGE_SECONDS: '10',
        RECONCILE_MAX_API_CALLS: '5',
        RECONCILE_MAX_REVIEWS: '2',
      }),
    ).toEqual({
      enabled: false,
      intervalMs: 60_000,
      lookbackMs: 1_800_000,
      minAgeMs: 10_000,
      maxApiCalls: 5,
      maxEnqueued: 2,
    });
  });

  it('refuses a look-back beyond the 3 days GitHub keeps deliveries, and bad numbers', () => {
    expect(() => reconcileSettingsFromEnv({ RECONCILE_LOOKBACK_MINUTES: '5000' })).toThrow(/at most 4320/);
    expect(() => reconcileSettingsFromEnv({ RECONCILE_MAX_API_CALLS: '0' })).toThrow(
      /RECONCILE_MAX_API_CALLS/,
    );
  });
});

/** The contract both stores keep. */
function recordsContract(make: () => Promise<ReviewRecords>): void {
  it('has what was added, and nothing else', async () => {
    const records = await make();
    expect(await records.has('reviewed:github:o/r#1@abc')).toBe(false);
    await records.add(['reviewed:github:o/r#1@abc', 'handled:github:d-1']);
    expect(await records.has('reviewed:github:o/r#1@abc')).toBe(true);
    expect(await records.has('handled:github:d-1')).toBe(true);
    expect(await records.has('reviewed:github:o/r#1@def')).toBe(false);
  });

  it('remembers members newest first, each once, up to the bound', async () => {
    const records = await make();
    for (const member of ['a', 'b', 'a', 'c']) await records.remember('projects', member);
    expect(await records.members('projects', 10)).toEqual(['c', 'a', 'b']);
    expect(await records.members('projects', 2)).toEqual(['c', 'a']);
    expect(await records.members('other', 10)).toEqual([]);
    for (let i = 0; i < REMEMBERED_PER_SET + 5; i += 1) await records.remember('many', `m${i}`);
    const kept = await records.members('many', REMEMBERED_PER_SET + 10);
    expect(kept).toHaveLength(REMEMBERED_PER_SET);
    expect(kept[0]).toBe(`m${REMEMBERED_PER_SET + 4}`);
  });
}

describe('MemoryReviewRecords', () => {
  recordsContract(async () => new MemoryReviewRecords());

  it('forgets after the TTL, and the oldest beyond its bound', async () => {
    let now = 0;
    const records = new MemoryReviewRecords({ ttlMs: 100, maxEntries: 2, now: () => now });
    await records.add(['a']);
    now = 100;
    expect(await records.has('a')).toBe(false);
    await records.add(['b', 'c', 'd']);
    expect([await records.has('b'), await records.has('c'), await records.has('d')]).toEqual([
      false,
      true,
      true,
    ]);
  });
});

describe.skipIf(!REDIS_URL)('RedisReviewRecords', () => {
  const connections: Redis[] = [];
  afterAll(() => connections.forEach((redis) => redis.disconnect()));
  recordsContract(async () => {
    const redis = await emptyDatabase(DB.records);
    connections.push(redis);
    return new RedisReviewRecords(redis);
  });

  it('keeps each record with the TTL', async () => {
    const redis = await emptyDatabase(DB.records);
    await new RedisReviewRecords(redis, 60_000).add(['reviewed:gitlab:14!1@abc']);
    const ttl = await redis.pttl('jitterbot:record:reviewed:gitlab:14!1@abc');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    redis.disconnect();
  });
});
