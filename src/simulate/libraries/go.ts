import { exponentialSchedule, noisySchedule, scaledSchedule, type Schedule } from '../schedule.js';

export type GoLibrary = 'cenkalti-backoff' | 'retry-go' | 'go-retryablehttp' | 'go-resiliency';

/** cenkalti/backoff `NewExponentialBackOff()`: 500 ms initial interval, multiplier 1.5, randomization 0.5. */
export const CENKALTI_INITIAL_MS = 500;
export const CENKALTI_MULTIPLIER = 1.5;
export const CENKALTI_RANDOMIZATION = 0.5;
/** eapache/go-resiliency `SetJitter(0.5)`: each back-off moved by up to ±50%. */
export const RESILIENCY_JITTER = 0.5;
/** go-retryablehttp `NewClient()`: `RetryWaitMax` 30 s (`RetryWaitMin` is the finding's base). */
export const RETRYABLEHTTP_WAIT_MAX_MS = 30_000;

/** What a Go retry library waits once the suggested jitter is on, for the herd simulation. */
export function goLibrarySchedule(
  library: GoLibrary,
  current: Schedule,
  baseMs: number,
  growing: boolean,
): Schedule {
  switch (library) {
    case 'cenkalti-backoff': {
      const exponential = growing ? current : exponentialSchedule(CENKALTI_INITIAL_MS, CENKALTI_MULTIPLIER);
      return scaledSchedule(
        exponential,
        1 - CENKALTI_RANDOMIZATION,
        1 + CENKALTI_RANDOMIZATION,
        'cenkalti/backoff randomization 0.5',
      );
    }
    case 'retry-go':
      // `CombineDelay(BackOffDelay, RandomDelay)` with `MaxJitter(base)`: base · 2ⁿ + U(0, base).
      return noisySchedule(
        growing ? current : exponentialSchedule(baseMs),
        baseMs,
        'retry-go BackOffDelay + RandomDelay',
      );
    case 'go-resiliency':
      return scaledSchedule(
        current,
        1 - RESILIENCY_JITTER,
        1 + RESILIENCY_JITTER,
        'go-resiliency SetJitter(0.5)',
      );
    case 'go-retryablehttp':
      // `LinearJitterBackoff`: U(min, max) × attempt number.
      return {
        label: 'retryablehttp LinearJitterBackoff',
        delayMs: ({ attempt, random }) =>
          (baseMs + random() * Math.max(0, RETRYABLEHTTP_WAIT_MAX_MS - baseMs)) * (attempt + 1),
      };
  }
}
