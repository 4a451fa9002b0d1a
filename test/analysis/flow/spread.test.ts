import { describe, expect, it } from 'vitest';
import {
  combine,
  joinValues,
  lockstepOf,
  minMax,
  spanOf,
  type DelayValue,
} from '../../../src/analysis/delay.js';

const n: DelayValue = { kind: 'counter', name: 'attempt' };
const c = (ms: number): DelayValue => ({ kind: 'const', ms });
const unit: DelayValue = { kind: 'random', span: Array.from({ length: 8 }, () => [0, 1] as const) };
/** `base * 2 ** n` */
const backoff = (base: number) => combine('*', c(base), combine('**', c(2), n));

describe('the spread of a random delay', () => {
  it('collapses to the cap from the attempt the backoff passes it when the jitter sits beneath the clamp', () => {
    // min(100 * 2 ** n + random() * 100, 5000): 100 · 2⁶ = 6400 ≥ 5000, 100 · 2⁵ + 100 = 3300 < 5000.
    const value = minMax('min', [combine('+', backoff(100), combine('*', unit, c(100))), c(5000)]);
    expect(lockstepOf(value)).toEqual({
      kind: 'collapse',
      attempt: 6,
      ms: 5000,
      growing: true,
      before: [3200, 3300],
    });
  });

  it('keeps its spread when the jitter is applied after the clamp', () => {
    const value = combine('*', unit, minMax('min', [c(5000), backoff(100)]));
    expect(lockstepOf(value)).toBeNull();
    expect(spanOf(value)![7]).toEqual([0, 5000]);
  });

  it('collapses at every attempt when a constant wait is clamped below its jitter', () => {
    const value = minMax('min', [combine('+', c(5000), combine('*', unit, c(1000))), c(3000)]);
    expect(lockstepOf(value)).toEqual({ kind: 'collapse', attempt: 0, ms: 3000, growing: false });
  });

  it('does not call a floor that only holds the first attempts together a collapse from then on', () => {
    // max(random() * 100 * 2 ** n, 1000): a single point until 100 · 2ⁿ passes 1000, wide after.
    expect(lockstepOf(minMax('max', [combine('*', unit, backoff(100)), c(1000)]))).toBeNull();
  });

  it('is negligible when the random term is far below the wait at every attempt', () => {
    const value = combine('+', c(30_000), combine('*', unit, c(300)));
    expect(lockstepOf(value)).toEqual({ kind: 'negligible', spreadMs: 300, waitMs: 30_300 });
    expect(lockstepOf(value, 0.005)).toBeNull();
  });

  it('is not negligible when a fixed jitter is wide at the first attempts of a growing backoff', () => {
    expect(lockstepOf(combine('+', backoff(200), combine('*', unit, c(200))))).toBeNull();
  });

  it('forgets the range when any operand is not a known number', () => {
    const value = combine('*', unit, { kind: 'unknown', reason: 'a parameter' });
    expect(value).toEqual({ kind: 'random' });
    expect(lockstepOf(value)).toBeNull();
  });

  it('joins the ranges of every path, and forgets them when a path has none', () => {
    const wide = combine('*', unit, c(10_000));
    expect(lockstepOf(joinValues([combine('+', c(30_000), unit), wide]))).toBeNull();
    expect(joinValues([wide, { kind: 'server' }])).toEqual({ kind: 'random' });
  });

  it('keeps the cap of a clamped server hint through scaling, and only a min is a cap', () => {
    const hint: DelayValue = { kind: 'server' };
    const clamped = minMax('min', [hint, c(600)]);
    expect(lockstepOf(combine('*', clamped, c(1000)))).toEqual({ kind: 'server-cap', ms: 600_000 });
    expect(lockstepOf(minMax('max', [hint, c(1)]))).toBeNull();
    expect(lockstepOf(minMax('min', [clamped, c(900)]))).toEqual({ kind: 'server-cap', ms: 600 });
    expect(lockstepOf(combine('+', clamped, combine('*', unit, c(30))))).toBeNull();
  });
});

describe('the base of an exponential backoff', () => {
  it('is what a shift starts from (`100 << n` waits 100 first), and what a power is multiplied by', () => {
    expect(combine('<<', c(100), n)).toMatchObject({ kind: 'exponential', factor: 2, baseMs: 100 });
    expect(combine('*', combine('<<', c(100), n), c(1000))).toMatchObject({ baseMs: 100_000 });
    expect(backoff(250)).toMatchObject({ kind: 'exponential', factor: 2, baseMs: 250 });
  });
});
