/**
 * The GitHub reconciler across a restart: the App's delivery log (`GET /app/hook/deliveries`) shows a
 * delivery that failed, or one that was accepted by a process killed mid-review; a fresh process (empty
 * memory) reviews it exactly once with the real pipeline against a nock-served GitHub, and a late
 * redelivery of the same webhook posts nothing more.
 */
import { randomUUID } from 'node:crypto';
import nock from 'nock';
import type { Probot } from 'probot';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import jitterbotApp from '../../../src/platforms/github/app.js';
import type { ReviewFn } from '../../../src/platforms/github/job.js';
import { STOPPED_REVIEW_TITLE, hasFinishedReview } from '../../../src/platforms/github/check-run.js';
import { githubReconcileSource } from '../../../src/platforms/github/reconcile.js';
import { runReview } from '../../../src/review/pipeline.js';
import { MemoryJobQueue } from '../../../src/queue/memory.js';
import { createReconciler, type RunOnce } from '../../../src/reconcile/reconciler.js';
import { DEFAULT_RECONCILE } from '../../../src/reconcile/settings.js';
import { MemoryReviewRecords } from '../../../src/review-records.js';
import { fakeGitHub, type Recorded } from './fake-github.js';
import { API, INSTALLATION, addedFilePatch, repoFile, testOctokit, testProbot, webhook } from './harness.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const PATH = 'src/payments.ts';
const added = repoFile(PATH);
const payload = webhook('pull_request.opened');

/** One attempt in the App's delivery log, shaped like `GET /app/hook/deliveries` items. */
interface Attempt {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
}

let recorded: Recorded;
let log: Attempt[];
let logReads: number;

beforeEach(() => {
  recorded = fakeGitHub({
    files: { [PATH]: added },
    changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(added) }],
  });
  log = [];
  logReads = 0;
  const api = nock(API).persist();
  api
    .get('/app/hook/deliveries')
    .query(true)
    .reply(() => {
      logReads += 1;
      return [200, [...log].reverse()];
    });
  api.get(/^\/app\/hook\/deliveries\/\d+$/).reply((request: Request) => {
    const id = Number(new URL(request.url).pathname.split('/').at(-1));
    const attempt = log.find((candidate) => candidate.id === id);
    if (!attempt) return [404, { message: 'Not Found' }];
    return [
      200,
      {
        ...attempt,
        url: 'https://jitterbot.example.com/api/github/webhooks',
        request: {
          headers: { 'X-GitHub-Delivery': attempt.guid, 'X-GitHub-Event': 'pull_request' },
          payload,
        },
        response: { headers: {}, payload: attempt.status_code === 200 ? 'ok' : null },
      },
    ];
  });
});

/** Appends an attempt to the delivery log, as GitHub does when it delivers (or fails to). */
function logged(guid: string, statusCode: number): void {
  log.push({
    id: 10_000 + log.length,
    guid,
    delivered_at: new Date(Date.now() - 60_000).toISOString(),
    redelivery: log.some((attempt) => attempt.guid === guid),
    duration: 0.05,
    status: statusCode === 200 ? 'OK' : statusCode === 0 ? 'failed to connect' : 'Service Unavailable',
    status_code: statusCode,
    event: 'pull_request',
    action: 'opened',
    installation_id: INSTALLATION,
    repository_id: 186853002,
  });
}

interface Process {
  probot: Probot;
  queue: MemoryJobQueue;
  reconcile: RunOnce;
  deliver(guid: string): Promise<void>;
}

/** One `jitterbot serve` process: its own memory (delivery store, records) and queue. */
async function start(review?: ReviewFn): Promise<Process> {
  // A failed review is retried at once, not after the production backoff.
  const queue = new MemoryJobQueue({ retry: { attempts: 2, baseMs: 1, capMs: 1 } });
  const records = new MemoryReviewRecords();
  const probot = testProbot();
  await probot.load((app: Probot) => jitterbotApp(app, { queue, records, ...(review ? { review } : {}) }));
  const reconcile = createReconciler({
    sources: [githubReconcileSource({ app: probot, records, appId: 1 })],
    settings: DEFAULT_RECONCILE,
    enqueue: (job) => queue.enqueue(job),
    log: { info() {}, warn() {}, error() {} },
  });
  const deliver = async (guid: string): Promise<void> => {
    await probot.receive({ id: guid, name: 'pull_request', payload } as Parameters<Probot['receive']>[0]);
    logged(guid, 200);
  };
  return { probot, queue, reconcile, deliver };
}

const posted = () => ({ reviews: recorded.reviews.length, checkRuns: recorded.checkRunsCreated.length });

