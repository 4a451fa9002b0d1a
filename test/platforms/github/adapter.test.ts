import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import { DEFAULT_CONFIG } from '../../../src/config.js';
import { hunkRangesFromPatch, listChanges, toChangedFile } from '../../../src/platforms/github/changes.js';
import { completeCheckRun } from '../../../src/platforms/github/check-run.js';
import { createGitHubReader } from '../../../src/platforms/github/reader.js';
import { loadGitHubConfig } from '../../../src/platforms/github/repo-config.js';
import { planComments, postReview } from '../../../src/platforms/github/review.js';
import { listEarlierComments, markFixed } from '../../../src/platforms/github/threads.js';
import type { PublishedFinding } from '../../../src/platforms/types.js';
import { API, BOT_LOGIN, HEAD_SHA, OWNER, PULL, REPO, REPO_PATH, testOctokit } from './harness.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const pull = { owner: OWNER, repo: REPO, pullNumber: PULL };
const MARKER = (fp: string) => `<!-- jitterbot:fingerprint=${fp} -->`;

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    rule: 'fixed-delay-retry',
    level: 'warning',
    language: 'typescript',
    path: 'src/payments.ts',
    range: { startLine: 12, startColumn: 7, endLine: 12, endColumn: 60, startOffset: 0, endOffset: 0 },
    delay: { kind: 'fixed', ms: 5000, text: '5000' },
    trigger: { kind: 'exception' },
    form: {
      kind: 'call-argument',
      call: 'promise-timeout',
      argument: { startLine: 12, startColumn: 50, endLine: 12, endColumn: 54, startOffset: 0, endOffset: 0 },
      argumentText: '5000',
    },
    evidence: ['waits in a catch block inside a for loop'],
    confidence: 'high',
    message: 'This retry waits a fixed 5000 ms.',
    fingerprint: '0123456789abcdef',
    ...overrides,
  };
}

function published(
  overrides: Partial<Finding> = {},
  suggestionLines?: { start: number; end: number },
): PublishedFinding {
  const f = finding(overrides);
  return {
    finding: f,
    body: `Fixed delay.\n\n\`\`\`suggestion\nawait sleep(jitter());\n\`\`\`\n${MARKER(f.fingerprint)}`,
    ...(suggestionLines ? { suggestionLines } : {}),
  };
}

describe('changed files', () => {
  it('reads new-side hunk ranges from a patch', () => {
    const patch =
      '@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n@@ -20 +21,2 @@\n-x\n+y\n+z\n@@ -40,2 +42,0 @@\n-gone\n-gone';
    expect(hunkRangesFromPatch(patch)).toEqual([
      { start: 1, end: 4 },
      { start: 21, end: 22 },
    ]);
  });

  it('maps statuses, renames and patch-less files', () => {
    expect(
      toChangedFile({ filename: 'a.ts', status: 'added', patch: '@@ -0,0 +1,2 @@\n+x\n+y' }).file,
    ).toEqual({
      path: 'a.ts',
      status: 'added',
      addedLines: [{ start: 1, end: 2 }],
    });
    expect(
      toChangedFile({ filename: 'b.ts', status: 'renamed', previous_filename: 'old.ts' }).file,
    ).toMatchObject({
      status: 'renamed',
      previousPath: 'old.ts',
      addedLines: [],
    });
    expect(toChangedFile({ filename: 'big.ts', status: 'modified' })).toMatchObject({ missingPatch: true });
    expect(toChangedFile({ filename: 'gone.ts', status: 'removed' })).toMatchObject({
      file: { status: 'removed', addedLines: [] },
      missingPatch: false,
    });
  });

  it('lists every page of files and notes the ones GitHub did not diff', async () => {
    nock(API)
      .get(`${REPO_PATH}/pulls/${PULL}/files`)
      .query({ per_page: 100 })
      .reply(200, [{ filename: 'src/a.ts', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }], {
        link: `<${API}${REPO_PATH}/pulls/${PULL}/files?per_page=100&page=2>; rel="next"`,
      })
      .get(`${REPO_PATH}/pulls/${PULL}/files`)
      .query({ per_page: 100, page: 2 })
      .reply(200, [
        { filename: 'src/huge.ts', status: 'modified' },
        { filename: 'logo.png', status: 'added' },
      ]);
    const changes = await listChanges(testOctokit(), pull, 3);
    expect(changes.files.map((file) => file.path)).toEqual(['src/a.ts', 'src/huge.ts', 'logo.png']);
    expect(changes.hunks.get('src/a.ts')).toEqual([{ start: 1, end: 1 }]);
    expect(changes.notes).toHaveLength(1);
    expect(changes.notes[0]).toContain('`src/huge.ts`');
    expect(changes.notes[0]).not.toContain('logo.png');
  });
});

