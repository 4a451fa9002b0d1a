/**
 * The real HTTP server on 127.0.0.1: webhook signatures, health, routes other platforms add, and the
 * registration pages when GitHub is not configured yet.
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jitterbotOctokit } from '../src/platforms/github/octokit.js';
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

const SECRET = 'a-webhook-secret';
const DELIVERY_ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOCAL = /^127\.0\.0\.1(:\d+)?$/;

// The reconciler is tested on its own (test/reconcile); here it would call the GitHub API unasked.
const baseEnv = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'fatal', RECONCILE: 'off' } as const;

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function postWebhook(url: string, name: string, body: string, signature: string): Promise<Response> {
  return fetch(`${url}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': name,
      'x-github-delivery': DELIVERY_ID,
      'x-hub-signature-256': signature,
    },
    body,
  });
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(LOCAL);
});
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

describe('with a GitHub App configured', () => {
  let running: RunningServer;
  const unmatched: string[] = [];
  // Requests to our own server pass through nock as "no match" too; only GitHub's count.
  const onNoMatch = (request: { method?: string; url?: string }) => {
    if (!LOCAL.test(new URL(request.url ?? 'http://x').host))
      unmatched.push(`${request.method} ${request.url}`);
  };
  const gitlabCalls: string[] = [];

  beforeAll(async () => {
    nock.emitter.on('no match', onNoMatch);
    running = await startServer(
      { ...baseEnv, APP_ID: '1', PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: SECRET },
      {
        cwd: ROOT,
        loadDotEnv: false,
        Octokit: jitterbotOctokit(testRetrySettings(), QuietOctokit),
        extraRoutes: [
          {
            method: 'POST',
            path: '/gitlab/webhook',
            handler: async (req, res) => {
              gitlabCalls.push(req.headers['x-gitlab-event'] as string);
              res.writeHead(202).end();
            },
          },
        ],
      },
    );
  });
  afterAll(async () => {
    nock.emitter.removeListener('no match', onNoMatch);
    await running.close();
  });

  it('listens where it says and answers /healthz', async () => {
    expect(running.github).toBe('app');
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${running.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reviews after a correctly signed webhook', async () => {
    const file = repoFile('src/payments.ts');
    const recorded = fakeGitHub({
      files: { 'src/payments.ts': file },
      changed: [{ filename: 'src/payments.ts', status: 'added', patch: addedFilePatch(file) }],
    });
    const body = JSON.stringify(webhook('pull_request.opened'));
    const response = await postWebhook(running.url, 'pull_request', body, sign(body));
    expect(response.status).toBe(200);
    await running.queue.onIdle();
    expect(recorded.reviews).toHaveLength(1);
    expect(unmatched).toEqual([]);
  });

  it('rejects a badly signed webhook before any API call', async () => {
    const body = JSON.stringify(webhook('pull_request.opened'));
    const forged = await postWebhook(running.url, 'pull_request', body, sign(body, 'not-the-secret'));
    expect([400, 401]).toContain(forged.status);
    const tampered = await postWebhook(
      running.url,
      'pull_request',
      body.replace('"opened"', '"reopened"'),
      sign(body),
    );
    expect([400, 401]).toContain(tampered.status);
    await running.queue.onIdle();
    // no interceptors are registered: any GitHub call would have shown up as unmatched
    expect(unmatched).toEqual([]);
    expect(running.queue.depth + running.queue.active).toBe(0);
  });

  it('answers 400 with a one-line reason to signed payloads lacking what the handlers read', async () => {
    const { repository: _gone, ...withoutRepository } = webhook('pull_request.opened');
    const { comment: _none, ...withoutComment } = webhook('issue_comment.created');
    const rerun = webhook<{ check_run: Record<string, unknown> }>('check_run.rerequested');
    const cases: [string, string, RegExp][] = [
      ['pull_request', JSON.stringify(withoutRepository), /^pull_request\.opened payload: repository: /],
      ['issue_comment', JSON.stringify(withoutComment), /^issue_comment\.created payload: comment: /],
      [
        'check_run',
        JSON.stringify({ ...rerun, check_run: { ...rerun.check_run, pull_requests: 'none' } }),
        /^check_run\.rerequested payload: check_run\.pull_requests: /,
      ],
      ['pull_request', '[]', /^pull_request payload is not a JSON object$/],
      ['pull_request', '{"action": "opened",', /^body is not JSON$/],
    ];
    for (const [event, body, reason] of cases) {
      const response = await postWebhook(running.url, event, body, sign(body));
      expect(response.status, body.slice(0, 40)).toBe(400);
      const { error } = (await response.json()) as { error: string };
      expect(error).toMatch(reason);
      expect(error).not.toContain('\n');
    }
    await running.queue.onIdle();
    expect(unmatched).toEqual([]);
    expect(running.queue.depth + running.queue.active).toBe(0);
  });

  it('serves routes other platforms add, and 404 / 405 around them', async () => {
    const ok = await fetch(`${running.url}/gitlab/webhook`, {
      method: 'POST',
      headers: { 'x-gitlab-event': 'Merge Request Hook' },
      body: '{}',
    });
    expect(ok.status).toBe(202);
    expect(gitlabCalls).toEqual(['Merge Request Hook']);
    expect((await fetch(`${running.url}/gitlab/webhook`)).status).toBe(405);
    expect((await fetch(`${running.url}/nothing-here`)).status).toBe(404);
    // the registration pages only exist while GitHub is unconfigured
    expect((await fetch(`${running.url}/probot`)).status).toBe(404);
  });
});

describe('logs of a rejected signature', () => {
  it('are one warn line with the delivery id, event and reason, never the payload or a stack', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const running = await startServer(
      { ...baseEnv, APP_ID: '1', PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: SECRET },
      { cwd: ROOT, loadDotEnv: false, log },
    );
    try {
      const body = JSON.stringify(webhook('pull_request.opened'));
      const forged = await postWebhook(running.url, 'pull_request', body, sign(body, 'not-the-secret'));
      expect(forged.status).toBe(400);
      const about = lines.filter((line) => JSON.stringify(line).includes(DELIVERY_ID));
      expect(about).toEqual([
        {
          level: 40,
          time: expect.any(Number),
          pid: expect.any(Number),
          hostname: expect.any(String),
          deliveryId: DELIVERY_ID,
          event: 'pull_request',
          status: 400,
          reason: 'signature does not match event payload and secret',
          msg: 'GitHub webhook rejected',
        },
      ]);
      expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
      expect(JSON.stringify(lines)).not.toContain('Hello-World');
    } finally {
      await running.close();
    }
  });
});

describe('without GitHub credentials', () => {
  it('serves the registration pages outside production', async () => {
    const running = await startServer({ ...baseEnv }, { cwd: ROOT, loadDotEnv: false });
    try {
      expect(running.github).toBe('setup');
      const page = await fetch(`${running.url}/probot`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Register GitHub App');
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('turns GitHub off in production, keeping the other routes', async () => {
    const running = await startServer(
      { ...baseEnv, NODE_ENV: 'production' },
      { cwd: ROOT, loadDotEnv: false },
    );
    try {
      expect(running.github).toBe('disabled');
      expect((await fetch(`${running.url}/probot`)).status).toBe(404);
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });

  it('refuses a bad reconciler setting before it listens; runs no reconciler when it is off', async () => {
    await expect(
      startServer({ ...baseEnv, RECONCILE_MAX_REVIEWS: '0' }, { cwd: ROOT, loadDotEnv: false }),
    ).rejects.toThrow(/RECONCILE_MAX_REVIEWS/);
    const running = await startServer(
      { ...baseEnv, APP_ID: '1', PRIVATE_KEY: testPrivateKey(), WEBHOOK_SECRET: SECRET },
      { cwd: ROOT, loadDotEnv: false },
    );
    try {
      expect(running.reconcile).toBeUndefined();
    } finally {
      await running.close();
    }
  });

  it('refuses to run a production GitHub App without a webhook secret', async () => {
    await expect(
      startServer(
        { ...baseEnv, NODE_ENV: 'production', APP_ID: '1', PRIVATE_KEY: testPrivateKey() },
        { cwd: ROOT, loadDotEnv: false },
      ),
    ).rejects.toThrow(/WEBHOOK_SECRET/);
  });
});
