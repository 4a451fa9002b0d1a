import type { Context, Probot } from 'probot';
import { MemoryDeliveryStore, confirmInBackground, type DeliveryStore } from '../../idempotency.js';
import { handledDeliveryKey, type ReviewRecords } from '../../review-records.js';
import { MemoryJobQueue } from '../../queue/memory.js';
import type { EnqueueResult, JobQueue, JobRunner } from '../../queue/types.js';
import { runReview } from '../../review/pipeline.js';
import type { ReadBudget } from '../bounded-reader.js';
import { createReadCache, type ReadCache } from '../read-cache.js';
import type { PullRef } from './changes.js';
import { CHECK_RUN_NAME } from './check-run.js';
import { reviewPullRequest, type JobLog, type ReviewFn } from './job.js';
// Registers GitHub's job kind with the queue: every process that enqueues or runs GitHub jobs loads this module.
import './job-kind.js';
import type { GitHubReviewJob, ReviewReason } from './job-kind.js';
import { PULL_REQUEST_ACTIONS, PULL_REQUEST_EVENTS, type PullRequestPayload } from './payloads.js';
import { errorFields } from './target.js';
import { readRepoConfig } from './repo-config.js';

export interface GitHubAppDeps {
  /** Where reviews run; handlers only enqueue, so GitHub gets its answer in milliseconds. */
  queue: JobQueue;
  review: ReviewFn;
  budget?: ReadBudget;
  /** Content cache of the reviews this process runs. */
  readCache?: ReadCache;
  /** Delivery ids already handled, so a redelivered webhook does nothing twice. */
  deliveries?: DeliveryStore;
  /** Completed reviews and handled deliveries, shared with the reconciler. */
  records?: ReviewRecords;
  /** The App's id (`APP_ID`): only its own check runs show a finished review. */
  appId?: number;
}

/** `/jitterbot rescan` or `@jitterbot rescan` at the start of any line of a comment. */
export const RESCAN_COMMAND = /^\s*[/@]jitterbot\s+rescan\b/im;

/** Repository roles allowed to request a rescan (it costs API quota, so not everyone may). */
export const RESCAN_ROLES: ReadonlySet<string> = new Set(['admin', 'maintain', 'write']);

const QUEUE_FULL_STATUS = 503;

/** The reaction that tells the commenter the rescan was accepted. */
const ACCEPTED_REACTION = 'eyes';

/**
 * The GitHub App: a thin layer of event handlers that decide *whether* to review and enqueue the
 * review as plain data. Load with `probot.load((app) => jitterbotApp(app, deps))`; with no deps it
 * makes its own in-process queue and uses the real pipeline. The app also tells the queue how this
 * process runs GitHub jobs (ignored by a queue whose jobs run in `jitterbot worker` processes).
 */
export default function jitterbotApp(app: Probot, deps: Partial<GitHubAppDeps> = {}): void {
  const queue = deps.queue ?? new MemoryJobQueue({ log: app.log });
  const deliveries = deps.deliveries ?? new MemoryDeliveryStore();
  queue.handle(
    'github',
    githubJobRunner(app, {
      review: deps.review ?? runReview,
      ...(deps.budget ? { budget: deps.budget } : {}),
      ...(deps.readCache ? { readCache: deps.readCache } : {}),
      ...(deps.records ? { records: deps.records } : {}),
      ...(deps.appId === undefined ? {} : { appId: deps.appId }),
    }),
  );
  const schedule = scheduler(queue);
  const once = onceForDelivery(deliveries);
  const intake = pullRequestIntake({ queue, deliveries, log: app.log });

  app.on([...PULL_REQUEST_EVENTS], async (context) => {
    const result = await intake(context.id, context.payload);
    if (result === 'full' || result === 'unavailable') throw refused(`review queue ${result}`);
  });

  app.on(
    'issue_comment.created',
    once(async (context) => {
      await onComment(context, schedule);
    }),
  );

  app.on(
    'check_run.rerequested',
    once(async (context) => {
      const { check_run: run } = context.payload;
      if (run.name !== CHECK_RUN_NAME) return;
      for (const pr of run.pull_requests) {
        await schedule(
          context,
          { ...context.repo(), pullNumber: pr.number },
          'check_run_rerequested',
          pr.head.sha,
        );
      }
    }),
  );
}

type Schedule = (context: Context, pull: PullRef, reason: ReviewReason, headSha?: string) => Promise<void>;

export type IntakeResult = EnqueueResult | 'duplicate' | 'ignored';

/**
 * Everything a `pull_request` delivery asks of the bot, without an API call: claim the delivery id,
 * enqueue the review, log. The Probot handler uses it, and so does the server's fast path for this,
 * the most frequent event (src/server.ts), which skips the per-event Octokit Probot would build.
 */
