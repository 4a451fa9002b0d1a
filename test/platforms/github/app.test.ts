/**
 * The event handlers and the review job with a stand-in pipeline: which events start a review, who may
 * ask for a rescan, and what reaches GitHub when the pipeline or the API fails. The end-to-end flows
 * with the real pipeline are in flow.test.ts.
 */
import nock from 'nock';
import type { Probot } from 'probot';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import jitterbotApp from '../../../src/platforms/github/app.js';
import type { ReviewFn } from '../../../src/platforms/github/job.js';
import { MemoryJobQueue } from '../../../src/queue/memory.js';
import type { ReviewOutcome } from '../../../src/platforms/types.js';
import { fakeGitHub, type FakeRepo } from './fake-github.js';
import { HEAD_SHA, testProbot, webhook } from './harness.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const emptyOutcome = (headSha: string): ReviewOutcome => ({
  headSha,
  toPost: [],
  unchanged: [],
  fixed: [],
  preExisting: [],
  summary: 'Nothing to report.',
  failed: false,
  configErrors: [],
  skipped: [],
  blastRadius: [],
  clients: { count: 100, source: 'default' },
});

/** A stand-in pipeline that reads the change set and config like the real one, then publishes nothing. */
function stubReview(calls: string[]): ReviewFn {
  return async (target) => {
    const changes = await target.changeSet();
    const { config } = await target.config();
    calls.push(`${changes.headSha}:${config.strategy}`);
    const outcome = emptyOutcome(changes.headSha);
    await target.publish(outcome);
    return outcome;
  };
}

const repo: FakeRepo = { files: { 'src/a.ts': 'export const a = 1;\n' }, changed: [] };

let probot: Probot;
let queue: MemoryJobQueue;
let calls: string[];

/** Each delivery has its own id: a repeated id is a redelivery, which the app ignores. */
let deliveryCount = 0;

async function receive(name: string, payload: Record<string, unknown>): Promise<void> {
  await probot.receive({ id: `delivery-${name}-${(deliveryCount += 1)}`, name, payload } as Parameters<
    Probot['receive']
  >[0]);
  await queue.onIdle();
}

beforeEach(async () => {
  calls = [];
  queue = new MemoryJobQueue();
  probot = testProbot();
  await probot.load((app: Probot) => jitterbotApp(app, { queue, review: stubReview(calls) }));
});

describe('pull request events', () => {
  it.each(['opened', 'reopened', 'synchronize', 'ready_for_review'])('%s starts a review', async (action) => {
    const recorded = fakeGitHub(repo);
    await receive('pull_request', { ...webhook('pull_request.opened'), action });
    expect(calls).toEqual([`${HEAD_SHA}:full`]);
    expect(recorded.checkRunsCreated).toEqual([
      expect.objectContaining({ name: 'jitterbot', head_sha: HEAD_SHA, status: 'in_progress' }),
    ]);
    expect(recorded.checkRunUpdates.at(-1)).toMatchObject({ status: 'completed', conclusion: 'neutral' });
  });

  it('ignores other actions', async () => {
    await receive('pull_request', { ...webhook('pull_request.opened'), action: 'labeled' });
    expect(calls).toEqual([]);
  });

  it('skips drafts unless review_drafts is set', async () => {
    const skipped = fakeGitHub({ ...repo, draft: true });
    await receive('pull_request', webhook('pull_request.opened'));
    expect(calls).toEqual([]);
    expect(skipped.checkRunsCreated).toEqual([]);
    nock.cleanAll();

    fakeGitHub({ ...repo, draft: true, config: 'review_drafts: true\nstrategy: equal\n' });
    await receive('pull_request', webhook('pull_request.opened'));
    expect(calls).toEqual([`${HEAD_SHA}:equal`]);
  });

  it('coalesces pushes that arrive while a review of the same pull request runs', async () => {
    fakeGitHub(repo);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const review = stubReview(calls);
    let running = 0;
    let overlapped = false;
    probot = testProbot();
    await probot.load((app: Probot) =>
      jitterbotApp(app, {
        queue,
        review: async (target, reader, options) => {
          running += 1;
          overlapped ||= running > 1;
          try {
            if (calls.length === 0) await gate;
            return await review(target, reader, options);
          } finally {
            running -= 1;
          }
        },
      }),
    );
    const payload = webhook('pull_request.synchronize');
    for (const id of ['d1', 'd2', 'd3', 'd4']) {
      await probot.receive({ id, name: 'pull_request', payload } as never);
    }
    release();
    await queue.onIdle();
    // Never two reviews of one pull request at once (they would post the same comments twice), and
    // pushes that arrive meanwhile collapse: four deliveries, at most three reviews with two workers.
    expect(overlapped).toBe(false);
    expect(calls.length).toBeLessThanOrEqual(3);
  });
});

describe('a full queue', () => {
  it('refuses the delivery with 503 so it can be redelivered', async () => {
    queue = new MemoryJobQueue({ maxWaiting: 0 });
    probot = testProbot();
    await probot.load((app: Probot) => jitterbotApp(app, { queue, review: stubReview(calls) }));
    const delivery = probot.receive({
      id: 'd',
      name: 'pull_request',
      payload: webhook('pull_request.opened'),
    } as never);
    await expect(delivery).rejects.toMatchObject({ errors: [expect.objectContaining({ status: 503 })] });
    expect(calls).toEqual([]);
  });
});

describe('check run re-run', () => {
  it('reviews the pull requests of a re-requested jitterbot check', async () => {
    fakeGitHub(repo);
    await receive('check_run', webhook('check_run.rerequested'));
    expect(calls).toHaveLength(1);
  });

  it('ignores other apps’ check runs', async () => {
    const payload = webhook<{ check_run: Record<string, unknown> }>('check_run.rerequested');
    await receive('check_run', { ...payload, check_run: { ...payload.check_run, name: 'ci' } });
    expect(calls).toEqual([]);
  });
});

describe('failures become check run output', () => {
  it('completes the check run with the error when the pipeline throws', async () => {
    const recorded = fakeGitHub(repo);
    // One attempt: the queue would retry a failed review (tested in test/fault*.test.ts).
    queue = new MemoryJobQueue({ retry: { attempts: 1, baseMs: 1, capMs: 1 } });
    probot = testProbot();
    await probot.load((app: Probot) =>
      jitterbotApp(app, {
        queue,
        review: async () => {
          throw new Error('analysis crashed');
        },
      }),
    );
    await receive('pull_request', webhook('pull_request.opened'));
    const last = recorded.checkRunUpdates.at(-1) as { conclusion: string; output: { summary: string } };
    expect(last.conclusion).toBe('neutral');
    expect(last.output.summary).toContain('analysis crashed');
    expect(last.output.summary).toContain('/jitterbot rescan');
  });

  it('still reviews when the check run cannot be created', async () => {
    fakeGitHub({
      ...repo,
      failFirst: [{ method: 'POST', path: '/repos/Codertocat/Hello-World/check-runs', status: 403 }],
    });
    await receive('pull_request', webhook('pull_request.opened'));
    expect(calls).toHaveLength(1);
  });
});
