import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../../src/queue/memory.js';
import { createServer } from '../../../src/server.js';
import { createGitlabClient } from '../../../src/platforms/gitlab/client.js';
import { belongsToInstance, GITLAB_WEBHOOK_PATH } from '../../../src/platforms/gitlab/env.js';
import { gitlabWebhookRoute } from '../../../src/platforms/gitlab/route.js';
import {
  createGitlabWebhookHandler,
  type GitlabWebhookHandler,
} from '../../../src/platforms/gitlab/webhook.js';
import { BOT_USER, FakeGitlab, GITLAB } from './fake-gitlab.js';
import { fixtureText, mergeRequestHook, noteHook } from './fixtures.js';

const SECRET = 'webhook-secret-of-test';
const SOURCE = fixtureText('repo/src/inventory.ts');
const FIXED = fixtureText('repo/src/inventory.fixed.ts');
const FILE = 'src/inventory.ts';
/** The fixed wait (`await new Promise((resolve) => setTimeout(resolve, 5000))`) in repo/src/inventory.ts. */
const WAIT_LINE = 10;
const SHA_2 = '1b12f15a11fc6e62177bef08f47bc7b5ce50b141';
const SHA_3 = '2c23f26b22fd7f73288cfa19f58cd8c6df61c252';

let gitlab: FakeGitlab;
let queue: MemoryJobQueue;
let server: Server;
let endpoint: string;
let retryDelays: number[];
let logged: { level: string; message: string; fields: Record<string, unknown> }[];

const log = {
  info: (fields: Record<string, unknown>, message: string) =>
    void logged.push({ level: 'info', message, fields }),
  warn: (fields: Record<string, unknown>, message: string) =>
    void logged.push({ level: 'warn', message, fields }),
  error: (fields: Record<string, unknown>, message: string) =>
    void logged.push({ level: 'error', message, fields }),
};

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  gitlab = new FakeGitlab();
  gitlab.push(gitlab.headSha, { [FILE]: SOURCE });
  gitlab.members.set(6, 30);
  gitlab.install();
  queue = new MemoryJobQueue();
  retryDelays = [];
  logged = [];
  const api = createGitlabClient({
    url: GITLAB,
    token: 'glpat-test',
    retry: { retries: 4, baseMs: 200, capMs: 2_000, sleep: async (ms) => void retryDelays.push(ms) },
    log,
  });
  const handler = createGitlabWebhookHandler({
    secret: SECRET,
    queue,
    clientFor: (projectUrl) =>
      projectUrl === undefined || belongsToInstance(projectUrl, GITLAB) ? api : null,
    log,
    botUsername: BOT_USER.username,
  });
  await listen(handler);
});

