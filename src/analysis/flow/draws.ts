import type { DelayValue } from '../delay.js';

/**
 * The random draws one evaluation met on its way to a wait. A draw counts as jitter only when it
 * differs between processes: a generator seeded with a constant (`random.Random(42)`,
 * `rand.NewSource(1)`) hands every client the same sequence, and a helper named as jitter whose
 * body draws nothing (`with_jitter(d)` returning `d * 1.1`) is no draw at all.
 */
export interface Draws {
  /** A draw from a source that differs between processes: the language's shared source, a self-seeded generator. */
  genuine: boolean;
  /** Where each generator seeded with a constant is made, as evidence shows it. */
  seeded: string[];
  /** Helpers named as jitter whose bodies draw no random number, as evidence shows them. */
  namedOnly: string[];
  /** A generator's making was met, seeded or not: calling what holds it draws. */
  generator: boolean;
}

export function newDraws(): Draws {
  return { genuine: false, seeded: [], namedOnly: [], generator: false };
}

/** Adds what a probe evaluation met to the draws of the evaluation it was made for. */
export function absorb(into: Draws, from: Draws): void {
  if (from.genuine) into.genuine = true;
  if (from.generator) into.generator = true;
  for (const at of from.seeded) if (!into.seeded.includes(at)) into.seeded.push(at);
  for (const at of from.namedOnly) if (!into.namedOnly.includes(at)) into.namedOnly.push(at);
}

/**
 * Why a wait that looks jittered is not: its random value comes only from constant-seeded generators,
 * or its value is deterministic and came through a helper named as jitter. Null when the wait's
 * randomness (if any) is real, or when nothing pretended to jitter it.
 */
export type FakeJitter = { kind: 'seeded' | 'named-only'; sources: string[] };

export function fakeJitterOf(value: DelayValue, draws: Draws): FakeJitter | null {
  if (value.kind === 'random')
    return !draws.genuine && draws.seeded.length > 0 ? { kind: 'seeded', sources: draws.seeded } : null;
  return isDeterministic(value) && draws.namedOnly.length > 0
    ? { kind: 'named-only', sources: draws.namedOnly }
    : null;
}

/** A delay every client computes alike: a constant, or growth with the attempt and nothing else. */
export function isDeterministic(value: DelayValue): boolean {
  return (
    value.kind === 'const' ||
    value.kind === 'counter' ||
    value.kind === 'linear' ||
    value.kind === 'exponential'
  );
}
