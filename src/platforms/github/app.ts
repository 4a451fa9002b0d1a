import type { Context, Probot } from 'probot';
import { ReviewQueue } from '../../queue.js';
import { runReview } from '../../review/pipeline.js';
import type { ReadBudget } from '../bounded-reader.js';
import type { PullRef } from './changes.js';
import { CHECK_RUN_NAME } from './check-run.js';
import { reviewPullRequest, type JobLog, type ReviewFn, type ReviewReason } from './job.js';
import { errorFields } from './target.js';

export interface GitHubAppDeps {
  /** Where reviews run; handlers only enqueue, so GitHub gets its answer in milliseconds. */
  queue: ReviewQueue;
  review: ReviewFn;
  budget?: ReadBudget;
}

/** Pull request actions that (re)start a review. */
export const PULL_REQUEST_EVENTS = [
  'pull_request.opened',
  'pull_request.reopened',
  'pull_request.synchronize',
  'pull_request.ready_for_review',
] as const;

/** `/jitterbot rescan` or `@jitterbot rescan` at the start of any line of a comment. */
export const RESCAN_COMMAND = /^\s*[/@]jitterbot\s+rescan\b/im;

/** Repository roles allowed to request a rescan (it costs API quota, so not everyone may). */
export const RESCAN_ROLES: ReadonlySet<string> = new Set(['admin', 'maintain', 'write']);

const QUEUE_FULL_STATUS = 503;

/** The reaction that tells the commenter the rescan was accepted. */
const ACCEPTED_REACTION = 'eyes';

export function queueKey(pull: PullRef): string {
  return `github:${pull.owner}/${pull.repo}#${pull.pullNumber}`;
}

/**
 * The GitHub App: a thin layer of event handlers that decide *whether* to review and enqueue the
 * review. Load with `probot.load((app) => jitterbotApp(app, deps))`; with no deps it makes its own
 * in-process queue and uses the real pipeline.
 */
export default function jitterbotApp(app: Probot, deps: Partial<GitHubAppDeps> = {}): void {
  const queue =
    deps.queue ??
    new ReviewQueue({
      onError: (key, error) => app.log.error({ key, err: errorFields(error) }, 'review job failed'),
    });
  const schedule = scheduler(app, queue, deps.review ?? runReview, deps.budget);

  app.on([...PULL_REQUEST_EVENTS], async (context) => {
    const { pull_request: pr } = context.payload;
    schedule(context, { ...context.repo(), pullNumber: pr.number }, context.payload.action);
  });

  app.on('issue_comment.created', async (context) => {
    await onComment(context, schedule);
  });

  app.on('check_run.rerequested', async (context) => {
    const { check_run: run } = context.payload;
    if (run.name !== CHECK_RUN_NAME) return;
    for (const pr of run.pull_requests) {
      schedule(context, { ...context.repo(), pullNumber: pr.number }, 'check_run_rerequested');
    }
  });
}

type Schedule = (context: Context, pull: PullRef, reason: ReviewReason) => void;

function scheduler(app: Probot, queue: ReviewQueue, review: ReviewFn, budget?: ReadBudget): Schedule {
  const botLogin = appBotLogin(app);
  const oneAtATime = serialisedByKey();
  return (context, pull, reason) => {
    const log: JobLog = context.log.child({
      deliveryId: context.id,
      repo: `${pull.owner}/${pull.repo}`,
      pr: pull.pullNumber,
    });
    const key = queueKey(pull);
    const result = queue.enqueue(key, () =>
      oneAtATime(key, async () => {
        await reviewPullRequest({
          ...pull,
          octokit: context.octokit,
          log,
          reason,
          readConfig: (name) => context.config(name),
          botLogin,
          review,
          ...(budget ? { budget } : {}),
        });
      }),
    );
    if (result === 'full') {
      log.error({ reason }, 'review queue is full; refusing the delivery');
      // Answered 503: the delivery shows as failed in the app's settings, where it can be redelivered.
      throw Object.assign(new Error('review queue is full'), { status: QUEUE_FULL_STATUS });
    }
    log.info({ reason, queue: result }, 'review enqueued');
  };
}

/**
 * Runs jobs with the same key one after another. The queue coalesces only jobs that have not started,
 * so with more than one worker a push arriving during a review would otherwise start a second review
 * of the same pull request at once; both would see no earlier comments and post the same ones twice.
 */
function serialisedByKey(): (key: string, run: () => Promise<void>) => Promise<void> {
  const running = new Map<string, Promise<void>>();
  return async (key, run) => {
    const previous = running.get(key);
    const current = (async () => {
      await previous?.catch(() => undefined);
      await run();
    })();
    running.set(key, current);
    try {
      await current;
    } finally {
      if (running.get(key) === current) running.delete(key);
    }
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
  schedule(context, pull, 'rescan');
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
