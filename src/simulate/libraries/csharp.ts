import { scaledSchedule, strategySchedule, type Schedule } from '../schedule.js';

/**
 * Polly v8 with `UseJitter = true`: constant and linear delays vary by ±25% (`JitterFactor` 0.5 around
 * the nominal value); exponential delays switch to `DecorrelatedJitterBackoffV2`, modelled here by our
 * decorrelated strategy.
 */
const POLLY_JITTER_LOW = 0.75;
const POLLY_JITTER_HIGH = 1.25;

export function pollySchedule(
  current: Schedule,
  baseMs: number,
  capMs: number,
  exponential: boolean,
): Schedule {
  if (exponential) {
    return {
      ...strategySchedule('decorrelated', baseMs, capMs, { kind: 'exponential' }),
      label: 'polly decorrelated jitter',
    };
  }
  return scaledSchedule(current, POLLY_JITTER_LOW, POLLY_JITTER_HIGH, 'polly jitter');
}
