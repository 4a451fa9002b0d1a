import { JITTER_STRATEGIES, type Growth, type Random, type StrategyName } from './strategies.js';
import { formatDuration } from './duration.js';

export interface ScheduleContext {
  /** 0-based retry number. */
  attempt: number;
  /** Stable per-client index: 0 … clients − 1. */
  clientIndex: number;
  random: Random;
}

/** How long one client waits before each retry. */
export interface Schedule {
  /** For tables and comments: "fixed 5 s", "full jitter". */
  label: string;
  delayMs(context: ScheduleContext): number;
}

/** The same wait every time: what a `fixed-delay-retry` finding does today. */
export function fixedSchedule(delayMs: number): Schedule {
  return { label: `fixed ${formatDuration(delayMs)}`, delayMs: () => delayMs };
}

/** `base · factorⁿ` without randomness, capped when a cap is known. */
export function exponentialSchedule(baseMs: number, factor = 2, capMs = Infinity): Schedule {
  return {
    label: `exponential from ${formatDuration(baseMs)}, no jitter`,
    delayMs: ({ attempt }) => Math.min(capMs, baseMs * factor ** attempt),
  };
}

/** `base · (n + 1)` without randomness. */
export function linearSchedule(baseMs: number): Schedule {
  return {
    label: `linear from ${formatDuration(baseMs)}, no jitter`,
    delayMs: ({ attempt }) => baseMs * (attempt + 1),
  };
}

/**
 * How a strategy's window grows, as a schedule sees it: with an attempt counter, without one (the
 * original bound), or over what `current` waits today (an unjittered backoff made random).
 */
export type ScheduleGrowth =
  { kind: 'exponential' } | { kind: 'none' } | { kind: 'given'; current: Schedule };

function growthOf(growth: ScheduleGrowth, random: Random, clientIndex: number): Growth {
  if (growth.kind !== 'given') return growth;
  const current = growth.current;
  return {
    kind: 'given',
    ceilingMs: (attempt) => current.delayMs({ attempt, clientIndex, random }),
  };
}

/** One of our strategies as a schedule: what the patched code would wait. */
export function strategySchedule(
  strategy: StrategyName,
  baseMs: number,
  capMs: number,
  growth: ScheduleGrowth,
): Schedule {
  const definition = JITTER_STRATEGIES[strategy];
  return {
    label: definition.label,
    delayMs: ({ attempt, clientIndex, random }) =>
      definition.delayMs({
        attempt,
        baseMs,
        capMs,
        growth: growthOf(growth, random, clientIndex),
        random,
        clientIndex,
      }),
  };
}

/** `current · U(low, high)`: p-retry's `randomize` (1–2), bullmq's `jitter` (1 − j … 1). */
export function scaledSchedule(current: Schedule, low: number, high: number, label: string): Schedule {
  return {
    label,
    delayMs: (context) => current.delayMs(context) * (low + context.random() * (high - low)),
  };
}

/** `current + U(0, noiseMs)`: got's `noise`. */
export function noisySchedule(current: Schedule, noiseMs: number, label: string): Schedule {
  return {
    label,
    delayMs: (context) => current.delayMs(context) + context.random() * noiseMs,
  };
}
