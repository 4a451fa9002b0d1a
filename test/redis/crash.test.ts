/**
 * A worker process killed in the middle of a review (SIGKILL: no shutdown code runs). Its claim on the
 * job lapses, another worker takes the job over from the start, and the pull request is reviewed once.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/platforms/job-kinds.js';
import { RedisJobQueue, connectRedis, redisConnection } from '../../src/queue/redis.js';
import { RELEASE, REVIEWED, STARTED, killChild, startChildWorker, type Child } from './child.js';
import { DB, REDIS_URL, emptyDatabase, redisUrlFor } from './redis.js';

async function until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(!REDIS_URL)('a worker crash mid-review', () => {
  const children: Child[] = [];
  afterEach(() => children.splice(0).forEach(killChild));

  it('is retried by another worker, and the pull request gets one review', { timeout: 60_000 }, async () => {
    const url = redisUrlFor(DB.crash);
    const admin: Redis = await emptyDatabase(DB.crash);
    const producer = redisConnection(url, 'producer');
    await connectRedis(producer);
    const queue = new RedisJobQueue(producer);
    try {
      const first = await startChildWorker(url, 'A');
      children.push(first);
      await queue.enqueue({
        platform: 'github',
        deliveryIds: ['d1'],
        installationId: 1,
        owner: 'octo',
        repo: 'app',
        pullNumber: 5,
        headSha: 'sha1',
        reason: 'opened',
        enqueuedAt: Date.now(),
      });
      await until(async () => (await admin.llen(STARTED)) === 1);
      killChild(first);
      await first.exited;

      const second = await startChildWorker(url, 'B');
      children.push(second);
      await admin.set(RELEASE, '1');
      await until(async () => (await admin.llen(REVIEWED)) === 1);
      await until(async () => (await queue.counts()).active === 0);
      // Give a duplicate every chance to show up before counting.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await admin.lrange(STARTED, 0, -1)).toEqual(['A', 'B']);
      expect(await admin.lrange(REVIEWED, 0, -1)).toEqual(['B:5@sha1']);
      expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close(1_000);
      producer.disconnect();
      admin.disconnect();
    }
  });
});
