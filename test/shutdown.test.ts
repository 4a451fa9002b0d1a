/**
 * SIGTERM, as a container runtime sends it. `jitterbot serve` (a real child process, in-process queue)
 * stops accepting connections, lets the running review finish within SHUTDOWN_TIMEOUT_MS, and names
 * what it had to abandon past the deadline. `jitterbot worker` (Redis) hands a review it cannot finish
 * back to the queue, where another worker runs it once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import '../src/platforms/job-kinds.js';
import { RedisJobQueue, connectRedis, redisConnection } from '../src/queue/redis.js';
import { repoFile } from './platforms/github/harness.js';
import { FakeGitlab } from './platforms/gitlab/fake-gitlab.js';
import { fixtureJson, mergeRequestHook } from './platforms/gitlab/fixtures.js';
import { RELEASE, REVIEWED, STARTED, killChild, startChildWorker, type Child } from './redis/child.js';
import { DB, REDIS_URL, emptyDatabase, redisUrlFor } from './redis/redis.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const SECRET = 'shutdown-secret';

/** Just enough GitLab for one job: the merge request is read (after `holdMs`) and found closed. */
async function slowGitlab(holdMs: number): Promise<{ url: string; server: Server; reads: number[] }> {
  const reads: number[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url?.startsWith('/api/v4/projects/14/merge_requests/1')) {
      reads.push(Date.now());
      setTimeout(() => {
        const mr = { ...fixtureJson('api/merge-request.json'), state: 'closed' };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(mr));
      }, holdMs);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"404 Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, reads };
}

interface Serve {
  child: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; at: number }>;
}

