import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallLog, withApiCallLog } from '../../../src/platforms/api-calls.js';
import {
  gitHubRetryAfterMs,
  isRetryableGitHubError,
  jitterbotOctokit,
} from '../../../src/platforms/github/octokit.js';
import { API, REPO_PATH, recordingSleep, seededRandom, silentOctokitLog, testOctokit } from './harness.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe('jittered retry layer', () => {
  it('retries a 503 with full-jitter delays and returns the eventual answer', async () => {
    const { sleep, delays } = recordingSleep();
    const scope = nock(API)
      .get(`${REPO_PATH}/pulls/2`)
      .times(2)
      .reply(503, { message: 'Service Unavailable' })
      .get(`${REPO_PATH}/pulls/2`)
      .reply(200, { number: 2 });
    const octokit = testOctokit({ sleep, random: () => 0.5 });
    const { data } = await octokit.rest.pulls.get({
      owner: 'Codertocat',
      repo: 'Hello-World',
      pull_number: 2,
    });
    expect(data.number).toBe(2);
    expect(delays).toEqual([500, 1_000]);
    expect(scope.isDone()).toBe(true);
  });

  it('does not retry a 404 or a 422', async () => {
    const { sleep, delays } = recordingSleep();
    nock(API).get(`${REPO_PATH}/pulls/3`).reply(404, { message: 'Not Found' });
    nock(API).post(`${REPO_PATH}/pulls/2/reviews`).reply(422, { message: 'Unprocessable Entity' });
    const octokit = testOctokit({ sleep });
    await expect(
      octokit.rest.pulls.get({ owner: 'Codertocat', repo: 'Hello-World', pull_number: 3 }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(
      octokit.rest.pulls.createReview({
        owner: 'Codertocat',
        repo: 'Hello-World',
        pull_number: 2,
        event: 'COMMENT',
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(delays).toEqual([]);
  });

  it('waits at least Retry-After on a 429, plus jitter', async () => {
    const { sleep, delays } = recordingSleep();
    nock(API)
      .get(`${REPO_PATH}/pulls/2`)
      .reply(429, { message: 'Too Many Requests' }, { 'retry-after': '2' })
      .get(`${REPO_PATH}/pulls/2`)
      .reply(200, { number: 2 });
    const octokit = testOctokit({ sleep, random: () => 0.25 });
    await octokit.rest.pulls.get({ owner: 'Codertocat', repo: 'Hello-World', pull_number: 2 });
    expect(delays).toEqual([2_000 + 250]);
  });

  it('retries GraphQL requests too', async () => {
    const { sleep, delays } = recordingSleep();
    nock(API)
      .post('/graphql')
      .reply(502, 'Bad Gateway')
      .post('/graphql')
      .reply(200, { data: { viewer: { login: 'x' } } });
    const octokit = testOctokit({ sleep, random: () => 0 });
    await expect(octokit.graphql('{ viewer { login } }')).resolves.toEqual({ viewer: { login: 'x' } });
    expect(delays).toHaveLength(1);
  });

  it('two bot instances retrying the same 503s do not pick the same delays', async () => {
    async function botDelays(seed: number): Promise<number[]> {
      const { sleep, delays } = recordingSleep();
      nock(API)
        .get(`${REPO_PATH}/pulls/2`)
        .times(3)
        .reply(503, { message: 'Service Unavailable' })
        .get(`${REPO_PATH}/pulls/2`)
        .reply(200, { number: 2 });
      const octokit = testOctokit({ sleep, random: seededRandom(seed) });
      await octokit.rest.pulls.get({ owner: 'Codertocat', repo: 'Hello-World', pull_number: 2 });
      return delays;
    }
    const first = await botDelays(7);
    const second = await botDelays(8);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(3);
    // Lockstep would be identical schedules; full jitter spreads each retry over its whole window.
    first.forEach((delay, i) => expect(delay).not.toBe(second[i]));
    [...first, ...second].forEach((delay, i) => expect(delay).toBeLessThan(1_000 * 2 ** (i % 3)));
  });
});

describe('the production Octokit class', () => {
  it('leaves retrying to the jittered layer: plugin-retry and throttling retries are off', async () => {
    const { sleep, delays } = recordingSleep();
    const scope = nock(API)
      .get(`${REPO_PATH}/pulls/2`)
      .reply(503, { message: 'Service Unavailable' })
      .get(`${REPO_PATH}/pulls/2`)
      .reply(403, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '1' })
      .get(`${REPO_PATH}/pulls/2`)
      .reply(200, { number: 2 });
    const Octokit = jitterbotOctokit({ retries: 3, baseMs: 1_000, capMs: 30_000, sleep, random: () => 0 });
    const octokit = new Octokit({ auth: { token: 'test-token' }, log: silentOctokitLog });
    const started = Date.now();
    const { data } = await octokit.rest.pulls.get({
      owner: 'Codertocat',
      repo: 'Hello-World',
      pull_number: 2,
    });
    expect(data.number).toBe(2);
    expect(scope.isDone()).toBe(true);
    // Our layer chose both waits (Retry-After honoured on the second); nothing slept for real.
    expect(delays).toEqual([0, 1_000]);
    expect(Date.now() - started).toBeLessThan(900);
  });
});

describe('error classification', () => {
  const error = (status: number, message = '', headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), { status, response: { headers } });

  it('retries server errors, network failures, 429 and rate-limit 403s only', () => {
    expect(isRetryableGitHubError(error(500))).toBe(true);
    expect(isRetryableGitHubError(error(503))).toBe(true);
    expect(isRetryableGitHubError(Object.assign(new Error('ECONNRESET'), { status: 500 }))).toBe(true);
    expect(isRetryableGitHubError(error(429))).toBe(true);
    expect(
      isRetryableGitHubError(error(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' })),
    ).toBe(true);
    expect(isRetryableGitHubError(error(403, 'You have exceeded a secondary rate limit'))).toBe(true);
    expect(isRetryableGitHubError(error(403, 'Resource not accessible by integration'))).toBe(false);
    expect(isRetryableGitHubError(error(404))).toBe(false);
    expect(isRetryableGitHubError(new Error('boom'))).toBe(false);
  });

  it('reads Retry-After, the rate-limit reset, and the secondary-limit minute', () => {
    const now = 1_700_000_000_000;
    expect(gitHubRetryAfterMs(error(429, '', { 'retry-after': '3' }), now)).toBe(3_000);
    expect(
      gitHubRetryAfterMs(
        error(403, '', { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 10) }),
        now,
      ),
    ).toBe(11_000);
    expect(gitHubRetryAfterMs(error(403, 'You have exceeded a secondary rate limit'), now)).toBe(60_000);
    expect(gitHubRetryAfterMs(error(503), now)).toBeUndefined();
  });
});

describe('conditional requests', () => {
  const pull = { owner: 'Codertocat', repo: 'Hello-World', pull_number: 2 };

  it('sends the kept ETag back and serves the kept answer on 304, which the call log marks free', async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/pulls/2`)
      .reply(200, { number: 2, title: 'first' }, { etag: '"v1"' })
      .get(`${REPO_PATH}/pulls/2`)
      .matchHeader('if-none-match', '"v1"')
      .reply(304, '', { etag: '"v1"' })
      .get(`${REPO_PATH}/pulls/2`)
      .matchHeader('if-none-match', '"v1"')
      .reply(200, { number: 2, title: 'second' }, { etag: '"v2"' });
    const octokit = testOctokit();
    const calls = new ApiCallLog('github');
    await withApiCallLog(calls, async () => {
      expect((await octokit.rest.pulls.get(pull)).data.title).toBe('first');
      const again = await octokit.rest.pulls.get(pull);
      expect(again.status).toBe(200);
      expect(again.data.title).toBe('first');
      // Changed since: the new answer replaces the kept one.
      expect((await octokit.rest.pulls.get(pull)).data.title).toBe('second');
    });
    expect(scope.isDone()).toBe(true);
    expect(calls.total).toBe(3);
    expect(calls.notModified).toBe(1);
  });

  it('leaves blobs and trees unconditional: the read cache keeps those', async () => {
    const blob = { owner: 'Codertocat', repo: 'Hello-World', file_sha: 'b'.repeat(40) };
    const answer = { content: Buffer.from('x').toString('base64'), encoding: 'base64' };
    const scope = nock(API, { badheaders: ['if-none-match'] })
      .get(`${REPO_PATH}/git/blobs/${blob.file_sha}`)
      .times(2)
      .reply(200, answer, { etag: '"blob"' });
    const octokit = testOctokit();
    await octokit.rest.git.getBlob(blob);
    await octokit.rest.git.getBlob(blob);
    expect(scope.isDone()).toBe(true);
  });
});
