import type { ProbotOctokit } from 'probot';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { currentApiCallLog } from './platforms/api-calls.js';
import { NOT_MODIFIED } from './platforms/github/conditional.js';
import type { ReadCacheObserver } from './platforms/read-cache.js';
import type { Platform } from './queue/job.js';
import type { JobQueue, QueueObserver } from './queue/types.js';

/**
 * Prometheus metrics of one process (`GET /metrics`). Label values are bounded sets chosen here —
 * never a repository, a delivery id or anything else a sender controls — so a flood of odd webhooks
 * cannot blow up the series count.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Queue hook points: enqueue results, wait and run time, how jobs ended. */
  readonly observer: QueueObserver;
  /** One webhook request answered, by the route's platform and the HTTP status it got. */
  webhook(platform: Platform, event: string | undefined, status: number): void;
  /** Samples `queue.counts()` on every scrape. */
  watchQueue(queue: JobQueue): void;
  /**
   * Wraps a review function to count what it found, by rule, and the API calls its job made up to the
   * end of the review (from the job's API call log, src/platforms/api-calls.ts).
   */
  countFindings<A extends unknown[], R>(review: (...args: A) => Promise<R>): (...args: A) => Promise<R>;
  /** Hits and misses of the read cache, by layer. */
  readonly readCache: ReadCacheObserver;
  /** An Octokit plugin counting failed GitHub API attempts (install it beneath the retry layer). */
  githubApiErrors(): OctokitPlugin;
  apiError(platform: Platform, status: number | undefined): void;
  /** A `sleep` for the API retry layers that counts each retry before waiting. */
  retrySleep(platform: Platform): (ms: number) => Promise<void>;
}

type OctokitPlugin = Parameters<(typeof ProbotOctokit)['plugin']>[0];

/** Events the bot subscribes to; anything else is counted as `other`. */
const GITHUB_EVENTS: ReadonlySet<string> = new Set([
  'pull_request',
  'issue_comment',
  'check_run',
  'check_suite',
  'installation',
  'installation_repositories',
  'ping',
]);
const GITLAB_EVENTS: Readonly<Record<string, string>> = {
  'Merge Request Hook': 'merge_request',
  'Note Hook': 'note',
  'Push Hook': 'push',
  'System Hook': 'system',
};

