/**
 * The server's operational surface on 127.0.0.1: `/healthz`, `/readyz`, `/metrics` (webhooks by
 * platform, event and outcome; queue depth; job latency; findings by rule; API errors and retries),
 * 503 with Retry-After when the queue is full, and redeliveries that do no work twice. Body limits are
 * in metrics-limits.test.ts (nock, loaded here, intercepts raw sockets too).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { jitterbotOctokit } from '../src/platforms/github/octokit.js';
import { silentLog } from '../src/platforms/gitlab/log.js';
import { gitlabWebhookRoute } from '../src/platforms/gitlab/route.js';
import { createReadCache } from '../src/platforms/read-cache.js';
import { runReview } from '../src/review/pipeline.js';
import { MemoryJobQueue } from '../src/queue/memory.js';
import { startServer, type RunningServer } from '../src/server.js';
import { fakeGitHub } from './platforms/github/fake-github.js';
import { QuietOctokit, testPrivateKey, testRetrySettings, webhook } from './platforms/github/harness.js';
import { FakeGitlab, GITLAB } from './platforms/gitlab/fake-gitlab.js';
import { fixtureText, mergeRequestHook } from './platforms/gitlab/fixtures.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GITHUB_SECRET = 'metrics-github-secret';
const GITLAB_SECRET = 'metrics-gitlab-secret';
const env = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'fatal' as const,
  APP_ID: '1',
  PRIVATE_KEY: testPrivateKey(),
  WEBHOOK_SECRET: GITHUB_SECRET,
  GITLAB_URL: GITLAB,
  GITLAB_TOKEN: 'glpat-test',
  GITLAB_WEBHOOK_SECRET: GITLAB_SECRET,
  GITLAB_BOT_USERNAME: 'jitterbot',
};

function sign(body: string): string {
  return `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
}

async function start(queue: MemoryJobQueue, metrics: Metrics): Promise<RunningServer> {
  // As `jitterbot serve` does: one read cache for both platforms, observed by the metrics.
  const readCache = createReadCache({ observer: metrics.readCache });
  const gitlab = gitlabWebhookRoute(env, {
    queue,
    log: silentLog,
    job: { review: metrics.countFindings(runReview), readCache },
    retry: {
      baseMs: 1,
      capMs: 5,
      sleep: metrics.retrySleep('gitlab'),
      onFailedAttempt: (status) => metrics.apiError('gitlab', status),
    },
  });
  if (gitlab.kind !== 'ready') throw new Error(gitlab.kind);
  return startServer(env, {
    cwd: ROOT,
    loadDotEnv: false,
    queue,
    metrics,
    readCache,
    Octokit: jitterbotOctokit(testRetrySettings(), QuietOctokit),
    extraRoutes: [{ ...gitlab.route, platform: 'gitlab' }],
  });
}

async function postGitHub(url: string, body: string, delivery: string): Promise<Response> {
  return fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': delivery,
      'x-hub-signature-256': sign(body),
    },
    body,
  });
}

async function postGitLab(url: string, token = GITLAB_SECRET): Promise<Response> {
  const uuid = randomUUID();
  return fetch(`${url}/gitlab/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': token,
      'x-gitlab-event-uuid': uuid,
      'idempotency-key': uuid,
    },
    body: JSON.stringify(mergeRequestHook({ action: 'open' })),
  });
}

/** The value of one series in Prometheus text, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

describe('health, readiness and metrics', () => {
  let running: RunningServer;
  let queue: MemoryJobQueue;
  let metrics: Metrics;

  beforeAll(async () => {
    metrics = createMetrics();
    queue = new MemoryJobQueue({ retry: { attempts: 1, baseMs: 1, capMs: 1 }, observer: metrics.observer });
    running = await start(queue, metrics);
  });
  afterAll(async () => {
    await running.close(1_000);
  });

  it('answers /healthz and /readyz while it can take work', async () => {
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect((await fetch(`${running.url}/readyz`, { method: 'POST' })).status).toBe(405);
  });

  it('counts webhooks, jobs, findings and API failures', async () => {
    const gitlab = new FakeGitlab();
    gitlab.push(gitlab.headSha, { 'src/inventory.ts': fixtureText('repo/src/inventory.ts') });
    gitlab.failNext('GET', /merge_requests\/1$/, [500, { message: '500 Internal Server Error' }]);
    gitlab.install();
    expect((await postGitLab(running.url)).status).toBe(202);
    expect((await postGitLab(running.url, 'wrong-token')).status).toBe(401);
    await queue.onIdle();
    expect(gitlab.diffDiscussions()).toHaveLength(1);

    const response = await fetch(`${running.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(
      sample(text, 'jitterbot_webhooks_total{platform="gitlab",event="merge_request",outcome="accepted"}'),
    ).toBe(1);
    expect(
      sample(text, 'jitterbot_webhooks_total{platform="gitlab",event="merge_request",outcome="rejected"}'),
    ).toBe(1);
    expect(sample(text, 'jitterbot_jobs_enqueued_total{platform="gitlab",result="queued"}')).toBe(1);
    expect(sample(text, 'jitterbot_jobs_finished_total{platform="gitlab",outcome="reviewed"}')).toBe(1);
    expect(sample(text, 'jitterbot_job_duration_seconds_count{platform="gitlab",outcome="reviewed"}')).toBe(
      1,
    );
    expect(sample(text, 'jitterbot_job_wait_seconds_count{platform="gitlab"}')).toBe(1);
    expect(sample(text, 'jitterbot_findings_total{platform="gitlab",rule="fixed-delay-retry"}')).toBe(1);
    expect(sample(text, 'jitterbot_api_errors_total{platform="gitlab",status="500"}')).toBe(1);
    expect(sample(text, 'jitterbot_api_retries_total{platform="gitlab"}')).toBe(1);
    // Every attempt costs a request: the failed one and its retry.
    expect(sample(text, 'jitterbot_api_calls_total{platform="gitlab",kind="pull"}')).toBeGreaterThanOrEqual(
      2,
    );
    expect(sample(text, 'jitterbot_api_calls_total{platform="gitlab",kind="write"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(text, 'jitterbot_review_api_calls_count{platform="gitlab"}')).toBe(1);
    expect(sample(text, 'jitterbot_read_cache_lookups_total{layer="memory",result="miss"}')).toBeGreaterThan(
      0,
    );
    expect(sample(text, 'jitterbot_queue_jobs{state="waiting"}')).toBe(0);
    expect(sample(text, 'jitterbot_queue_jobs{state="failed"}')).toBe(0);
    // Nothing a sender controls becomes a label value.
    expect(text).not.toContain('gitlab-test');
  });

  it('acts once on a redelivered GitHub webhook', async () => {
    const recorded = fakeGitHub({ files: { 'src/a.ts': 'export const a = 1;\n' }, changed: [] });
    const body = JSON.stringify(webhook('pull_request.opened'));
    const delivery = randomUUID();
    expect((await postGitHub(running.url, body, delivery)).status).toBe(200);
    await queue.onIdle();
    expect((await postGitHub(running.url, body, delivery)).status).toBe(200);
    await queue.onIdle();
    expect(recorded.checkRunsCreated).toHaveLength(1);
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(sample(text, 'jitterbot_review_api_calls_count{platform="github"}')).toBe(1);
    expect(sample(text, 'jitterbot_api_calls_total{platform="github",kind="tree"}')).toBe(1);
    expect(sample(text, 'jitterbot_jobs_enqueued_total{platform="github",result="queued"}')).toBe(1);
    expect(
      sample(text, 'jitterbot_webhooks_total{platform="github",event="pull_request",outcome="accepted"}'),
    ).toBe(2);
  });

  it('answers /readyz with 503 once the queue stops taking jobs', async () => {
    await queue.close(100);
    const response = await fetch(`${running.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', problem: 'shutting down' });
  });
});

describe('a full queue', () => {
  it('answers webhooks of both platforms 503 with Retry-After', async () => {
    const metrics = createMetrics();
    const queue = new MemoryJobQueue({ maxWaiting: 0, observer: metrics.observer });
    const running = await start(queue, metrics);
    try {
      const body = JSON.stringify(webhook('pull_request.opened'));
      const delivery = randomUUID();
      const refused = await postGitHub(running.url, body, delivery);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('60');
      const gitlab = await postGitLab(running.url);
      expect(gitlab.status).toBe(503);
      expect(gitlab.headers.get('retry-after')).toBe('60');
      const text = await metrics.registry.metrics();
      expect(
        sample(text, 'jitterbot_webhooks_total{platform="github",event="pull_request",outcome="refused"}'),
      ).toBe(1);
      expect(sample(text, 'jitterbot_jobs_enqueued_total{platform="github",result="full"}')).toBe(1);
    } finally {
      await running.close(1_000);
    }
  });
});
