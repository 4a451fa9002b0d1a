/**
 * The process bench/server/sigkill.ts kills: the real `startServer` (Probot, the in-process queue and
 * delivery store, the reconciler) against the stand-in GitHub API the parent serves (`GHE_HOST`), with a
 * stand-in review that waits and then publishes an empty outcome through the real GitHub target — which
 * completes the `jitterbot` check run, the parent's measure of a finished review.
 */
import type { ReviewFn } from '../../src/platforms/github/job.js';
import type { ReviewOutcome } from '../../src/platforms/types.js';
import { startServer } from '../../src/server.js';

/** Long enough for reviews to queue up behind a burst, so a kill finds some running and some waiting. */
const REVIEW_MS = Number(process.env.SIGKILL_REVIEW_MS ?? 200);

const review: ReviewFn = async (target) => {
  await new Promise((resolve) => setTimeout(resolve, REVIEW_MS));
  const { headSha } = await target.changeSet();
  const outcome: ReviewOutcome = {
    headSha,
    toPost: [],
    unchanged: [],
    fixed: [],
    preExisting: [],
    summary: 'No retry waits without jitter.',
    failed: false,
    configErrors: [],
    skipped: [],
    blastRadius: [],
    clients: { count: 1, source: 'default' },
  };
  await target.publish(outcome);
  return outcome;
};

const running = await startServer(process.env, { review, loadDotEnv: false });
process.send?.({ kind: 'ready', url: running.url });
process.on('message', (message: { kind: string }) => {
  if (message.kind === 'stats') {
    process.send?.({ kind: 'stats', depth: running.queue.depth, active: running.queue.active });
  }
});
