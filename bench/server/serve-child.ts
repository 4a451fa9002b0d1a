/**
 * The web process of the benchmark: `jitterbot serve` with the in-process queue — the real
 * `startServer` (Probot, signature checks, idempotency, the queue) and the real review, whose analysis
 * runs where REVIEW_THREADS says (0: on the event loop). GitHub is bench/server/github-child.ts
 * (GHE_HOST), which has no rate limits, so the client's write throttling is off.
 */
import { createMetrics } from '../../src/metrics.js';
import {
  DEFAULT_GITHUB_RETRY,
  QuietRetryProbotOctokit,
  jitterbotOctokit,
} from '../../src/platforms/github/octokit.js';
import type { GitHubReviewJob } from '../../src/platforms/github/job-kind.js';
import { queueFromEnv } from '../../src/queue/create.js';
import type { JobQueue, JobRunner } from '../../src/queue/types.js';
import { reviewsFromEnv } from '../../src/review/pool.js';
import { startServer } from '../../src/server.js';
import { maxLoopDelayMs, peakRssMb, reviewOf, send, type ParentMessage } from './protocol.js';

const Unthrottled = QuietRetryProbotOctokit.defaults((options: { throttle?: object }) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
}));

/** Tells the benchmark which deliveries each completed review covered. */
function recording(queue: JobQueue): JobQueue {
  const handle = queue.handle.bind(queue);
  queue.handle = (platform, runner) =>
    handle(platform, (async (job: GitHubReviewJob) => {
      const end = await (runner as JobRunner<GitHubReviewJob>)(job);
      if (end === 'reviewed') send({ kind: 'reviewed', review: reviewOf(job) });
      // In this benchmark every pull request is open and no draft: a skipped run found its head reviewed.
      if (end === 'skipped') send({ kind: 'reviewed', review: { ...reviewOf(job), alreadyReviewed: true } });
      return end;
    }) as never);
  return queue;
}

const quiet = { info() {}, warn() {}, error() {} };
// Metrics on, as `jitterbot serve` runs: their cost is part of acknowledging a webhook.
const metrics = createMetrics({ processMetrics: true });
const backend = await queueFromEnv(process.env, { log: quiet, observer: metrics.observer });
const { review, pool } = reviewsFromEnv(process.env, quiet);
const running = await startServer(process.env, {
  metrics,
  queue: recording(backend.queue),
  deliveries: backend.deliveries,
  review,
  Octokit: jitterbotOctokit(DEFAULT_GITHUB_RETRY, Unthrottled),
  loadDotEnv: false,
});
send({ kind: 'ready', url: running.url });

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'stats') {
    send({
      kind: 'stats',
      depth: running.queue.depth,
      active: running.queue.active,
      peakRssMb: peakRssMb(),
      maxLoopDelayMs: maxLoopDelayMs(),
    });
  }
  if (message.kind === 'stop') {
    void running.close(0).then(async () => {
      await pool?.close({ force: true });
      await backend.disconnect();
      process.exit(0);
    });
  }
});
