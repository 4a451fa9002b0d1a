/**
 * Reviews whose analysis runs on worker threads (src/review/pool.ts), through the real server on
 * 127.0.0.1 with GitHub stood in by nock: deliveries are acknowledged while a real review analyses in
 * a thread, and an analysis that throws in its thread fails that review like any other failure.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jitterbotOctokit } from '../src/platforms/github/octokit.js';
import { MemoryJobQueue } from '../src/queue/memory.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_CONFIG } from '../src/config.js';
import type { ReviewTarget } from '../src/platforms/types.js';
import { runReview } from '../src/review/pipeline.js';
import { createReviewPool, reviewThreadsFromEnv, type ReviewPool } from '../src/review/pool.js';
import { startServer, type RunningServer } from '../src/server.js';
import { fakeGitHub } from './platforms/github/fake-github.js';
import {
  QuietOctokit,
  addedFilePatch,
  repoFile,
  testPrivateKey,
  testRetrySettings,
  webhook,
} from './platforms/github/harness.js';

const SECRET = 'pool-secret';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCAL = /^127\.0\.0\.1(:\d+)?$/;

/** The fixture's retry, copied under new names: enough analysis to take a while, on any machine. */
function manyRetries(copies: number): string {
  const file = repoFile('src/payments.ts');
  const start = file.indexOf('export async function');
  const body = file.slice(start);
  return (
    file.slice(0, start) +
    Array.from({ length: copies }, (_, index) => body.replace('charge(', `charge${index}(`)).join('\n')
  );
}

async function deliver(
  url: string,
  deliveryId: string,
  body: string,
): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

describe('reviews analysed on worker threads', () => {
  let pool: ReviewPool;
  let running: RunningServer;
  let queue: MemoryJobQueue;
  /** Set by a test: the options each review passes to the pool are spoiled so its analysis throws. */
  let spoil = false;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect(LOCAL);
    pool = createReviewPool(1);
    queue = new MemoryJobQueue({ retry: { attempts: 2, baseMs: 1, capMs: 1 } });
    running = await startServer(
      {
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'fatal',
        APP_ID: '1',
        PRIVATE_KEY: testPrivateKey(),
        WEBHOOK_SECRET: SECRET,
      },
      {
        cwd: ROOT,
        loadDotEnv: false,
        queue,
        Octokit: jitterbotOctokit(testRetrySettings(), QuietOctokit),
        review: (target, reader, options) =>
          pool.review(target, reader, {
            ...options,
            // Plain data that the analysis cannot read: it throws a TypeError inside the thread.
            ...(spoil ? { overrides: { paths: null } as never } : {}),
          }),
      },
    );
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    await running.close();
    await pool.close();
    nock.enableNetConnect();
  });

  it('acknowledges deliveries while a real review analyses in its thread', { timeout: 60_000 }, async () => {
    const file = manyRetries(8);
    const recorded = fakeGitHub({
      files: { 'src/payments.ts': file, 'src/gateway.ts': repoFile('src/gateway.ts') },
      changed: [{ filename: 'src/payments.ts', status: 'added', patch: addedFilePatch(file) }],
    });
    const body = JSON.stringify(webhook('pull_request.opened'));
    const deliveryId = randomUUID();
    const started = performance.now();
    expect((await deliver(running.url, deliveryId, body)).status).toBe(200);
    // Redeliveries while the review runs: each is verified, found already received and answered.
    const acks: number[] = [];
    while (recorded.reviews.length === 0 && performance.now() - started < 50_000) {
      const { status, ms } = await deliver(running.url, deliveryId, body);
      expect(status).toBe(200);
      acks.push(ms);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const reviewMs = performance.now() - started;
    await running.queue.onIdle();

    expect(recorded.reviews).toHaveLength(1);
    expect((recorded.reviews[0]!.comments as unknown[]).length).toBe(8);
    expect(recorded.checkRunUpdates.at(-1)).toMatchObject({ status: 'completed' });
    // The analysis took most of the review; no acknowledgement waited for it.
    expect(acks.length).toBeGreaterThan(5);
    expect(Math.max(...acks)).toBeLessThan(reviewMs / 4);
  });

  it('fails a review whose analysis throws in its thread, retries it, and keeps serving', async () => {
    const file = repoFile('src/payments.ts');
    const recorded = fakeGitHub({
      files: { 'src/payments.ts': file },
      changed: [{ filename: 'src/payments.ts', status: 'added', patch: addedFilePatch(file) }],
    });
    const body = JSON.stringify(webhook('pull_request.opened'));
    spoil = true;
    try {
      expect((await deliver(running.url, randomUUID(), body)).status).toBe(200);
      await running.queue.onIdle();
    } finally {
      spoil = false;
    }
    expect(recorded.reviews).toHaveLength(0);
    // Each attempt completed its check run saying why, then the job became a dead letter.
    const failures = recorded.checkRunUpdates.filter((update) => update.conclusion === 'neutral');
    expect(failures).toHaveLength(2);
    expect(JSON.stringify(failures[0])).toMatch(/Cannot read properties of null/);
    expect(queue.deadLetters().at(-1)).toMatchObject({ attempts: 2 });
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);

    // The same thread reviews the next delivery.
    expect((await deliver(running.url, randomUUID(), body)).status).toBe(200);
    await running.queue.onIdle();
    expect(recorded.reviews).toHaveLength(1);
  });
});

describe('a review pool', () => {
  it('publishes what the review on the event loop publishes, logging through the caller', async () => {
    const files: Record<string, string> = {
      'src/payments.ts': manyRetries(2),
      'src/gateway.ts': repoFile('src/gateway.ts'),
    };
    const lines = files['src/payments.ts']!.split('\n').length;
    const reader = {
      read: async (path: string) => files[path] ?? null,
      list: async () => Object.keys(files),
    };
    const published: unknown[] = [];
    const target: ReviewTarget = {
      platform: 'gitlab',
      changeSet: async () => ({
        baseSha: 'base',
        headSha: 'head',
        files: [{ path: 'src/payments.ts', status: 'added', addedLines: [{ start: 1, end: lines }] }],
      }),
      config: async () => ({ config: DEFAULT_CONFIG, errors: [] }),
      earlierComments: async () => [],
      publish: async (outcome) => void published.push(outcome),
    };
    const logged: string[] = [];
    const log = { info: (_: unknown, msg?: string) => void logged.push(msg ?? ''), warn() {}, error() {} };
    const pool = createReviewPool(1);
    try {
      const pooled = await pool.review(target, reader, { log });
      const inProcess = await runReview(target, reader);
      expect(pooled.toPost).toHaveLength(2);
      expect(pooled).toEqual(inProcess);
      expect(published).toEqual([pooled, inProcess]);
      expect(logged).toContain('review complete');
    } finally {
      await pool.close();
    }
  });

  it('is sized by REVIEW_THREADS: every core but one by default, 0 for the event loop', () => {
    expect(reviewThreadsFromEnv({})).toBe(Math.max(1, availableParallelism() - 1));
    expect(reviewThreadsFromEnv({ REVIEW_THREADS: '0' })).toBe(0);
    expect(reviewThreadsFromEnv({ REVIEW_THREADS: ' 3 ' })).toBe(3);
    expect(() => reviewThreadsFromEnv({ REVIEW_THREADS: 'many' })).toThrow(
      'REVIEW_THREADS must be a whole number ≥ 0, not "many"',
    );
  });
});
