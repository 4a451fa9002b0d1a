import { createMetrics } from '../metrics.js';
import { readCacheFromEnv } from '../platforms/read-cache-env.js';
import { gitlabWebhookRoute } from '../platforms/gitlab/route.js';
import type { Log } from '../platforms/gitlab/log.js';
import { positiveInt, queueFromEnv } from '../queue/create.js';
import { reviewsFromEnv } from '../review/pool.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, startServer } from '../server.js';

/**
 * `jitterbot serve`: one HTTP server for both platforms, sharing one review queue. The GitLab route is
 * mounted when GITLAB_TOKEN and GITLAB_WEBHOOK_SECRET are set; GitHub follows Probot's environment.
 * With REDIS_URL the server only enqueues (run `jitterbot worker` for the reviews); without it the
 * reviews run in this process.
 */
export async function serveCommand(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // The server's logger exists only once the server starts; GitLab's route logs through it by reference.
  let log: Log = {
    info: (fields, message) =>
      process.stdout.write(`${JSON.stringify({ level: 30, msg: message, ...fields })}\n`),
    warn: (fields, message) =>
      process.stdout.write(`${JSON.stringify({ level: 40, msg: message, ...fields })}\n`),
    error: (fields, message) =>
      process.stderr.write(`${JSON.stringify({ level: 50, msg: message, ...fields })}\n`),
  };
  const forward: Log = {
    info: (fields, message) => log.info(fields, message),
    warn: (fields, message) => log.warn(fields, message),
    error: (fields, message) => log.error(fields, message),
  };
  const shutdownTimeoutMs = positiveInt(env, 'SHUTDOWN_TIMEOUT_MS', DEFAULT_SHUTDOWN_TIMEOUT_MS);
  const metrics = createMetrics({ processMetrics: true });
  const backend = await queueFromEnv(env, { log: forward, observer: metrics.observer });
  const { queue, deliveries } = backend;
  // With Redis this process runs no review; in one process the analysis leaves the event loop.
  const { review, pool } =
    queue.mode === 'memory' ? reviewsFromEnv(env, forward) : { review: undefined, pool: null };
  // Reviews run here only without Redis, so the cache is this process's memory.
  const readCache = readCacheFromEnv(env, { observer: metrics.readCache });
  const gitlab = gitlabWebhookRoute(env, {
    queue,
    deliveries,
    log: forward,
    job: review ? { review: metrics.countFindings(review), readCache } : { readCache },
    retry: {
      sleep: metrics.retrySleep('gitlab'),
      onFailedAttempt: (status) => metrics.apiError('gitlab', status),
    },
  });
  if (gitlab.kind === 'invalid') {
    await backend.disconnect();
    throw new Error(`GitLab is half configured: ${gitlab.problems.join('; ')}`);
  }
  const running = await startServer(env, {
    queue,
    deliveries,
    metrics,
    ...(review ? { review } : {}),
    readCache,
    extraRoutes: gitlab.kind === 'ready' ? [{ ...gitlab.route, platform: 'gitlab' }] : [],
  });
  log = running.log;
  if (gitlab.kind === 'ready')
    log.info({ gitlab: gitlab.url }, 'GitLab webhook route mounted at /gitlab/webhook');
  log.info(
    { queue: queue.mode, ...(pool ? { reviewThreads: pool.threads } : {}) },
    queue.mode === 'redis'
      ? 'reviews go to Redis: run `jitterbot worker` to process them'
      : pool
        ? 'reviews run in this process, their analysis on worker threads'
        : 'reviews run in this process, on its event loop',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(
      { signal, deadlineMs: shutdownTimeoutMs },
      'shutting down: no new webhooks, finishing queued reviews',
    );
    const report = await running.close(shutdownTimeoutMs);
    if (report.abandoned.length > 0) {
      // These targets were not reviewed; `/jitterbot rescan` on each (or the next push) runs them again.
      log.warn({ abandoned: report.abandoned }, 'reviews not finished before the shutdown deadline');
    }
    // Running analyses had the deadline to finish with their reviews; whatever is left is abandoned.
    await pool?.close({ force: true });
    await backend.disconnect();
    log.info({ drained: report.drained }, 'stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
