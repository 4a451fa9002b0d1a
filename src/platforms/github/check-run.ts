import type { ProbotOctokit } from 'probot';
import type { Finding } from '../../analysis/finding.js';
import type { PullRef } from './changes.js';
import type { GitHubRepoRef } from './reader.js';

/** The check run's name: also what `check_run.rerequested` is matched against. */
export const CHECK_RUN_NAME = 'jitterbot';

/** The Checks API takes at most 50 annotations per request; more are added by further updates. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Limit of a check run's `output.summary` and `output.text`. */
export const CHECK_OUTPUT_MAX_CHARS = 65_535;

export type CheckConclusion = 'neutral' | 'failure' | 'success';

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
  raw_details?: string;
}

export interface CheckResult {
  conclusion: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
  annotations: CheckAnnotation[];
}

/** Title of the check run of a review that stopped: the queue retries it, so it is no finished review. */
export const STOPPED_REVIEW_TITLE = 'jitterbot could not finish this review';

/**
 * Whether a review of pull request `pullNumber` at `headSha` finished: a completed `jitterbot` check
 * run (of app `appId`, when given) that is not the one a stopped review leaves. The platform's own
 * trace, which outlives a process that kept its records in memory; a review killed mid-way leaves its
 * check run in progress. A check run is on a commit, and two pull requests may share a head (into two
 * branches): its `external_id` names the pull request it reviewed (check runs made before it did count
 * for any).
 */
export async function hasFinishedReview(
  octokit: ProbotOctokit,
  pull: PullRef,
  headSha: string,
  appId?: number,
): Promise<boolean> {
  const { data } = await octokit.rest.checks.listForRef({
    owner: pull.owner,
    repo: pull.repo,
    ref: headSha,
    check_name: CHECK_RUN_NAME,
    status: 'completed',
    ...(appId === undefined ? {} : { app_id: appId }),
    per_page: CHECK_RUNS_PER_PAGE,
  });
  const reviewed = checkRunExternalId(pull);
  return data.check_runs.some(
    (run) => run.output?.title !== STOPPED_REVIEW_TITLE && (!run.external_id || run.external_id === reviewed),
  );
}

/** A head commit gets a check run per review: a handful, unless someone re-runs it all day. */
const CHECK_RUNS_PER_PAGE = 20;

/** The pull request a check run reviews, in its `external_id`: `owner/repo#12`. */
function checkRunExternalId(pull: PullRef): string {
  return `${pull.owner}/${pull.repo}#${pull.pullNumber}`;
}

/** Creates the `jitterbot` check run of a pull request on its head commit, in progress. Returns its id. */
export async function startCheckRun(octokit: ProbotOctokit, pull: PullRef, headSha: string): Promise<number> {
  const { data } = await octokit.rest.checks.create({
    owner: pull.owner,
    repo: pull.repo,
    name: CHECK_RUN_NAME,
    head_sha: headSha,
    external_id: checkRunExternalId(pull),
    status: 'in_progress',
    started_at: new Date().toISOString(),
  });
  return data.id;
}

/**
 * Completes the check run. Annotations go out in batches of 50 (GitHub appends the annotations of each
 * update); the last request also sets the conclusion, so the run is never complete with half of them.
 */
export async function completeCheckRun(
  octokit: ProbotOctokit,
  { owner, repo }: GitHubRepoRef,
  checkRunId: number,
  result: CheckResult,
): Promise<void> {
  const output = {
    title: result.title,
    summary: truncate(result.summary),
    ...(result.text ? { text: truncate(result.text) } : {}),
  };
  const batches: CheckAnnotation[][] = [];
  for (let i = 0; i < result.annotations.length; i += ANNOTATIONS_PER_REQUEST) {
    batches.push(result.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  }
  if (batches.length === 0) batches.push([]);
  for (const [index, annotations] of batches.entries()) {
    const last = index === batches.length - 1;
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: checkRunId,
      output: { ...output, ...(annotations.length > 0 ? { annotations } : {}) },
      ...(last
        ? {
            status: 'completed' as const,
            conclusion: result.conclusion,
            completed_at: new Date().toISOString(),
          }
        : {}),
    });
  }
}

export function annotationFor(finding: Finding): CheckAnnotation {
  return {
    path: finding.path,
    start_line: finding.range.startLine,
    end_line: finding.range.endLine,
    annotation_level: finding.level === 'warning' ? 'warning' : 'notice',
    title: finding.rule,
    message: finding.message,
    ...(finding.evidence.length > 0 ? { raw_details: finding.evidence.join('\n') } : {}),
  };
}

const TRUNCATION_NOTE = '\n\n… (truncated: GitHub limits check run output to 65,535 characters)';

function truncate(text: string): string {
  if (text.length <= CHECK_OUTPUT_MAX_CHARS) return text;
  return text.slice(0, CHECK_OUTPUT_MAX_CHARS - TRUNCATION_NOTE.length) + TRUNCATION_NOTE;
}
