import { ProbotOctokit } from 'probot';
import { parseRetryAfter, retryWithJitter, type RetryOptions } from '../../retry.js';
import { recordApiCall, recordNotModified } from '../api-calls.js';
import { NOT_MODIFIED, conditionalRequests } from './conditional.js';

/**
 * The Octokit jitterbot's GitHub App uses: Probot's own client with its retries replaced by full-jitter
 * retries from src/retry.ts.
 *
 * Why replace them: @octokit/plugin-retry (v8) waits `(retryCount + 1)² × 1000` ms after a 5xx — 1 s,
 * 4 s, 9 s with no random term — and @octokit/plugin-throttling (v11) waits exactly the `Retry-After`
 * seconds (60 s when a secondary rate limit gives none), also without randomness. Every replica of the
 * bot that failed together retries together: the fixed-delay retry this bot exists to flag.
 *
 * Throttling stays on for its pacing (it queues writes so they are not concurrent); only its retrying is
 * switched off, so a 403/429 surfaces to the jittered layer, which honours `Retry-After` plus jitter.
 */
export type JitteredRetrySettings = Pick<
  RetryOptions,
  'retries' | 'baseMs' | 'capMs' | 'maxRetryAfterMs' | 'random' | 'sleep'
>;

export const DEFAULT_GITHUB_RETRY: JitteredRetrySettings = {
  retries: 3,
  baseMs: 1_000,
  capMs: 30_000,
  maxRetryAfterMs: 120_000,
};

/** GitHub asks clients that hit a secondary rate limit without `Retry-After` to wait at least a minute. */
export const SECONDARY_RATE_LIMIT_WAIT_MS = 60_000;

/** After a primary rate-limit reset, wait a second more: the reset time is rounded to seconds. */
const RATE_LIMIT_RESET_SLACK_MS = 1_000;

interface HttpishError {
  name?: string;
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

function asHttpError(error: unknown): HttpishError | undefined {
  return typeof error === 'object' && error !== null ? (error as HttpishError) : undefined;
}

function isRateLimited(error: HttpishError): boolean {
  const headers = error.response?.headers ?? {};
  return (
    String(headers['x-ratelimit-remaining']) === '0' || /secondary rate limit/i.test(error.message ?? '')
  );
}

/**
 * Worth another attempt: server errors, network failures (Octokit reports them as status 500 without a
 * response), 429, and 403s that are rate limits. Other 4xx are our mistake or a permission problem.
 */
export function isRetryableGitHubError(error: unknown): boolean {
  const e = asHttpError(error);
  if (!e || typeof e.status !== 'number') return false;
  // An abort is the caller giving up, not the server failing.
  if (e.name === 'AbortError') return false;
  if (e.status >= 500 || e.status === 429) return true;
  return e.status === 403 && isRateLimited(e);
}

/** The server-directed wait carried by a GitHub error, in ms. */
export function gitHubRetryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  const e = asHttpError(error);
  const headers = e?.response?.headers;
  if (!e || !headers) return undefined;
  const retryAfter = parseRetryAfter(headers['retry-after'] as string | undefined, now);
  if (retryAfter !== undefined) return retryAfter;
  if (String(headers['x-ratelimit-remaining']) === '0' && headers['x-ratelimit-reset'] !== undefined) {
    const resetMs = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(resetMs)) return Math.max(0, resetMs - now) + RATE_LIMIT_RESET_SLACK_MS;
  }
  if (/secondary rate limit/i.test(e.message ?? '')) return SECONDARY_RATE_LIMIT_WAIT_MS;
  return undefined;
}

type OctokitClass = typeof ProbotOctokit;
type OctokitPlugin = Parameters<OctokitClass['plugin']>[0];
type RequestHookOptions = { method?: string; url?: string };
/** Probot gives every Octokit a pino child logger; Octokit's own type only knows `(message, info)`. */
type StructuredLog = { warn(fields: object, message: string): void };

/** An Octokit plugin wrapping every request (REST and GraphQL) in `retryWithJitter`. */
export function jitteredRetry(settings: JitteredRetrySettings = DEFAULT_GITHUB_RETRY): OctokitPlugin {
  return (octokit) => {
    const log = octokit.log as unknown as StructuredLog;
    octokit.hook.wrap('request', async (request, options) => {
      const { method, url } = options as RequestHookOptions;
      return retryWithJitter(async () => request(options), {
        ...settings,
        shouldRetry: isRetryableGitHubError,
        retryAfterMs: (error) => gitHubRetryAfterMs(error),
        onRetry: ({ attempt, delayMs, error }) =>
          log.warn(
            { method, url, status: asHttpError(error)?.status, attempt, delayMs },
            'GitHub API request failed; retrying with jitter',
          ),
      });
    });
    return {};
  };
}

/**
 * Records every request attempt in the running review's API call log (src/platforms/api-calls.ts).
 * Installed beneath the retry layer, so a retried call is counted as often as GitHub charges it.
 */
export const countApiCalls: OctokitPlugin = (octokit) => {
  octokit.hook.wrap('request', async (request, options) => {
    const { method = 'GET', url = '' } = options as RequestHookOptions;
    recordApiCall(method, url);
    try {
      return await request(options);
    } catch (error) {
      if (asHttpError(error)?.status === NOT_MODIFIED) recordNotModified();
      throw error;
    }
  });
  return {};
};

/**
 * Probot's Octokit with plugin-retry off and plugin-throttling's retry callbacks answering "no", so the
 * only retries are the jittered ones. Sits directly on ProbotOctokit so its option merge is not
 * shadowed by another `defaults()` layer.
 */
export const QuietRetryProbotOctokit: OctokitClass = ProbotOctokit.defaults(
  (options: { retry?: object; throttle?: object }) => ({
    ...options,
    retry: { ...options.retry, enabled: false },
    throttle: { ...options.throttle, onRateLimit: () => false, onSecondaryRateLimit: () => false },
  }),
);

/**
 * The Octokit class to hand to Probot: requests counted, GETs made conditional, retries jittered.
 * `Base` defaults to {@link QuietRetryProbotOctokit}; tests pass
 * `ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } })` and keep the
 * jittered layer.
 */
export function jitterbotOctokit(
  settings: JitteredRetrySettings = DEFAULT_GITHUB_RETRY,
  Base: OctokitClass = QuietRetryProbotOctokit,
): OctokitClass {
  return Base.plugin(countApiCalls, conditionalRequests(), jitteredRetry(settings));
}
