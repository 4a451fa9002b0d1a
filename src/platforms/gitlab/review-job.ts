import type { JobRunner } from '../../queue/types.js';
import { retryWithJitter } from '../../retry.js';
import { runReview, type ReviewLogger } from '../../review/pipeline.js';
import { ApiCallLog, withApiCallLog } from '../api-calls.js';
import { BoundedRepoReader, DEFAULT_READ_BUDGET, type ReadBudget } from '../bounded-reader.js';
import { createReadCache, type ReadCache } from '../read-cache.js';
import type { RepoReader, ReviewTarget } from '../types.js';
import { describeError, isNotFound, type GitlabApi } from './client.js';
import { RESCAN_MIN_ACCESS_LEVEL, sameUsername, type RescanCommand } from './events.js';
// Registers GitLab's job kind with the queue: every process that enqueues or runs GitLab jobs loads this module.
import './job-kind.js';
import type { GitlabReviewJob, GitlabReviewRequest } from './job-kind.js';
import type { Log } from './log.js';
import { GitlabRepoAccess } from './repo-access.js';
import { GitlabReviewTarget, type DiffRefs } from './target.js';
import type { BotIdentity } from './threads.js';

/** Award emoji that tells the author of `/jitterbot rescan` the command was heard. */
export const RESCAN_ACK_EMOJI = 'eyes';

/**
 * GitLab prepares a new merge request (its diff and `diff_refs`) in the background, so a review that
 * starts right after `open` may find none yet. Waits are jittered like every other retry of the bot.
 */
export const PREPARE_WAIT = { retries: 6, baseMs: 1_000, capMs: 8_000 };

export type ReviewFn = (
  target: ReviewTarget,
  reader: RepoReader,
  options?: { log?: ReviewLogger },
) => Promise<unknown>;

export interface GitlabJobDeps {
  api: GitlabApi;
  log: Log;
  /** Configured bot username; otherwise the token's user is asked for (`GET /user`). */
  botUsername?: string;
  readBudget?: ReadBudget;
  /** Content cache shared by this process's reviews (none: every read is fetched). */
  readCache?: ReadCache;
  /** The review pipeline; tests of the adapter alone may replace it. */
  review?: ReviewFn;
  prepareWait?: { retries: number; baseMs: number; capMs: number; sleep?: (ms: number) => Promise<void> };
  /** A reader for the head commit other than the API (a CI checkout), or null to read through the API. */
  localReader?: (headSha: string) => Promise<RepoReader | null>;
}

export type GitlabJobResult =
  | { kind: 'reviewed'; target: GitlabReviewTarget }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: string };

class NotPreparedError extends Error {}

interface MergeRequestState {
  state: string;
  draft: boolean;
  targetBranch: string;
  diffRefs: DiffRefs;
}

/**
 * One review run for one merge request: checks who may ask for it, skips what should not be reviewed,
 * and hands a GitlabReviewTarget to the pipeline. Failures are logged here, with the delivery ids, and
 * not rethrown: every API call already retried with jitter, and the next push or a rescan runs again.
 */
export async function runGitlabReviewJob(
  request: GitlabReviewRequest,
  deps: GitlabJobDeps,
): Promise<GitlabJobResult> {
  const fields = {
    deliveryIds: request.deliveryIds,
    project: request.project.path,
    projectId: request.project.id,
    mr: request.mrIid,
  };
  try {
    const calls = new ApiCallLog('gitlab');
    const result = await withApiCallLog(calls, () => reviewMergeRequest(request, deps, fields));
    if (result.kind === 'skipped') deps.log.info({ ...fields, reason: result.reason }, 'review skipped');
    else
      deps.log.info(
        { ...fields, apiCalls: Object.fromEntries(calls.byKind()), cacheHits: calls.cacheHits },
        'review cost',
      );
    return result;
  } catch (error) {
    deps.log.error({ ...fields, error: describeError(error) }, 'GitLab review failed');
    return { kind: 'failed', error: describeError(error) };
  }
}

/** What a GitLab job runner needs: an API client per project, from this process's own settings. */
export interface GitlabRunnerDeps extends Omit<GitlabJobDeps, 'api'> {
  /** The client for a project of the configured instance; null for a project of another one. */
  clientFor(projectUrl?: string): GitlabApi | null;
}

/**
 * How this process runs a GitLab job (the in-process queue, or `jitterbot worker`): the job carries
 * the project and merge request, never a token; the client comes from `deps`.
 */
export function gitlabJobRunner(deps: GitlabRunnerDeps): JobRunner<GitlabReviewJob> {
  // One cache for every job this process runs, unless the process brings its own (Redis-backed).
  const readCache = deps.readCache ?? createReadCache();
  return async (job) => {
    const { clientFor, ...rest } = deps;
    const api = clientFor(job.request.project.webUrl);
    if (!api) {
      deps.log.warn(
        { deliveryIds: job.request.deliveryIds, project: job.request.project.path, mr: job.request.mrIid },
        'GitLab job for a project outside the configured instance; skipped',
      );
      return 'skipped';
    }
    const result = await runGitlabReviewJob(job.request, { ...rest, readCache, api });
    return result.kind;
  };
}

