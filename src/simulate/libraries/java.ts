import { exponentialSchedule, scaledSchedule, type Schedule } from '../schedule.js';

/** Spring Retry's `ExponentialBackOffPolicy` caps waits at 30 s unless `maxDelay` says otherwise. */
const SPRING_RETRY_MAX_INTERVAL_MS = 30_000;
/** The multiplier the Spring Retry and Resilience4j rewrites add to a fixed delay. */
export const SUGGESTED_MULTIPLIER = 2;
/** Resilience4j's default randomization factor: each wait is drawn from ±50% of the interval. */
const RESILIENCE4J_RANDOMIZATION = 0.5;
/** The jitter factor the Failsafe rewrite adds: each wait varies by up to ±50%. */
export const FAILSAFE_JITTER_FACTOR = 0.5;

export type JvmLibrary = 'spring-retry' | 'spring-framework' | 'resilience4j' | 'failsafe';

/**
 * What a JVM retry library waits once the suggested switch is on, for the herd simulation.
 * `growing` is false when today's delay is fixed (the rewrite then also adds growth where RULES §3
 * says so: Spring Retry `multiplier = 2`, Resilience4j `ofExponentialRandomBackoff`).
 */
export function jvmLibrarySchedule(
  library: JvmLibrary,
  current: Schedule,
  baseMs: number,
  growing: boolean,
): Schedule {
  switch (library) {
    case 'spring-retry': {
      // ExponentialRandomBackOffPolicy multiplies each exponential wait by U(1, multiplier).
      const exponential = growing
        ? current
        : exponentialSchedule(baseMs, SUGGESTED_MULTIPLIER, SPRING_RETRY_MAX_INTERVAL_MS);
      return scaledSchedule(exponential, 1, SUGGESTED_MULTIPLIER, 'spring-retry random backoff');
    }
    case 'spring-framework':
      // `jitter` equal to the delay: Spring's ExponentialBackOff draws from [interval, interval + jitter].
      return scaledSchedule(current, 1, 2, 'spring jitter');
    case 'resilience4j': {
      const exponential = growing ? current : exponentialSchedule(baseMs, SUGGESTED_MULTIPLIER);
      return scaledSchedule(
        exponential,
        1 - RESILIENCE4J_RANDOMIZATION,
        1 + RESILIENCE4J_RANDOMIZATION,
        'resilience4j exponential random backoff',
      );
    }
    case 'failsafe':
      return scaledSchedule(
        current,
        1 - FAILSAFE_JITTER_FACTOR,
        1 + FAILSAFE_JITTER_FACTOR,
        'failsafe jitter 0.5',
      );
  }
}
