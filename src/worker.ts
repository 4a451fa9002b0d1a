import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'probot';
import { createMetrics, type Metrics } from './metrics.js';
import { githubJobRunner } from './platforms/github/app.js';
import { gitlabFromEnv } from './platforms/gitlab/env.js';
import { gitlabJobRunner } from './platforms/gitlab/review-job.js';
import { readCacheFromEnv, sharedReadCacheFromEnv } from './platforms/read-cache-env.js';
import type { ReadCache } from './platforms/read-cache.js';
import { positiveInt, quit } from './queue/create.js';
import { RedisJobQueue, connectRedis, redisConnection } from './queue/redis.js';
import { DEFAULT_REDIS_WORKER, RedisJobWorker, type RedisWorkerOptions } from './queue/redis-worker.js';
import type { CloseReport, JobRunners } from './queue/types.js';
import { runReview } from './review/pipeline.js';
import { reviewsFromEnv, type ReviewPool } from './review/pool.js';
import {
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  createServer,
  githubOctokit,
  githubProbotFromEnv,
  loggerFromEnv,
} from './server.js';

export interface WorkerOverrides {
  /** How jobs run; default: from the environment's GitHub App and GitLab settings. */
  runners?: JobRunners;
  /** BullMQ worker settings beyond `WORKER_CONCURRENCY` (tests shorten the crash-recovery times). */
  worker?: Partial<Omit<RedisWorkerOptions, 'log' | 'observer'>>;
  log?: Logger;
  metrics?: Metrics;
}

export interface RunningWorker {
  /** `http://host:port` of `/healthz`, `/readyz` and `/metrics`. */
  url: string;
  server: Server;
  log: Logger;
  /** Stops taking jobs, waits up to `deadlineMs` for running ones, hands the rest back, disconnects. */
  close(deadlineMs?: number): Promise<CloseReport>;
}

/**
 * `jitterbot worker`: takes review jobs from Redis (`REDIS_URL`) and runs them with clients built from
 * this process's own settings — the GitHub App (APP_ID, PRIVATE_KEY…) and/or GitLab (GITLAB_TOKEN…);
 * `jitterbot serve` only enqueued them. Any number of workers on any machines may share one Redis.
 * Serves `/healthz`, `/readyz` and `/metrics` on PORT (default 3000) for probes and scraping.
 */
export async function startWorker(
  env: NodeJS.ProcessEnv = process.env,
  overrides: WorkerOverrides = {},
): Promise<RunningWorker> {
  const url = env.REDIS_URL?.trim();
  if (!url)
    throw new Error(
      'jitterbot worker needs REDIS_URL: it takes the reviews that `jitterbot serve` enqueues there.',
    );
  const concurrency = positiveInt(env, 'WORKER_CONCURRENCY', DEFAULT_REDIS_WORKER.concurrency);
  if (!overrides.runners) checkPlatforms(env);
  const log = overrides.log ?? (await loggerFromEnv(env));
  const metrics = overrides.metrics ?? createMetrics({ processMetrics: true });
  // The analysis runs on threads here too, so `/healthz` answers and concurrent reviews use every core.
  const reviews: { review: ReviewPool['review']; pool: ReviewPool | null } = overrides.runners
    ? { review: runReview, pool: null }
    : reviewsFromEnv(env, log);
  const shared = overrides.runners ? undefined : await sharedReadCacheFromEnv(env, metrics.readCache);
  const runners = overrides.runners ?? runnersFromEnv(env, log, metrics, reviews.review, shared?.cache);

  const redis = redisConnection(url, 'worker');
  await connectRedis(redis);
  // The worker's view of the whole queue, for the depth gauge; it never enqueues.
  const view = new RedisJobQueue(redis, { log });
  metrics.watchQueue(view);
  const worker = new RedisJobWorker(redis, runners, {
    concurrency,
    log,
    observer: metrics.observer,
    ...overrides.worker,
  });
  await worker.start();

  let closing = false;
  const server = await createServer({
    log,
    metrics,
    readiness: async () => (closing ? 'shutting down' : worker.problem()),
  });
  const port = env.PORT === undefined || env.PORT === '' ? DEFAULT_PORT : Number(env.PORT);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(env.HOST ? { host: env.HOST } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const workerUrl = `http://${host}:${address.port}`;
  log.info(
    {
      url: workerUrl,
      concurrency,
      platforms: Object.keys(runners),
      ...(reviews.pool ? { reviewThreads: reviews.pool.threads } : {}),
    },
    'jitterbot worker taking reviews',
  );

  return {
    url: workerUrl,
    server,
    log,
    async close(deadlineMs = DEFAULT_SHUTDOWN_TIMEOUT_MS) {
      closing = true;
      const report = await worker.close(deadlineMs);
      await view.close(0);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await reviews.pool?.close({ force: true });
      await quit(redis);
      await shared?.close();
      return report;
    },
  };
}

/** Fails before anything starts when no platform, or a half-configured one, is set. */
function checkPlatforms(env: NodeJS.ProcessEnv): void {
  const gitlab = gitlabFromEnv(env);
  if (gitlab.kind === 'invalid') throw new Error(`GitLab is half configured: ${gitlab.problems.join('; ')}`);
  const github = Boolean(env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH));
  if (!github && gitlab.kind !== 'ready') throw new Error(NO_PLATFORM);
}

const NO_PLATFORM =
  'jitterbot worker has no platform to review for: set the GitHub App (APP_ID, PRIVATE_KEY) and/or GitLab (GITLAB_TOKEN, GITLAB_WEBHOOK_SECRET).';

/**
 * The runners this process can offer: GitHub when the App's credentials are set, GitLab when its
 * token and secret are. Throws when neither is, or when one is half configured.
 */
export function runnersFromEnv(
  env: NodeJS.ProcessEnv,
  log: Logger,
  metrics: Metrics,
  runner: ReviewPool['review'] = runReview,
  readCache: ReadCache = readCacheFromEnv(env, { observer: metrics.readCache }),
): JobRunners {
  const runners: JobRunners = {};
  const review = metrics.countFindings(runner);
  if (env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH)) {
    const probot = githubProbotFromEnv(env, githubOctokit(metrics));
    runners.github = githubJobRunner(probot, { review, readCache });
  }
  const gitlabLog = log.child({ name: 'gitlab' });
  const gitlab = gitlabFromEnv(env, {
    log: gitlabLog,
    retry: {
      sleep: metrics.retrySleep('gitlab'),
      onFailedAttempt: (status) => metrics.apiError('gitlab', status),
    },
  });
  if (gitlab.kind === 'invalid') throw new Error(`GitLab is half configured: ${gitlab.problems.join('; ')}`);
  if (gitlab.kind === 'ready') {
    runners.gitlab = gitlabJobRunner({
      clientFor: (projectUrl) => gitlab.clientFor(projectUrl),
      log: gitlabLog,
      review,
      readCache,
      ...(gitlab.botUsername ? { botUsername: gitlab.botUsername } : {}),
    });
  }
  if (!runners.github && !runners.gitlab) throw new Error(NO_PLATFORM);
  return runners;
}
