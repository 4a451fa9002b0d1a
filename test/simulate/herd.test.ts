import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/simulate/duration.js';
import {
  bucketPeaks,
  defaultCapacity,
  denseArrivals,
  idealPeak,
  simulateHerd,
  type HerdInput,
} from '../../src/simulate/herd.js';
import {
  exponentialSchedule,
  fixedSchedule,
  scaledSchedule,
  strategySchedule,
} from '../../src/simulate/schedule.js';
import { sparkline } from '../../src/simulate/sparkline.js';

const BASE: Omit<HerdInput, 'schedule'> = {
  clients: 100,
  capacity: 5,
  slotMs: 10,
  attempts: 10,
  baseMs: 1_000,
  seed: 1,
};

describe('simulateHerd', () => {
  it('a fixed delay brings every client back in one slot, every round', () => {
    const result = simulateHerd({ ...BASE, schedule: fixedSchedule(1_000) });
    expect(result.peak).toBe(100);
    // Each round serves `capacity` clients; the rest come back together one delay (plus a slot) later.
    const dense = denseArrivals(result);
    expect(dense[101]).toBe(100);
    expect(dense[202]).toBe(95);
    expect(result.gaveUp).toBe(100 - 5 * 9);
    expect(result.allSucceededAtMs).toBeNull();
    expect(result.totalCalls).toBe(100 + result.arrivals.counts.reduce((a, b) => a + b, 0));
  });

  it('full jitter keeps the peak far below the herd and serves everyone', () => {
    const herd = simulateHerd({ ...BASE, schedule: fixedSchedule(1_000) });
    const jittered = simulateHerd({
      ...BASE,
      schedule: strategySchedule('full', 1_000, 30_000, { kind: 'exponential' }),
    });
    expect(jittered.peak).toBeLessThan(herd.peak / 5);
    expect(jittered.gaveUp).toBe(0);
    expect(jittered.allSucceededAtMs).not.toBeNull();
  });

  it('exponential backoff without jitter is still a herd', () => {
    const result = simulateHerd({ ...BASE, schedule: exponentialSchedule(1_000) });
    expect(result.peak).toBe(100);
    const label = exponentialSchedule(1_000).label;
    expect(label).toBe('exponential from 1 s, no jitter');
  });

  it('is deterministic for a seed and varies between seeds', () => {
    const schedule = strategySchedule('full', 1_000, 30_000, { kind: 'none' });
    const a = simulateHerd({ ...BASE, schedule });
    expect(simulateHerd({ ...BASE, schedule })).toEqual(a);
    expect(simulateHerd({ ...BASE, schedule, seed: 2 }).arrivals).not.toEqual(a.arrivals);
  });

  it('serves everyone at once when capacity is enough', () => {
    const result = simulateHerd({
      ...BASE,
      capacity: 1_000,
      schedule: scaledSchedule(fixedSchedule(1_000), 1, 2, 'x'),
    });
    expect(result.totalCalls).toBe(200);
    expect(result.gaveUp).toBe(0);
    expect(result.allSucceededAtMs).toBeLessThanOrEqual(2_010 + 10);
  });

  it('computes ideal peaks and default capacity from the spread over one delay', () => {
    expect(idealPeak(100, 1_000, 10)).toBe(1);
    expect(idealPeak(10_000, 200, 10)).toBe(500);
    expect(idealPeak(50, 5, 10)).toBe(50);
    expect(defaultCapacity(10_000, 200, 10)).toBe(1_000);
    expect(defaultCapacity(3, 60_000, 10)).toBe(1);
  });
});

describe('series helpers', () => {
  it('bucketPeaks keeps the busiest slot of each interval', () => {
    const result = simulateHerd({ ...BASE, schedule: fixedSchedule(1_000) });
    const peaks = bucketPeaks(result, 10);
    expect(peaks).toHaveLength(10);
    expect(Math.max(...peaks)).toBe(100);
    expect(peaks.filter((peak) => peak > 0).length).toBe(result.arrivals.slots.length);
  });

  it('sparkline scales to the max and leaves empty intervals blank', () => {
    expect(sparkline([0, 1, 4, 8])).toBe(' ▁▄█');
    expect(sparkline([1, 1], 8)).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });
});

describe('durations', () => {
  it('parses and formats', () => {
    expect(parseDuration('5s')).toBe(5_000);
    expect(parseDuration('200ms')).toBe(200);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('750')).toBe(750);
    expect(parseDuration('-5s')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(5_000)).toBe('5 s');
    expect(formatDuration(90_000)).toBe('1.5 min');
    expect(formatDuration(7_200_000)).toBe('2 h');
  });
});
