/**
 * The in-process queue: the scheduler's one-run-per-target rule (the bug it fixes: a job could start
 * while another job for the same pull request ran), merging of waiting requests, bounds, job retries
 * with jittered backoff, dead letters, and shutdown with a deadline.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReviewQueue } from '../src/queue.js';
import '../src/platforms/job-kinds.js';
import type { GitHubReviewJob } from '../src/platforms/github/job-kind.js';
import type { GitlabReviewJob } from '../src/platforms/gitlab/job-kind.js';
import { jobId, jobKey, mergeJobs, parseJob } from '../src/queue/job.js';
import { MemoryJobQueue } from '../src/queue/memory.js';
import type { JobEnd, JobOutcome } from '../src/queue/types.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

function githubJob(overrides: Partial<GitHubReviewJob> = {}): GitHubReviewJob {
  return {
    platform: 'github',
    deliveryIds: ['d1'],
    installationId: 7,
    owner: 'octo',
    repo: 'app',
    pullNumber: 12,
    headSha: 'a'.repeat(40),
    reason: 'synchronize',
    enqueuedAt: 1_000,
    ...overrides,
  };
}

function gitlabJob(overrides: Partial<GitlabReviewJob['request']> = {}, headSha?: string): GitlabReviewJob {
  return {
    platform: 'gitlab',
    request: {
      deliveryIds: ['g1'],
      project: { id: 14, path: 'group/project', webUrl: 'https://gitlab.example/group/project' },
      mrIid: 3,
      reasons: ['push'],
      rescans: [],
      ...overrides,
    },
    enqueuedAt: 2_000,
    ...(headSha ? { headSha } : {}),
  };
}

describe('ReviewQueue: one run per key', () => {
  it('never starts a job whose key is running, even with a free worker', async () => {
    const queue = new ReviewQueue({ concurrency: 2 });
    const first = gate();
    const events: string[] = [];
    queue.enqueue('pr#1', async () => {
      events.push('first:start');
      await first.wait;
      events.push('first:end');
    });
    await tick();
    queue.enqueue('pr#1', async () => void events.push('second'));
    await tick();
    await tick();
    // The second job waits although a worker is free: running it now would review the PR twice at once.
    expect(events).toEqual(['first:start']);
    expect(queue.depth).toBe(1);
    first.open();
    await queue.onIdle();
    expect(events).toEqual(['first:start', 'first:end', 'second']);
  });

  it('coalesces jobs that wait behind a running key: the newest one runs', async () => {
    const queue = new ReviewQueue({ concurrency: 2 });
    const first = gate();
    const ran: string[] = [];
    queue.enqueue('pr#1', () => first.wait.then(() => void ran.push('push 1')));
    await tick();
    expect(queue.enqueue('pr#1', async () => void ran.push('push 2'))).toBe('queued');
    expect(queue.enqueue('pr#1', async () => void ran.push('push 3'))).toBe('coalesced');
    first.open();
    await queue.onIdle();
    expect(ran).toEqual(['push 1', 'push 3']);
  });

  it('lets other keys pass a key that waits', async () => {
    const queue = new ReviewQueue({ concurrency: 2 });
    const first = gate();
    const ran: string[] = [];
    queue.enqueue('pr#1', () => first.wait.then(() => void ran.push('pr#1 a')));
    await tick();
    queue.enqueue('pr#1', async () => void ran.push('pr#1 b'));
    queue.enqueue('pr#2', async () => void ran.push('pr#2'));
    await tick();
    await tick();
    expect(ran).toEqual(['pr#2']);
    first.open();
    await queue.onIdle();
    expect(ran).toEqual(['pr#2', 'pr#1 a', 'pr#1 b']);
  });

  it('refuses jobs beyond maxWaiting', () => {
    const queue = new ReviewQueue({ concurrency: 1, maxWaiting: 1 });
    const never = () => new Promise<void>(() => {});
    expect(queue.enqueue('a', never)).toBe('queued');
    // 'a' has been taken by the worker; 'b' waits; 'c' finds the waiting list full.
    expect(queue.enqueue('b', never)).toBe('queued');
    expect(queue.enqueue('c', never)).toBe('full');
    expect(queue.enqueue('b', never)).toBe('coalesced');
  });
});

describe('review jobs', () => {
  it('are keyed by pull or merge request', () => {
    expect(jobKey(githubJob())).toBe('github:octo/app#12');
    expect(jobKey(gitlabJob())).toBe('gitlab:14!3');
  });

  it('get an id from target, head and delivery: a redelivery collapses, another delivery does not', () => {
    const id = jobId(githubJob());
    expect(jobId(githubJob({ enqueuedAt: 99 }))).toBe(id);
    expect(jobId(githubJob({ deliveryIds: ['d2'] }))).not.toBe(id);
    expect(jobId(githubJob({ pullNumber: 13 }))).not.toBe(id);
    expect(jobId(githubJob({ headSha: 'b'.repeat(40) }))).not.toBe(id);
    // BullMQ refuses custom ids with a colon or that look like integers.
    expect(id).toMatch(/^github-[0-9a-f]{32}$/);
  });

  it('merge with the newest head winning and an explicit request kept', () => {
    const merged = mergeJobs(
      githubJob({ reason: 'rescan', deliveryIds: ['d1'], enqueuedAt: 5 }),
      githubJob({ reason: 'synchronize', deliveryIds: ['d2'], headSha: 'b'.repeat(40), enqueuedAt: 9 }),
    );
    expect(merged).toMatchObject({
      reason: 'rescan',
      deliveryIds: ['d1', 'd2'],
      headSha: 'b'.repeat(40),
      enqueuedAt: 5,
    });
    const gitlab = mergeJobs(
      gitlabJob({ reasons: ['open'] }, 'c1'),
      gitlabJob({ reasons: ['push'], deliveryIds: ['g2'] }, 'c2'),
    );
    expect(gitlab).toMatchObject({
      headSha: 'c2',
      request: { reasons: ['open', 'push'], deliveryIds: ['g1', 'g2'] },
    });
  });

  it('are read back from JSON only when well formed', () => {
    expect(parseJob(JSON.parse(JSON.stringify(githubJob())))).toEqual(githubJob());
    expect(parseJob(JSON.parse(JSON.stringify(gitlabJob())))).toEqual(gitlabJob());
    expect(parseJob({ platform: 'github', owner: 'x' })).toBeNull();
    expect(parseJob({ platform: 'bitbucket' })).toBeNull();
    expect(parseJob('nonsense')).toBeNull();
  });
});

describe('MemoryJobQueue', () => {
  it('merges requests that wait for one target into one run with the newest head', async () => {
    const queue = new MemoryJobQueue({ concurrency: 2 });
    const first = gate();
    const runs: GitHubReviewJob[] = [];
    queue.handle('github', async (job) => {
      runs.push(job);
      if (runs.length === 1) await first.wait;
      return 'reviewed';
    });
    expect(await queue.enqueue(githubJob({ deliveryIds: ['d1'], headSha: 'sha1' }))).toBe('queued');
    await tick();
    // While the first review runs, three more requests arrive for the same pull request.
    expect(await queue.enqueue(githubJob({ deliveryIds: ['d2'], headSha: 'sha2' }))).toBe('queued');
    expect(await queue.enqueue(githubJob({ deliveryIds: ['d3'], headSha: 'sha3', reason: 'rescan' }))).toBe(
      'coalesced',
    );
    expect(await queue.enqueue(githubJob({ deliveryIds: ['d4'], headSha: 'sha4' }))).toBe('coalesced');
    first.open();
    await queue.onIdle();
    expect(runs.map((job) => [job.headSha, job.reason, job.deliveryIds])).toEqual([
      ['sha1', 'synchronize', ['d1']],
      ['sha4', 'rescan', ['d2', 'd3', 'd4']],
    ]);
  });

  it('answers full beyond maxWaiting targets and keeps nothing of the refused request', async () => {
    const queue = new MemoryJobQueue({ concurrency: 1, maxWaiting: 1 });
    const hold = gate();
    const runs: number[] = [];
    queue.handle('github', async (job) => {
      runs.push(job.pullNumber);
      await hold.wait;
      return 'reviewed';
    });
    expect(await queue.enqueue(githubJob({ pullNumber: 1 }))).toBe('queued');
    expect(await queue.enqueue(githubJob({ pullNumber: 2 }))).toBe('queued');
    expect(await queue.enqueue(githubJob({ pullNumber: 3 }))).toBe('full');
    // A request for a target that already waits still merges: it costs no room.
    expect(await queue.enqueue(githubJob({ pullNumber: 2, deliveryIds: ['d9'] }))).toBe('coalesced');
    hold.open();
    await queue.onIdle();
    expect(runs).toEqual([1, 2]);
    // The refused request left nothing behind: its redelivery runs normally.
    expect(await queue.enqueue(githubJob({ pullNumber: 3 }))).toBe('queued');
    await queue.onIdle();
    expect(runs).toEqual([1, 2, 3]);
  });

  it('retries a failed job after a jittered backoff, then keeps it as a dead letter', async () => {
    const ends: JobEnd[] = [];
    const queue = new MemoryJobQueue({
      retry: { attempts: 3, baseMs: 20, capMs: 1_000 },
      random: () => 0.5,
      observer: { finished: (_job, end) => void ends.push(end) },
    });
    const attemptsAt: number[] = [];
    queue.handle('gitlab', async () => {
      attemptsAt.push(Date.now());
      throw new Error('GitLab is down');
    });
    await queue.enqueue(gitlabJob());
    await queue.onIdle();
    expect(ends).toEqual(['retrying', 'retrying', 'dead']);
    // Full jitter with random 0.5: half of the 20 ms window, then half of 40 ms.
    expect(attemptsAt[1]! - attemptsAt[0]!).toBeGreaterThanOrEqual(9);
    expect(attemptsAt[2]! - attemptsAt[1]!).toBeGreaterThanOrEqual(19);
    expect(queue.deadLetters()).toEqual([
      expect.objectContaining({
        attempts: 3,
        error: 'GitLab is down',
        job: expect.objectContaining({ platform: 'gitlab' }),
      }),
    ]);
    expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 1 });
  });

  it('retries a runner that reports a failure and stops once it succeeds', async () => {
    const queue = new MemoryJobQueue({ retry: { attempts: 5, baseMs: 1, capMs: 1 } });
    const outcomes: JobOutcome[] = ['failed', 'failed', 'reviewed'];
    let calls = 0;
    queue.handle('github', async () => outcomes[calls++]!);
    await queue.enqueue(githubJob());
    await queue.onIdle();
    expect(calls).toBe(3);
    expect(queue.deadLetters()).toEqual([]);
  });

  it('makes a job without a runner a dead letter instead of losing it silently', async () => {
    const queue = new MemoryJobQueue({ retry: { attempts: 1, baseMs: 1, capMs: 1 } });
    await queue.enqueue(gitlabJob());
    await queue.onIdle();
    expect(queue.deadLetters()[0]?.error).toMatch(/no gitlab runner/);
  });

  it('on close, finishes running work within the deadline and refuses new jobs', async () => {
    const queue = new MemoryJobQueue();
    const release = gate();
    let finished = false;
    queue.handle('github', async () => {
      await release.wait;
      finished = true;
      return 'reviewed';
    });
    await queue.enqueue(githubJob());
    await tick();
    const closing = queue.close(5_000);
    expect(await queue.enqueue(githubJob({ pullNumber: 99 }))).toBe('unavailable');
    expect(await queue.problem()).toBe('shutting down');
    release.open();
    expect(await closing).toEqual({ drained: true, abandoned: [], requeued: 0 });
    expect(finished).toBe(true);
  });

  it('names the targets it could not finish before the deadline', async () => {
    const queue = new MemoryJobQueue({ concurrency: 1 });
    queue.handle('github', () => new Promise<JobOutcome>(() => {}));
    await queue.enqueue(githubJob({ pullNumber: 1 }));
    await queue.enqueue(githubJob({ pullNumber: 2 }));
    await tick();
    const report = await queue.close(50);
    expect(report.drained).toBe(false);
    expect(report.abandoned.sort()).toEqual(['github:octo/app#1', 'github:octo/app#2']);
  });
});

describe('the queue', () => {
  it('imports nothing from the platforms: each registers its job kind with the queue', () => {
    const dir = fileURLToPath(new URL('../src/queue/', import.meta.url));
    const files = [
      ...readdirSync(dir).map((name) => join(dir, name)),
      fileURLToPath(new URL('../src/queue.ts', import.meta.url)),
    ];
    const imports = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^import[^;]*?from\s+'([^']+)'/gms)].map((match) => match[1]!),
    );
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((path) => path.includes('platforms/'))).toEqual([]);
  });
});
