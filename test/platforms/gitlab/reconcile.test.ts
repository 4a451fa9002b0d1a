/**
 * The GitLab reconciler across a restart: a process whose queue refused a delivery, or which died with
 * a review in flight, is replaced by a fresh one (empty memory); the reconciler reviews what was
 * missed exactly once, and GitLab retrying the webhook afterwards posts nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGitlabClient } from '../../../src/platforms/gitlab/client.js';
import { GITLAB_WEBHOOK_PATH, belongsToInstance } from '../../../src/platforms/gitlab/env.js';
import { gitlabReconcileSource } from '../../../src/platforms/gitlab/reconcile.js';
import { rememberProject } from '../../../src/platforms/gitlab/served-projects.js';
import { createGitlabWebhookHandler } from '../../../src/platforms/gitlab/webhook.js';
import { MemoryJobQueue } from '../../../src/queue/memory.js';
import { createReconciler, type RunOnce } from '../../../src/reconcile/reconciler.js';
import { DEFAULT_RECONCILE } from '../../../src/reconcile/settings.js';
import { MemoryReviewRecords, type ReviewRecords } from '../../../src/review-records.js';
import { createServer } from '../../../src/server.js';
import { BOT_USER, FakeGitlab, GITLAB } from './fake-gitlab.js';
import { fixtureText, mergeRequestHook } from './fixtures.js';

const SECRET = 'reconcile-secret';
const FILE = 'src/inventory.ts';
const silent = { info() {}, warn() {}, error() {} };

let gitlab: FakeGitlab;
const servers: Server[] = [];

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  gitlab = new FakeGitlab();
  gitlab.push(gitlab.headSha, { [FILE]: fixtureText('repo/src/inventory.ts') });
  gitlab.install();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  nock.cleanAll();
  nock.enableNetConnect();
});

interface Process {
  queue: MemoryJobQueue;
  records: ReviewRecords;
  reconcile: RunOnce;
  /** Sends the merge request's `open` webhook (GitLab resends with the same `Idempotency-Key`). */
  deliver(uuid: string): Promise<number>;
}

