import type { Probot, ProbotOctokit } from 'probot';
import { queued, type ReconcileRun, type ReconcileSource } from '../../reconcile/reconciler.js';
import { handledDeliveryKey, reviewedKey, type ReviewRecords } from '../../review-records.js';
import { pullRequestJob } from './app.js';
import { CHECK_RUN_NAME } from './check-run.js';
import { githubTargetKey } from './job-kind.js';
import { PULL_REQUEST_ACTIONS, payloadProblem, type PullRequestPayload } from './payloads.js';

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
 * reviewed — recorded, or carrying a completed `jitterbot` check run of this app — the review is
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
    if (!(await records.has(handledDeliveryKey('github', guid)))) missed.push(attempts);
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
  if (await hasCompletedCheckRun(deps, job)) {
    await deps.records.add([reviewed, handled]);
    return true;
  }
  const result = await run.enqueue(job, accepted ? 'review never completed' : 'delivery failed');
  return queued(result);
}

/**
 * Whether this app completed its check run on the head commit: the durable trace of a finished
 * review, which outlives a process that kept its records in memory. A review killed mid-way leaves
 * its check run in progress.
 */
async function hasCompletedCheckRun(
  deps: GitHubReconcileDeps,
  job: { installationId: number; owner: string; repo: string; headSha?: string },
): Promise<boolean> {
  const octokit = await deps.app.auth(job.installationId);
  const { data } = await octokit.rest.checks.listForRef({
    owner: job.owner,
    repo: job.repo,
    ref: job.headSha!,
    check_name: CHECK_RUN_NAME,
    status: 'completed',
    ...(deps.appId === undefined ? {} : { app_id: deps.appId }),
    per_page: 1,
  });
  return data.total_count > 0;
}
