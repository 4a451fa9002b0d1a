/**
 * A `jitterbot worker` process for the crash and shutdown tests: the real worker (src/worker.ts) with a
 * counting stand-in for the review. It records in Redis that it started a job, waits until the test
 * releases it (so the test can kill it mid-review), then records the review as (worker, PR, head).
 *
 * Env: REDIS_URL, WORKER_NAME, SHUTDOWN_TIMEOUT_MS (optional), PORT/HOST for its health server.
 */
import { Redis } from 'ioredis';
import { startWorker } from '../../src/worker.js';
import '../../src/platforms/github/job-kind.js';
import type { GitHubReviewJob } from '../../src/platforms/github/job-kind.js';
import { RELEASE, REVIEWED, STARTED } from './child.js';

const name = process.env.WORKER_NAME ?? 'worker';
const notes = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });

async function review(job: GitHubReviewJob): Promise<'reviewed'> {
  await notes.rpush(STARTED, name);
  while ((await notes.exists(RELEASE)) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  await notes.rpush(REVIEWED, `${name}:${job.pullNumber}@${job.headSha}`);
  return 'reviewed';
}

const running = await startWorker(process.env, {
  runners: { github: review },
  // A dead worker's job is taken over after a second instead of thirty.
  worker: { lockDurationMs: 1_000, stalledIntervalMs: 300 },
});
process.stdout.write(`${JSON.stringify({ ready: running.url })}\n`);

process.once('SIGTERM', () => {
  void (async () => {
    const report = await running.close(Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 5_000));
    process.stdout.write(`${JSON.stringify({ closed: report })}\n`);
    notes.disconnect();
    process.exit(0);
  })();
});
