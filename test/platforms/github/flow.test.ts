/**
 * End-to-end GitHub flows: a webhook goes into `probot.receive`, the real review pipeline runs against
 * a nock-served GitHub, and the test checks what jitterbot wrote back.
 */
import nock from 'nock';
import type { Probot } from 'probot';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import jitterbotApp from '../../../src/platforms/github/app.js';
import type { JitteredRetrySettings } from '../../../src/platforms/github/octokit.js';
import { MemoryJobQueue } from '../../../src/queue/memory.js';
import { earlierComment, fakeGitHub, type FakeRepo, type Recorded } from './fake-github.js';
import {
  HEAD_SHA,
  REPO_PATH,
  addedFilePatch,
  recordingSleep,
  repoFile,
  seededRandom,
  testProbot,
  webhook,
} from './harness.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const PATH = 'src/payments.ts';
/** `await new Promise((r) => setTimeout(r, 5000));` in fixtures/github/repo/src/payments.ts */
const WAIT_LINE = 12;
const FIX_SHA = '9d2d1e7c0b1f4c3a8e6f5a4b3c2d1e0f9a8b7c6d';

const added = repoFile('src/payments.ts');
const fixed = repoFile('src/payments.fixed.ts');
const gateway = repoFile('src/gateway.ts');

/** The pull request adds src/payments.ts (a retry waiting a fixed 5 s) next to an existing gateway. */
const openedRepo: FakeRepo = {
  files: { [PATH]: added, 'src/gateway.ts': gateway },
  changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(added) }],
};

let queue: MemoryJobQueue;

async function boot(retry: Partial<JitteredRetrySettings> = {}): Promise<Probot> {
  queue = new MemoryJobQueue();
  const probot = testProbot(retry);
  await probot.load((app: Probot) => jitterbotApp(app, { queue }));
  return probot;
}

/** Each delivery has its own id: a repeated id is a redelivery, which the app ignores. */
let deliveryCount = 0;

async function deliver(probot: Probot, name: string, payload: unknown): Promise<void> {
  await probot.receive({ id: `delivery-${name}-${(deliveryCount += 1)}`, name, payload } as Parameters<
    Probot['receive']
  >[0]);
  await queue.onIdle();
}

function onlyReview(recorded: Recorded) {
  expect(recorded.reviews).toHaveLength(1);
  return recorded.reviews[0] as {
    event: string;
    commit_id: string;
    comments: { path: string; line: number; start_line?: number; side: string; body: string }[];
  };
}

function finalCheck(recorded: Recorded) {
  return recorded.checkRunUpdates.at(-1) as {
    status: string;
    conclusion: string;
    output: {
      title: string;
      summary: string;
      text?: string;
      annotations?: { path: string; start_line: number }[];
    };
  };
}

let probot: Probot;
beforeEach(async () => {
  probot = await boot();
});

describe('pull request opened', () => {
  it('posts one review with a suggestion on the wait, and a check run with annotations', async () => {
    const recorded = fakeGitHub(openedRepo);
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));

    const review = onlyReview(recorded);
    expect(review.event).toBe('COMMENT');
    expect(review.commit_id).toBe(HEAD_SHA);
    expect(review.comments).toHaveLength(1);
    const [comment] = review.comments;
    expect(comment).toMatchObject({ path: PATH, side: 'RIGHT' });
    expect(comment!.start_line ?? comment!.line).toBeLessThanOrEqual(WAIT_LINE);
    expect(comment!.line).toBeGreaterThanOrEqual(WAIT_LINE);
    expect(comment!.body).toContain('```suggestion');
    expect(comment!.body).toMatch(/<!-- jitterbot:fingerprint=[0-9a-f]{16} -->/);

    expect(recorded.checkRunsCreated).toEqual([
      expect.objectContaining({ name: 'jitterbot', head_sha: HEAD_SHA, status: 'in_progress' }),
    ]);
    const check = finalCheck(recorded);
    expect(Object.keys(check).sort()).toEqual(['completed_at', 'conclusion', 'output', 'status']);
    expect(check).toMatchObject({ status: 'completed', conclusion: 'neutral' });
    expect(check.output.title).toBe('1 retry without jitter');
    // The details say what the review cost, by kind, up to this update.
    expect(check.output.text).toMatch(
      /^\*\*Cost of this review:\*\* \d+ GitHub API calls \(.*\b1 tree, \d+ blob\b.*\)\.$/,
    );
    expect(check.output.annotations).toEqual([
      expect.objectContaining({ path: PATH, start_line: WAIT_LINE, annotation_level: 'warning' }),
    ]);
  });
});

