/**
 * `jitterbot review` as a CI job runs it: the environment GitHub Actions or GitLab CI sets, a real event
 * payload file, and a nock-served platform API. The command goes through the same adapters as the App
 * and the webhook, so the assertions are on what it wrote back.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_BOT_LOGIN, reviewCommand, type ReviewFlags } from '../../src/commands/review.js';
import { ciTargetFrom, CiSetupError } from '../../src/platforms/ci/environment.js';
import { fakeGitHub, type FakeRepo } from '../platforms/github/fake-github.js';
import { FakeGitlab, GITLAB } from '../platforms/gitlab/fake-gitlab.js';
import { fixtureText } from '../platforms/gitlab/fixtures.js';
import {
  addedFilePatch,
  HEAD_SHA,
  OWNER,
  PULL,
  REPO,
  repoFile,
  webhook,
} from '../platforms/github/harness.js';
import { TempRepo } from '../platforms/local-repo.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

const PATH = 'src/payments.ts';
const added = repoFile('src/payments.ts');
const openedRepo: FakeRepo = {
  files: { [PATH]: added, 'src/gateway.ts': repoFile('src/gateway.ts') },
  changed: [{ filename: PATH, status: 'added', patch: addedFilePatch(added) }],
};

function eventFile(payload: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'jitterbot-event-'));
  const path = join(dir, 'event.json');
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

function actionsEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_EVENT_PATH: eventFile(webhook('pull_request.opened')),
    GITHUB_TOKEN: 'ghs_workflow_token',
    ...extra,
  };
}

async function run(env: NodeJS.ProcessEnv, flags: Partial<ReviewFlags> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await reviewCommand(
    { dryRun: false, verbose: false, ...flags },
    {
      env,
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    },
  );
  return { code, stdout, stderr };
}

describe('jitterbot review on GitHub Actions', () => {
  it('posts the review and the check run the App would, informing only by default', async () => {
    const recorded = fakeGitHub(openedRepo);
    const { code, stderr } = await run(actionsEnv());
    expect(code).toBe(0);
    expect(stderr).toMatch(/posted 1 new comment/);
    expect(recorded.reviews).toHaveLength(1);
    const review = recorded.reviews[0] as { commit_id: string; comments: { path: string; body: string }[] };
    expect(review.commit_id).toBe(HEAD_SHA);
    expect(review.comments[0]!.path).toBe(PATH);
    expect(review.comments[0]!.body).toContain('```suggestion');
    expect(recorded.checkRunsCreated).toHaveLength(1);
    expect(recorded.checkRunUpdates.at(-1)).toMatchObject({ conclusion: 'neutral' });
  });

  it('fails the job and the check run from --fail-on', async () => {
    const recorded = fakeGitHub(openedRepo);
    const { code } = await run(actionsEnv(), { failOn: 'warning' });
    expect(code).toBe(1);
    expect(recorded.checkRunUpdates.at(-1)).toMatchObject({ conclusion: 'failure' });
  });

  it('fails from the repository config fail_on like the App does', async () => {
    const recorded = fakeGitHub({ ...openedRepo, config: 'fail_on: warning\n' });
    const { code } = await run(actionsEnv());
    expect(code).toBe(1);
    expect(recorded.checkRunUpdates.at(-1)).toMatchObject({ conclusion: 'failure' });
  });

  it('posts nothing new when it runs again on the same head', async () => {
    const first = fakeGitHub(openedRepo);
    await run(actionsEnv());
    const comment = (first.reviews[0] as { comments: { body: string; line: number }[] }).comments[0]!;
    nock.cleanAll();
    const again = fakeGitHub({
      ...openedRepo,
      earlierComments: [
        {
          id: 7,
          body: comment.body,
          path: PATH,
          line: comment.line,
          user: { login: ACTIONS_BOT_LOGIN, type: 'Bot' },
        },
      ],
    });
    const { code, stderr } = await run(actionsEnv());
    expect(code).toBe(0);
    expect(stderr).toMatch(/posted 0 new comment\(s\), 1 already commented/);
    expect(again.reviews).toHaveLength(0);
  });

  it('prints instead of posting in a dry run, and creates no check run', async () => {
    const recorded = fakeGitHub(openedRepo);
    const { code, stdout } = await run(actionsEnv(), { dryRun: true });
    expect(code).toBe(0);
    expect(stdout).toContain(`--- comment on ${PATH}:`);
    expect(stdout).toContain('--- summary');
    expect(recorded.reviews).toHaveLength(0);
    expect(recorded.checkRunsCreated).toHaveLength(0);
  });

  it('reads the code from the checkout when it holds the head commit, not through the API', async () => {
    const checkout = TempRepo.init();
    checkout.write(PATH, added);
    checkout.write('src/gateway.ts', repoFile('src/gateway.ts'));
    const headSha = checkout.commit('add payments');
    // The API serves no file contents: a finding can only come from the checkout.
    const recorded = fakeGitHub({ ...openedRepo, headSha, files: {} });
    const { code } = await run(actionsEnv({ GITHUB_WORKSPACE: checkout.root }));
    expect(code).toBe(0);
    expect(recorded.reviews).toHaveLength(1);
  });

  it('says what is missing instead of failing obscurely', async () => {
    const { code, stderr } = await run(actionsEnv({ GITHUB_TOKEN: '' }));
    expect(code).toBe(2);
    expect(stderr).toMatch(/needs a token: set GITHUB_TOKEN or pass --token/);
  });
});

describe('jitterbot review in a GitLab merge request pipeline', () => {
  const FILE = 'src/inventory.ts';

  function gitlabEnv(): NodeJS.ProcessEnv {
    return {
      GITLAB_CI: 'true',
      CI_API_V4_URL: `${GITLAB}/api/v4`,
      CI_PROJECT_ID: '14',
      CI_PROJECT_PATH: 'diaspora/diaspora-project-site',
      CI_PROJECT_URL: `${GITLAB}/diaspora/diaspora-project-site`,
      CI_MERGE_REQUEST_IID: '1',
      GITLAB_TOKEN: 'glpat-project-token',
    };
  }

  it('opens one discussion per finding and a summary note, and adds nothing when re-run', async () => {
    const gitlab = new FakeGitlab();
    gitlab.push(gitlab.headSha, { [FILE]: fixtureText('repo/src/inventory.ts') });
    gitlab.install();
    const first = await run(gitlabEnv());
    expect(first.code).toBe(0);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.diffDiscussions()[0]!.notes[0]!.body).toContain('```suggestion');
    expect(gitlab.generalNotes()).toHaveLength(1);
    expect(gitlab.statuses).toEqual([
      { sha: gitlab.headSha, state: 'success', name: 'jitterbot', description: '1 retry without jitter' },
    ]);

    const again = await run(gitlabEnv());
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/posted 0 new comment\(s\), 1 already commented/);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
  });

  it('fails the jitterbot commit status, the merge gate, at the fail level, and writes a Code Quality report', async () => {
    const gitlab = new FakeGitlab();
    gitlab.push(gitlab.headSha, { [FILE]: fixtureText('repo/src/inventory.ts') });
    gitlab.install();
    const report = join(mkdtempSync(join(tmpdir(), 'jitterbot-cq-')), 'gl-code-quality-report.json');
    const { code } = await run(gitlabEnv(), { failOn: 'warning', codeQuality: report });
    expect(code).toBe(1);
    expect(gitlab.statuses.at(-1)).toMatchObject({ state: 'failed', name: 'jitterbot' });
    const issues = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>[];
    expect(issues).toEqual([
      {
        description: expect.stringMatching(/fixed/i),
        check_name: 'fixed-delay-retry',
        fingerprint: expect.stringMatching(/^[0-9a-f]{16,}$/),
        severity: 'major',
        location: { path: FILE, lines: { begin: expect.any(Number) } },
      },
    ]);
  });

  it('still posts the review when the token may not set commit statuses', async () => {
    const gitlab = new FakeGitlab();
    gitlab.push(gitlab.headSha, { [FILE]: fixtureText('repo/src/inventory.ts') });
    gitlab.failNext('POST', /\/statuses\//, [403, { message: '403 Forbidden' }]);
    gitlab.install();
    const { code } = await run(gitlabEnv());
    expect(code).toBe(0);
    expect(gitlab.diffDiscussions()).toHaveLength(1);
    expect(gitlab.statuses).toHaveLength(0);
  });
});

describe('where the review runs (ciTargetFrom)', () => {
  it('reads GitHub Actions variables, with flags winning', () => {
    const env = actionsEnv({ GITHUB_API_URL: 'https://ghe.example.com/api/v3/' });
    expect(ciTargetFrom(env)).toMatchObject({
      platform: 'github',
      apiUrl: 'https://ghe.example.com/api/v3',
      owner: OWNER,
      repo: REPO,
      pullNumber: PULL,
    });
    expect(ciTargetFrom(env, { number: 9, repository: 'acme/api' })).toMatchObject({
      owner: 'acme',
      repo: 'api',
      pullNumber: 9,
    });
  });

  it('refuses a workflow event that is not about a pull request', () => {
    const env = actionsEnv({ GITHUB_EVENT_PATH: eventFile({ ref: 'refs/heads/main', commits: [] }) });
    expect(() => ciTargetFrom(env)).toThrow(CiSetupError);
    expect(() => ciTargetFrom(env)).toThrow(/not about a pull request/);
  });

  it('reads GitLab CI variables of a merge request pipeline, and names the rule when it is not one', () => {
    const env = {
      GITLAB_CI: 'true',
      CI_API_V4_URL: 'https://git.example.com/gitlab/api/v4',
      CI_PROJECT_ID: '15',
      CI_PROJECT_PATH: 'acme/api',
      CI_PROJECT_URL: 'https://git.example.com/gitlab/acme/api',
      CI_MERGE_REQUEST_IID: '3',
      GITLAB_TOKEN: 'glpat-x',
    };
    expect(ciTargetFrom(env)).toEqual({
      platform: 'gitlab',
      url: 'https://git.example.com/gitlab',
      projectId: 15,
      projectPath: 'acme/api',
      projectUrl: 'https://git.example.com/gitlab/acme/api',
      mergeRequestIid: 3,
      token: 'glpat-x',
    });
    expect(() => ciTargetFrom({ ...env, CI_MERGE_REQUEST_IID: undefined })).toThrow(/merge_request_event/);
  });

  it('asks for --platform outside CI', () => {
    expect(() => ciTargetFrom({})).toThrow(/--platform github\|gitlab/);
  });
});
