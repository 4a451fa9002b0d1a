import { Gitlab, GitbeakerRequestError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { createRequesterFn, type FormattedResponse, type RequestOptions } from '@gitbeaker/requester-utils';
import { parseRetryAfter, retryWithJitter, type RetryOptions } from '../../retry.js';
import { recordApiCall } from '../api-calls.js';
import { silentLog, type Log } from './log.js';

/** The @gitbeaker/rest client, uncamelized: response fields keep GitLab's snake_case names. */
export type GitlabApi = Gitlab;

/** How the bot retries its own GitLab API calls (full jitter, see src/retry.ts). */
export interface GitlabRetryPolicy {
  retries: number;
  baseMs: number;
  capMs: number;
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every failed attempt with its HTTP status (undefined: no response), for metrics. */
  onFailedAttempt?: (status: number | undefined) => void;
}

/**
 * Four retries with windows of 0.5, 1, 2 and 4 s: a GitLab deploy or a short 429 burst is ridden out
 * within the review job's budget, and replicas spread their retries instead of returning together.
 */
export const DEFAULT_GITLAB_RETRY: GitlabRetryPolicy = { retries: 4, baseMs: 500, capMs: 15_000 };

/** One request, all its retries and backoff included, is abandoned after this long. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export interface GitlabClientOptions {
  /** Instance root, e.g. `https://gitlab.com` or `https://git.example.com/gitlab` (no `/api/v4`). */
  url: string;
  token: string;
  retry?: Partial<GitlabRetryPolicy>;
  requestTimeoutMs?: number;
  log?: Log;
}

/**
 * A gitbeaker client whose transport retries with full jitter and honours `Retry-After`.
 *
 * gitbeaker's own handler (@gitbeaker/rest 43, `defaultRequestHandler`) retries 429 and 502 up to ten
 * times after `2 ** i * 0.25` milliseconds: exponential, no randomness, sub-second in total, and blind
 * to `Retry-After` — exactly the pattern this bot reports. It is replaced here: gitbeaker still builds
 * URLs, bodies and pagination; every HTTP attempt goes through {@link retryWithJitter}.
 */
export function createGitlabClient(options: GitlabClientOptions): GitlabApi {
  const policy = { ...DEFAULT_GITLAB_RETRY, ...options.retry };
  const log = options.log ?? silentLog;
  const requesterFn = createRequesterFn(
    (_service, requestOptions) => Promise.resolve(requestOptions),
    (endpoint, requestOptions) =>
      sendWithRetry(endpoint, (requestOptions ?? {}) as RequestOptions, policy, log),
  );
  return new Gitlab({
    host: options.url,
    token: options.token,
    requesterFn,
    queryTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  });
}

/** HTTP status of a failed gitbeaker call, or undefined for transport errors and bugs. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof GitbeakerRequestError) return error.cause?.response.status;
  return undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** A message safe to log: status and GitLab's description, never the request (its headers hold the token). */
export function describeError(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return status === undefined ? message : `${status}: ${message}`;
}

// Which failures are worth another attempt depends on whether GitLab may already have applied the
// request. 429 and 503 are refusals; a 500 is an exception Rails answered after rolling back. A 502 or
// 504 comes from a proxy that lost the upstream mid-request: repeating a GET is harmless, repeating a POST
// could post the same comment twice, so for POST a missing comment (posted on the next push) is preferred.
const RETRYABLE_STATUS_IDEMPOTENT = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_STATUS_UNSAFE = new Set([429, 500, 503]);
/** Transport errors where the request never reached GitLab. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
/** Transport errors after which the request may or may not have been handled. */
const CUT_OFF_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

