import { formatDuration } from '../simulate/duration.js';
import type { Lockstep } from './finding.js';

/**
 * The comment for a randomised or server-chosen wait that still moves in lockstep: what clients share,
 * from when, and the fix. One text for every language; the wait's own unit is already milliseconds.
 */
export function lockstepMessage(lockstep: Lockstep, attemptVar?: string): string {
  switch (lockstep.kind) {
    case 'collapse': {
      const from = !lockstep.growing
        ? 'at every attempt'
        : `from ${attemptVar ? `\`${attemptVar}\`` : 'the attempt counter'} = ${lockstep.attempt} on`;
      const before =
        lockstep.growing && lockstep.before
          ? ` (at ${lockstep.attempt - 1} it still ranges over ${formatDuration(lockstep.before[0])}–${formatDuration(lockstep.before[1])})`
          : '';
      return `This retry's jitter is swallowed by its cap: ${from} every client waits exactly ${formatDuration(lockstep.ms)}${before} and retries in the same instant. Apply the jitter after the clamp (random() * min(cap, base * 2 ** n)).`;
    }
    case 'negligible': {
      const share = (100 * lockstep.spreadMs) / lockstep.waitMs;
      return `This retry's jitter spreads a ${formatDuration(lockstep.waitMs)} wait by only ${formatDuration(lockstep.spreadMs)} (${Number(share.toPrecision(2))} %): clients that fail together still retry together. Draw a share of the wait itself at random.`;
    }
    case 'server-cap':
      return `This retry waits the server's hint clamped to ${formatDuration(lockstep.ms)}: every client told to wait longer waits exactly ${formatDuration(lockstep.ms)} and retries in the same instant. Add a bounded positive jitter on top of the clamped hint.`;
  }
}
