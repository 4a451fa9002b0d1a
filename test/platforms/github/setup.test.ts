import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSetupHandler, saveToDotEnv } from '../../../src/platforms/github/setup.js';
import { API, testPrivateKey } from './harness.js';

const APP_YML = new URL('../../../app.yml', import.meta.url);
const log = { info() {}, error() {} };

let server: Server;
let base: string;
let cwd: string;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  cwd = await mkdtemp(join(tmpdir(), 'jitterbot-setup-'));
  await writeFile(join(cwd, 'app.yml'), await readFile(APP_YML, 'utf8'));
  await writeFile(join(cwd, '.env'), 'PORT=4000\n');
  const handler = createSetupHandler({ env: {}, cwd, webhookPath: '/api/github/webhooks', log });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => handled || res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  nock.enableNetConnect();
});
afterEach(() => nock.cleanAll());

function manifestOf(html: string): Record<string, unknown> {
  const value = /name="manifest" value="([^"]*)"/.exec(html)![1]!;
  const json = value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  return JSON.parse(json) as Record<string, unknown>;
}

describe('GitHub App registration from app.yml', () => {
  it('renders a form posting the manifest to GitHub, with a state', async () => {
    const response = await fetch(`${base}/probot`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toMatch(/action="https:\/\/github\.com\/settings\/apps\/new\?state=[0-9a-f]{32}"/);
    const manifest = manifestOf(html);
    expect(manifest.default_permissions).toEqual({
      pull_requests: 'write',
      checks: 'write',
      contents: 'read',
      issues: 'write',
      metadata: 'read',
    });
    expect(manifest.default_events).toEqual(['pull_request', 'issue_comment', 'check_run']);
    expect(manifest.hook_attributes).toEqual({ url: `${base}/api/github/webhooks` });
    expect(manifest.redirect_url).toBe(`${base}/probot/setup`);
  });

  it('refuses a code without the state it issued', async () => {
    const response = await fetch(`${base}/probot/setup?code=abc&state=forged`, { redirect: 'manual' });
    expect(response.status).toBe(400);
  });

  it('exchanges the code, saves the credentials to .env and sends the browser to install', async () => {
    const html = await (await fetch(`${base}/probot`)).text();
    const state = /state=([0-9a-f]+)/.exec(html)![1]!;
    const pem = testPrivateKey();
    const scope = nock(API).post('/app-manifests/abc123/conversions').reply(201, {
      id: 42,
      slug: 'my-jitterbot',
      html_url: 'https://github.com/apps/my-jitterbot',
      pem,
      webhook_secret: 'whsec',
      client_id: 'Iv1.x',
      client_secret: 'shh',
    });
    const response = await fetch(`${base}/probot/setup?code=abc123&state=${state}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://github.com/apps/my-jitterbot/installations/new');
    expect(scope.isDone()).toBe(true);
    const env = parseEnv(await readFile(join(cwd, '.env'), 'utf8'));
    expect(env).toMatchObject({ PORT: '4000', APP_ID: '42', WEBHOOK_SECRET: 'whsec' });
    // Written with `\n` escapes (readable by Docker's --env-file too); Probot restores the newlines.
    expect(env.PRIVATE_KEY!.replace(/\\n/g, '\n')).toBe(pem);
  });
});

describe('saveToDotEnv', () => {
  /** What `docker run --env-file` does with each line: everything after the first `=`, verbatim. */
  function dockerEnvFile(text: string): Record<string, string> {
    const values: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0 && !line.startsWith('#')) values[line.slice(0, at)] = line.slice(at + 1);
    }
    return values;
  }

  it('writes what GitHub issues unquoted, so Docker and Node read the same values', async () => {
    const path = join(cwd, 'app.env');
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow+/=\nAbC\n-----END RSA PRIVATE KEY-----\n';
    await saveToDotEnv(path, { APP_ID: '123456', WEBHOOK_SECRET: 'a1b2c3d4e5', PRIVATE_KEY: pem });
    const text = await readFile(path, 'utf8');
    const node = parseEnv(text);
    const docker = dockerEnvFile(text);
    for (const values of [node, docker]) {
      expect(values.APP_ID).toBe('123456');
      expect(values.WEBHOOK_SECRET).toBe('a1b2c3d4e5');
      // Both keep the `\n` escapes, which Probot turns back into the PEM's newlines.
      expect(values.PRIVATE_KEY!.replace(/\\n/g, '\n')).toBe(pem);
    }
  });

  it('quotes only a value that would not survive unquoted', async () => {
    const path = join(cwd, 'round.env');
    await saveToDotEnv(path, { B: 'say "hi"', C: 'plain', D: 'a # b' });
    expect(parseEnv(await readFile(path, 'utf8'))).toEqual({ B: 'say "hi"', C: 'plain', D: 'a # b' });
  });
});
