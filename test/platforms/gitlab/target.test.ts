import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analysis/finding.js';
import type { PublishedFinding, ReviewOutcome } from '../../../src/platforms/types.js';
import { createGitlabClient } from '../../../src/platforms/gitlab/client.js';
import { GitlabReviewTarget } from '../../../src/platforms/gitlab/target.js';
import { fixtureJson, newFileDiff, fixtureText } from './fixtures.js';

const GITLAB = 'http://example.com';
const MR_PATH = '/api/v4/projects/14/merge_requests/1';
const REFS = fixtureJson('api/merge-request.json').diff_refs;
const BOT = { id: 99, username: 'jitterbot' };
const HUMAN = { id: 6, username: 'user1' };
const FP1 = '0123456789abcdef';
const FP2 = 'fedcba9876543210';

function target(): GitlabReviewTarget {
  const api = createGitlabClient({ url: GITLAB, token: 'glpat-test', retry: { retries: 0 } });
  return new GitlabReviewTarget({
    api,
    projectId: 14,
    mr: { iid: 1, diffRefs: REFS, targetBranch: 'master' },
    bot: async () => BOT,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    logFields: {},
  });
}

function finding(fingerprint: string, path: string, line: number): Finding {
  const range = {
    startLine: line,
    startColumn: 7,
    endLine: line,
    endColumn: 60,
    startOffset: 0,
    endOffset: 0,
  };
  return {
    rule: 'fixed-delay-retry',
    level: 'warning',
    language: 'typescript',
    path,
    range,
    delay: { kind: 'fixed', ms: 5000, text: '5000' },
    trigger: { kind: 'exception' },
    form: { kind: 'call-argument', call: 'promise-timeout', argument: range, argumentText: '5000' },
    evidence: [],
    confidence: 'high',
    message: 'Retry waits a fixed 5000 ms',
    fingerprint,
  };
}

function published(fingerprint: string, path: string, line: number): PublishedFinding {
  return {
    finding: finding(fingerprint, path, line),
    body: `Fixed delay.\n\n\`\`\`suggestion:-0+0\n      await sleep(Math.random() * 5000);\n\`\`\`\n<!-- jitterbot:fingerprint=${fingerprint} -->`,
    suggestionLines: { start: line, end: line },
  };
}

function outcome(parts: Partial<ReviewOutcome>): ReviewOutcome {
  return {
    headSha: REFS.head_sha,
    toPost: [],
    unchanged: [],
    fixed: [],
    preExisting: [],
    summary: '## jitterbot\n\n1 finding.',
    failed: false,
    configErrors: [],
    skipped: [],
    blastRadius: [],
    clients: { count: 100, source: 'default' },
    ...parts,
  };
}