/** Serves `handler` on the project's real server (src/server.ts), on a free local port. */
async function listen(handler: GitlabWebhookHandler): Promise<void> {
  if (server?.listening) await new Promise((resolve) => server.close(resolve));
  server = await createServer({ log, extraRoutes: [{ method: 'POST', path: GITLAB_WEBHOOK_PATH, handler }] });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GITLAB_WEBHOOK_PATH}`;
}

afterEach(async () => {
  await queue.onIdle();
  if (server.listening) await new Promise((resolve) => server.close(resolve));
  nock.cleanAll();
  nock.enableNetConnect();
});

interface Delivery {
  token?: string;
  uuid?: string;
  body?: string;
}

async function deliver(event: string, payload: unknown, delivery: Delivery = {}): Promise<Response> {
  const uuid = delivery.uuid ?? randomUUID();
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitLab/17.6.0',
      'x-gitlab-event': event,
      'x-gitlab-token': delivery.token ?? SECRET,
      'x-gitlab-instance': GITLAB,
      'x-gitlab-event-uuid': uuid,
      'x-gitlab-webhook-uuid': '02affd2d-2cba-4033-917d-ec22d5dc4b38',
      'idempotency-key': uuid,
    },
    body: delivery.body ?? JSON.stringify(payload),
  });
}

const openMergeRequest = () => mergeRequestHook({ action: 'open' });
const pushed = (oldrev: string) => mergeRequestHook({ action: 'update', oldrev });

async function openAndReview(): Promise<void> {
  const response = await deliver('Merge Request Hook', openMergeRequest());
  expect(response.status).toBe(202);
  await queue.onIdle();
}

describe('POST /gitlab/webhook: the route', () => {
  it('answers 401 to a wrong token without reading further or calling GitLab', async () => {
    const response = await deliver('Merge Request Hook', openMergeRequest(), { token: 'guess' });
    expect(response.status).toBe(401);
    await queue.onIdle();
    expect(gitlab.requests).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    const response = await fetch(endpoint, {
      method: 'POST',
      body: '{}',
      headers: { 'x-gitlab-event': 'Note Hook' },
    });
    expect(response.status).toBe(401);
  });

  it('answers 413 to an oversized body and 400 to malformed JSON', async () => {
    const huge = await deliver('Merge Request Hook', null, {
      body: `{"pad":"${'x'.repeat(6 * 1024 * 1024)}"}`,
    });
    expect(huge.status).toBe(413);
    const malformed = await deliver('Merge Request Hook', null, { body: '{"object_kind": "merge_' });
    expect(malformed.status).toBe(400);
    expect(gitlab.requests).toEqual([]);
  });

  it('answers 400 with a one-line reason to a handled event lacking a field it reads', async () => {
    const payload = openMergeRequest();
    delete payload.project;
    const response = await deliver('Merge Request Hook', payload);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/^Merge Request Hook payload: project: [^\n]+$/);
    const note = noteHook('/jitterbot rescan');
    note.merge_request.iid = 'one';
    const badNote = await deliver('Note Hook', note);
    expect(badNote.status).toBe(400);
    expect(await badNote.text()).toMatch(/^Note Hook payload: merge_request\.iid: /);
    await queue.onIdle();
    expect(gitlab.requests).toEqual([]);
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('ignores events it does not handle with a 200', async () => {
    const response = await deliver('Push Hook', { object_kind: 'push' });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/ignored/);
  });

  it('ignores a merge request update without new commits', async () => {
    const response = await deliver('Merge Request Hook', mergeRequestHook({ action: 'update' }));
    expect(response.status).toBe(200);
    await queue.onIdle();
    expect(gitlab.requests).toEqual([]);
  });

  it('ignores projects of another instance: the token only goes to the configured one', async () => {
    const payload = openMergeRequest();
    payload.project.web_url = 'https://gitlab.evil.example/gitlabhq/gitlab-test';
    const response = await deliver('Merge Request Hook', payload);
    expect(response.status).toBe(200);
    await queue.onIdle();
    expect(gitlab.requests).toEqual([]);
  });
});

describe('POST /gitlab/webhook: reviews', () => {
  it('answers 202 before the review, then posts one suggestion discussion and one summary note', async () => {
    let release!: () => void;
    gitlab.holdMergeRequestUntil(new Promise((resolve) => (release = resolve)));
    const response = await deliver('Merge Request Hook', openMergeRequest());
    expect(response.status).toBe(202);
    expect(gitlab.diffDiscussions()).toHaveLength(0);
    release();
    await queue.onIdle();

    const [discussion, ...more] = gitlab.diffDiscussions();
    expect(more).toEqual([]);
    const note = discussion!.notes[0]!;
    expect(note.body).toMatch(/```suggestion:-0\+\d+\n/);
    expect(note.body).toMatch(/<!-- jitterbot:fingerprint=[0-9a-f]{16} -->/);
    expect(note.position).toMatchObject({
      position_type: 'text',
      base_sha: 'c380d3acebd181f13629a25d2e2acca46ffe1e00',
      start_sha: 'c380d3acebd181f13629a25d2e2acca46ffe1e00',
      head_sha: gitlab.headSha,
      new_path: FILE,
      old_path: FILE,
      new_line: WAIT_LINE,
    });
    const summaries = gitlab.generalNotes();
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.body).toContain('<!-- jitterbot:summary -->');
    expect(summaries[0]!.body).toMatch(/\*\*Cost of this review:\*\* \d+ GitLab API calls \(.*\)\.$/);
  });

  it('runs once for a redelivery with the same idempotency key', async () => {
    const uuid = randomUUID();
    expect((await deliver('Merge Request Hook', openMergeRequest(), { uuid })).status).toBe(202);
    await queue.onIdle();
    const again = await deliver('Merge Request Hook', openMergeRequest(), { uuid });
    expect(again.status).toBe(200);
    await queue.onIdle();
    expect(gitlab.count('GET', /merge_requests\/1$/)).toBe(1);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
  });

  it('on new commits with the same finding: no duplicate discussion, the summary note is edited', async () => {
    await openAndReview();
    const summaryId = gitlab.generalNotes()[0]!.id;
    // A new commit moves the wait two lines down: the fingerprint does not depend on line numbers.
    gitlab.push(SHA_2, { [FILE]: `// Inventory client.\n// Retries network failures.\n${SOURCE}` });

    expect((await deliver('Merge Request Hook', pushed(gitlab.headSha))).status).toBe(202);
    await queue.onIdle();

    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.generalNotes()).toHaveLength(1);
    expect(gitlab.count('POST', /merge_requests\/1\/notes$/)).toBe(1);
    expect(gitlab.count('PUT', new RegExp(`merge_requests/1/notes/${summaryId}$`))).toBe(1);
  });

  it('answers "Fixed in <sha>." and resolves the discussion when the fix is pushed', async () => {
    await openAndReview();
    gitlab.push(SHA_3, { [FILE]: FIXED });

    expect((await deliver('Merge Request Hook', pushed(SHA_2))).status).toBe(202);
    await queue.onIdle();

    const [discussion] = gitlab.diffDiscussions();
    expect(discussion!.notes.map((note) => note.body)).toContain(`Fixed in ${SHA_3}.`);
    expect(discussion!.notes.every((note) => note.resolved)).toBe(true);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
  });

  it('puts a finding GitLab refuses to position into the summary note', async () => {
    gitlab.rejectedLines.add(WAIT_LINE);
    await openAndReview();
    expect(gitlab.diffDiscussions()).toHaveLength(0);
    const [summary] = gitlab.generalNotes();
    expect(summary!.body).toContain(`\`${FILE}\`, line`);
    expect(summary!.body).not.toContain('jitterbot:fingerprint');
    expect(logged.some((entry) => entry.level === 'error')).toBe(false);
  });

  it('retries 429 and 500 with jittered waits and posts exactly one discussion', async () => {
    gitlab.failNext(
      'POST',
      /merge_requests\/1\/discussions$/,
      [429, { message: '429 Too Many Requests' }, { 'retry-after': '0' }],
      [500, { message: '500 Internal Server Error' }],
    );
    await openAndReview();
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.count('POST', /merge_requests\/1\/discussions$/)).toBe(3);
    expect(retryDelays).toHaveLength(2);
    // Full jitter: each wait is drawn from [0, window), the window doubling from 200 ms.
    expect(retryDelays[0]).toBeGreaterThanOrEqual(0);
    expect(retryDelays[0]).toBeLessThan(200);
    expect(retryDelays[1]).toBeLessThan(400);
  });

  it('logs a refused token with the delivery id, never the token itself', async () => {
    gitlab.failNext('GET', /merge_requests\/1$/, [401, { message: '401 Unauthorized' }]);
    const response = await deliver('Merge Request Hook', openMergeRequest(), {
      uuid: 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f',
    });
    expect(response.status).toBe(202);
    await queue.onIdle();
    const failure = logged.find((entry) => entry.message === 'GitLab review failed');
    expect(failure?.fields).toMatchObject({
      deliveryIds: ['f5e5f430-f57b-4e6e-9fac-d9128cd7232f'],
      project: 'gitlabhq/gitlab-test',
      mr: 1,
      error: '401: 401 Unauthorized',
    });
    expect(JSON.stringify(logged)).not.toContain('glpat-test');
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  });

  it('skips a draft unless review_drafts is set', async () => {
    gitlab.draft = true;
    await openAndReview();
    expect(gitlab.diffDiscussions()).toHaveLength(0);
    expect(gitlab.count('GET', /diffs$/)).toBe(0);

    gitlab.targetBranchFiles.set('.gitlab/jitterbot.yml', 'review_drafts: true\n');
    expect((await deliver('Merge Request Hook', mergeRequestHook({ action: 'reopen' }))).status).toBe(202);
    await queue.onIdle();
    expect(gitlab.diffDiscussions()).toHaveLength(1);
  });
});