describe('repository reader', () => {
  it('lists the tree once and reads blobs on demand, refusing oversized ones unread', async () => {
    const scope = nock(API)
      .get(`${REPO_PATH}/git/trees/${HEAD_SHA}`)
      .query({ recursive: 'true' })
      .once()
      .reply(200, {
        truncated: false,
        tree: [
          { path: 'src', type: 'tree', sha: 't1' },
          { path: 'src/a.ts', type: 'blob', sha: 'b1', size: 12 },
          { path: 'dist/huge.js', type: 'blob', sha: 'b2', size: 50_000_000 },
        ],
      })
      .get(`${REPO_PATH}/git/blobs/b1`)
      .once()
      .reply(200, { content: Buffer.from('const a = 1;').toString('base64'), encoding: 'base64' });
    const reader = createGitHubReader(testOctokit(), { owner: OWNER, repo: REPO });
    expect(await reader.list(HEAD_SHA)).toEqual(['src/a.ts', 'dist/huge.js']);
    expect(await reader.read('src/a.ts', HEAD_SHA)).toBe('const a = 1;');
    expect(await reader.read('src/a.ts', HEAD_SHA)).toBe('const a = 1;');
    expect(await reader.read('dist/huge.js', HEAD_SHA)).toBeNull();
    expect(await reader.read('missing.ts', HEAD_SHA)).toBeNull();
    expect(reader.report().refused).toEqual([
      expect.objectContaining({ path: 'dist/huge.js', reason: expect.stringContaining('limit') }),
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it('falls back to the contents API for paths a truncated tree left out', async () => {
    nock(API)
      .get(`${REPO_PATH}/git/trees/${HEAD_SHA}`)
      .query({ recursive: 'true' })
      .reply(200, { truncated: true, tree: [] })
      .get(`${REPO_PATH}/contents/deep%2Fx.ts`)
      .query({ ref: HEAD_SHA })
      .reply(200, { type: 'file', encoding: 'base64', content: Buffer.from('x').toString('base64') });
    const reader = createGitHubReader(testOctokit(), { owner: OWNER, repo: REPO });
    expect(await reader.read('deep/x.ts', HEAD_SHA)).toBe('x');
  });
});

describe('configuration', () => {
  it('uses the defaults when there is no file', async () => {
    expect(await loadGitHubConfig(async () => null)).toEqual({ config: DEFAULT_CONFIG, errors: [] });
  });

  it('validates what Probot parsed', async () => {
    const ok = await loadGitHubConfig(async () => ({ strategy: 'equal', review_drafts: true }));
    expect(ok.errors).toEqual([]);
    expect(ok.config.strategy).toBe('equal');
    const bad = await loadGitHubConfig(async () => ({ strategy: 'random', cap_ms: -1 }));
    expect(bad.config).toEqual(DEFAULT_CONFIG);
    expect(bad.errors).toEqual([
      expect.stringMatching(/^\.github\/jitterbot\.yml: strategy: /),
      expect.stringMatching(/^\.github\/jitterbot\.yml: cap_ms: /),
    ]);
  });

  it('turns a read failure (invalid YAML) into a message', async () => {
    const loaded = await loadGitHubConfig(async () => {
      throw new Error(
        '[@probot/octokit-plugin-config] Configuration could not be parsed from x (invalid YAML)',
      );
    });
    expect(loaded.errors).toEqual([
      '.github/jitterbot.yml: Configuration could not be parsed from x (invalid YAML)',
    ]);
  });
});

describe('placing comments', () => {
  const hunks = new Map([['src/payments.ts', [{ start: 1, end: 16 }]]]);

  it('anchors a suggestion on exactly the lines it replaces', () => {
    const { planned, unplaced } = planComments([published({}, { start: 11, end: 12 })], hunks);
    expect(unplaced).toEqual([]);
    expect(planned[0]!.comment).toEqual({
      path: 'src/payments.ts',
      body: expect.stringContaining('```suggestion'),
      start_line: 11,
      start_side: 'RIGHT',
      line: 12,
      side: 'RIGHT',
    });
  });

  it('uses the finding range without a suggestion, and never moves a suggestion', () => {
    const single = planComments([published()], hunks).planned[0]!.comment;
    expect(single).toEqual({ path: 'src/payments.ts', body: expect.any(String), line: 12, side: 'RIGHT' });
    const outside = planComments([published({}, { start: 30, end: 31 })], hunks);
    expect(outside.planned).toEqual([]);
    expect(outside.unplaced[0]!.reason).toMatch(/not part of the diff/);
  });
});

describe('posting the review', () => {
  it('posts one COMMENT review with all comments', async () => {
    let body: Record<string, unknown> | undefined;
    nock(API)
      .post(`${REPO_PATH}/pulls/${PULL}/reviews`, (b) => ((body = b), true))
      .reply(200, { id: 1 });
    const { planned } = planComments([published()], new Map([['src/payments.ts', [{ start: 1, end: 16 }]]]));
    const result = await postReview(testOctokit(), pull, HEAD_SHA, 'summary', planned);
    expect(result.posted).toHaveLength(1);
    expect(body).toMatchObject({
      event: 'COMMENT',
      commit_id: HEAD_SHA,
      comments: [{ line: 12, side: 'RIGHT' }],
    });
  });

  it('on 422 finds the refused comment with pending reviews and posts the rest once', async () => {
    const bodies: Record<string, unknown>[] = [];
    const record = (b: Record<string, unknown>) => (bodies.push(b), true);
    const scope = nock(API)
      .post(`${REPO_PATH}/pulls/${PULL}/reviews`, record)
      .reply(422, { message: 'Unprocessable Entity', errors: ['Line could not be resolved'] })
      .post(`${REPO_PATH}/pulls/${PULL}/reviews`, record)
      .reply(200, { id: 50, state: 'PENDING' })
      .delete(`${REPO_PATH}/pulls/${PULL}/reviews/50`)
      .reply(200, { id: 50 })
      .post(`${REPO_PATH}/pulls/${PULL}/reviews`, record)
      .reply(422, { message: 'Unprocessable Entity', errors: ['Line could not be resolved'] })
      .post(`${REPO_PATH}/pulls/${PULL}/reviews`, record)
      .reply(200, { id: 51 });
    const hunks = new Map([['src/payments.ts', [{ start: 1, end: 40 }]]]);
    const good = published({ fingerprint: 'aaaaaaaaaaaaaaaa' });
    const bad = published({
      fingerprint: 'bbbbbbbbbbbbbbbb',
      range: { ...finding().range, startLine: 30, endLine: 30 },
    });
    const { planned } = planComments([good, bad], hunks);
    const result = await postReview(testOctokit(), pull, HEAD_SHA, 'summary', planned);
    expect(scope.isDone()).toBe(true);
    expect(result.posted.map((p) => p.published)).toEqual([good]);
    expect(result.rejected.map((r) => r.published)).toEqual([bad]);
    // the probes are pending reviews (no event); only the last one is visible
    expect(bodies.map((b) => b.event)).toEqual(['COMMENT', undefined, undefined, 'COMMENT']);
    expect((bodies[3]!.comments as unknown[]).length).toBe(1);
  });
});

describe('earlier comments', () => {
  it('keeps only the bot’s own marked top-level comments, with their thread state', async () => {
    nock(API)
      .get(`${REPO_PATH}/pulls/${PULL}/comments`)
      .query({ per_page: 100 })
      .reply(200, [
        {
          id: 11,
          body: `x ${MARKER('1111111111111111')}`,
          path: 'src/a.ts',
          line: 5,
          user: { login: BOT_LOGIN },
        },
        {
          id: 12,
          body: `quoting ${MARKER('2222222222222222')}`,
          path: 'src/a.ts',
          line: 6,
          user: { login: 'mallory' },
        },
        { id: 13, body: 'no marker', path: 'src/a.ts', line: 7, user: { login: BOT_LOGIN } },
        {
          id: 14,
          body: `reply ${MARKER('1111111111111111')}`,
          path: 'src/a.ts',
          line: 5,
          in_reply_to_id: 11,
          user: { login: BOT_LOGIN },
        },
        {
          id: 15,
          body: MARKER('3333333333333333'),
          path: 'src/b.ts',
          line: null,
          original_line: 9,
          user: { login: BOT_LOGIN },
        },
      ])
      .post('/graphql')
      .reply(200, {
        data: {
          repository: {
            pullRequest: {
              reviewThreads: {
                pageInfo: { hasNextPage: false, endCursor: null },
                nodes: [
                  { id: 'T_11', isResolved: false, comments: { nodes: [{ databaseId: 11 }] } },
                  { id: 'T_15', isResolved: true, comments: { nodes: [{ databaseId: 15 }] } },
                ],
              },
            },
          },
        },
      });
    const comments = await listEarlierComments(testOctokit(), pull, BOT_LOGIN);
    expect(comments).toEqual([
      {
        id: '11',
        fingerprint: '1111111111111111',
        path: 'src/a.ts',
        line: 5,
        resolved: false,
        answered: false,
        threadId: 'T_11',
      },
      {
        id: '15',
        fingerprint: '3333333333333333',
        path: 'src/b.ts',
        line: 9,
        resolved: true,
        answered: false,
        threadId: 'T_15',
      },
    ]);
  });

  it('answers a fixed finding and resolves its thread', async () => {
    let reply: Record<string, unknown> | undefined;
    let mutation: { query: string; variables: Record<string, unknown> } | undefined;
    const scope = nock(API)
      .post(`${REPO_PATH}/pulls/${PULL}/comments/11/replies`, (b) => ((reply = b), true))
      .reply(201, { id: 99 })
      .post('/graphql', (b) => ((mutation = b), true))
      .reply(200, { data: { resolveReviewThread: { thread: { id: 'T_11', isResolved: true } } } });
    await markFixed(
      testOctokit(),
      pull,
      { id: '11', fingerprint: '1111111111111111', path: 'src/a.ts', resolved: false, threadId: 'T_11' },
      HEAD_SHA,
    );
    expect(scope.isDone()).toBe(true);
    expect(reply).toEqual({ body: `Fixed in ${HEAD_SHA}.` });
    expect(mutation!.query).toContain('resolveReviewThread');
    expect(mutation!.variables).toEqual({ threadId: 'T_11' });
  });
});

describe('check run', () => {
  it('sends annotations 50 at a time and completes with the last batch', async () => {
    const updates: Record<string, unknown>[] = [];
    nock(API)
      .patch(`${REPO_PATH}/check-runs/77`, (b) => (updates.push(b), true))
      .times(2)
      .reply(200, { id: 77 });
    const annotations = Array.from({ length: 60 }, (_, i) => ({
      path: 'src/a.ts',
      start_line: i + 1,
      end_line: i + 1,
      annotation_level: 'warning' as const,
      title: 'fixed-delay-retry',
      message: 'm',
    }));
    await completeCheckRun(testOctokit(), { owner: OWNER, repo: REPO }, 77, {
      conclusion: 'neutral',
      title: 't',
      summary: 's',
      annotations,
    });
    expect(updates).toHaveLength(2);
    expect((updates[0]!.output as { annotations: unknown[] }).annotations).toHaveLength(50);
    expect(updates[0]!.status).toBeUndefined();
    expect((updates[1]!.output as { annotations: unknown[] }).annotations).toHaveLength(10);
    expect(updates[1]).toMatchObject({ status: 'completed', conclusion: 'neutral' });
  });
});