/** Runs the opened flow once and returns the comment the bot posted, as GitHub would list it later. */
async function firstComment(): Promise<{ id: number; body: string }> {
  const recorded = fakeGitHub(openedRepo);
  await deliver(probot, 'pull_request', webhook('pull_request.opened'));
  nock.cleanAll();
  return { id: 501, body: onlyReview(recorded).comments[0]!.body };
}

describe('new pushes', () => {
  it('posts nothing new when the same findings are still there', async () => {
    const { id, body } = await firstComment();
    const recorded = fakeGitHub({
      ...openedRepo,
      earlierComments: [earlierComment(id, body, PATH, WAIT_LINE)],
      threads: [{ id: 'PRRT_1', rootCommentId: id, isResolved: false }],
    });
    await deliver(probot, 'pull_request', webhook('pull_request.synchronize'));
    expect(recorded.reviews).toEqual([]);
    expect(recorded.replies).toEqual([]);
    const check = finalCheck(recorded);
    expect(check.conclusion).toBe('neutral');
    // the finding is still there, so it is still annotated on the check run
    expect(check.output.annotations).toHaveLength(1);
  });

  it('answers and resolves the thread when a push fixes the finding', async () => {
    const { id, body } = await firstComment();
    const recorded = fakeGitHub({
      headSha: FIX_SHA,
      files: { [PATH]: fixed, 'src/gateway.ts': gateway },
      changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(fixed) }],
      earlierComments: [earlierComment(id, body, PATH, WAIT_LINE)],
      threads: [{ id: 'PRRT_1', rootCommentId: id, isResolved: false }],
    });
    const payload = webhook<{ pull_request: { head: Record<string, unknown> } }>('pull_request.synchronize');
    payload.pull_request.head.sha = FIX_SHA;
    await deliver(probot, 'pull_request', payload);
    expect(recorded.reviews).toEqual([]);
    expect(recorded.replies).toEqual([{ commentId: id, body: { body: `Fixed in ${FIX_SHA}.` } }]);
    expect(recorded.graphqlMutations).toEqual([
      expect.objectContaining({ variables: { threadId: 'PRRT_1' } }),
    ]);
    expect(finalCheck(recorded).output.title).toBe('No retries without jitter on the added lines');
  });
});

describe('the read cache across pushes', () => {
  it('a second push that changes one file fetches that blob alone, in a handful of calls', async () => {
    const helper = 'export const backoff = (attempt: number) => 100 * 2 ** attempt;\n';
    const files = { [PATH]: added, 'src/gateway.ts': gateway, 'src/backoff.ts': helper };
    const first = fakeGitHub({ ...openedRepo, files });
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));
    const blobs = (recorded: Recorded) => recorded.requests.filter((line) => line.includes('/git/blobs/'));
    // The review reads every file of this small repository: the changed one, and the others for context.
    expect(blobs(first)).toHaveLength(3);
    nock.cleanAll();

    const second = fakeGitHub({
      headSha: FIX_SHA,
      files: { ...files, [PATH]: fixed },
      changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(fixed) }],
    });
    const payload = webhook<{ pull_request: { head: Record<string, unknown> } }>('pull_request.synchronize');
    payload.pull_request.head.sha = FIX_SHA;
    await deliver(probot, 'pull_request', payload);
    // Only the changed file is new; whatever else the review reads was read on the first push.
    expect(blobs(second)).toHaveLength(1);
    expect(second.requests.filter((line) => line.includes('/git/trees/'))).toEqual([
      `GET ${REPO_PATH}/git/trees/${FIX_SHA}`,
    ]);
    expect(second.requests.length).toBeLessThanOrEqual(20);
  });
});

