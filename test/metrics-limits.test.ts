/**
 * Request body limits on every route of the server, on 127.0.0.1: a declared length over the limit is
 * refused with 413 before a byte is read, and a GitHub webhook streamed without a length is cut off at
 * the limit. No nock in this file: it would intercept the raw sockets these tests write to.
 */
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { silentLog } from '../src/platforms/gitlab/log.js';
import { gitlabWebhookRoute } from '../src/platforms/gitlab/route.js';
import { MemoryJobQueue } from '../src/queue/memory.js';
import { MAX_BODY_BYTES, startServer, type RunningServer } from '../src/server.js';
import { testPrivateKey } from './platforms/github/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const env = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'fatal' as const,
  RECONCILE: 'off',
  APP_ID: '1',
  PRIVATE_KEY: testPrivateKey(),
  WEBHOOK_SECRET: 'limits-secret',
  GITLAB_URL: 'http://gitlab.invalid',
  GITLAB_TOKEN: 'glpat-test',
  GITLAB_WEBHOOK_SECRET: 'limits-gitlab-secret',
};

/**
 * Sends headers declaring `declared` bytes (or a chunked body when undefined), then `sent` bytes of
 * body, and returns the status the server answers. A raw socket: nock patches node:http clients and
 * would buffer a body that is never completed.
 */
function rawPost(url: string, path: string, declared: number | undefined, sent: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    let answer = '';
    socket.on('data', (data) => {
      answer += data.toString();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status) {
        socket.destroy();
        resolve(Number(status[1]));
      }
    });
    // The server may answer and close before everything is written.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    socket.on('connect', () => {
      const length = declared === undefined ? 'transfer-encoding: chunked' : `content-length: ${declared}`;
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nx-github-event: pull_request\r\n${length}\r\n\r\n`,
      );
      const chunk = Buffer.alloc(1024 * 1024, 'x');
      for (let written = 0; written < sent && !socket.destroyed; written += chunk.length) {
        socket.write(
          declared === undefined
            ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])
            : chunk,
        );
      }
    });
  });
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request body limits', () => {
  let running: RunningServer;
  let metrics: Metrics;

  beforeAll(async () => {
    metrics = createMetrics();
    const queue = new MemoryJobQueue();
    const gitlab = gitlabWebhookRoute(env, { queue, log: silentLog });
    if (gitlab.kind !== 'ready') throw new Error(gitlab.kind);
    running = await startServer(env, {
      cwd: ROOT,
      loadDotEnv: false,
      queue,
      metrics,
      extraRoutes: [{ ...gitlab.route, platform: 'gitlab' }],
    });
  });
  afterAll(async () => {
    await running.close(1_000);
  });

  it('refuses bodies over the limit with 413 on every route, before reading them', async () => {
    const tooBig = MAX_BODY_BYTES + 1;
    expect(await rawPost(running.url, '/api/github/webhooks', tooBig, 1024)).toBe(413);
    expect(await rawPost(running.url, '/gitlab/webhook', tooBig, 1024)).toBe(413);
    expect(await rawPost(running.url, '/somewhere-else', tooBig, 1024)).toBe(413);
    // Without a declared length the GitHub route stops reading at the limit.
    expect(await rawPost(running.url, '/api/github/webhooks', undefined, tooBig + 1024 * 1024)).toBe(413);
    const text = await metrics.registry.metrics();
    expect(
      sample(text, 'jitterbot_webhooks_total{platform="github",event="pull_request",outcome="too_large"}'),
    ).toBe(2);
  });

  it('still takes a webhook within the limit', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const response = await fetch(`${running.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': 'limits-ping',
        'x-hub-signature-256': `sha256=${createHmac('sha256', env.WEBHOOK_SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    expect(response.status).toBe(200);
  });
});