export function pullRequestIntake(deps: {
  queue: JobQueue;
  deliveries: DeliveryStore;
  log: JobLog;
}): (deliveryId: string, payload: PullRequestPayload) => Promise<IntakeResult> {
  const { queue, deliveries, log } = deps;
  return async (deliveryId, payload) => {
    const pr = payload.pull_request;
    const fields = {
      deliveryId,
      repo: `${payload.repository.owner.login}/${payload.repository.name}`,
      pr: pr.number,
      reason: payload.action,
    };
    const installationId = payload.installation?.id;
    if (!PULL_REQUEST_ACTIONS.has(payload.action) || installationId === undefined) {
      log.info(
        fields,
        installationId === undefined
          ? 'webhook without an installation; not reviewing'
          : 'pull request action ignored',
      );
      return 'ignored';
    }
    const ids = [`github:${deliveryId}`];
    const claim = await deliveries.claim(ids).catch((error: unknown) => {
      log.error({ ...fields, err: errorFields(error) }, 'delivery store unreachable; refusing the delivery');
      return 'unavailable' as const;
    });
    if (claim !== 'claimed') {
      if (claim === 'duplicate') log.info(fields, 'delivery already received; ignored');
      return claim;
    }
    const result = await queue
      .enqueue(pullRequestJob(deliveryId, installationId, payload))
      .catch((error: unknown) => {
        log.error({ ...fields, err: errorFields(error) }, 'could not enqueue the review');
        return 'unavailable' as const;
      });
    if (result === 'full' || result === 'unavailable') {
      await deliveries.release(ids).catch(() => undefined);
      log.error({ ...fields, queue: result }, 'review queue cannot take the review; refusing the delivery');
      return result;
    }
    confirmInBackground(deliveries, ids);
    log.info({ ...fields, queue: result }, 'review enqueued');
    return result;
  };
}

/** The review a `pull_request` delivery asks for, from the webhook or from the app's delivery log. */
export function pullRequestJob(
  deliveryId: string,
  installationId: number,
  payload: PullRequestPayload,
): GitHubReviewJob {
  return {
    platform: 'github',
    deliveryIds: [deliveryId],
    installationId,
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    pullNumber: payload.pull_request.number,
    headSha: payload.pull_request.head.sha,
    reason: payload.action as ReviewReason,
    enqueuedAt: Date.now(),
  };
}

/** A webhook answered 503: the delivery shows as failed in the app's settings, where it can be redelivered. */
function refused(message: string): Error {
  return Object.assign(new Error(message), { status: QUEUE_FULL_STATUS });
}

function scheduler(queue: JobQueue): Schedule {
  return async (context, pull, reason, headSha) => {
    const log: JobLog = context.log.child({
      deliveryId: context.id,
      repo: `${pull.owner}/${pull.repo}`,
      pr: pull.pullNumber,
    });
    const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
    if (installationId === undefined) {
      log.warn({ reason }, 'webhook without an installation; not reviewing');
      return;
    }
    const job: GitHubReviewJob = {
      platform: 'github',
      deliveryIds: [context.id],
      installationId,
      owner: pull.owner,
      repo: pull.repo,
      pullNumber: pull.pullNumber,
      reason,
      enqueuedAt: Date.now(),
      ...(headSha ? { headSha } : {}),
    };
    const result = await queue.enqueue(job);
    if (result === 'full' || result === 'unavailable') {
      log.error({ reason, queue: result }, 'review queue cannot take the review; refusing the delivery');
      throw refused(`review queue ${result}`);
    }
    log.info({ reason, queue: result }, 'review enqueued');
  };
}

/**
 * Each delivery is acted on once: a redelivery (same `X-GitHub-Delivery`) is acknowledged and
 * ignored. A handler that fails releases the id, so the platform's retry is not taken for a duplicate.
 */
function onceForDelivery(deliveries: DeliveryStore) {
  return <C extends Context>(handler: (context: C) => Promise<void>) =>
    async (context: C): Promise<void> => {
      const ids = [`github:${context.id}`];
      let claim;
      try {
        claim = await deliveries.claim(ids);
      } catch (error) {
        context.log.error({ deliveryId: context.id, err: errorFields(error) }, 'delivery store unreachable');
        throw refused('delivery store unreachable');
      }
      if (claim === 'duplicate') {
        context.log.info({ deliveryId: context.id }, 'delivery already received; ignored');
        return;
      }
      try {
        await handler(context);
      } catch (error) {
        await deliveries.release(ids).catch(() => undefined);
        throw error;
      }
      confirmInBackground(deliveries, ids);
    };
}