function discussion(id: string, author: { id: number; username: string }, body: string, extra: object = {}) {
  const template = fixtureJson('api/discussion-diff-note.json');
  template.id = id;
  Object.assign(template.notes[0], { id: Number.parseInt(id.slice(0, 6), 16), author, body }, extra);
  return template;
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('GitlabReviewTarget.changeSet', () => {
  it('maps merge request diffs to changed files with added lines', async () => {
    const source = fixtureText('repo/src/inventory.ts');
    nock(GITLAB)
      .get(`${MR_PATH}/diffs`)
      .query(true)
      .reply(200, [
        {
          old_path: 'src/inventory.ts',
          new_path: 'src/inventory.ts',
          new_file: true,
          renamed_file: false,
          deleted_file: false,
          diff: newFileDiff(source),
        },
        {
          old_path: 'lib/old.ts',
          new_path: 'lib/new.ts',
          new_file: false,
          renamed_file: true,
          deleted_file: false,
          diff: '@@ -1,2 +1,3 @@\n a\n+b\n c\n',
        },
        {
          old_path: 'gone.ts',
          new_path: 'gone.ts',
          new_file: false,
          renamed_file: false,
          deleted_file: true,
          diff: '@@ -1 +0,0 @@\n-x\n',
        },
        {
          old_path: 'logo.png',
          new_path: 'logo.png',
          new_file: false,
          renamed_file: false,
          deleted_file: false,
          diff: 'Binary files a/logo.png and b/logo.png differ\n',
        },
      ]);
    const changeSet = await target().changeSet();
    expect(changeSet.baseSha).toBe(REFS.base_sha);
    expect(changeSet.headSha).toBe(REFS.head_sha);
    expect(changeSet.files).toEqual([
      { path: 'src/inventory.ts', status: 'added', addedLines: [{ start: 1, end: 14 }] },
      {
        path: 'lib/new.ts',
        previousPath: 'lib/old.ts',
        status: 'renamed',
        addedLines: [{ start: 2, end: 2 }],
      },
      { path: 'gone.ts', status: 'removed', addedLines: [] },
      { path: 'logo.png', status: 'binary', addedLines: [] },
    ]);
  });

  it('falls back to /changes on instances older than GitLab 15.7', async () => {
    nock(GITLAB)
      .get(`${MR_PATH}/diffs`)
      .query(true)
      .reply(404, { message: '404 Not Found' })
      .get(`${MR_PATH}/changes`)
      .reply(200, {
        ...fixtureJson('api/merge-request.json'),
        changes: [
          {
            old_path: 'a.ts',
            new_path: 'a.ts',
            new_file: false,
            renamed_file: false,
            deleted_file: false,
            diff: '@@ -1 +1,2 @@\n a\n+b\n',
          },
        ],
      });
    const changeSet = await target().changeSet();
    expect(changeSet.files).toEqual([
      { path: 'a.ts', status: 'modified', addedLines: [{ start: 2, end: 2 }] },
    ]);
  });
});

describe('GitlabReviewTarget.config', () => {
  const raw = (path: string) => `/api/v4/projects/14/repository/files/${encodeURIComponent(path)}/raw`;

  it('reads .gitlab/jitterbot.yml, then .jitterbot.yml, on the target branch', async () => {
    const scope = nock(GITLAB)
      .get(raw('.gitlab/jitterbot.yml'))
      .query({ ref: 'master' })
      .reply(404, { message: '404 File Not Found' })
      .get(raw('.jitterbot.yml'))
      .query({ ref: 'master' })
      .reply(200, 'review_drafts: true\nmin_delay_ms: 100\n', {
        'content-type': 'text/plain; charset=utf-8',
      });
    const { config, errors } = await target().config();
    expect(errors).toEqual([]);
    expect(config.review_drafts).toBe(true);
    expect(config.min_delay_ms).toBe(100);
    scope.done();
  });

  it('reports a broken file and reviews with defaults', async () => {
    nock(GITLAB)
      .get(raw('.gitlab/jitterbot.yml'))
      .query({ ref: 'master' })
      .reply(200, 'review_drafts: maybe\n', { 'content-type': 'text/plain' });
    const { config, errors } = await target().config();
    expect(config.review_drafts).toBe(false);
    expect(errors[0]).toMatch(/^\.gitlab\/jitterbot\.yml: review_drafts/);
  });

  it('uses defaults when there is no config file', async () => {
    nock(GITLAB)
      .get(/repository\/files/)
      .query(true)
      .times(2)
      .reply(404, { message: '404 File Not Found' });
    expect(await target().config()).toMatchObject({ config: { strategy: 'full' }, errors: [] });
  });
});

describe('GitlabReviewTarget.earlierComments', () => {
  it("recognises the bot's fingerprinted discussions, answered or resolved ones too", async () => {
    const answered = discussion('bbbbbb01', BOT, `old\n<!-- jitterbot:fingerprint=${FP2} -->`);
    answered.notes.push({ ...answered.notes[0], id: 7, body: 'Fixed in abc123.', position: undefined });
    nock(GITLAB)
      .get(`${MR_PATH}/discussions`)
      .query(true)
      .reply(200, [
        discussion('aaaaaa01', BOT, `body\n<!-- jitterbot:fingerprint=${FP1} -->`),
        answered,
        // Someone quoting the bot: not the bot's comment.
        discussion('cccccc01', HUMAN, `> <!-- jitterbot:fingerprint=${FP1} -->`),
        // The summary note is not an inline finding.
        discussion('dddddd01', BOT, '<!-- jitterbot:summary -->\nsummary', {
          type: null,
          position: undefined,
        }),
      ]);
    expect(await target().earlierComments()).toEqual([
      {
        id: 'aaaaaa01',
        fingerprint: FP1,
        path: 'src/inventory.ts',
        line: 10,
        resolved: false,
        answered: false,
      },
      // Answered but not resolved: the resolve is retried, the reply is not repeated.
      {
        id: 'bbbbbb01',
        fingerprint: FP2,
        path: 'src/inventory.ts',
        line: 10,
        resolved: false,
        answered: true,
      },
    ]);
  });
});

describe('GitlabReviewTarget.publish', () => {
  function mockDiffs(): void {
    nock(GITLAB)
      .get(`${MR_PATH}/diffs`)
      .query(true)
      .reply(200, [
        {
          old_path: 'src/old-inventory.ts',
          new_path: 'src/inventory.ts',
          new_file: false,
          renamed_file: true,
          deleted_file: false,
          diff: newFileDiff(fixtureText('repo/src/inventory.ts')),
        },
      ]);
  }

  it('posts a positioned discussion, answers fixed ones, and edits the summary in place', async () => {
    mockDiffs();
    const created: unknown[] = [];
    let summaryBody = '';
    const scope = nock(GITLAB)
      .get(`${MR_PATH}/discussions`)
      .query(true)
      .reply(200, [discussion('dddddd01', BOT, '<!-- jitterbot:summary -->\nold summary', { id: 555 })])
      .post(`${MR_PATH}/discussions`)
      .reply(async (request: Request) => {
        // nock 15 hands reply functions the fetch Request.
        expect(request.headers.get('content-type')).toBe('application/json');
        created.push(await request.json());
        return [201, { id: 'eeeeee01', individual_note: false, notes: [] }];
      })
      .post(`${MR_PATH}/discussions`)
      .reply(400, fixtureJson('api/position-rejected.json'))
      .post(`${MR_PATH}/discussions/aaaaaa01/notes`, { body: `Fixed in ${REFS.head_sha}.` })
      .reply(201, fixtureJson('api/note.json'))
      .put(`${MR_PATH}/discussions/aaaaaa01`)
      .query({ resolved: true })
      .reply(200, { id: 'aaaaaa01', individual_note: false, notes: [] })
      .put(`${MR_PATH}/notes/555`, (body: { body: string }) => {
        summaryBody = body.body;
        return true;
      })
      .reply(200, fixtureJson('api/note.json'))
      .post(`/api/v4/projects/14/statuses/${REFS.head_sha}`, {
        state: 'success',
        name: 'jitterbot',
        description: '2 retries without jitter',
      })
      .reply(201, fixtureJson('api/commit-status.json'));

    const subject = target();
    await subject.publish(
      outcome({
        toPost: [published(FP1, 'src/inventory.ts', 10), published(FP2, 'src/inventory.ts', 99)],
        fixed: [
          {
            id: 'aaaaaa01',
            fingerprint: 'aaaaaaaaaaaaaaaa',
            path: 'src/inventory.ts',
            line: 3,
            resolved: false,
          },
        ],
      }),
    );
    scope.done();

    expect(created[0]).toEqual({
      body: published(FP1, 'src/inventory.ts', 10).body,
      position: {
        position_type: 'text',
        base_sha: REFS.base_sha,
        start_sha: REFS.start_sha,
        head_sha: REFS.head_sha,
        new_path: 'src/inventory.ts',
        old_path: 'src/old-inventory.ts',
        new_line: 10,
      },
    });
    // The rejected finding is in the summary, without a fingerprint and with a plain code block.
    expect(summaryBody).toMatch(/^<!-- jitterbot:summary -->\n## jitterbot/);
    expect(summaryBody).toContain('`src/inventory.ts`, lines 99–99');
    expect(summaryBody).not.toContain('jitterbot:fingerprint');
    expect(summaryBody).not.toContain('```suggestion');
    expect(subject.lastPublish).toMatchObject({ posted: 1, fixed: 1, summary: 'edited', status: 'set' });
    expect(subject.lastPublish?.unplaced[0]?.reason).toMatch(/^400: .*line_code/);
  });

  it('creates the summary note when there is none, and skips resolved fixed comments', async () => {
    mockDiffs();
    let created = '';
    const scope = nock(GITLAB)
      .get(`${MR_PATH}/discussions`)
      .query(true)
      .reply(200, [])
      .post(`${MR_PATH}/notes`, (body: { body: string }) => {
        created = body.body;
        return true;
      })
      .reply(201, fixtureJson('api/note.json'))
      .post(`/api/v4/projects/14/statuses/${REFS.head_sha}`)
      .reply(403, { message: '403 Forbidden' });
    await target().publish(
      outcome({ fixed: [{ id: 'x', fingerprint: FP1, path: 'src/inventory.ts', resolved: true }] }),
    );
    scope.done();
    expect(created).toBe('<!-- jitterbot:summary -->\n## jitterbot\n\n1 finding.');
  });
});
