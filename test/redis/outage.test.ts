/**
 * Redis stopped in the middle of a burst of webhooks, with the server enqueuing into Redis (as with
 * REDIS_URL): every delivery that arrives while Redis is away is answered 503 with `Retry-After` —
 * never 500 — on the GitHub route (its fast `pull_request` path and the Probot handlers alike) and the
 * GitLab route. Once Redis is back (restarted on its saved data), the refused deliveries, redelivered
 * as GitLab or an operator would, are accepted, and a worker reviews every target exactly once.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisDeliveryStore } from '../../src/idempotency.js';
import { silentLog } from '../../src/platforms/gitlab/log.js';
import { gitlabWebhookRoute } from '../../src/platforms/gitlab/route.js';
import { jobKey, type ReviewJob } from '../../src/queue/job.js';
import { RedisJobQueue, connectRedis, redisConnection } from '../../src/queue/redis.js';
import { RedisJobWorker } from '../../src/queue/redis-worker.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { OWNER, REPO, testPrivateKey, webhook } from '../platforms/github/harness.js';
import { mergeRequestHook, type JsonObject } from '../platforms/gitlab/fixtures.js';
import { REDIS_URL } from './redis.js';
import { freePort, startRedisServer, type RedisProcess } from './redis-process.js';

const GITHUB_SECRET = 'outage-github-secret';
const GITLAB_SECRET = 'outage-gitlab-secret';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Deliveries before the outage, during it, and how far apart they are sent. */
const BEFORE = 9;
const DURING = 24;
// `OUTAGE_SPACING_MS=420` stretches the outage to about ten seconds, for a measurement run.
const SPACING_MS = Number(process.env.OUTAGE_SPACING_MS ?? 15);
/** How long an unconfirmed claim blocks a redelivery here (30 s in production). */
const CLAIM_HOLD_MS = 500;

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The review target, as the queue keys it. */
  target: string;
}

interface Answer {
  delivery: Delivery;
  status: number;
  retryAfter: string | null;
  /** Sent after Redis had exited and answered before it was started again. */
  inOutage: boolean;
}

