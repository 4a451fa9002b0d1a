/**
 * The web process of the benchmark: the real `startServer` (Probot, signature checks, idempotency,
 * the queue of its mode), with a counting stand-in for the review. In-process mode runs the stand-in
 * here; with REDIS_URL this process only enqueues and bench/server/worker-child.ts runs it.
 */
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { GitHubReviewJob } from '../../src/platforms/github/job-kind.js';
import { queueFromEnv } from '../../src/queue/create.js';
import { MemoryJobQueue } from '../../src/queue/memory.js';
import type { JobQueue } from '../../src/queue/types.js';
import { startServer } from '../../src/server.js';
import { REVIEW_MS, maxLoopDelayMs, peakRssMb, reviewOf, send, type ParentMessage } from './protocol.js';

async function standIn(job: GitHubReviewJob): Promise<'reviewed'> {
  await new Promise((resolve) => setTimeout(resolve, REVIEW_MS));
  send({ kind: 'reviewed', review: reviewOf(job) });
  return 'reviewed';
}

/** The in-process queue with the stand-in as its GitHub runner (the app's own registration is ignored). */
class StandInQueue extends MemoryJobQueue {
  constructor(metrics: Metrics) {
    super({ observer: metrics.observer });
    super.handle('github', standIn);
  }

  override handle(): void {}
}

const quiet = { info() {}, warn() {}, error() {} };
// Metrics on, as `jitterbot serve` runs: their cost is part of acknowledging a webhook.
const metrics = createMetrics({ processMetrics: true });
const backend = process.env.REDIS_URL
  ? await queueFromEnv(process.env, { log: quiet, observer: metrics.observer })
  : { queue: new StandInQueue(metrics) as JobQueue, deliveries: undefined, disconnect: async () => {} };
const running = await startServer(process.env, {
  metrics,
  queue: backend.queue,
  ...(backend.deliveries ? { deliveries: backend.deliveries } : {}),
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
    void running.close(5_000).then(async () => {
      await backend.disconnect();
      process.exit(0);
    });
  }
});