async function reviewMergeRequest(
  request: GitlabReviewRequest,
  deps: GitlabJobDeps,
  fields: Record<string, unknown>,
): Promise<GitlabJobResult> {
  const { api, log } = deps;
  const projectId = request.project.id;
  const bot = memo(() => resolveBot(api, deps.botUsername));

  const mr = await loadMergeRequest(api, projectId, request.mrIid, deps.prepareWait ?? PREPARE_WAIT);
  if (mr.state !== 'opened') return { kind: 'skipped', reason: `merge request is ${mr.state}` };

  const honoured: RescanCommand[] = [];
  for (const command of uniqueByUser(request.rescans)) {
    const verdict = await rescanVerdict(api, projectId, command, await bot());
    if (verdict !== 'allowed') {
      log.info(
        { ...fields, user: command.user.username, note: command.noteId, verdict },
        'rescan command not honoured',
      );
      continue;
    }
    honoured.push(command);
    try {
      await api.MergeRequestNoteAwardEmojis.award(projectId, request.mrIid, command.noteId, RESCAN_ACK_EMOJI);
    } catch (error) {
      // Already awarded, or the note was deleted: the rescan still runs.
      log.warn(
        { ...fields, note: command.noteId, error: describeError(error) },
        'could not acknowledge rescan',
      );
    }
  }
  if (request.reasons.length === 0 && honoured.length === 0) {
    return { kind: 'skipped', reason: 'nothing to do' };
  }

  const target = new GitlabReviewTarget({
    api,
    projectId,
    mr: { iid: request.mrIid, diffRefs: mr.diffRefs, targetBranch: mr.targetBranch },
    bot,
    log,
    logFields: fields,
  });
  // An explicit rescan reviews a draft too: someone asked for it.
  if (mr.draft && honoured.length === 0) {
    const { config } = await target.config();
    if (!config.review_drafts) {
      return { kind: 'skipped', reason: 'draft merge request (review_drafts is off)' };
    }
  }

  const reader =
    (await deps.localReader?.(mr.diffRefs.head_sha)) ??
    new BoundedRepoReader(
      new GitlabRepoAccess(api, projectId, deps.readCache ? { cache: deps.readCache } : {}),
      deps.readBudget ?? DEFAULT_READ_BUDGET,
    );
  const review = deps.review ?? runReview;
  log.info(
    { ...fields, reasons: request.reasons, rescans: honoured.length, head: mr.diffRefs.head_sha },
    'review started',
  );
  await review(target, reader, { log: withFields(log, fields) });
  return { kind: 'reviewed', target };
}

async function loadMergeRequest(
  api: GitlabApi,
  projectId: number,
  mrIid: number,
  wait: NonNullable<GitlabJobDeps['prepareWait']>,
): Promise<MergeRequestState> {
  return retryWithJitter(
    async () => {
      const mr = await api.MergeRequests.show(projectId, mrIid);
      const refs = mr.diff_refs as Partial<DiffRefs> | null | undefined;
      if (mr.state === 'opened' && !(refs?.base_sha && refs.start_sha && refs.head_sha)) {
        throw new NotPreparedError('merge request diff not prepared yet');
      }
      return {
        state: mr.state,
        draft: mr.draft === true || mr.work_in_progress === true,
        targetBranch: mr.target_branch,
        diffRefs: refs as DiffRefs,
      };
    },
    {
      retries: wait.retries,
      baseMs: wait.baseMs,
      capMs: wait.capMs,
      ...(wait.sleep ? { sleep: wait.sleep } : {}),
      shouldRetry: (error) => error instanceof NotPreparedError,
    },
  );
}

type RescanVerdict = 'allowed' | 'own-note' | 'not-a-member' | 'insufficient-access';

async function rescanVerdict(
  api: GitlabApi,
  projectId: number,
  command: RescanCommand,
  bot: BotIdentity,
): Promise<RescanVerdict> {
  const isBot =
    bot.id !== undefined ? command.user.id === bot.id : sameUsername(command.user.username, bot.username);
  if (isBot) return 'own-note';
  let accessLevel: number;
  try {
    // `/members/all/:user_id` includes memberships inherited from parent groups and invited groups.
    const member = await api.ProjectMembers.show(projectId, command.user.id, { includeInherited: true });
    accessLevel = Number(member.access_level);
  } catch (error) {
    if (isNotFound(error)) return 'not-a-member';
    throw error;
  }
  return accessLevel >= RESCAN_MIN_ACCESS_LEVEL ? 'allowed' : 'insufficient-access';
}

async function resolveBot(api: GitlabApi, botUsername: string | undefined): Promise<BotIdentity> {
  if (botUsername) return { username: botUsername };
  const user = await api.Users.showCurrentUser();
  return { id: user.id, username: user.username };
}

function uniqueByUser(commands: readonly RescanCommand[]): RescanCommand[] {
  const seen = new Set<number>();
  return commands.filter((command) => !seen.has(command.user.id) && seen.add(command.user.id));
}

function memo<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
}

/** The pipeline's logger: the job's, with delivery ids, project and merge request on every line. */
function withFields(log: Log, fields: Record<string, unknown>): ReviewLogger {
  const bind =
    (write: Log['info']) =>
    (first: object | string, message?: string): void => {
      if (typeof first === 'string') write(fields, first);
      else write({ ...fields, ...first }, message ?? '');
    };
  return { info: bind(log.info.bind(log)), warn: bind(log.warn.bind(log)), error: bind(log.error.bind(log)) };
}
