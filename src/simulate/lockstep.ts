import type { Lockstep } from '../analysis/finding.js';
import { formatDuration } from './duration.js';
import { fixedSchedule, noisySchedule, scaledSchedule, type Schedule } from './schedule.js';

/**
 * The bounded positive jitter the clamped-server-hint fix describes, as a share of the clamped hint:
 * how the simulation shows that fix (no client earlier than the hint, none in the same instant).
 */
export const SERVER_HINT_JITTER_SHARE = 0.5;

/**
 * What a randomised wait in lockstep does where it is in lockstep: from the attempt a cap swallows its
 * jitter on, every client waits exactly the cap; a negligible spread barely moves a fixed wait; a
 * clamped server hint is the cap for every client the server told to wait longer.
 */
export function lockstepSchedule(lockstep: Lockstep, attemptVar?: string): Schedule {
  switch (lockstep.kind) {
    case 'collapse': {
      const from = lockstep.growing ? ` from ${attemptVar ?? 'attempt'} = ${lockstep.attempt} on` : '';
      return {
        ...fixedSchedule(lockstep.ms),
        label: `as written${from}: exactly ${formatDuration(lockstep.ms)}`,
      };
    }
    case 'negligible':
      return noisySchedule(
        fixedSchedule(lockstep.waitMs - lockstep.spreadMs),
        lockstep.spreadMs,
        `as written: ${formatDuration(lockstep.waitMs - lockstep.spreadMs)} + up to ${formatDuration(lockstep.spreadMs)}`,
      );
    case 'server-cap':
      return {
        ...fixedSchedule(lockstep.ms),
        label: `server hint clamped to ${formatDuration(lockstep.ms)}`,
      };
  }
}

/** The clamped hint with a positive jitter on top: never earlier than the server asked. */
export function hintJitterSchedule(current: Schedule): Schedule {
  return scaledSchedule(
    current,
    1,
    1 + SERVER_HINT_JITTER_SHARE,
    `clamped hint + up to ${100 * SERVER_HINT_JITTER_SHARE} % positive jitter`,
  );
}
