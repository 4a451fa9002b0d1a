/**
 * The Redis queue against a real redis-server: the web side only enqueues, workers run; duplicates
 * collapse; one target never runs on two workers at once; requests that arrive during a run are merged
 * into one more run; failed jobs retry with backoff and end as dead letters an operator can list and
 * retry; a full or unreachable queue refuses instead of hanging.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLAIM_HOLD_MS, RedisDeliveryStore } from '../../src/idempotency.js';
import '../../src/platforms/github/job-kind.js';
import type { GitHubReviewJob } from '../../src/platforms/github/job-kind.js';
import { jobKey } from '../../src/queue/job.js';
import { listDeadLetters, retryDeadLetters } from '../../src/queue/dead-letters.js';
import { RedisJobQueue, connectRedis, pendingKey, redisConnection } from '../../src/queue/redis.js';
import { RedisJobWorker } from '../../src/queue/redis-worker.js';
import type { JobEnd, JobOutcome, JobRunners } from '../../src/queue/types.js';
import { DB, REDIS_URL, emptyDatabase, redisUrlFor } from './redis.js';

const QUICK_RETRY = { attempts: 3, baseMs: 20, capMs: 1_000 };

function job(
  pullNumber: number,
  headSha: string,
  deliveryId: string,
  reason: GitHubReviewJob['reason'] = 'synchronize',
): GitHubReviewJob {
  return {
    platform: 'github',
    deliveryIds: [deliveryId],
    installationId: 1,
    owner: 'octo',
    repo: 'app',
    pullNumber,
    headSha,
    reason,
    enqueuedAt: Date.now(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe.skipIf(!REDIS_URL)('Redis queue', () => {
  let admin: Redis;
  let producer: Redis;
  let queue: RedisJobQueue;
  const workers: { worker: RedisJobWorker; redis: Redis }[] = [];

  async function startWorker(runners: JobRunners, observer?: (end: JobEnd) => void): Promise<RedisJobWorker> {
    const redis = redisConnection(redisUrlFor(DB.queue), 'worker');
    await connectRedis(redis);
    const worker = new RedisJobWorker(redis, runners, {
      concurrency: 2,
      ...(observer ? { observer: { finished: (_job, end) => observer(end) } } : {}),
    });
    await worker.start();
    workers.push({ worker, redis });
    return worker;
  }

  beforeEach(async () => {
    admin = await emptyDatabase(DB.queue);
    producer = redisConnection(redisUrlFor(DB.queue), 'producer');
    await connectRedis(producer);
    queue = new RedisJobQueue(producer, { retry: QUICK_RETRY });
  });

  afterEach(async () => {
    for (const { worker, redis } of workers.splice(0)) {
      await worker.close(1_000);
      redis.disconnect();
    }
    await queue.close(1_000);
    producer.disconnect();
    admin.disconnect();
  });

  it('enqueues in the web process and runs in a worker, leaving no pending request', async () => {
    expect(queue.mode).toBe('redis');
    expect(await queue.enqueue(job(1, 'sha1', 'd1'))).toBe('queued');
    expect(await queue.counts()).toMatchObject({ waiting: 1, active: 0 });
    const ran: string[] = [];
    await startWorker({ github: async (j) => (ran.push(`${j.pullNumber}@${j.headSha}`), 'reviewed') });
    await until(() => ran.length === 1);
    await until(async () => (await queue.counts()).waiting === 0 && (await queue.counts()).active === 0);
    expect(ran).toEqual(['1@sha1']);
    expect(await admin.llen(pendingKey(jobKey(job(1, 'sha1', 'd1'))))).toBe(0);
    expect(await queue.problem()).toBeNull();
  });

  it('collapses a redelivered request into the job it already made', async () => {
    expect(await queue.enqueue(job(1, 'sha1', 'd1'))).toBe('queued');
    expect(await queue.enqueue(job(1, 'sha1', 'd1'))).toBe('queued');
    expect(await queue.enqueue(job(1, 'sha2', 'd2'))).toBe('coalesced');
    expect((await queue.counts()).waiting).toBe(1);
    const runs: GitHubReviewJob[] = [];
    await startWorker({ github: async (j) => (runs.push(j), 'reviewed') });
    await until(() => runs.length === 1);
    await sleep(200);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ headSha: 'sha2', deliveryIds: ['d1', 'd2'] });
  });

  it('never runs one target on two workers at once, and loses or repeats no request', async () => {
    const PULLS = 12;
    const PUSHES = 5;
    const running = new Set<number>();
    let overlaps = 0;
    const reviewed: string[] = [];
    const runner = async (j: GitHubReviewJob): Promise<JobOutcome> => {
      if (running.has(j.pullNumber)) overlaps += 1;
      running.add(j.pullNumber);
      await sleep(5 + Math.floor(Math.random() * 20));
      running.delete(j.pullNumber);
      reviewed.push(`${j.pullNumber}@${j.headSha}`);
      return 'reviewed';
    };
    await startWorker({ github: runner });
    await startWorker({ github: runner });
    // Pushes to every pull request arrive interleaved while earlier ones are being reviewed.
    for (let push = 1; push <= PUSHES; push += 1) {
      await Promise.all(
        Array.from({ length: PULLS }, (_, index) =>
          queue.enqueue(job(index + 1, `sha${push}`, `d${index + 1}-${push}`)),
        ),
      );
      await sleep(10);
    }
    await until(async () => {
      const counts = await queue.counts();
      return (
        counts.waiting + counts.active + counts.delayed === 0 &&
        reviewed.filter((r) => r.endsWith(`@sha${PUSHES}`)).length === PULLS
      );
    });
    expect(overlaps).toBe(0);
    // Nothing lost: every pull request's last push was reviewed. Nothing repeated: no head twice.
    for (let pull = 1; pull <= PULLS; pull += 1) expect(reviewed).toContain(`${pull}@sha${PUSHES}`);
    expect(new Set(reviewed).size).toBe(reviewed.length);
    // Coalescing: fewer runs than requests.
    expect(reviewed.length).toBeLessThan(PULLS * PUSHES);
  });

  it('retries a failed job with backoff until it succeeds', async () => {
    let calls = 0;
    const ends: JobEnd[] = [];
    await startWorker(
      {
        github: async () => {
          calls += 1;
          if (calls < 3) throw new Error('GitHub answered 502');
          return 'reviewed';
        },
      },
      (end) => ends.push(end),
    );
    const started = Date.now();
    await queue.enqueue(job(1, 'sha1', 'd1'));
    await until(() => ends.at(-1) === 'reviewed');
    expect(ends).toEqual(['retrying', 'retrying', 'reviewed']);
    // Jittered exponential windows of 20 and 40 ms: the retries cannot all be immediate, nor slow.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await queue.counts()).toMatchObject({ failed: 0, delayed: 0 });
  });

  it('keeps a job that failed every attempt as a dead letter, listed and retried by an operator', async () => {
    let healthy = false;
    const ends: JobEnd[] = [];
    await startWorker(
      {
        github: async () => {
          if (!healthy) throw new Error('installation suspended');
          return 'reviewed';
        },
      },
      (end) => ends.push(end),
    );
    await queue.enqueue(job(7, 'sha1', 'd1'));
    await until(() => ends.includes('dead'));
    await until(async () => (await queue.counts()).failed === 1);
    const [letter, ...others] = await listDeadLetters(admin);
    expect(others).toEqual([]);
    expect(letter).toMatchObject({
      platform: 'github',
      target: { repo: 'octo/app', pr: 7, deliveryIds: ['d1'] },
      attempts: QUICK_RETRY.attempts,
      error: 'installation suspended',
    });
    // The requests stay pending, so the retried job (or the target's next job) still has them.
    expect(await admin.llen(pendingKey('github:octo/app#7'))).toBe(1);
    healthy = true;
    expect(await retryDeadLetters(admin)).toBe(1);
    await until(() => ends.at(-1) === 'reviewed');
    expect(await queue.counts()).toMatchObject({ failed: 0 });
    expect(await admin.llen(pendingKey('github:octo/app#7'))).toBe(0);
  });

  it('answers full at its bound, and unavailable when Redis cannot be reached', async () => {
    const small = new RedisJobQueue(producer, { maxWaiting: 2 });
    expect(await small.enqueue(job(1, 'a', 'd1'))).toBe('queued');
    expect(await small.enqueue(job(2, 'a', 'd2'))).toBe('queued');
    expect(await small.enqueue(job(3, 'a', 'd3'))).toBe('full');
    // Another target's request merged into a waiting job would need no room, but the bound is checked
    // first: refusing is the safe side when the fleet is this far behind.
    await small.close(100);

    const lost = redisConnection(redisUrlFor(DB.queue), 'producer');
    await connectRedis(lost);
    const cut = new RedisJobQueue(lost);
    lost.disconnect();
    const started = Date.now();
    expect(await cut.enqueue(job(4, 'a', 'd4'))).toBe('unavailable');
    expect(await cut.problem()).toMatch(/Redis unreachable/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe.skipIf(!REDIS_URL)('Redis delivery store', () => {
  it('lets exactly one of two replicas claim a delivery, and forgets a released one', async () => {
    const redis = await emptyDatabase(DB.idempotency);
    try {
      const replicaA = new RedisDeliveryStore(redis);
      const replicaB = new RedisDeliveryStore(redis, 60_000);
      const claims = await Promise.all([replicaA.claim(['github:d1']), replicaB.claim(['github:d1'])]);
      expect(claims.sort()).toEqual(['claimed', 'duplicate']);
      // One alias already seen makes the whole delivery a duplicate, and the other alias is not kept.
      expect(await replicaA.claim(['event:e1', 'github:d1'])).toBe('duplicate');
      expect(await redis.exists('jitterbot:delivery:event:e1')).toBe(0);
      await replicaA.release(['github:d1']);
      expect(await replicaB.claim(['github:d1'])).toBe('claimed');
      // Held briefly until confirmed, then kept for the TTL.
      const held = await redis.pttl('jitterbot:delivery:github:d1');
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(CLAIM_HOLD_MS);
      await replicaB.confirm(['github:d1']);
      const ttl = await redis.pttl('jitterbot:delivery:github:d1');
      expect(ttl).toBeGreaterThan(CLAIM_HOLD_MS);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      redis.disconnect();
    }
  });

  it('claims a burst of deliveries in one script call, a delivery repeated within it once', async () => {
    const redis = await emptyDatabase(DB.idempotency);
    try {
      const store = new RedisDeliveryStore(redis);
      // Every command this connection sends, by name (scripts go out as EVAL, then EVALSHA).
      const calls: string[] = [];
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
        calls.push(command.name.toLowerCase());
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof redis.sendCommand;
      const claims = await Promise.all([
        store.claim(['github:a']),
        store.claim(['github:a']),
        store.claim(['event:b', 'github:c']),
        store.claim(['github:c']),
        store.claim(['github:d']),
      ]);
      expect(claims).toEqual(['claimed', 'duplicate', 'claimed', 'duplicate', 'claimed']);
      expect(calls.filter((name) => name === 'evalsha' || name === 'eval')).toHaveLength(1);
      expect(await redis.exists('jitterbot:delivery:event:b', 'jitterbot:delivery:github:c')).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
