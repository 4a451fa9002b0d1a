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
