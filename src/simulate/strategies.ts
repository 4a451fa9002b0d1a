import type { StrategyName } from '../config.js';

export { STRATEGIES as STRATEGY_NAMES } from '../config.js';
export type { StrategyName } from '../config.js';

/** What a patch switches to: one of our strategies, or the retry library's own jitter switch. */
export type SuggestedStrategy = StrategyName | 'library';

/** A uniform source on [0, 1): `Math.random` in patched code, a seeded generator in the simulation. */
export type Random = () => number;

/** (√5 − 1) / 2: multiples of it modulo 1 are the most evenly spread sequence there is (three-distance theorem). */
export const GOLDEN_RATIO_CONJUGATE = 0.6180339887498949;

/** Full, equal and golden jitter double their window each attempt, as in AWS's comparison. */
export const EXPONENTIAL_GROWTH = 2;

/** Decorrelated jitter's window grows threefold: `U(base, previous · 3)`. */
export const DECORRELATED_GROWTH = 3;

/**
 * How the window a strategy draws from grows between attempts:
 * - `exponential`: an attempt counter is in scope, the window is `min(cap, base · growthⁿ)`;
 * - `none`: no counter, the window keeps the original delay as its upper bound (RULES §4);
 * - `given`: the code already grows the delay (unjittered backoff); the window is `min(cap, ceilingMs(n))`.
 */
export type Growth =
  { kind: 'exponential' } | { kind: 'none' } | { kind: 'given'; ceilingMs: (attempt: number) => number };

export interface DelayInput {
  /** 0-based retry number: 0 is the wait before the first retry. */
  attempt: number;
  /** The original delay, in milliseconds. */
  baseMs: number;
  capMs: number;
  growth: Growth;
  random: Random;
  /** Stable per-client index (host, shard, worker ordinal); only golden jitter reads it. */
  clientIndex: number;
}

export interface JitterStrategy {
  name: StrategyName;
  /** Lower-case name for sentences: "full jitter". */
  label: string;
  /** The formula in RULES §4 notation, for docs and comment alternatives. */
  formula: string;
  /** One sentence on when to prefer it. */
  summary: string;
  /** Needs distinct per-client indices, so it is only offered when the user configures a source. */
  needsClientIndex: boolean;
  /** The wait before retry `input.attempt`, in milliseconds. */
  delayMs(input: DelayInput): number;
}

/** The upper bound of the window full, equal and golden jitter draw from, before any randomness. */
export function windowCeilingMs(input: DelayInput): number {
  switch (input.growth.kind) {
    case 'exponential':
      return Math.min(input.capMs, input.baseMs * EXPONENTIAL_GROWTH ** input.attempt);
    case 'none':
      // Without a counter the rewrite keeps the author's upper bound (RULES §4).
      return input.baseMs;
    case 'given':
      return Math.min(input.capMs, input.growth.ceilingMs(input.attempt));
  }
}

/**
 * The upper bound of decorrelated jitter's window: three times what the others use, one step ahead.
 * With a counter it is `min(cap, base · 3ⁿ⁺¹)`, so the first wait is AWS's first step
 * `U(base, 3 · base)`; `3⁰` would give every client exactly `base` before its first retry, which is
 * the herd all over again. Without a counter it stays at that first step.
 */
export function decorrelatedCeilingMs(input: DelayInput): number {
  switch (input.growth.kind) {
    case 'exponential':
      return Math.min(input.capMs, input.baseMs * DECORRELATED_GROWTH ** (input.attempt + 1));
    case 'none':
      return Math.min(input.capMs, input.baseMs * DECORRELATED_GROWTH);
    case 'given':
      return Math.min(input.capMs, input.growth.ceilingMs(input.attempt) * DECORRELATED_GROWTH);
  }
}

/** `U(0, m)`: spreads clients over the whole window; the least total work in AWS's comparison. */
export function fullJitterMs(input: DelayInput): number {
  return input.random() * windowCeilingMs(input);
}

/** `m/2 + U(0, m/2)`: keeps a floor of half the window, for callers that must not retry at once. */
export function equalJitterMs(input: DelayInput): number {
  const ceiling = windowCeilingMs(input);
  return ceiling / 2 + input.random() * (ceiling / 2);
}

/**
 * Stateless decorrelated jitter, bucketed by attempt: `U(base, min(cap, base · 3ⁿ⁺¹))`. This is what a
 * rewrite can express without adding a variable for the previous delay.
 */
export function decorrelatedByAttemptMs(input: DelayInput): number {
  const ceiling = Math.max(input.baseMs, decorrelatedCeilingMs(input));
  return input.baseMs + input.random() * (ceiling - input.baseMs);
}

/** The fractional part of `index · φ⁻¹`, in [0, 1). */
export function goldenFraction(clientIndex: number): number {
  const product = clientIndex * GOLDEN_RATIO_CONJUGATE;
  return product - Math.floor(product);
}

/** `frac(k · φ⁻¹) · m`: deterministic and evenly spread when every client has a distinct index `k`. */
export function goldenJitterMs(input: DelayInput): number {
  return goldenFraction(input.clientIndex) * windowCeilingMs(input);
}

export const JITTER_STRATEGIES: Record<StrategyName, JitterStrategy> = {
  full: {
    name: 'full',
    label: 'full jitter',
    formula: 'U(0, min(cap, base · 2ⁿ))',
    summary: 'Spreads retries over the whole window; the least total work for the server.',
    needsClientIndex: false,
    delayMs: fullJitterMs,
  },
  equal: {
    name: 'equal',
    label: 'equal jitter',
    formula: 'm/2 + U(0, m/2) with m = min(cap, base · 2ⁿ)',
    summary: 'Never retries sooner than half the window; a little more clustering than full jitter.',
    needsClientIndex: false,
    delayMs: equalJitterMs,
  },
  decorrelated: {
    name: 'decorrelated',
    label: 'decorrelated jitter',
    formula: 'U(base, min(cap, base · 3ⁿ⁺¹))',
    summary: 'Never retries sooner than the original delay; the window widens faster.',
    needsClientIndex: false,
    delayMs: decorrelatedByAttemptMs,
  },
  golden: {
    name: 'golden',
    label: 'golden-ratio jitter',
    formula: 'frac(k · 0.618…) · min(cap, base · 2ⁿ)',
    summary: 'Deterministic and evenly spread, but needs a distinct stable index per client.',
    needsClientIndex: true,
    delayMs: goldenJitterMs,
  },
};