async function startServe(
  gitlabUrl: string,
  shutdownTimeoutMs: number,
  env: Record<string, string> = {},
): Promise<Serve> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      GITLAB_URL: gitlabUrl,
      GITLAB_TOKEN: 'glpat-test',
      GITLAB_WEBHOOK_SECRET: SECRET,
      GITLAB_BOT_USERNAME: 'jitterbot',
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listening = logs.find((entry) => entry.msg === 'jitterbot listening');
    if (listening) return { child, url: String(listening.url), logs, exited };
    if (child.exitCode !== null) throw new Error(`serve exited: ${JSON.stringify(logs)}`);
    if (Date.now() > deadline) throw new Error('serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function deliverOpen(serveUrl: string, gitlabUrl: string): Promise<number> {
  const payload = mergeRequestHook({ action: 'open' });
  payload.project.web_url = `${gitlabUrl}/gitlabhq/gitlab-test`;
  const response = await fetch(`${serveUrl}/gitlab/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': SECRET,
      'idempotency-key': crypto.randomUUID(),
    },
    body: JSON.stringify(payload),
  });
  return response.status;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('jitterbot serve on SIGTERM', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).forEach((step) => step()));

  it('stops accepting, finishes the running review, then exits 0', { timeout: 60_000 }, async () => {
    const gitlab = await slowGitlab(1_500);
    cleanup.push(() => gitlab.server.close());
    const serve = await startServe(gitlab.url, 20_000);
    cleanup.push(() => serve.child.kill('SIGKILL'));
    expect(await deliverOpen(serve.url, gitlab.url)).toBe(202);
    await until(() => gitlab.reads.length === 1);

    const signalled = Date.now();
    serve.child.kill('SIGTERM');
    await until(async () => {
      try {
        await fetch(`${serve.url}/healthz`);
        return false;
      } catch {
        return true; // refused: no longer listening
      }
    }, 5_000);
    const { code, at } = await serve.exited;
    expect(code).toBe(0);
    // It waited for the review (the merge request answer came 1.5 s after it was asked for).
    expect(at).toBeGreaterThanOrEqual(gitlab.reads[0]! + 1_500);
    expect(at - signalled).toBeLessThan(15_000);
    expect(serve.logs.find((entry) => entry.msg === 'review skipped')).toMatchObject({
      reason: 'merge request is closed',
    });
    expect(serve.logs.find((entry) => entry.msg === 'stopped')).toMatchObject({ drained: true });
  });

  it(
    'lets the analysis running on a review thread finish and publish, then exits 0',
    { timeout: 60_000 },
    async () => {
      const gitlab = new FakeGitlab();
      gitlab.push('1'.repeat(40), { 'src/payments.ts': repoFile('src/payments.ts') });
      let release!: () => void;
      gitlab.holdMergeRequestUntil(new Promise<void>((resolve) => (release = resolve)));
      const api = await gitlab.listen();
      cleanup.push(api.close);
      const serve = await startServe(api.url, 20_000, { REVIEW_THREADS: '1' });
      cleanup.push(() => serve.child.kill('SIGKILL'));
      expect(await deliverOpen(serve.url, api.url)).toBe(202);
      await until(() => gitlab.count('GET', /\/merge_requests\/1$/) === 1);

      serve.child.kill('SIGTERM');
      // The review goes on after the signal: the change is read, analysed on the thread, and posted.
      setTimeout(release, 300);
      const { code } = await serve.exited;
      expect(code).toBe(0);
      expect(gitlab.diffDiscussions()).toHaveLength(1);
      expect(gitlab.diffDiscussions()[0]!.notes[0]!.body).toContain('jitter');
      expect(serve.logs.find((entry) => entry.msg === 'stopped')).toMatchObject({ drained: true });
      expect(serve.logs.find((entry) => entry.reviewThreads !== undefined)).toMatchObject({
        msg: 'reviews run in this process, their analysis on worker threads',
        reviewThreads: 1,
      });
    },
  );

  it('exits at the deadline and names the review it abandoned', { timeout: 60_000 }, async () => {
    const gitlab = await slowGitlab(20_000);
    cleanup.push(() => gitlab.server.closeAllConnections());
    cleanup.push(() => gitlab.server.close());
    const serve = await startServe(gitlab.url, 500);
    cleanup.push(() => serve.child.kill('SIGKILL'));
    expect(await deliverOpen(serve.url, gitlab.url)).toBe(202);
    await until(() => gitlab.reads.length === 1);
    const signalled = Date.now();
    serve.child.kill('SIGTERM');
    const { code, at } = await serve.exited;
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(5_000);
    expect(
      serve.logs.find((entry) => entry.msg === 'reviews not finished before the shutdown deadline'),
    ).toMatchObject({
      abandoned: ['gitlab:14!1'],
    });
  });
});

describe.skipIf(!REDIS_URL)('jitterbot worker on SIGTERM', () => {
  const children: Child[] = [];
  afterEach(() => children.splice(0).forEach(killChild));

  it(
    'hands a review it cannot finish back to the queue; another worker runs it once',
    { timeout: 60_000 },
    async () => {
      const url = redisUrlFor(DB.shutdown);
      const admin = await emptyDatabase(DB.shutdown);
      const producer = redisConnection(url, 'producer');
      await connectRedis(producer);
      const queue = new RedisJobQueue(producer);
      try {
        const first = await startChildWorker(url, 'A', { SHUTDOWN_TIMEOUT_MS: '300' });
        children.push(first);
        await queue.enqueue({
          platform: 'github',
          deliveryIds: ['d1'],
          installationId: 1,
          owner: 'octo',
          repo: 'app',
          pullNumber: 8,
          headSha: 'sha8',
          reason: 'synchronize',
          enqueuedAt: Date.now(),
        });
        await until(async () => (await admin.llen(STARTED)) === 1);
        first.process.kill('SIGTERM');
        expect(await first.exited).toBe(0);
        expect(first.lines.find((line) => 'closed' in line)).toEqual({
          closed: { drained: false, abandoned: [], requeued: 1 },
        });
        // Handed back at once, not after the claim lapses.
        expect((await queue.counts()).waiting).toBe(1);

        const second = await startChildWorker(url, 'B');
        children.push(second);
        await admin.set(RELEASE, '1');
        await until(async () => (await admin.llen(REVIEWED)) === 1);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(await admin.lrange(REVIEWED, 0, -1)).toEqual(['B:8@sha8']);
        expect(await queue.counts()).toEqual({ waiting: 0, active: 0, delayed: 0, failed: 0 });
      } finally {
        await queue.close(1_000);
        producer.disconnect();
        admin.disconnect();
      }
    },
  );
});
