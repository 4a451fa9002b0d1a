import { describe, expect, it } from 'vitest';
import { simulateFinding } from '../../src/simulate/finding.js';
import { callFinding, libraryFinding } from '../suggest/make-finding.js';

const CODE = `for (let attempt = 0; attempt < 5; attempt++) {\n  try { await call(); } catch { await sleep(5000); }\n}\n`;
const fixed = { kind: 'fixed' as const, ms: 5000, text: '5000' };

describe('simulateFinding', () => {
  it('compares today with the suggested strategy and the alternatives', () => {
    const finding = callFinding({
      path: 'a.ts',
      code: CODE,
      argument: '5000',
      delay: fixed,
      attemptVar: 'attempt',
    });
    const simulation = simulateFinding(finding, 100, 'full', 30_000, 642)!;
    expect(simulation.current.label).toBe('fixed 5 s');
    expect(simulation.current.result.peak).toBe(100);
    expect(simulation.suggested).toMatchObject({ label: 'full jitter', strategy: 'full' });
    expect(simulation.suggested.result.peak).toBeLessThan(10);
    expect(simulation.alternatives.map((outcome) => outcome.strategy)).toEqual(['equal', 'decorrelated']);
    expect(simulateFinding(finding, 100, 'full', 30_000, 642)).toEqual(simulation);
    const withGolden = simulateFinding(finding, 100, 'full', 30_000, 642, { includeGolden: true })!;
    expect(withGolden.alternatives.map((outcome) => outcome.strategy)).toContain('golden');
  });

  it("models a library's own jitter switch", () => {
    const code = `await pRetry(run, { factor: 1, minTimeout: 1000 });`;
    const finding = libraryFinding({
      path: 'a.ts',
      code,
      library: 'p-retry',
      target: '{ factor: 1, minTimeout: 1000 }',
      delay: { kind: 'fixed', ms: 1000, text: '1000' },
    });
    const simulation = simulateFinding(finding, 200, 'library', 30_000, 1)!;
    expect(simulation.suggested.label).toBe('p-retry randomize');
    expect(simulation.alternatives).toEqual([]);
    expect(simulation.suggested.result.peak).toBeLessThan(simulation.current.result.peak / 4);
  });

  it('shows a capped jitter collapsing to the cap, against jitter applied after the clamp', () => {
    const argument = 'Math.min(100 * 2 ** attempt + Math.random() * 100, 5000)';
    const finding = {
      ...callFinding({
        path: 'a.ts',
        code: CODE.replace('5000', argument),
        argument,
        delay: fixed,
        attemptVar: 'attempt',
      }),
      rule: 'clamped-jitter' as const,
      lockstep: { kind: 'collapse' as const, attempt: 6, ms: 5000, growing: true },
    };
    const simulation = simulateFinding(finding, 100, 'full', 30_000, 7)!;
    expect(simulation.current.label).toBe('as written from attempt = 6 on: exactly 5 s');
    expect(simulation.current.result.peak).toBe(100);
    // The patch draws within the capped delay, not within a window grown again from it.
    expect(simulation.suggested.result.peak).toBeLessThan(10);
    expect(simulation.suggested.result.horizonSlots).toBeLessThan(simulation.current.result.horizonSlots);
  });

  it('shows a negligible spread as the herd it still is', () => {
    const finding = {
      ...callFinding({ path: 'a.ts', code: CODE, argument: '5000', delay: { ...fixed, ms: 30_300 } }),
      rule: 'negligible-jitter' as const,
      lockstep: { kind: 'negligible' as const, spreadMs: 300, waitMs: 30_300 },
    };
    const simulation = simulateFinding(finding, 100, 'full', 30_000, 7)!;
    expect(simulation.current.label).toBe('as written: 30 s + up to 300 ms');
    expect(simulation.current.result.peak).toBeGreaterThanOrEqual(3 * simulation.suggested.result.peak);
  });

  it('adds jitter on top of a clamped server hint, never below it', () => {
    const finding = {
      ...callFinding({ path: 'a.ts', code: CODE, argument: '5000', delay: { ...fixed, ms: 60_000 } }),
      rule: 'clamped-server-hint' as const,
      lockstep: { kind: 'server-cap' as const, ms: 60_000 },
    };
    const simulation = simulateFinding(finding, 100, 'full', 30_000, 7)!;
    expect(simulation.suggested.label).toBe('clamped hint + up to 50 % positive jitter');
    expect(simulation.alternatives).toEqual([]);
    expect(simulation.suggested.result.peak).toBeLessThan(simulation.current.result.peak / 4);
    expect(simulation.suggested.result.arrivals.slots[0]).toBeGreaterThanOrEqual(
      simulation.current.result.arrivals.slots[0]!,
    );
  });

  it('returns null when the delay is not a known number', () => {
    const finding = callFinding({
      path: 'a.ts',
      code: CODE,
      argument: '5000',
      delay: { kind: 'fixed', text: 'delay' },
    });
    expect(simulateFinding(finding, 100, 'full', 30_000, 1)).toBeNull();
  });
});