describe('GitHub reconciler after a restart', () => {
  it('reviews once a delivery that failed, and a late redelivery posts nothing more', async () => {
    const guid = randomUUID();
    logged(guid, 503);
    const process = await start();
    const [report] = await process.reconcile({ fresh: true });
    // The log page, the delivery's payload, the head commit's check runs.
    expect(report).toMatchObject({ platform: 'github', apiCalls: 3, enqueued: 1, capped: false });
    await process.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 1 });

    // Someone presses "Redeliver" in the App's settings after all.
    await process.deliver(guid);
    await process.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 1 });
    // Handled deliveries are not fetched again: a run reads the log page and stops.
    expect((await process.reconcile())[0]).toMatchObject({ apiCalls: 1, enqueued: 0 });
  });

  it('reviews once a delivery whose review was killed, and leaves alone one that finished', async () => {
    const killed = await start(() => new Promise<never>(() => {}));
    const guid = randomUUID();
    await killed.deliver(guid);
    await vi.waitFor(() => expect(recorded.checkRunsCreated).toHaveLength(1));
    // SIGKILL: the check run stays in progress and the memory is gone.
    expect(posted()).toEqual({ reviews: 0, checkRuns: 1 });

    const second = await start();
    expect((await second.reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 1 });
    await second.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 2 });
    await second.deliver(guid);
    await second.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 2 });

    // Another restart: the completed check run on the head commit says the review is done.
    const third = await start();
    expect((await third.reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 0, apiCalls: 3 });
    expect(posted()).toEqual({ reviews: 1, checkRuns: 2 });
  });
});

describe('a review job and the trace of finished reviews', () => {
  it('does not review again a head reviewed before a restart when its delivery comes back', async () => {
    const first = await start();
    const guid = randomUUID();
    await first.deliver(guid);
    await first.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 1 });

    const second = await start();
    await second.deliver(guid);
    await second.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 1 });
  });

  it('reviews when the check runs cannot be read (an installation without the checks permission)', async () => {
    nock.cleanAll();
    recorded = fakeGitHub({
      files: { [PATH]: added },
      changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(added) }],
      failFirst: [{ method: 'GET', path: /\/check-runs$/, status: 403 }],
    });
    const process = await start();
    await process.deliver(randomUUID());
    await process.queue.onIdle();
    expect(posted()).toEqual({ reviews: 1, checkRuns: 1 });
  });

  it('retries a review that stopped: the check run it completed is no finished review', async () => {
    let failures = 1;
    const flaky: ReviewFn = async (target, reader, options) => {
      if (failures-- > 0) throw new Error('GitHub went away');
      return runReview(target, reader, options);
    };
    const process = await start(flaky);
    await process.deliver(randomUUID());
    await process.queue.onIdle();
    expect(recorded.checkRunUpdates.map((update) => (update.output as { title: string }).title)).toEqual([
      STOPPED_REVIEW_TITLE,
      expect.stringMatching(/retry/),
    ]);
    expect(posted()).toEqual({ reviews: 1, checkRuns: 2 });
  });
});

describe('hasFinishedReview', () => {
  const listed = (...runs: Record<string, unknown>[]) =>
    nock(API)
      .get('/repos/o/r/commits/abc/check-runs')
      .query({ check_name: 'jitterbot', status: 'completed', app_id: '1', per_page: '20' })
      .reply(200, { total_count: runs.length, check_runs: runs });
  const finished = (pullNumber: number) =>
    hasFinishedReview(testOctokit(), { owner: 'o', repo: 'r', pullNumber }, 'abc', 1);

  it('counts the check run of this pull request, or of no named one, and not a stopped review', async () => {
    listed({ external_id: 'o/r#1', output: { title: '1 retry without jitter' } });
    expect(await finished(1)).toBe(true);
    listed({ external_id: 'o/r#1', output: { title: '1 retry without jitter' } });
    // Another pull request with the same head commit (into another branch) is not reviewed by it.
    expect(await finished(2)).toBe(false);
    listed({ external_id: null, output: { title: 'No retries without jitter' } });
    expect(await finished(2)).toBe(true);
    listed({ external_id: 'o/r#1', output: { title: STOPPED_REVIEW_TITLE } });
    expect(await finished(1)).toBe(false);
  });
});

describe('GitHub reconciler: what it leaves alone', () => {
  it('ignores events it does not review, deliveries before the window, and young ones on a periodic run', async () => {
    logged(randomUUID(), 503);
    log[0]!.action = 'closed';
    logged(randomUUID(), 503);
    log[1]!.delivered_at = new Date(Date.now() - 7 * 60 * 60_000).toISOString();
    logged(randomUUID(), 503);
    log[2]!.delivered_at = new Date().toISOString();
    const process = await start();
    expect((await process.reconcile())[0]).toMatchObject({ apiCalls: 1, enqueued: 0 });
    expect(posted()).toEqual({ reviews: 0, checkRuns: 0 });
    expect(logReads).toBe(1);
  });

  it('stops at the cap on queued reviews', async () => {
    const process = await start();
    for (let i = 0; i < 3; i += 1) logged(randomUUID(), 502);
    const reconcile = createReconciler({
      sources: [githubReconcileSource({ app: process.probot, records: new MemoryReviewRecords(), appId: 1 })],
      settings: { ...DEFAULT_RECONCILE, maxEnqueued: 1 },
      enqueue: async () => 'queued',
      log: { info() {}, warn() {}, error() {} },
    });
    expect((await reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 1, capped: true });
  });

  it('reports a failing delivery log and tries again next run', async () => {
    nock.cleanAll();
    // Every attempt of the jittered retry layer fails.
    nock(API).get('/app/hook/deliveries').query(true).times(4).reply(500, { message: 'Server Error' });
    const process = await start();
    const [report] = await process.reconcile({ fresh: true });
    expect(report?.error).toMatch(/Server Error/);
  });
});
