import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createGitlabClient,
  isNotFound,
  statusOf,
  type GitlabApi,
} from '../../../src/platforms/gitlab/client.js';
import { belongsToInstance, gitlabFromEnv, normaliseInstanceUrl } from '../../../src/platforms/gitlab/env.js';
import { fixtureJson } from './fixtures.js';

const GITLAB = 'http://example.com';
const MR_PATH = '/api/v4/projects/14/merge_requests/1';

let delays: number[];
let api: GitlabApi;

beforeEach(() => {
  nock.disableNetConnect();
  delays = [];
  api = createGitlabClient({
    url: GITLAB,
    token: 'glpat-test',
    retry: {
      retries: 3,
      baseMs: 1_000,
      capMs: 8_000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  });
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('createGitlabClient transport', () => {
  it('sends the token and parses JSON', async () => {
    const scope = nock(GITLAB, { reqheaders: { 'private-token': 'glpat-test' } })
      .get(MR_PATH)
      .reply(200, fixtureJson('api/merge-request.json'));
    const mr = await api.MergeRequests.show(14, 1);
    expect(mr.diff_refs.head_sha).toBe('da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
    scope.done();
  });

  it('retries 5xx on GET with full jitter over growing windows', async () => {
    const scope = nock(GITLAB)
      .get(MR_PATH)
      .reply(502, 'bad gateway')
      .get(MR_PATH)
      .reply(500, { message: '500 Internal Server Error' })
      .get(MR_PATH)
      .reply(200, fixtureJson('api/merge-request.json'));
    await api.MergeRequests.show(14, 1);
    // random() = 0.5 of windows 1 s, then 2 s.
    expect(delays).toEqual([500, 1_000]);
    scope.done();
  });

  it('waits at least Retry-After on 429, plus jitter', async () => {
    const scope = nock(GITLAB)
      .get(MR_PATH)
      .reply(429, { message: 'Retry later' }, { 'Retry-After': '2' })
      .get(MR_PATH)
      .reply(200, fixtureJson('api/merge-request.json'));
    await api.MergeRequests.show(14, 1);
    expect(delays).toEqual([2_000 + 500]);
    scope.done();
  });

  it('does not repeat a POST after a 502 (it may have been applied)', async () => {
    const scope = nock(GITLAB).post(`${MR_PATH}/notes`).reply(502, 'bad gateway');
    const error = await api.MergeRequestNotes.create(14, 1, 'hello').catch((caught: unknown) => caught);
    expect(statusOf(error)).toBe(502);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('repeats a POST after 429 and 500', async () => {
    const scope = nock(GITLAB)
      .post(`${MR_PATH}/notes`)
      .reply(429, { message: 'Retry later' })
      .post(`${MR_PATH}/notes`)
      .reply(500, { message: '500 Internal Server Error' })
      .post(`${MR_PATH}/notes`)
      .reply(201, fixtureJson('api/note.json'));
    const note = await api.MergeRequestNotes.create(14, 1, 'hello');
    expect(note.id).toBe(302);
    expect(delays).toHaveLength(2);
    scope.done();
  });

  it('gives up after the configured retries and keeps the status', async () => {
    const scope = nock(GITLAB).get(MR_PATH).times(4).reply(503, 'unavailable');
    const error = await api.MergeRequests.show(14, 1).catch((caught: unknown) => caught);
    expect(statusOf(error)).toBe(503);
    expect(delays).toHaveLength(3);
    scope.done();
  });

  it('does not retry 404', async () => {
    const scope = nock(GITLAB)
      .get(`/api/v4/projects/14/repository/files/${encodeURIComponent('.gitlab/jitterbot.yml')}/raw`)
      .query({ ref: 'master' })
      .reply(404, { message: '404 File Not Found' });
    const error = await api.RepositoryFiles.showRaw(14, '.gitlab/jitterbot.yml', 'master').catch(
      (e: unknown) => e,
    );
    expect(isNotFound(error)).toBe(true);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('returns raw files as bytes even when served as JSON', async () => {
    const text = '{\n  "name": "inventory"\n}\n';
    nock(GITLAB)
      .get(`/api/v4/projects/14/repository/files/package.json/raw`)
      .query({ ref: 'main' })
      .reply(200, text, { 'content-type': 'application/json' });
    const body = await api.RepositoryFiles.showRaw(14, 'package.json', 'main');
    expect(body instanceof Blob ? await body.text() : body).toBe(text);
  });

  it('retries a connection that was refused', async () => {
    // A port nothing listens on: a real ECONNREFUSED (the request never reached a server).
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    nock.enableNetConnect('127.0.0.1');
    const unreachable = createGitlabClient({
      url: `http://127.0.0.1:${port}`,
      token: 'glpat-test',
      retry: { retries: 2, baseMs: 10, capMs: 10, sleep: async (ms) => void delays.push(ms) },
    });
    const error = await unreachable.MergeRequests.show(14, 1).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/GitLab request failed/);
    expect(delays).toHaveLength(2);
  });

  it('follows pagination links', async () => {
    const diff = {
      old_path: 'a',
      new_path: 'a',
      new_file: false,
      renamed_file: false,
      deleted_file: false,
      diff: '',
    };
    const scope = nock(GITLAB)
      .get(`${MR_PATH}/diffs`)
      .query({ per_page: 100 })
      .reply(200, [diff], {
        link: `<${GITLAB}${MR_PATH}/diffs?page=2&per_page=100>; rel="next"`,
      })
      .get(`${MR_PATH}/diffs`)
      .query({ page: 2, per_page: 100 })
      .reply(200, [{ ...diff, new_path: 'b', old_path: 'b' }]);
    const diffs = await api.MergeRequests.allDiffs(14, 1, { perPage: 100 });
    expect(diffs.map((entry) => entry.new_path)).toEqual(['a', 'b']);
    scope.done();
  });
});

describe('gitlabFromEnv', () => {
  it('is disabled without token and secret', () => {
    expect(gitlabFromEnv({})).toEqual({ kind: 'disabled' });
  });

  it('lists what is missing', () => {
    const result = gitlabFromEnv({ GITLAB_TOKEN: 'glpat-x', GITLAB_URL: 'ftp://example.com' });
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.problems.join('\n')).toMatch(
      /GITLAB_WEBHOOK_SECRET[\s\S]*GITLAB_URL/,
    );
  });

  it('defaults to gitlab.com and gives one client per instance', () => {
    const result = gitlabFromEnv({
      GITLAB_TOKEN: 'glpat-x',
      GITLAB_WEBHOOK_SECRET: 's3cret',
      GITLAB_BOT_USERNAME: '@bot',
    });
    if (result.kind !== 'ready') throw new Error(result.kind);
    expect(result.url).toBe('https://gitlab.com');
    expect(result.botUsername).toBe('bot');
    const client = result.clientFor('https://gitlab.com/group/project');
    expect(client).not.toBeNull();
    expect(result.clientFor('https://gitlab.com/other/project')).toBe(client);
    // The token is never sent to a host a payload names.
    expect(result.clientFor('https://evil.example/group/project')).toBeNull();
  });

  it('normalises self-managed URLs', () => {
    expect(normaliseInstanceUrl('https://git.example.com/gitlab/api/v4/')).toBe(
      'https://git.example.com/gitlab',
    );
    expect(normaliseInstanceUrl('not a url')).toBeNull();
    expect(belongsToInstance('https://git.example.com/gitlab/g/p', 'https://git.example.com/gitlab')).toBe(
      true,
    );
    expect(belongsToInstance('https://git.example.com/other/g/p', 'https://git.example.com/gitlab')).toBe(
      false,
    );
  });
});