async function sendWithRetry(
  endpoint: string,
  options: RequestOptions,
  policy: GitlabRetryPolicy,
  log: Log,
): Promise<FormattedResponse> {
  const method = (options.method ?? 'GET').toUpperCase();
  const idempotent = IDEMPOTENT_METHODS.has(method);
  const retryOptions: RetryOptions = {
    retries: policy.retries,
    baseMs: policy.baseMs,
    capMs: policy.capMs,
    ...(policy.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: policy.maxRetryAfterMs } : {}),
    ...(policy.random ? { random: policy.random } : {}),
    ...(policy.sleep ? { sleep: policy.sleep } : {}),
    shouldRetry: (error) => isRetryable(error, idempotent),
    retryAfterMs: serverDirectedWaitMs,
    onRetry: ({ attempt, delayMs, error }) =>
      log.warn(
        { method, endpoint, attempt, delayMs, status: statusOf(error), error: describeError(error) },
        'GitLab API call failed; retrying after a jittered delay',
      ),
  };
  return retryWithJitter(async () => {
    recordApiCall(method, endpoint);
    try {
      return await sendOnce(endpoint, options, method);
    } catch (error) {
      policy.onFailedAttempt?.(statusOf(error));
      throw error;
    }
  }, retryOptions);
}

function isRetryable(error: unknown, idempotent: boolean): boolean {
  const status = statusOf(error);
  if (status !== undefined) {
    return (idempotent ? RETRYABLE_STATUS_IDEMPOTENT : RETRYABLE_STATUS_UNSAFE).has(status);
  }
  if (error instanceof TransportError && error.code !== undefined) {
    return NEVER_SENT_CODES.has(error.code) || (idempotent && CUT_OFF_CODES.has(error.code));
  }
  return false;
}

/** `Retry-After` first; GitLab's rate limiter also sends `RateLimit-Reset` (Unix seconds). */
function serverDirectedWaitMs(error: unknown): number | undefined {
  if (!(error instanceof GitbeakerRequestError) || !error.cause) return undefined;
  const headers = error.cause.response.headers;
  const retryAfter = parseRetryAfter(headers.get('retry-after'));
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('ratelimit-reset'));
  if (error.cause.response.status === 429 && Number.isFinite(reset) && reset > 0) {
    return Math.max(0, reset * 1000 - Date.now());
  }
  return undefined;
}

async function sendOnce(
  endpoint: string,
  options: RequestOptions,
  method: string,
): Promise<FormattedResponse> {
  const base = options.prefixUrl?.endsWith('/') ? options.prefixUrl : `${options.prefixUrl ?? ''}/`;
  const url = new URL(endpoint, base);
  url.search = options.searchParams ?? '';
  const init: RequestInit = { method };
  if (options.headers) init.headers = options.headers;
  if (options.body !== undefined) init.body = options.body;
  if (options.signal) init.signal = options.signal;
  // A fresh Request per attempt: a body is consumed by the attempt that sends it.
  const request = new Request(url, init);
  let response: Response;
  try {
    response = await fetch(request);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new GitbeakerTimeoutError('GitLab request timed out', { cause: error });
    }
    throw new TransportError(`GitLab request failed: ${(error as Error).message}`, transportCode(error), {
      cause: error,
    });
  }
  if (response.ok)
    return parseResponse(response, options.asStream === true, RAW_FILE_ENDPOINT.test(url.pathname));
  const description = await failureDescription(response);
  throw new GitbeakerRequestError(description, { cause: { description, request, response } });
}

function transportCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** `repository/files/:path/raw` and `repository/blobs/:sha/raw` answer with file bytes, whatever content type they declare. */
const RAW_FILE_ENDPOINT = /\/repository\/(?:files|blobs)\/[^/]+\/raw$/;

/**
 * Same body handling as @gitbeaker/rest, so resource methods see what they expect — except that a raw
 * file is never parsed as JSON: a repository's `package.json` is text to analyse, not an API answer.
 */
async function parseResponse(
  response: Response,
  asStream: boolean,
  rawFile: boolean,
): Promise<FormattedResponse> {
  const headers = Object.fromEntries(response.headers.entries());
  const status = response.status;
  if (asStream) return { body: response.body as FormattedResponse['body'], headers, status };
  if (status === 204) return { body: null, headers, status };
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (contentType === 'application/json' && !rawFile) {
    const text = await response.text();
    return { body: text === '' ? {} : (JSON.parse(text) as FormattedResponse['body']), headers, status };
  }
  if (contentType.startsWith('text/')) return { body: await response.text(), headers, status };
  return { body: await response.blob(), headers, status };
}

async function failureDescription(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return text;
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const detail = parsed.error ?? parsed.message ?? '';
    return typeof detail === 'string' ? detail : JSON.stringify(detail);
  } catch {
    return text;
  }
}
