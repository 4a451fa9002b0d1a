import { writeFile } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import type { StrategyName } from '../config.js';
import { DEFAULT_READ_BUDGET, type BoundedRepoReader } from '../platforms/bounded-reader.js';
import {
  ciTargetFrom,
  CiSetupError,
  type CiFlags,
  type GitHubCiTarget,
  type GitLabCiTarget,
} from '../platforms/ci/environment.js';
import { reviewPullRequest } from '../platforms/github/job.js';
import { jitterbotOctokit } from '../platforms/github/octokit.js';
import { readRepoConfig } from '../platforms/github/repo-config.js';
import { createGitlabClient } from '../platforms/gitlab/client.js';
import { runGitlabReviewJob } from '../platforms/gitlab/review-job.js';
import { runGit } from '../platforms/local/git.js';
import { gitRepoReader } from '../platforms/local/reader.js';
import type { RepoReader, ReviewOutcome, ReviewTarget } from '../platforms/types.js';
import { toCodeQuality } from '../review/code-quality.js';
import { runReview, type ReviewOptions } from '../review/pipeline.js';

export interface ReviewFlags extends CiFlags {
  /** Print what would be posted instead of posting it. */
  dryRun: boolean;
  /** The login the bot's earlier comments were written by (GitHub), when the token is not the Actions one. */
  botLogin?: string;
  /** Instead of the repository's `fail_on`: the check run's conclusion and the exit code follow it. */
  failOn?: 'warning' | 'note' | 'never';
  strategy?: StrategyName;
  /** Where to write a GitLab Code Quality report of the findings on the added lines. */
  codeQuality?: string;
  verbose: boolean;
}

export interface ReviewIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** The account `GITHUB_TOKEN` comments as in GitHub Actions. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

/**
 * `jitterbot review`: reviews the pull or merge request a CI job runs for and publishes exactly what
 * the GitHub App or the GitLab webhook publishes — through the same platform adapters, so re-runs
 * update rather than repeat. Returns the exit code: 0 clean, 1 findings at or above `fail_on`, 2 when
 * the review could not run.
 */
export async function reviewCommand(flags: ReviewFlags, io: ReviewIo): Promise<number> {
  let target;
  try {
    target = ciTargetFrom(io.env, flags);
  } catch (error) {
    if (!(error instanceof CiSetupError)) throw error;
    io.stderr.write(`jitterbot: ${error.message}\n`);
    return 2;
  }
  if (!target.token && !flags.dryRun) {
    const variable = target.platform === 'github' ? 'GITHUB_TOKEN' : 'GITLAB_TOKEN';
    io.stderr.write(`jitterbot: posting a review needs a token: set ${variable} or pass --token\n`);
    return 2;
  }
  const log = pino({ level: flags.verbose ? 'info' : 'warn' }, pino.destination({ dest: 2, sync: true }));
  const capture = new OutcomeCapture(
    {
      ...(flags.failOn ? { fail_on: flags.failOn } : {}),
      ...(flags.strategy ? { strategy: flags.strategy } : {}),
    },
    flags.dryRun ? (outcome) => printOutcome(outcome, io) : undefined,
  );
  const result =
    target.platform === 'github'
      ? await reviewOnGitHub(target, flags, capture, log, io.env)
      : await reviewOnGitLab(target, capture, log);
  if (result === 'failed') {
    io.stderr.write('jitterbot: the review did not finish; see the log above\n');
    return 2;
  }
  const outcome = capture.outcome;
  if (flags.codeQuality) {
    // Written on a skip too (empty), so the job's report artifact always exists.
    const findings = [...(outcome?.toPost ?? []), ...(outcome?.unchanged ?? [])].map((p) => p.finding);
    await writeFile(flags.codeQuality, `${JSON.stringify(toCodeQuality(findings), null, 2)}\n`);
  }
  if (result === 'skipped' || !outcome) {
    io.stderr.write(
      'jitterbot: nothing reviewed (the change is closed, or a draft with review_drafts off)\n',
    );
    return 0;
  }
  io.stderr.write(`jitterbot: ${describe(outcome, flags.dryRun)}\n`);
  return outcome.failed ? 1 : 0;
}

/** Runs the real pipeline, keeps its outcome for the exit code, and in a dry run prints instead of posting. */
class OutcomeCapture {
  outcome?: ReviewOutcome;

  constructor(
    private readonly overrides: ReviewOptions['overrides'],
    private readonly print?: (outcome: ReviewOutcome) => void,
  ) {}