describe('POST /gitlab/webhook: several deliveries for one merge request', () => {
  it('never runs two reviews of one merge request at once (no duplicate discussion)', async () => {
    let release!: () => void;
    gitlab.holdMergeRequestUntil(new Promise((resolve) => (release = resolve)));
    expect((await deliver('Merge Request Hook', openMergeRequest())).status).toBe(202);
    expect(
      (await deliver('Merge Request Hook', pushed('b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327'))).status,
    ).toBe(202);
    release();
    await queue.onIdle();
    expect(gitlab.count('GET', /merge_requests\/1$/)).toBe(2);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.generalNotes()).toHaveLength(1);
  });

  it('merges deliveries that wait: a refused rescan does not drop a pending push', async () => {
    let release!: () => void;
    gitlab.holdMergeRequestUntil(new Promise((resolve) => (release = resolve)));
    gitlab.members.set(6, 20);
    expect((await deliver('Merge Request Hook', openMergeRequest())).status).toBe(202);
    // While the first run is held, a push and a Reporter's rescan arrive for the same merge request.
    gitlab.push(SHA_3, { [FILE]: FIXED });
    expect((await deliver('Merge Request Hook', pushed(SHA_2))).status).toBe(202);
    expect((await deliver('Note Hook', noteHook('/jitterbot rescan'))).status).toBe(202);
    release();
    await queue.onIdle();
    // Two runs, not three: the push and the rescan were one request, and the push was reviewed.
    expect(gitlab.count('GET', /merge_requests\/1$/)).toBe(2);
    expect(gitlab.awards).toEqual([]);
    const started = logged
      .filter((entry) => entry.message === 'review started')
      .map((entry) => entry.fields.reasons);
    expect(started).toEqual([['open'], ['push']]);
    const refused = logged.find((entry) => entry.message === 'rescan command not honoured');
    expect(refused?.fields).toMatchObject({ user: 'user1', verdict: 'insufficient-access' });
  });
});

