/**
 * Retries with full jitter for the bot's own API calls — we would be a poor advertisement for jitter if
 * every jitterbot replica hammered GitHub or GitLab in lockstep after an outage.
 *
 * Delay before retry n (1-based): `U(0, min(capMs, baseMs · 2^(n-1)))` ("full jitter", the AWS
 * architecture blog's recommendation). When the server says when to come back (`Retry-After`), we wait
 * at least that long and spread clients over a jittered window on top, so replicas that were all told
 * "60 s" do not all return at second 60.
 */
export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  retries: number;
  /** Upper bound of the first retry's delay window. */
  baseMs: number;
  /** Largest delay window, however many attempts have failed. */
  capMs: number;
  /** Whether an error is worth another attempt (5xx, 429, network resets); others are rethrown at once. */
  shouldRetry(error: unknown): boolean;
  /** Server-directed wait (`Retry-After`, rate-limit reset) in ms, when the error carries one. */
  retryAfterMs?(error: unknown): number | undefined;
  /**
   * A server-directed wait longer than this is not waited for: the error is rethrown so the caller can
   * give up (or a queue can redeliver later) instead of holding a worker. Default: {@link DEFAULT_MAX_RETRY_AFTER_MS}.
   */
  maxRetryAfterMs?: number;
  /** Uniform random in [0, 1). Injected in tests to prove two clients pick different delays. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each wait; for logging (never log the error's request headers: they hold tokens). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/** GitHub's secondary rate limits commonly ask for 60 s; anything longer is better left to redelivery. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 120_000;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The window full jitter draws from before retry `retry` (1-based). */
export function backoffWindowMs(retry: number, baseMs: number, capMs: number): number {
  // 2 ** 1024 is Infinity, which min() handles, but keep the exponent sane anyway.
  const exponent = Math.min(Math.max(retry - 1, 0), 52);
  return Math.min(capMs, baseMs * 2 ** exponent);
}

/** The delay chosen before retry `retry` (1-based), or undefined when the server asks for too long a wait. */
export function retryDelayMs(
  retry: number,
  error: unknown,
  opts: Pick<RetryOptions, 'baseMs' | 'capMs' | 'retryAfterMs' | 'maxRetryAfterMs' | 'random'>,
): number | undefined {
  const random = opts.random ?? Math.random;
  const jitter = Math.floor(random() * backoffWindowMs(retry, opts.baseMs, opts.capMs));
  const serverWait = opts.retryAfterMs?.(error);
  if (serverWait === undefined || !Number.isFinite(serverWait) || serverWait < 0) return jitter;
  if (serverWait > (opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS)) return undefined;
  return serverWait + jitter;
}

/**
 * Runs `fn(attempt)` (attempt 0 first) until it resolves, the error is not retryable, or `retries`
 * retries have failed; the last error is rethrown unchanged.
 */
export async function retryWithJitter<T>(
  fn: (attempt: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= opts.retries || !opts.shouldRetry(error)) throw error;
      const delayMs = retryDelayMs(attempt + 1, error, opts);
      if (delayMs === undefined) throw error;
      opts.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs);
    }
  }
}

/** Parses an HTTP `Retry-After` value (delta-seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(
  value: string | number | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