/** Review jobs take seconds to minutes; waits range from milliseconds to minutes under load. */
const JOB_SECONDS_BUCKETS = [0.05, 0.25, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** A cached second push costs about ten calls; a cold review of a big repository, up to the read cap. */
const API_CALLS_BUCKETS = [5, 10, 20, 50, 100, 200, 500, 1000, 2000];

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC) as well: on for servers, off in tests. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });

  const webhooks = new Counter({
    name: 'jitterbot_webhooks_total',
    help: 'Webhook requests answered, by platform, event and outcome (from the HTTP status)',
    labelNames: ['platform', 'event', 'outcome'] as const,
    registers: [registry],
  });
  const enqueued = new Counter({
    name: 'jitterbot_jobs_enqueued_total',
    help: 'Review requests offered to the queue: queued, coalesced into a waiting job, or refused (full, unavailable)',
    labelNames: ['platform', 'result'] as const,
    registers: [registry],
  });
  const finished = new Counter({
    name: 'jitterbot_jobs_finished_total',
    help: 'Review jobs ended: reviewed, skipped, superseded, failed and retrying, or dead (every attempt failed)',
    labelNames: ['platform', 'outcome'] as const,
    registers: [registry],
  });
  const waitSeconds = new Histogram({
    name: 'jitterbot_job_wait_seconds',
    help: 'Time from the oldest merged request being enqueued to its review starting',
    labelNames: ['platform'] as const,
    buckets: JOB_SECONDS_BUCKETS,
    registers: [registry],
  });
  const runSeconds = new Histogram({
    name: 'jitterbot_job_duration_seconds',
    help: 'Time one review job ran, by how it ended',
    labelNames: ['platform', 'outcome'] as const,
    buckets: JOB_SECONDS_BUCKETS,
    registers: [registry],
  });
  const findings = new Counter({
    name: 'jitterbot_findings_total',
    help: 'Findings on added lines reported by reviews (new and still present), by rule',
    labelNames: ['platform', 'rule'] as const,
    registers: [registry],
  });
  const apiErrors = new Counter({
    name: 'jitterbot_api_errors_total',
    help: 'Failed platform API attempts, by HTTP status (0: no response: timeout, reset, refused)',
    labelNames: ['platform', 'status'] as const,
    registers: [registry],
  });
  const apiRetries = new Counter({
    name: 'jitterbot_api_retries_total',
    help: 'Platform API calls retried after a jittered wait',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const apiCalls = new Counter({
    name: 'jitterbot_api_calls_total',
    help: 'Platform API requests made by reviews (every attempt), by kind: tree, blob, contents, compare, pull, comments, check, graphql, write, other',
    labelNames: ['platform', 'kind'] as const,
    registers: [registry],
  });
  const notModified = new Counter({
    name: 'jitterbot_api_not_modified_total',
    help: 'Conditional API requests of reviews answered 304 Not Modified (not charged to the rate limit)',
    labelNames: ['platform'] as const,
    registers: [registry],
  });
  const reviewApiCalls = new Histogram({
    name: 'jitterbot_review_api_calls',
    help: 'Platform API requests one review made',
    labelNames: ['platform'] as const,
    buckets: API_CALLS_BUCKETS,
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: 'jitterbot_read_cache_lookups_total',
    help: 'Read cache lookups (blobs by id, listings by commit), by layer (memory, redis) and result (hit, miss, invalid)',
    labelNames: ['layer', 'result'] as const,
    registers: [registry],
  });
  const watched: JobQueue[] = [];
  new Gauge({
    name: 'jitterbot_queue_jobs',
    help: 'Review jobs in the queue by state (with Redis: the whole shared queue)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of watched) {
        const counts = await queue.counts().catch(() => undefined);
        if (!counts) continue;
        for (const [state, value] of Object.entries(counts)) this.inc({ state }, value);
      }
    },
  });

  const metrics: Metrics = {
    registry,
    observer: {
      enqueued: (platform, result) => enqueued.inc({ platform, result }),
      started: (job, waitMs) => waitSeconds.observe({ platform: job.platform }, Math.max(0, waitMs) / 1000),
      finished: (job, end, durationMs) => {
        finished.inc({ platform: job.platform, outcome: end });
        if (end !== 'superseded')
          runSeconds.observe({ platform: job.platform, outcome: end }, durationMs / 1000);
      },
    },
    webhook(platform, event, status) {
      webhooks.inc({ platform, event: eventLabel(platform, event), outcome: outcomeOf(status) });
    },
    watchQueue(queue) {
      if (!watched.includes(queue)) watched.push(queue);
    },
    countFindings(review) {
      return async (...args) => {
        const platform = platformOf(args[0]);
        try {
          const outcome = await review(...args);
          for (const rule of rulesOf(outcome)) findings.inc({ platform, rule });
          return outcome;
        } finally {
          const calls = currentApiCallLog();
          if (calls) {
            for (const [kind, count] of calls.byKind())
              apiCalls.inc({ platform: calls.platform, kind }, count);
            notModified.inc({ platform: calls.platform }, calls.notModified);
            reviewApiCalls.observe({ platform: calls.platform }, calls.total);
          }
        }
      };
    },
    readCache: {
      lookup: (layer, result) => cacheLookups.inc({ layer, result }),
    },
    githubApiErrors: () => (octokit) => {
      octokit.hook.wrap('request', async (request, options) => {
        try {
          return await request(options);
        } catch (error) {
          const status = (error as { status?: number }).status;
          // A 304 answers a conditional request: the client's copy is current, nothing failed.
          if (status !== NOT_MODIFIED) metrics.apiError('github', status);
          throw error;
        }
      });
      return {};
    },
    apiError(platform, status) {
      apiErrors.inc({ platform, status: String(status ?? 0) });
    },
    retrySleep(platform) {
      return (ms) => {
        apiRetries.inc({ platform });
        return new Promise((resolve) => setTimeout(resolve, ms));
      };
    },
  };
  return metrics;
}

/** accepted (2xx), rejected (signature, token, shape: 4xx), too_large (413), refused (503), error. */
function outcomeOf(status: number): string {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 413) return 'too_large';
  if (status === 503) return 'refused';
  if (status >= 400 && status < 500) return 'rejected';
  return 'error';
}

function eventLabel(platform: Platform, event: string | undefined): string {
  if (!event) return 'none';
  if (platform === 'github') return GITHUB_EVENTS.has(event) ? event : 'other';
  return GITLAB_EVENTS[event] ?? 'other';
}

function platformOf(target: unknown): string {
  const platform = (target as { platform?: unknown } | null)?.platform;
  return platform === 'github' || platform === 'gitlab' ? platform : 'other';
}

/** Rules of the findings a review reported on added lines (posted now or earlier). */
function rulesOf(outcome: unknown): string[] {
  const { toPost, unchanged } = (outcome ?? {}) as { toPost?: unknown; unchanged?: unknown };
  return [toPost, unchanged]
    .filter(Array.isArray)
    .flat()
    .map((published) => (published as { finding?: { rule?: unknown } }).finding?.rule)
    .filter((rule): rule is string => typeof rule === 'string');
}