  readonly review = async (
    target: ReviewTarget,
    reader: RepoReader,
    options: ReviewOptions = {},
  ): Promise<ReviewOutcome> => {
    const { print } = this;
    const published = print ? { ...bind(target), publish: async (o: ReviewOutcome) => print(o) } : target;
    this.outcome = await runReview(published, reader, { ...options, overrides: this.overrides });
    return this.outcome;
  };
}

function bind(target: ReviewTarget): ReviewTarget {
  return {
    platform: target.platform,
    changeSet: () => target.changeSet(),
    config: () => target.config(),
    earlierComments: () => target.earlierComments(),
    publish: (outcome) => target.publish(outcome),
  };
}

async function reviewOnGitHub(
  target: GitHubCiTarget,
  flags: ReviewFlags,
  capture: OutcomeCapture,
  log: Logger,
  env: NodeJS.ProcessEnv,
): Promise<'reviewed' | 'skipped' | 'failed'> {
  const Octokit = jitterbotOctokit();
  const octokit = new Octokit({
    baseUrl: target.apiUrl,
    log,
    ...(target.token ? { auth: { token: target.token } } : {}),
  });
  const { owner, repo, pullNumber } = target;
  return reviewPullRequest({
    owner,
    repo,
    pullNumber,
    octokit,
    log,
    reason: 'ci',
    readConfig: (name) => readRepoConfig(octokit, owner, repo, name),
    botLogin: () => gitHubLogin(flags, env, octokit, log),
    review: capture.review,
    checkRun: !flags.dryRun,
    localReader: (headSha) => checkoutReader(target.checkout, headSha, log),
  });
}

/**
 * Whose earlier comments are ours: the flag, the Actions bot for the workflow token, or the token's own
 * user. Unknown (any bot's marked comment counts) when the API will not say.
 */
async function gitHubLogin(
  flags: ReviewFlags,
  env: NodeJS.ProcessEnv,
  octokit: InstanceType<ReturnType<typeof jitterbotOctokit>>,
  log: Logger,
): Promise<string | undefined> {
  if (flags.botLogin) return flags.botLogin;
  if (env.GITHUB_ACTIONS === 'true' && !flags.token) return ACTIONS_BOT_LOGIN;
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    log.warn(
      { err: (error as Error).message },
      'could not read the token user; matching earlier comments by marker',
    );
    return undefined;
  }
}

async function reviewOnGitLab(
  target: GitLabCiTarget,
  capture: OutcomeCapture,
  log: Logger,
): Promise<'reviewed' | 'skipped' | 'failed'> {
  const api = createGitlabClient({ url: target.url, token: target.token ?? '', log });
  const result = await runGitlabReviewJob(
    {
      deliveryIds: [],
      project: { id: target.projectId, path: target.projectPath, webUrl: target.projectUrl },
      mrIid: target.mergeRequestIid,
      reasons: ['ci'],
      rescans: [],
    },
    {
      api,
      log,
      review: capture.review,
      localReader: (headSha) => checkoutReader(target.checkout, headSha, log),
    },
  );
  return result.kind;
}

/**
 * The CI checkout as the review's reader, when it holds the head commit: no API reads for code. A
 * shallow or merge-commit checkout without it (GitHub checks out the merge by default) falls back to
 * the API.
 */
async function checkoutReader(
  checkout: string | undefined,
  headSha: string,
  log: Logger,
): Promise<BoundedRepoReader | null> {
  if (!checkout) return null;
  const found = await runGit(checkout, ['cat-file', '-e', `${headSha}^{commit}`]);
  if (!found.ok) {
    log.info({ checkout, headSha }, 'head commit not in the checkout; reading through the API');
    return null;
  }
  return gitRepoReader(checkout, DEFAULT_READ_BUDGET);
}

function describe(outcome: ReviewOutcome, dryRun: boolean): string {
  const findings = outcome.toPost.length + outcome.unchanged.length;
  const verb = dryRun ? 'would post' : 'posted';
  return (
    `${findings} finding(s) on the added lines at ${outcome.headSha.slice(0, 7)}: ` +
    `${verb} ${outcome.toPost.length} new comment(s), ${outcome.unchanged.length} already commented, ` +
    `${outcome.fixed.filter((comment) => !comment.resolved).length} fixed`
  );
}

function printOutcome(outcome: ReviewOutcome, io: ReviewIo): void {
  for (const { finding, body } of outcome.toPost) {
    io.stdout.write(`--- comment on ${finding.path}:${finding.range.startLine}\n${body}\n\n`);
  }
  for (const comment of outcome.fixed) {
    if (!comment.resolved) io.stdout.write(`--- resolve as fixed: ${comment.path}:${comment.line ?? ''}\n`);
  }
  io.stdout.write(`--- summary\n${outcome.summary}\n`);
}