describe('POST /gitlab/webhook: /jitterbot rescan', () => {
  it('runs for a Developer and acknowledges with an award emoji', async () => {
    const response = await deliver('Note Hook', noteHook('/jitterbot rescan'));
    expect(response.status).toBe(202);
    await queue.onIdle();
    expect(gitlab.awards).toEqual([{ noteId: 1244, name: 'eyes' }]);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
  });

  it('understands @<bot> rescan', async () => {
    expect((await deliver('Note Hook', noteHook('@jitterbot rescan'))).status).toBe(202);
    await queue.onIdle();
    expect(gitlab.awards).toHaveLength(1);
  });

  it('is not honoured for a Reporter (access level 20)', async () => {
    gitlab.members.set(6, 20);
    expect((await deliver('Note Hook', noteHook('/jitterbot rescan'))).status).toBe(202);
    await queue.onIdle();
    expect(gitlab.awards).toEqual([]);
    expect(gitlab.count('GET', /diffs$/)).toBe(0);
    expect(gitlab.discussions).toEqual([]);
  });

  it('is not honoured for someone who is not a member', async () => {
    gitlab.members.clear();
    await deliver('Note Hook', noteHook('/jitterbot rescan'));
    await queue.onIdle();
    expect(gitlab.discussions).toEqual([]);
  });

  it("ignores the bot's own notes without calling GitLab", async () => {
    const response = await deliver(
      'Note Hook',
      noteHook('/jitterbot rescan', { id: BOT_USER.id, username: 'jitterbot' }),
    );
    expect(response.status).toBe(200);
    await queue.onIdle();
    expect(gitlab.requests).toEqual([]);
  });
  it('wired from the environment without GITLAB_BOT_USERNAME: asks GitLab who the bot is', async () => {
    const setup = gitlabWebhookRoute(
      { GITLAB_URL: `${GITLAB}/api/v4`, GITLAB_TOKEN: 'glpat-test', GITLAB_WEBHOOK_SECRET: SECRET },
      { queue, log },
    );
    if (setup.kind !== 'ready') throw new Error(setup.kind);
    expect(setup.route).toMatchObject({ method: 'POST', path: '/gitlab/webhook' });
    await listen(setup.route.handler);

    // The bot's own note passes the webhook (its name is unknown there) and stops in the job.
    expect(
      (await deliver('Note Hook', noteHook('/jitterbot rescan', { id: BOT_USER.id, username: 'jitterbot' })))
        .status,
    ).toBe(202);
    await queue.onIdle();
    expect(gitlab.count('GET', /^\/api\/v4\/user$/)).toBe(1);
    expect(gitlab.awards).toEqual([]);
    expect(gitlab.discussions).toEqual([]);

    // Its earlier comments are recognised by user id.
    await deliver('Note Hook', noteHook('/jitterbot rescan'));
    await queue.onIdle();
    expect(gitlab.awards).toEqual([{ noteId: 1244, name: 'eyes' }]);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    await deliver('Merge Request Hook', pushed('b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327'));
    await queue.onIdle();
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.generalNotes()).toHaveLength(1);
  });
});
