/** A `jitterbot worker` of the benchmark (Redis mode): the real worker with the counting stand-in review. */
import '../../src/platforms/github/job-kind.js';
import type { GitHubReviewJob } from '../../src/platforms/github/job-kind.js';
import { startWorker } from '../../src/worker.js';
import { REVIEW_MS, maxLoopDelayMs, peakRssMb, reviewOf, send, type ParentMessage } from './protocol.js';

async function standIn(job: GitHubReviewJob): Promise<'reviewed'> {
  await new Promise((resolve) => setTimeout(resolve, REVIEW_MS));
  send({ kind: 'reviewed', review: reviewOf(job) });
  return 'reviewed';
}

const running = await startWorker(process.env, { runners: { github: standIn } });
send({ kind: 'ready', url: running.url });

process.on('message', (message: ParentMessage) => {
  if (message.kind === 'stats')
    send({
      kind: 'stats',
      depth: 0,
      active: 0,
      peakRssMb: peakRssMb(),
      maxLoopDelayMs: maxLoopDelayMs(),
    });
  if (message.kind === 'stop') void running.close(5_000).then(() => process.exit(0));
});
