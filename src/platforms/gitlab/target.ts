import { CONFIG_PATHS, parseConfig, type LoadedConfig } from '../../config.js';
import type { ChangeSet, EarlierComment, PublishedFinding, ReviewOutcome, ReviewTarget } from '../types.js';
import { listMergeRequestDiffs, toChangedFiles } from './changes.js';
import { describeError, isNotFound, statusOf, type GitlabApi } from './client.js';
import type { Log } from './log.js';
import { findingsTitle } from '../../review/render-summary.js';
import { summaryNoteBody, type UnplacedFinding } from './summary-note.js';
import { currentApiCallLog, renderApiCalls } from '../api-calls.js';
import {
  FIXED_REPLY_PREFIX,
  readThreads,
  type BotIdentity,
  type DiscussionLike,
  type MergeRequestThreads,
} from './threads.js';

/** Discussions per page (GitLab's maximum). */
export const DISCUSSIONS_PAGE_SIZE = 100;

/**
 * GitLab answers a position it cannot anchor (a line outside the diff, a stale SHA) with 400
 * `Note {:line_code=>["can't be blank", "must be a valid line code"]}`; some versions use 422.
 */
const POSITION_REJECTED_STATUSES = new Set([400, 422]);

/** Position of a discussion on a line the merge request added (no `old_line`: the line is new). */
export interface TextPosition extends DiffRefs {
  position_type: 'text';
  new_path: string;
  old_path: string;
  new_line: number;
}

/** One request, its retries included, is abandoned after this long. */
const DISCUSSION_TIMEOUT_MS = 60_000;

/**
 * `POST /projects/:id/merge_requests/:iid/discussions` with a JSON body. gitbeaker's
 * `MergeRequestDiscussions.create` sends a position as multipart form data, and form data turns every
 * `\n` of the body into `\r\n` (the HTML form encoding rule) — carriage returns a suggestion would then
 * write into the file when applied. Its own requester (auth, jittered retries) sends JSON instead.
 */
export async function createDiffDiscussion(
  api: GitlabApi,
  projectId: number,
  mrIid: number,
  body: string,
  position: TextPosition,
): Promise<void> {
  await api.requester.post(`projects/${encodeURIComponent(projectId)}/merge_requests/${mrIid}/discussions`, {
    body: { body, position },
    signal: AbortSignal.timeout(DISCUSSION_TIMEOUT_MS),
  });
}

/** The SHAs GitLab pins a diff position to (`diff_refs` of the merge request's latest version). */
export interface DiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

/** The merge request as the review job loaded it, just before the review. */
export interface MergeRequestSnapshot {
  iid: number;
  diffRefs: DiffRefs;
  targetBranch: string;
}

export interface GitlabTargetOptions {
  api: GitlabApi;
  projectId: number;
  mr: MergeRequestSnapshot;
  bot: () => Promise<BotIdentity>;
  log: Log;
  /** Delivery ids, project and merge request, added to every log line. */
  logFields: Record<string, unknown>;
}

/** What the last `publish` did, for logs and tests. */
export interface PublishReport {
  posted: number;
  unplaced: UnplacedFinding[];
  fixed: number;
  summary: 'created' | 'edited' | 'skipped';
  /** The `jitterbot` commit status on the head: set, or refused (the token lacks the Developer role). */
  status: 'set' | 'refused';
}

/** The commit status a merge request's pipeline shows, and that "Pipelines must succeed" waits for. */
export const COMMIT_STATUS_NAME = 'jitterbot';

/**
 * One merge request as the review pipeline sees it. Every call is scoped to the project and merge
 * request it was built for; nothing here assumes a particular project or instance.
 */
export class GitlabReviewTarget implements ReviewTarget {
  readonly platform = 'gitlab' as const;
  lastPublish?: PublishReport;

  private changes?: Promise<ChangeSet>;
  private loadedConfig?: Promise<LoadedConfig>;
  private threads?: Promise<MergeRequestThreads>;

  constructor(private readonly options: GitlabTargetOptions) {}

  changeSet(): Promise<ChangeSet> {
    this.changes ??= this.loadChangeSet();
    return this.changes;
  }

  /**
   * `.gitlab/jitterbot.yml`, then `.jitterbot.yml`, read from the target branch rather than the merge
   * request's head: a merge request cannot switch the review of itself off (Probot apps read their
   * config from the default branch for the same reason).
   */
  config(): Promise<LoadedConfig> {
    this.loadedConfig ??= this.loadConfig();
    return this.loadedConfig;
  }

  async earlierComments(): Promise<EarlierComment[]> {
    return (await this.loadThreads()).earlier;
  }

