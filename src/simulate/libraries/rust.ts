import { exponentialSchedule, scaledSchedule, type Schedule } from '../schedule.js';

/** The backoff crate's `ExponentialBackoff` defaults: multiplier 1.5, randomization factor 0.5. */
const BACKOFF_MULTIPLIER = 1.5;
const BACKOFF_RANDOMIZATION = 0.5;

export type RustLibrary = 'tokio-retry' | 'backon' | 'backoff-rs' | 'tryhard';

/** What a Rust retry crate waits once the suggested jitter is on, for the herd simulation. */
export function rustLibrarySchedule(
  library: RustLibrary,
  current: Schedule,
  baseMs: number,
  growing: boolean,
): Schedule {
  switch (library) {
    case 'tokio-retry':
      // `jitter` multiplies each duration by U(0, 1): full jitter over the strategy's own schedule.
      return scaledSchedule(current, 0, 1, 'tokio-retry jitter');
    case 'tryhard':
      // The suggested `custom_backoff` closure draws U(0, 1) times the strategy's own delay.
      return scaledSchedule(current, 0, 1, 'tryhard custom_backoff with full jitter');
    case 'backon':
      // `with_jitter()` adds U(0, 1) times the current delay.
      return scaledSchedule(current, 1, 2, 'backon jitter');
    case 'backoff-rs': {
      const exponential = growing ? current : exponentialSchedule(baseMs, BACKOFF_MULTIPLIER);
      return scaledSchedule(
        exponential,
        1 - BACKOFF_RANDOMIZATION,
        1 + BACKOFF_RANDOMIZATION,
        'backoff randomization 0.5',
      );
    }
  }
}
