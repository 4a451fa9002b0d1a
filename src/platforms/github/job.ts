import type { ProbotOctokit } from 'probot';
import { ApiCallLog, withApiCallLog } from '../api-calls.js';
import { reviewedKey, type ReviewRecords } from '../../review-records.js';
import type { BoundedRepoReader, ReadBudget } from '../bounded-reader.js';
import type { ReadCache } from '../read-cache.js';
import type { RepoReader, ReviewOutcome, ReviewTarget } from '../types.js';
import type { PullRef } from './changes.js';
import { STOPPED_REVIEW_TITLE, completeCheckRun, hasFinishedReview, startCheckRun } from './check-run.js';
import { EXPLICIT_REASONS, githubTargetKey, type ReviewReason } from './job-kind.js';
import { createGitHubReader } from './reader.js';
import { GitHubTarget, errorFields } from './target.js';

export interface JobLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The review pipeline's entry point (src/review/pipeline.ts `runReview`), injectable for tests. */
export type ReviewFn = (
  target: ReviewTarget,
  reader: RepoReader,
  options?: { log?: JobLog },
) => Promise<ReviewOutcome>;

export interface PullRequestJob extends PullRef {
  octokit: ProbotOctokit;
  log: JobLog;
  reason: ReviewReason;
  readConfig: (name: string) => Promise<unknown>;
  botLogin: () => Promise<string | undefined>;
  review: ReviewFn;
  budget?: ReadBudget;
  /** Content cache shared by this process's reviews (none: every read is fetched). */
  readCache?: ReadCache;
  /** Keep a `jitterbot` check run (default); off for a dry run, which must write nothing. */
  checkRun?: boolean;
  /** A reader for the head commit other than the API (a CI checkout), or null to read through the API. */
  localReader?: (headSha: string) => Promise<BoundedRepoReader | null>;
  /** Completed reviews: an automatic request for a head commit already reviewed is not run again. */
  records?: ReviewRecords;
  /** The App's id (`APP_ID`): only its own check runs show a finished review. */
  appId?: number;
}

/**
 * Recorded, or — when the records do not know it (the in-process store forgets on restart) — shown by
 * a finished check run, in which case it is recorded now. Costs one API call per unrecorded head; when
 * that call fails the head counts as not reviewed (at worst it is reviewed once more).
 */
async function alreadyReviewed(job: PullRequestJob, key: string, headSha: string): Promise<boolean> {
  if (!job.records) return false;
  if (await job.records.has(key)) return true;
  if (job.checkRun === false) return false;
  try {
    const finished = await hasFinishedReview(job.octokit, job, headSha, job.appId);
    if (finished) await job.records.add([key]);
    return finished;
  } catch (error) {
    // Without checks permission (an installation that has not accepted it) the review still runs.
    job.log.warn({ err: errorFields(error) }, 'could not read the check runs of the head commit');
    return false;
  }
}

/** Refused reads named in the log; the count says how many more there were. */
const MAX_LOGGED_REFUSALS = 20;

/**
 * One review of one pull request, run from the queue. Reads the pull request afresh (a coalesced job
 * reviews the newest head), skips drafts unless configured or asked explicitly, keeps a `jitterbot`
 * check run in progress while the pipeline runs, and turns any failure into a completed check run that
 * says what went wrong — never an unhandled rejection.
 */
export function reviewPullRequest(job: PullRequestJob): Promise<'reviewed' | 'skipped' | 'failed'> {
  const calls = new ApiCallLog('github');
  return withApiCallLog(calls, () => runPullRequestReview(job, calls));
}

async function runPullRequestReview(
  job: PullRequestJob,
  calls: ApiCallLog,
): Promise<'reviewed' | 'skipped' | 'failed'> {
  const { octokit, log } = job;
  const repo = { owner: job.owner, repo: job.repo };
  const { data: pr } = await octokit.rest.pulls.get({ ...repo, pull_number: job.pullNumber });
  const explicit = EXPLICIT_REASONS.has(job.reason);
  if (pr.state !== 'open') {
    log.info({ reason: job.reason, state: pr.state }, 'pull request is not open; not reviewing');
    return 'skipped';
  }
  // A redelivered webhook and the reconciler may both ask for a head already reviewed: one posts.
  const reviewed = reviewedKey(githubTargetKey(job), pr.head.sha);
  if (!explicit && (await alreadyReviewed(job, reviewed, pr.head.sha))) {
    log.info(
      { reason: job.reason, headSha: pr.head.sha },
      'head commit already reviewed; not reviewing again',
    );
    return 'skipped';
  }

  const target = new GitHubTarget({
    octokit,
    pull: {
      ...repo,
      pullNumber: job.pullNumber,
      baseSha: pr.base.sha,
      headSha: pr.head.sha,
      changedFiles: pr.changed_files,
    },
    readConfig: job.readConfig,
    botLogin: job.botLogin,
    log,
  });
  if (pr.draft && !explicit && !(await target.config()).config.review_drafts) {
    log.info({ reason: job.reason }, 'draft pull request and review_drafts is off; not reviewing');
    return 'skipped';
  }

  if (job.checkRun !== false) {
    try {
      target.checkRunId = await startCheckRun(octokit, job, pr.head.sha);
    } catch (error) {
      // Without checks:write (an installation that has not accepted new permissions) the review still runs.
      log.warn({ err: errorFields(error) }, 'could not create the check run');
    }
  }
  const checkRunId = target.checkRunId;
  try {
    const reader =
      (await job.localReader?.(pr.head.sha)) ??
      createGitHubReader(octokit, repo, job.budget, {
        log,
        ...(job.readCache ? { cache: job.readCache } : {}),
      });
    await job.review(target, reader, { log });
    await job.records
      ?.add([reviewed])
      .catch((error: unknown) =>
        log.warn({ err: errorFields(error) }, 'could not record the completed review'),
      );
    const { filesRead, bytesRead, refused } = reader.report();
    if (refused.length > 0) {
      log.warn({ refused: refused.slice(0, MAX_LOGGED_REFUSALS), count: refused.length }, 'files not read');
    }
    log.info(
      {
        reason: job.reason,
        headSha: pr.head.sha,
        filesRead,
        bytesRead,
        apiCalls: Object.fromEntries(calls.byKind()),
        notModified: calls.notModified,
        cacheHits: calls.cacheHits,
        ...target.report,
      },
      'review published',
    );
    return 'reviewed';
  } catch (error) {
    log.error({ reason: job.reason, err: errorFields(error) }, 'review failed');
    if (checkRunId !== undefined) {
      await completeCheckRun(octokit, repo, checkRunId, {
        conclusion: 'neutral',
        title: STOPPED_REVIEW_TITLE,
        summary:
          `The review of ${pr.head.sha.slice(0, 7)} stopped: ${errorFields(error).message}\n\n` +
          'Comment `/jitterbot rescan` on the pull request, or re-run this check, to try again.',
        annotations: [],
      }).catch((completeError: unknown) =>
        log.warn({ err: errorFields(completeError) }, 'could not complete the check run'),
      );
    }
    return 'failed';
  }
}