  async publish(outcome: ReviewOutcome): Promise<void> {
    const { api, projectId, mr, log, logFields } = this.options;
    const changeSet = await this.changeSet();
    const previousPaths = new Map(changeSet.files.map((file) => [file.path, file.previousPath ?? file.path]));

    let posted = 0;
    const unplaced: UnplacedFinding[] = [];
    for (const published of outcome.toPost) {
      const rejection = await this.postDiscussion(published, previousPaths);
      if (rejection === null) posted += 1;
      else unplaced.push({ published, reason: rejection });
    }

    let fixed = 0;
    for (const comment of outcome.fixed) {
      if (comment.resolved) continue;
      try {
        if (!comment.answered) {
          await api.MergeRequestDiscussions.addNote(
            projectId,
            mr.iid,
            comment.id,
            `${FIXED_REPLY_PREFIX}${outcome.headSha}.`,
          );
        }
        await api.MergeRequestDiscussions.resolve(projectId, mr.iid, comment.id, true);
        fixed += 1;
      } catch (error) {
        // A GitLab still failing after the client's retries: fail the job so the queue retries it; the
        // reply, once posted, is recognised next time and not repeated.
        if (isTransient(statusOf(error))) throw error;
        // A deleted or locked discussion must not stop the summary from being written.
        log.warn(
          { ...logFields, discussion: comment.id, error: describeError(error) },
          'could not answer a fixed finding',
        );
      }
    }

    const calls = currentApiCallLog();
    const summary = await this.upsertSummary(
      summaryNoteBody(outcome.summary, unplaced, calls && renderApiCalls(calls)),
      outcome.summary,
      unplaced,
    );
    const status = await this.setCommitStatus(outcome);
    this.lastPublish = { posted, unplaced, fixed, summary, status };
    log.info(
      {
        ...logFields,
        posted,
        unchanged: outcome.unchanged.length,
        fixed,
        unplaced: unplaced.length,
        summary,
        status,
      },
      'published review',
    );
  }

  /**
   * The merge gate: a `jitterbot` status on the head commit, failed when a new finding reaches the
   * config's `fail_on`. Setting a status needs the Developer role; without it the review still stands.
   */
  private async setCommitStatus(outcome: ReviewOutcome): Promise<PublishReport['status']> {
    const { api, projectId, log, logFields } = this.options;
    const findings = outcome.toPost.length + outcome.unchanged.length;
    try {
      await api.Commits.editStatus(projectId, outcome.headSha, outcome.failed ? 'failed' : 'success', {
        name: COMMIT_STATUS_NAME,
        description: findingsTitle(findings),
      });
      return 'set';
    } catch (error) {
      if (isTransient(statusOf(error))) throw error;
      log.warn(
        { ...logFields, error: describeError(error) },
        'could not set the jitterbot commit status (the token needs the Developer role)',
      );
      return 'refused';
    }
  }

  /** null when posted; GitLab's reason when it refused the position. */
  private async postDiscussion(
    published: PublishedFinding,
    previousPaths: ReadonlyMap<string, string>,
  ): Promise<string | null> {
    const { api, projectId, mr, log, logFields } = this.options;
    const { path } = published.finding;
    // A `suggestion:-0+N` block counts its lines from the line the discussion is on.
    const line = published.suggestionLines?.start ?? published.finding.range.startLine;
    try {
      await createDiffDiscussion(api, projectId, mr.iid, published.body, {
        position_type: 'text',
        base_sha: mr.diffRefs.base_sha,
        start_sha: mr.diffRefs.start_sha,
        head_sha: mr.diffRefs.head_sha,
        new_path: path,
        old_path: previousPaths.get(path) ?? path,
        new_line: line,
      });
      return null;
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined || !POSITION_REJECTED_STATUSES.has(status)) throw error;
      log.warn(
        { ...logFields, path, line, fingerprint: published.finding.fingerprint, error: describeError(error) },
        'GitLab rejected the diff position; the finding goes to the summary note',
      );
      return describeError(error);
    }
  }

  private async upsertSummary(
    body: string,
    summary: string,
    unplaced: readonly UnplacedFinding[],
  ): Promise<PublishReport['summary']> {
    const { api, projectId, mr, log, logFields } = this.options;
    const { summaryNoteId } = await this.loadThreads();
    if (summaryNoteId !== undefined) {
      try {
        await api.MergeRequestNotes.edit(projectId, mr.iid, summaryNoteId, { body });
        return 'edited';
      } catch (error) {
        if (!isNotFound(error)) throw error;
        log.warn({ ...logFields, note: summaryNoteId }, 'summary note vanished; posting a new one');
      }
    }
    if (summary.trim() === '' && unplaced.length === 0) return 'skipped';
    await api.MergeRequestNotes.create(projectId, mr.iid, body);
    return 'created';
  }

  private async loadChangeSet(): Promise<ChangeSet> {
    const { api, projectId, mr, log, logFields } = this.options;
    const diffs = await listMergeRequestDiffs(api, projectId, mr.iid);
    const { files, gaps } = toChangedFiles(diffs);
    for (const gap of gaps)
      log.warn({ ...logFields, path: gap.path, reason: gap.reason }, 'file diff not provided by GitLab');
    return { baseSha: mr.diffRefs.base_sha, headSha: mr.diffRefs.head_sha, files };
  }

  private async loadConfig(): Promise<LoadedConfig> {
    for (const path of CONFIG_PATHS.gitlab) {
      const text = await this.readRaw(path, this.options.mr.targetBranch);
      if (text !== null) return parseConfig(text, path);
    }
    return parseConfig(null);
  }

  private async readRaw(path: string, ref: string): Promise<string | null> {
    try {
      const body = await this.options.api.RepositoryFiles.showRaw(this.options.projectId, path, ref);
      return typeof body === 'string' ? body : await body.text();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  private loadThreads(): Promise<MergeRequestThreads> {
    this.threads ??= (async () => {
      const { api, projectId, mr, bot } = this.options;
      const discussions = await api.MergeRequestDiscussions.all(projectId, mr.iid, {
        perPage: DISCUSSIONS_PAGE_SIZE,
      });
      return readThreads(discussions as unknown as DiscussionLike[], await bot());
    })();
    return this.threads;
  }
}

/** No status (a dropped connection), 429 and 5xx may succeed later; other answers will not. */
function isTransient(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}
