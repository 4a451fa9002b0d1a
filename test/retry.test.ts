import { describe, expect, it } from 'vitest';
import { backoffWindowMs, parseRetryAfter, retryDelayMs, retryWithJitter } from '../src/retry.js';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfter?: string,
  ) {
    super(`HTTP ${status}`);
  }
}

const retryable = (error: unknown): boolean => error instanceof HttpError && error.status >= 500;

/** A seeded generator so two "clients" draw different, reproducible sequences. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('retryWithJitter', () => {
  it('returns the first success and passes the attempt number', async () => {
    const attempts: number[] = [];
    const slept: number[] = [];
    const result = await retryWithJitter(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw new HttpError(503);
        return 'ok';
      },
      {
        retries: 3,
        baseMs: 100,
        capMs: 10_000,
        shouldRetry: retryable,
        random: () => 0.5,
        sleep: async (ms) => void slept.push(ms),
      },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([0, 1, 2]);
    // full jitter: half of 100, then half of 200
    expect(slept).toEqual([50, 100]);
  });

  it('rethrows non-retryable errors without waiting', async () => {
    const slept: number[] = [];
    await expect(
      retryWithJitter(
        async () => {
          throw new HttpError(404);
        },
        {
          retries: 5,
          baseMs: 100,
          capMs: 1_000,
          shouldRetry: retryable,
          sleep: async (ms) => void slept.push(ms),
        },
      ),
    ).rejects.toMatchObject({ status: 404 });
    expect(slept).toEqual([]);
  });

  it('gives up after `retries` retries with the last error', async () => {
    let calls = 0;
    await expect(
      retryWithJitter(
        async () => {
          calls += 1;
          throw new HttpError(500 + calls);
        },
        { retries: 2, baseMs: 1, capMs: 1, shouldRetry: retryable, sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ status: 503 });
    expect(calls).toBe(3);
  });

  it('caps the window and never exceeds it', () => {
    expect(backoffWindowMs(1, 100, 1_000)).toBe(100);
    expect(backoffWindowMs(4, 100, 1_000)).toBe(800);
    expect(backoffWindowMs(5, 100, 1_000)).toBe(1_000);
    expect(backoffWindowMs(10_000, 100, 1_000)).toBe(1_000);
    expect(retryDelayMs(20, undefined, { baseMs: 100, capMs: 1_000, random: () => 0.999999 })).toBeLessThan(
      1_000,
    );
  });

  it('waits at least Retry-After, with jitter on top', async () => {
    const slept: number[] = [];
    await retryWithJitter(
      async (attempt) => {
        if (attempt === 0) throw new HttpError(503, '2');
        return 'ok';
      },
      {
        retries: 1,
        baseMs: 100,
        capMs: 1_000,
        shouldRetry: retryable,
        retryAfterMs: (error) => parseRetryAfter((error as HttpError).retryAfter),
        random: () => 0.25,
        sleep: async (ms) => void slept.push(ms),
      },
    );
    expect(slept).toEqual([2_000 + 25]);
  });

  it('does not wait for a Retry-After beyond maxRetryAfterMs', async () => {
    const slept: number[] = [];
    await expect(
      retryWithJitter(
        async () => {
          throw new HttpError(503, '3600');
        },
        {
          retries: 3,
          baseMs: 100,
          capMs: 1_000,
          maxRetryAfterMs: 60_000,
          shouldRetry: retryable,
          retryAfterMs: (error) => parseRetryAfter((error as HttpError).retryAfter),
          sleep: async (ms) => void slept.push(ms),
        },
      ),
    ).rejects.toMatchObject({ status: 503 });
    expect(slept).toEqual([]);
  });

  it('two clients failing together pick different delays', async () => {
    async function client(seed: number): Promise<number[]> {
      const slept: number[] = [];
      await expect(
        retryWithJitter(
          async () => {
            throw new HttpError(503);
          },
          {
            retries: 4,
            baseMs: 1_000,
            capMs: 30_000,
            shouldRetry: retryable,
            random: seeded(seed),
            sleep: async (ms) => void slept.push(ms),
          },
        ),
      ).rejects.toBeInstanceOf(HttpError);
      return slept;
    }
    const a = await client(1);
    const b = await client(2);
    expect(a).toHaveLength(4);
    expect(a).not.toEqual(b);
    a.forEach((ms, i) => expect(ms).toBeLessThan(1_000 * 2 ** i));
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('5')).toBe(5_000);
    expect(parseRetryAfter(3)).toBe(3_000);
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
