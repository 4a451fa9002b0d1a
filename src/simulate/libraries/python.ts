import { noisySchedule, scaledSchedule, strategySchedule, type Schedule } from '../schedule.js';

export type PythonLibrary = 'tenacity' | 'backoff' | 'retrying' | 'urllib3' | 'celery';

/** celery caps `retry_backoff` countdowns at `retry_backoff_max`, 600 s by default. */
export const CELERY_BACKOFF_MAX_MS = 600_000;

/** The suggested urllib3 `backoff_jitter` is this many times `backoff_factor` (see the rewrite). */
export const URLLIB3_JITTER_FACTORS = 4;

/** What a Python retry library waits once the suggested jitter switch is on, for the herd simulation. */
export function pythonLibrarySchedule(
  library: PythonLibrary,
  current: Schedule,
  baseMs: number,
  capMs: number,
  growing: boolean,
): Schedule {
  switch (library) {
    case 'tenacity':
      // `wait_random_exponential(multiplier=base, max=cap)`: U(0, min(cap, base · 2ⁿ)).
      return {
        ...strategySchedule('full', baseMs, capMs, { kind: 'exponential' }),
        label: 'tenacity wait_random_exponential',
      };
    case 'backoff':
      // The default `full_jitter` waits U(0, value) of the generator's value.
      return scaledSchedule(current, 0, 1, 'backoff full_jitter');
    case 'retrying':
      // `wait_jitter_max=base` adds U(0, base) to every wait.
      return noisySchedule(current, baseMs, 'retrying wait_jitter_max');
    case 'urllib3':
      return noisySchedule(current, URLLIB3_JITTER_FACTORS * baseMs, 'urllib3 backoff_jitter');
    case 'celery':
      // Dropping `retry_jitter=False` restores full jitter; a fixed autoretry gains `retry_backoff`.
      return growing
        ? scaledSchedule(current, 0, 1, 'celery retry_jitter')
        : {
            ...strategySchedule('full', baseMs, Math.min(capMs, CELERY_BACKOFF_MAX_MS), {
              kind: 'exponential',
            }),
            label: 'celery retry_backoff',
          };
  }
}
