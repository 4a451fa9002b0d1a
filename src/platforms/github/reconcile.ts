import type { Probot, ProbotOctokit } from 'probot';
import { queued, type ReconcileRun, type ReconcileSource } from '../../reconcile/reconciler.js';
import { handledDeliveryKey, reviewedKey, type ReviewRecords } from '../../review-records.js';
import { pullRequestJob } from './app.js';
import { hasFinishedReview } from './check-run.js';
import { githubTargetKey, type GitHubReviewJob } from './job-kind.js';
import { PULL_REQUEST_ACTIONS, payloadProblem, type PullRequestPayload } from './payloads.js';
import { errorFields } from './target.js';

export interface GitHubReconcileDeps {
  app: Probot;
  records: ReviewRecords;
  /** The App's id (`APP_ID`): only its own check runs count as a finished review. */
  appId?: number;
}

/** One attempt to deliver a webhook, as `GET /app/hook/deliveries` lists it. */
interface DeliveryAttempt {
  id: number;
  /** `X-GitHub-Delivery`: the same for a delivery and its redeliveries. */
  guid: string;
  delivered_at: string;
  status_code: number;
  event: string;
  action: string | null;
}

const DELIVERIES_PER_PAGE = 100;

/**
 * GitHub's side of the reconciler: the App's own webhook deliveries (newest first, as far back as the
 * look-back window), of the `pull_request` actions the app reviews. A delivery is reconciled when
 * no attempt was accepted (a 5xx, a timeout, no connection) or when it was accepted but the review it
 * asked for never finished (the process was killed). Neither is recorded as handled, so each costs
 * one `GET /app/hook/deliveries/{id}` for its payload; then, unless the head commit is known to be
 * reviewed — recorded, or carrying a finished `jitterbot` check run of this app — the review is
 * queued directly (not redelivered: see docs/deploy.md).
 */
export function githubReconcileSource(deps: GitHubReconcileDeps): ReconcileSource {
  return {
    platform: 'github',
    async reconcile(run) {
      const octokit = await deps.app.auth();
      for (const attempts of await missedDeliveries(octokit, deps.records, run)) {
        if (!(await reconcileDelivery(deps, run, octokit, attempts))) return;
      }
    },
  };
}

/** Deliveries in the window that may need a review, grouped by guid (first attempt first), newest first. */
async function missedDeliveries(
  octokit: ProbotOctokit,
  records: ReviewRecords,
  run: ReconcileRun,
): Promise<DeliveryAttempt[][]> {
  const byGuid = new Map<string, DeliveryAttempt[]>();
  const listing = octokit.paginate.iterator(octokit.rest.apps.listWebhookDeliveries, {
    per_page: DELIVERIES_PER_PAGE,
  });
  const pages = listing[Symbol.asyncIterator]();
  // Pages run newest first: the first attempt older than the window ends the listing.
  for (let more = true; more && run.call();) {
    const next = await pages.next();
    if (next.done) break;
    const page = next.value.data as DeliveryAttempt[];
    more = page.length === DELIVERIES_PER_PAGE;
    for (const attempt of page) {
      if (Date.parse(attempt.delivered_at) < run.since) more = false;
      else if (attempt.event === 'pull_request' && PULL_REQUEST_ACTIONS.has(attempt.action ?? ''))
        byGuid.set(attempt.guid, [attempt, ...(byGuid.get(attempt.guid) ?? [])]);
    }
  }
  const missed: DeliveryAttempt[][] = [];
  for (const [guid, attempts] of byGuid) {
    if (Date.parse(attempts[0]!.delivered_at) > run.until) continue;
    const handled = handledDeliveryKey('github', guid);
    if (!run.queuedBefore(handled) && !(await records.has(handled))) missed.push(attempts);
  }
  return missed;
}

/** False when the run must stop: out of budget, or the queue takes no more. */
async function reconcileDelivery(
  deps: GitHubReconcileDeps,
  run: ReconcileRun,
  appOctokit: ProbotOctokit,
  attempts: DeliveryAttempt[],
): Promise<boolean> {
  const first = attempts[0]!;
  const accepted = attempts.some((attempt) => attempt.status_code >= 200 && attempt.status_code < 300);
  if (!run.call()) return false;
  const { data } = await appOctokit.rest.apps.getWebhookDelivery({ delivery_id: first.id });
  const payload = data.request.payload as unknown;
  const installationId = (payload as PullRequestPayload | null)?.installation?.id;
  const handled = handledDeliveryKey('github', first.guid);
  if (payloadProblem('pull_request', payload) || installationId == null) {
    // The webhook route would have refused it too: nothing to review, now or later.
    await deps.records.add([handled]);
    return true;
  }
  const job = pullRequestJob(first.guid, installationId, payload as PullRequestPayload);
  const reviewed = reviewedKey(githubTargetKey(job), job.headSha!);
  if (await deps.records.has(reviewed)) {
    await deps.records.add([handled]);
    return true;
  }
  if (!run.call()) return false;
  if (await finishedOnGitHub(deps, run, job)) {
    await deps.records.add([reviewed, handled]);
    return true;
  }
  const result = await run.enqueue(job, accepted ? 'review never completed' : 'delivery failed', handled);
  return queued(result);
}

/**
 * Whether the head commit carries a finished review. One installation without the checks permission
 * must not stop the run: its deliveries count as unreviewed, and the job decides again.
 */
async function finishedOnGitHub(
  deps: GitHubReconcileDeps,
  run: ReconcileRun,
  job: GitHubReviewJob,
): Promise<boolean> {
  try {
    const octokit = await deps.app.auth(job.installationId);
    return await hasFinishedReview(octokit, job, job.headSha!, deps.appId);
  } catch (error) {
    run.log.warn(
      { repo: `${job.owner}/${job.repo}`, pr: job.pullNumber, err: errorFields(error) },
      'could not read the check runs of a missed delivery',
    );
    return false;
  }
}
