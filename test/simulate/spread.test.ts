import { describe, expect, it } from 'vitest';
import { pr642Table, PR642_ROWS, spreadPeaks, SPREAD_TRIALS } from '../../src/simulate/spread.js';

describe('the shape of tenacity PR #642 (one retry window, worst peak over 300 trials)', () => {
  const table = pr642Table(642);

  it('has the three rows of the PR, computed over 300 trials', () => {
    expect(table.map(({ clients, slots, trials }) => ({ clients, slots, trials }))).toEqual(
      PR642_ROWS.map((row) => ({ ...row, trials: SPREAD_TRIALS })),
    );
    expect(table.map((row) => row.ideal)).toEqual([20, 100, 50]);
  });

  it('full jitter is clumpy: its worst peak is well above the ideal spread', () => {
    for (const row of table) {
      expect(row.fullWorstPeak).toBeGreaterThan(row.ideal * 1.3);
      expect(row.fullMeanPeak).toBeGreaterThan(row.ideal);
    }
  });

  it("golden-ratio jitter's worst peak is no worse than full jitter's, and close to ideal", () => {
    for (const row of table) {
      expect(row.goldenWorstPeak).toBeLessThanOrEqual(row.fullWorstPeak);
      expect(row.goldenWorstPeak).toBeLessThanOrEqual(Math.ceil(row.ideal) + 3);
    }
  });

  it('gives the figures quoted in docs/simulate.md', () => {
    expect(
      table.map((row) => [row.fullWorstPeak, Number(row.fullMeanPeak.toFixed(1)), row.goldenWorstPeak]),
    ).toEqual([
      [41, 30.7, 21],
      [143, 125.5, 102],
      [81, 70.6, 51],
    ]);
  });

  it('is reproducible for a seed', () => {
    expect(pr642Table(642)).toEqual(table);
    const other = spreadPeaks({ clients: 1_000, slots: 50, trials: 20, seed: 1 });
    expect(spreadPeaks({ clients: 1_000, slots: 50, trials: 20, seed: 1 })).toEqual(other);
  });
});