/** One `jitterbot serve` process: its own memory, queue and server, on the shared fake GitLab. */
async function start(
  options: { hangingReview?: boolean; records?: ReviewRecords; configured?: string[] } = {},
): Promise<Process> {
  const queue = new MemoryJobQueue();
  const records = options.records ?? new MemoryReviewRecords();
  const api = createGitlabClient({ url: GITLAB, token: 'glpat-test', retry: { retries: 0 } });
  const clientFor = (url?: string) => (url === undefined || belongsToInstance(url, GITLAB) ? api : null);
  const handler = createGitlabWebhookHandler({
    secret: SECRET,
    queue,
    clientFor,
    log: silent,
    botUsername: BOT_USER.username,
    records,
    // A review that never ends: the process is killed in the middle of it.
    ...(options.hangingReview ? { job: { review: () => new Promise<never>(() => {}) } } : {}),
  });
  const server = await createServer({
    log: silent,
    extraRoutes: [{ method: 'POST', path: GITLAB_WEBHOOK_PATH, handler }],
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GITLAB_WEBHOOK_PATH}`;
  const reconcile = createReconciler({
    sources: [gitlabReconcileSource({ clientFor, records, configured: options.configured ?? ['14'] })],
    settings: DEFAULT_RECONCILE,
    enqueue: (job) => queue.enqueue(job),
    log: silent,
  });
  const deliver = async (uuid: string): Promise<number> => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gitlab-event': 'Merge Request Hook',
        'x-gitlab-token': SECRET,
        'x-gitlab-event-uuid': uuid,
        'idempotency-key': uuid,
      },
      body: JSON.stringify(mergeRequestHook({ action: 'open' })),
    });
    await response.text();
    return response.status;
  };
  return { queue, records, reconcile, deliver };
}

const posted = () => ({
  statuses: gitlab.statuses.length,
  discussions: gitlab.diffDiscussions().length,
});

describe('GitLab reconciler after a restart', () => {
  it('reviews once a merge request whose delivery was refused, and the retried delivery posts nothing', async () => {
    const first = await start();
    await first.queue.close(0);
    const uuid = randomUUID();
    expect(await first.deliver(uuid)).toBe(503);

    const second = await start();
    const [report] = await second.reconcile({ fresh: true });
    expect(report).toMatchObject({ platform: 'gitlab', enqueued: 1, capped: false });
    await second.queue.onIdle();
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });

    // GitLab retries the refused delivery later.
    expect(await second.deliver(uuid)).toBe(202);
    await second.queue.onIdle();
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });
    // The configured project is resolved once; a later run lists its merge requests and stops there.
    const [again] = await second.reconcile();
    expect(again).toMatchObject({ apiCalls: 1, enqueued: 0 });
  });

  it('reviews once a merge request whose review was killed, found by the commit status it lacks', async () => {
    const first = await start({ hangingReview: true });
    const uuid = randomUUID();
    expect(await first.deliver(uuid)).toBe(202);
    await vi.waitFor(() => expect(first.queue.active).toBe(1));
    // SIGKILL: the process and its memory are gone; the review never set its status.

    const second = await start();
    const [report] = await second.reconcile({ fresh: true });
    expect(report).toMatchObject({ enqueued: 1 });
    await second.queue.onIdle();
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });
    expect(await second.deliver(uuid)).toBe(202);
    await second.queue.onIdle();
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });

    // A third process, memory empty again: the `jitterbot` status on the head says it is done.
    const third = await start();
    const [after] = await third.reconcile({ fresh: true });
    expect(after).toMatchObject({ enqueued: 0 });
    expect(await third.records.has(`reviewed:gitlab:14!1@${gitlab.headSha}`)).toBe(true);
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });
  });

  it('looks through the projects webhooks came from when the records are shared (Redis)', async () => {
    const shared = new MemoryReviewRecords();
    const first = await start({ hangingReview: true, records: shared, configured: [] });
    expect(await first.deliver(randomUUID())).toBe(202);
    await vi.waitFor(() => expect(first.queue.active).toBe(1));

    const second = await start({ records: shared, configured: [] });
    const [report] = await second.reconcile({ fresh: true });
    expect(report).toMatchObject({ enqueued: 1 });
    await second.queue.onIdle();
    expect(posted()).toEqual({ statuses: 1, discussions: 1 });
  });
});

describe('GitLab reconciler: what it leaves alone', () => {
  it('skips drafts, merge requests updated too recently, and heads already reviewed', async () => {
    const records = new MemoryReviewRecords();
    rememberProject(records, {
      id: 14,
      path: 'gitlabhq/gitlab-test',
      webUrl: `${GITLAB}/gitlabhq/gitlab-test`,
    });
    const process = await start({ records, configured: [] });

    gitlab.draft = true;
    expect((await process.reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 0, apiCalls: 1 });
    gitlab.draft = false;
    // Updated a moment ago: its webhook may still be on the way; a periodic run waits for it.
    gitlab.updatedAt = new Date().toISOString();
    expect((await process.reconcile())[0]).toMatchObject({ enqueued: 0, apiCalls: 1 });
    await records.add([`reviewed:gitlab:14!1@${gitlab.headSha}`]);
    expect((await process.reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 0, apiCalls: 1 });
    expect(gitlab.count('GET', /statuses$/)).toBe(0);
  });

  it('stops at the API call cap and reports the run as capped', async () => {
    const process = await start();
    const api = createGitlabClient({ url: GITLAB, token: 'glpat-test', retry: { retries: 0 } });
    const reconcile = createReconciler({
      sources: [
        gitlabReconcileSource({ clientFor: () => api, records: process.records, configured: ['14'] }),
      ],
      // The project, its merge requests, and no call left for the head commit's statuses.
      settings: { ...DEFAULT_RECONCILE, maxApiCalls: 2 },
      enqueue: (job) => process.queue.enqueue(job),
      log: silent,
    });
    expect((await reconcile({ fresh: true }))[0]).toMatchObject({ apiCalls: 2, enqueued: 0, capped: true });
  });

  it('logs a failing API and tries again next run instead of throwing', async () => {
    const process = await start();
    gitlab.failNext('GET', /merge_requests$/, [500, { message: 'boom' }]);
    const [report] = await process.reconcile({ fresh: true });
    expect(report?.error).toMatch(/boom/);
    expect((await process.reconcile({ fresh: true }))[0]).toMatchObject({ enqueued: 1 });
  });
});