describe('/jitterbot rescan', () => {
  const comment = webhook<{ sender: Record<string, unknown>; comment: { user: Record<string, unknown> } }>(
    'issue_comment.created',
  );

  it('reviews when someone with write access asks, and says so with a reaction', async () => {
    const recorded = fakeGitHub({ ...openedRepo, permissions: { Codertocat: 'write' } });
    await deliver(probot, 'issue_comment', comment);
    expect(recorded.permissionChecks).toEqual(['Codertocat']);
    expect(recorded.reactions).toEqual([{ content: 'eyes' }]);
    expect(onlyReview(recorded).comments).toHaveLength(1);
  });

  it('ignores a reader', async () => {
    const recorded = fakeGitHub({ ...openedRepo, permissions: { Codertocat: 'read' } });
    await deliver(probot, 'issue_comment', comment);
    expect(recorded.permissionChecks).toEqual(['Codertocat']);
    expect(recorded.reactions).toEqual([]);
    expect(recorded.checkRunsCreated).toEqual([]);
    expect(recorded.reviews).toEqual([]);
  });

  it('ignores a bot without asking GitHub anything', async () => {
    const recorded = fakeGitHub({ ...openedRepo, permissions: { 'renovate[bot]': 'admin' } });
    const bot = { login: 'renovate[bot]', id: 29139614, type: 'Bot' };
    await deliver(probot, 'issue_comment', {
      ...comment,
      sender: bot,
      comment: { ...comment.comment, user: bot },
    });
    expect(recorded.permissionChecks).toEqual([]);
    expect(recorded.reactions).toEqual([]);
    expect(recorded.reviews).toEqual([]);
  });

  it('ignores comments without the command', async () => {
    const recorded = fakeGitHub({ ...openedRepo, permissions: { Codertocat: 'admin' } });
    await deliver(probot, 'issue_comment', {
      ...comment,
      comment: { ...comment.comment, body: 'jitterbot is great' },
    });
    expect(recorded.permissionChecks).toEqual([]);
    expect(recorded.reviews).toEqual([]);
  });
});

describe('configuration', () => {
  it('shows an invalid config in the check run and reviews with the defaults', async () => {
    const recorded = fakeGitHub({ ...openedRepo, config: 'strategy: sometimes\ncap_ms: fast\n' });
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));
    const summary = finalCheck(recorded).output.summary;
    expect(summary).toContain('.github/jitterbot.yml: strategy:');
    expect(summary).toContain('.github/jitterbot.yml: cap_ms:');
    // defaults: full jitter
    expect(onlyReview(recorded).comments[0]!.body).toContain('Math.random()');
  });

  it('shows a config that is not YAML', async () => {
    const recorded = fakeGitHub({ ...openedRepo, config: 'rules: [unclosed\n' });
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));
    expect(finalCheck(recorded).output.summary).toContain('invalid YAML');
    expect(onlyReview(recorded).comments).toHaveLength(1);
  });

  it('fails the check when fail_on is met', async () => {
    const recorded = fakeGitHub({ ...openedRepo, config: 'fail_on: warning\n' });
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));
    expect(finalCheck(recorded).conclusion).toBe('failure');
  });
});

describe('GitHub failing', () => {
  it('retries a 500 and a 429 with jitter and still posts exactly one review', async () => {
    const { sleep, delays } = recordingSleep();
    probot = await boot({ sleep, random: seededRandom(1) });
    const recorded = fakeGitHub({
      ...openedRepo,
      failFirst: [
        { method: 'GET', path: `${REPO_PATH}/pulls/2`, status: 500 },
        {
          method: 'POST',
          path: `${REPO_PATH}/pulls/2/reviews`,
          status: 429,
          headers: { 'retry-after': '1' },
        },
      ],
    });
    await deliver(probot, 'pull_request', webhook('pull_request.opened'));
    expect(onlyReview(recorded).comments).toHaveLength(1);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeLessThan(1_000); // full jitter over the first 1 s window
    expect(delays[1]).toBeGreaterThanOrEqual(1_000); // Retry-After: 1, plus jitter
    expect(delays[1]).toBeLessThan(2_000);
  });

  it('two bot instances retrying the same 503 do not retry in lockstep', async () => {
    async function instanceDelays(seed: number): Promise<number[]> {
      const { sleep, delays } = recordingSleep();
      probot = await boot({ sleep, random: seededRandom(seed) });
      fakeGitHub({
        ...openedRepo,
        failFirst: [1, 2, 3].map(() => ({
          method: 'GET' as const,
          path: `${REPO_PATH}/pulls/2`,
          status: 503,
        })),
      });
      await deliver(probot, 'pull_request', webhook('pull_request.opened'));
      nock.cleanAll();
      return delays;
    }
    const a = await instanceDelays(11);
    const b = await instanceDelays(12);
    expect(a).toHaveLength(3);
    expect(b).toHaveLength(3);
    a.forEach((delay, i) => {
      expect(delay).not.toBe(b[i]);
      expect(delay).toBeLessThan(1_000 * 2 ** i);
    });
  });
});