/** Every third delivery of each kind: a `pull_request` (fast path), a `check_run` (Probot), a GitLab MR. */
function delivery(index: number): Delivery {
  const number = 100 + index;
  if (index % 3 === 2) {
    const payload = mergeRequestHook({ action: 'open', iid: number });
    const uuid = randomUUID();
    return {
      path: '/gitlab/webhook',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Merge Request Hook',
        'x-gitlab-token': GITLAB_SECRET,
        'x-gitlab-event-uuid': uuid,
        'idempotency-key': uuid,
      },
      body: JSON.stringify(payload),
      target: `gitlab:${(payload.project as JsonObject).id}!${number}`,
    };
  }
  const event = index % 3 === 0 ? 'pull_request' : 'check_run';
  const payload = webhook<JsonObject>(
    event === 'pull_request' ? 'pull_request.opened' : 'check_run.rerequested',
  );
  if (event === 'pull_request') payload.pull_request.number = number;
  else payload.check_run.pull_requests[0].number = number;
  const body = JSON.stringify(payload);
  return {
    path: '/api/github/webhooks',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`,
    },
    body,
    target: `github:${OWNER}/${REPO}#${number}`,
  };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!REDIS_URL)('Redis stopped mid-burst', () => {
  let dir: string;
  let redis: RedisProcess;
  let producer: Redis;
  let running: RunningServer;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    dir = mkdtempSync(join(tmpdir(), 'jitterbot-outage-'));
    redis = await startRedisServer(await freePort(), dir);
    producer = redisConnection(redis.url, 'producer');
    await connectRedis(producer);
    const queue = new RedisJobQueue(producer);
    // A claim Redis took but never answered (it was shutting down) blocks its id until the hold ends;
    // redeliveries come after it, as GitHub's and GitLab's do, so the test holds claims briefly.
    const deliveries = new RedisDeliveryStore(producer, undefined, CLAIM_HOLD_MS);
    const gitlab = gitlabWebhookRoute(
      { GITLAB_URL: 'http://example.com', GITLAB_TOKEN: 'glpat-test', GITLAB_WEBHOOK_SECRET: GITLAB_SECRET },
      { queue, deliveries, log: silentLog },
    );
    if (gitlab.kind !== 'ready') throw new Error('GitLab route not ready');
    running = await startServer(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'fatal',
        RECONCILE: 'off',
        APP_ID: '1',
        PRIVATE_KEY: testPrivateKey(),
        WEBHOOK_SECRET: GITHUB_SECRET,
      },
      { cwd: ROOT, loadDotEnv: false, queue, deliveries, extraRoutes: [gitlab.route] },
    );
  });

  afterAll(async () => {
    await running?.close(1_000);
    producer?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
    nock.enableNetConnect();
  });

  it('answers 503 + Retry-After during the outage, then accepts and reviews every delivery once', async () => {
    let down = false;
    const send = async (item: Delivery): Promise<Answer> => {
      const sentDown = down;
      const response = await fetch(`${running.url}${item.path}`, {
        method: 'POST',
        headers: item.headers,
        body: item.body,
      });
      await response.arrayBuffer();
      return {
        delivery: item,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        inOutage: sentDown && down,
      };
    };
    const accepted = (answer: Answer) => answer.status === 200 || answer.status === 202;

    const before = await Promise.all(Array.from({ length: BEFORE }, (_, index) => send(delivery(index))));
    expect(before.filter((answer) => !accepted(answer))).toEqual([]);

    // The burst goes on while Redis saves its data and exits, and while it is away.
    const burst: Promise<Answer>[] = [];
    // One command and no reconnecting: this connection only shuts Redis down.
    const admin = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null });
    admin.on('error', () => undefined);
    for (let index = BEFORE; index < BEFORE + DURING; index += 1) {
      burst.push(send(delivery(index)));
      if (index === BEFORE + 2) {
        await admin.call('SHUTDOWN', 'SAVE').catch(() => undefined);
        await redis.exited;
        down = true;
      }
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    }
    const during = await Promise.all(burst);
    admin.disconnect();
    down = false;
    expect((await fetch(`${running.url}/readyz`)).status).toBe(503);

    // Never a 500: accepted before Redis went, 503 with Retry-After once it was gone.
    expect(during.filter((answer) => !accepted(answer) && answer.status !== 503)).toEqual([]);
    const outage = during.filter((answer) => answer.inOutage);
    expect(outage.length).toBeGreaterThanOrEqual(DURING - 4);
    expect(outage.map(({ status, retryAfter }) => ({ status, retryAfter }))).toEqual(
      outage.map(() => ({ status: 503, retryAfter: '60' })),
    );

    redis = await startRedisServer(redis.port, dir);
    await waitFor('the server to be ready again', async () => {
      return (await fetch(`${running.url}/readyz`)).status === 200;
    });
    await new Promise((resolve) => setTimeout(resolve, CLAIM_HOLD_MS + 100));
    const refused = during.filter((answer) => answer.status === 503);
    const redelivered = await Promise.all(refused.map((answer) => send(answer.delivery)));
    expect(redelivered.filter((answer) => !accepted(answer))).toEqual([]);

    const reviewed: string[] = [];
    const review = async (job: ReviewJob) => {
      reviewed.push(jobKey(job));
      return 'reviewed' as const;
    };
    const workerRedis = redisConnection(redis.url, 'worker');
    await connectRedis(workerRedis);
    const worker = new RedisJobWorker(workerRedis, { github: review, gitlab: review }, { concurrency: 4 });
    await worker.start();
    const targets = [...before, ...during].map((answer) => answer.delivery.target);
    try {
      // A duplicate would be a second job for a target: give it a moment to show up.
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      workerRedis.disconnect();
    }
    expect(reviewed.sort()).toEqual(targets.sort());
  }, 60_000);
});