/**
 * How this process runs a GitHub job: authenticate as the job's installation, then review. Used by
 * the in-process queue (the app registers it) and by `jitterbot worker`, which builds `app` from its
 * own environment — the job carries only ids, never a token.
 */
export function githubJobRunner(
  app: Probot,
  deps: {
    review: ReviewFn;
    budget?: ReadBudget;
    readCache?: ReadCache;
    records?: ReviewRecords;
    appId?: number;
  },
): JobRunner<GitHubReviewJob> {
  const botLogin = appBotLogin(app);
  // One cache for every job this process runs, unless the process brings its own (Redis-backed).
  const readCache = deps.readCache ?? createReadCache();
  return async (job) => {
    const octokit = await app.auth(job.installationId);
    const log: JobLog = app.log.child({
      deliveryIds: job.deliveryIds,
      repo: `${job.owner}/${job.repo}`,
      pr: job.pullNumber,
    });
    const outcome = await reviewPullRequest({
      owner: job.owner,
      repo: job.repo,
      pullNumber: job.pullNumber,
      octokit,
      log,
      reason: job.reason,
      readConfig: (name) => readRepoConfig(octokit, job.owner, job.repo, name),
      botLogin,
      review: deps.review,
      readCache,
      ...(deps.budget ? { budget: deps.budget } : {}),
      ...(deps.records ? { records: deps.records } : {}),
      ...(deps.appId === undefined ? {} : { appId: deps.appId }),
    });
    // The reconciler skips a delivery recorded here without fetching it; a failed one stays unrecorded.
    if (outcome !== 'failed' && deps.records) {
      await deps.records
        .add(job.deliveryIds.map((id) => handledDeliveryKey('github', id)))
        .catch((error: unknown) =>
          log.warn({ err: errorFields(error) }, 'could not record the handled deliveries'),
        );
    }
    return outcome;
  };
}

/**
 * `/jitterbot rescan` on a pull request: honoured for people with write access, acknowledged with a
 * reaction; comments by bots (including this one) and by readers are ignored without a reply, so the
 * bot cannot be made to talk by anyone who can comment.
 */
async function onComment(context: Context<'issue_comment.created'>, schedule: Schedule): Promise<void> {
  const { issue, comment, sender } = context.payload;
  if (!issue.pull_request || !RESCAN_COMMAND.test(comment.body)) return;
  const pull: PullRef = { ...context.repo(), pullNumber: issue.number };
  const log = context.log.child({
    deliveryId: context.id,
    repo: `${pull.owner}/${pull.repo}`,
    pr: pull.pullNumber,
  });
  if (sender.type === 'Bot') {
    log.info({ sender: sender.login }, 'rescan requested by a bot; ignored');
    return;
  }
  if (!(await canRequestRescan(context, sender.login))) {
    log.info({ sender: sender.login }, 'rescan requested without write access; ignored');
    return;
  }
  try {
    await context.octokit.rest.reactions.createForIssueComment({
      ...context.repo(),
      comment_id: comment.id,
      content: ACCEPTED_REACTION,
    });
  } catch (error) {
    log.warn({ err: errorFields(error) }, 'could not react to the rescan comment');
  }
  await schedule(context, pull, 'rescan', undefined);
}

async function canRequestRescan(
  context: Context<'issue_comment.created'>,
  username: string,
): Promise<boolean> {
  try {
    const { data } = await context.octokit.rest.repos.getCollaboratorPermissionLevel({
      ...context.repo(),
      username,
    });
    // `permission` is the legacy level (maintain reads as write); `role_name` may be a custom role.
    return RESCAN_ROLES.has(data.permission) || RESCAN_ROLES.has(data.role_name);
  } catch (error) {
    context.log.warn({ err: errorFields(error), username }, 'could not read the commenter permission');
    return false;
  }
}

/**
 * The login the app comments as, `<slug>[bot]`, asked of GitHub once (`GET /app`, as the app) and
 * remembered. Undefined when it cannot be known, e.g. when running with a plain token.
 */
function appBotLogin(app: Probot): () => Promise<string | undefined> {
  let pending: Promise<string | undefined> | undefined;
  return () => {
    pending ??= (async () => {
      try {
        const octokit = await app.auth();
        const { data } = await octokit.rest.apps.getAuthenticated();
        return data?.slug ? `${data.slug}[bot]` : undefined;
      } catch (error) {
        app.log.warn(
          { err: errorFields(error) },
          'could not read the app slug; matching earlier comments by marker',
        );
        pending = undefined;
        return undefined;
      }
    })();
    return pending;
  };
}
