import type { ProbotOctokit } from 'probot';
import type { LoadedConfig } from '../../config.js';
import type { ChangeSet, EarlierComment, ReviewOutcome, ReviewTarget } from '../types.js';
import { listChanges, type GitHubChanges, type PullRef } from './changes.js';
import { annotationFor, completeCheckRun, type CheckResult } from './check-run.js';
import { loadGitHubConfig } from './repo-config.js';
import { findingsTitle } from '../../review/render-summary.js';
import { planComments, postReview, type UnplacedFinding } from './review.js';
import { listEarlierComments, markFixed } from './threads.js';
import { currentApiCallLog, renderApiCalls } from '../api-calls.js';

export interface GitHubPull extends PullRef {
  baseSha: string;
  headSha: string;
  /** `changed_files` of the pull request, to tell when GitHub's file list was cut short. */
  changedFiles?: number;
}

export interface TargetLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface GitHubTargetOptions {
  octokit: ProbotOctokit;
  pull: GitHubPull;
  /** Probot's `context.config`: parsed `.github/<name>` from the default branch, or null. */
  readConfig: (name: string) => Promise<unknown>;
  /** The login the app comments as (`<slug>[bot]`), or undefined when it cannot be known. */
  botLogin: () => Promise<string | undefined>;
  log: TargetLog;
}

/** What a run published, for the job's log line: counts only, never comment bodies (they quote code). */
export interface PublishReport {
  posted: number;
  unplaced: number;
  fixed: number;
  conclusion?: CheckResult['conclusion'];
}

/**
 * A pull request as the review pipeline sees it. Reads are cached for the run; `publish` posts one
 * review, answers and resolves fixed threads, and completes the check run — each step failing into a
 * note in the check run rather than an exception, so one refused API call never loses the rest.
 */
export class GitHubTarget implements ReviewTarget {
  readonly platform = 'github' as const;
  private changes?: Promise<GitHubChanges>;
  private loadedConfig?: Promise<LoadedConfig>;
  /** The in-progress `jitterbot` check run `publish` completes, when one could be created. */
  checkRunId?: number;
  report?: PublishReport;

  constructor(private readonly options: GitHubTargetOptions) {}

  async changeSet(): Promise<ChangeSet> {
    const { files } = await this.githubChanges();
    return { baseSha: this.options.pull.baseSha, headSha: this.options.pull.headSha, files };
  }

  config(): Promise<LoadedConfig> {
    this.loadedConfig ??= loadGitHubConfig(this.options.readConfig);
    return this.loadedConfig;
  }

  async earlierComments(): Promise<EarlierComment[]> {
    const { octokit, pull, botLogin } = this.options;
    return listEarlierComments(octokit, pull, await botLogin());
  }

  async publish(outcome: ReviewOutcome): Promise<void> {
    const { octokit, pull, log } = this.options;
    const changes = await this.githubChanges();
    const notes: string[] = [...changes.notes];

    const { planned, unplaced } = planComments(outcome.toPost, changes.hunks);
    let posted = 0;
    try {
      const result = await postReview(
        octokit,
        pull,
        outcome.headSha,
        reviewBody(planned.length),
        planned,
        log,
      );
      posted = result.posted.length;
      unplaced.push(...result.rejected);
    } catch (error) {
      log.warn({ err: errorFields(error) }, 'could not post the review');
      notes.push(
        `The review could not be posted (${describe(error)}); its findings are listed here instead.`,
      );
      unplaced.push(
        ...planned.map((entry) => ({ published: entry.published, reason: 'the review was refused' })),
      );
    }
    if (unplaced.length > 0) notes.push(unplacedSection(unplaced));

    let fixed = 0;
    for (const comment of outcome.fixed) {
      if (comment.resolved) continue;
      try {
        await markFixed(octokit, pull, comment, outcome.headSha);
        fixed += 1;
      } catch (error) {
        log.warn({ err: errorFields(error), commentId: comment.id }, 'could not resolve a fixed finding');
        notes.push(
          `A fixed finding in \`${comment.path}\` could not be marked resolved (${describe(error)}).`,
        );
      }
    }

    const conclusion = outcome.failed ? 'failure' : 'neutral';
    this.report = { posted, unplaced: unplaced.length, fixed, conclusion };
    if (this.checkRunId === undefined) return;
    const findings = [...outcome.toPost, ...outcome.unchanged].map((entry) => entry.finding);
    const calls = currentApiCallLog();
    await completeCheckRun(octokit, pull, this.checkRunId, {
      conclusion,
      title: findingsTitle(findings.length),
      summary: withNotes(withConfigErrors(outcome.summary, outcome.configErrors), notes),
      ...(calls ? { text: renderApiCalls(calls) } : {}),
      annotations: findings.map(annotationFor),
    });
  }

  private githubChanges(): Promise<GitHubChanges> {
    this.changes ??= listChanges(this.options.octokit, this.options.pull, this.options.pull.changedFiles);
    return this.changes;
  }
}

function reviewBody(count: number): string {
  const what = count === 1 ? 'a retry that waits' : `${count} retries that wait`;
  return (
    `**jitterbot** found ${what} without jitter: clients that fail together would retry together. ` +
    'Each comment suggests a patch; the **jitterbot** check run has the summary.'
  );
}

/** The pipeline's summary lists configuration errors; add them if it did not, since they matter. */
function withConfigErrors(summary: string, errors: readonly string[]): string {
  const missing = errors.filter((error) => !summary.includes(error));
  if (missing.length === 0) return summary;
  const list = missing.map((error) => `- ${error}`).join('\n');
  return `${summary}\n\n### Configuration problems (these options ignored)\n\n${list}`;
}

function withNotes(summary: string, notes: readonly string[]): string {
  if (notes.length === 0) return summary;
  return `${summary}\n\n### Notes\n\n${notes.map((note) => `- ${note}`).join('\n')}`;
}

function unplacedSection(unplaced: readonly UnplacedFinding[]): string {
  const lines = unplaced.map(({ published, reason }) => {
    const { path, range, message } = published.finding;
    return `  - \`${path}:${range.startLine}\` — ${message} (not commented inline: ${reason})`;
  });
  return `${unplaced.length} finding(s) could not be commented inline:\n${lines.join('\n')}`;
}

/** Status and message only: an Octokit error also holds the request, whose headers carry the token. */
export function errorFields(error: unknown): { status?: number; message: string } {
  const status = (error as { status?: unknown } | null)?.status;
  return { ...(typeof status === 'number' ? { status } : {}), message: describe(error) };
}

function describe(error: unknown): string {
  const { status } = (error ?? {}) as { status?: unknown };
  const message = error instanceof Error ? error.message : String(error);
  return typeof status === 'number' ? `HTTP ${status}: ${message}` : message;
}
