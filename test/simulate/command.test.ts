import { describe, expect, it } from 'vitest';
import { runSimulateCommand, SimulateUsageError } from '../../src/commands/simulate.js';

describe('jitterbot simulate', () => {
  const output = runSimulateCommand({ clients: 100, delay: '5s' });

  it('prints the scenario, a table row per schedule and a sparkline per schedule', () => {
    const lines = output.split('\n');
    expect(lines[0]).toMatch(
      /^100 clients fail at t = 0 and retry after 5 s; the service serves 1 request per 10 ms slot; 10 attempts each/,
    );
    expect(output).toMatch(/schedule\s+peak\/slot\s+peak\/ideal\s+all served after\s+gave up\s+calls/);
    for (const label of [
      'fixed 5 s',
      'exponential from 5 s, no jitter',
      'full jitter',
      'equal jitter',
      'decorrelated jitter',
      'golden-ratio jitter',
    ]) {
      expect(lines.filter((line) => line.startsWith(label))).toHaveLength(2);
    }
    expect(output).toMatch(/[▁▂▃▄▅▆▇█]/);
  });

  it('prints what docs/simulate.md shows', async () => {
    await expect(output).toMatchFileSnapshot('./__snapshots__/simulate-100-clients-5s.txt');
  });

  it('shows the herd: the fixed delay peaks at every client, full jitter far lower', () => {
    const row = (label: string) =>
      output.split('\n').find((line) => line.startsWith(label) && /\d\s*$/.test(line))!;
    const peak = (label: string) => Number(row(label).slice(label.length).trim().split(/\s+/)[0]);
    expect(peak('fixed 5 s')).toBe(100);
    expect(peak('full jitter')).toBeLessThan(10);
    expect(row('fixed 5 s')).toMatch(/never/);
  });

  it('is deterministic and honours one strategy, capacity, attempts and seed', () => {
    expect(runSimulateCommand({ clients: 100, delay: '5s' })).toBe(output);
    const single = runSimulateCommand({
      clients: 50,
      delay: '200ms',
      strategy: 'equal',
      capacity: 3,
      attempts: 4,
      seed: 9,
    });
    expect(single).toMatch(/serves 3 requests per 10 ms slot; 4 attempts each.*seed 9/);
    expect(single).toContain('equal jitter');
    expect(single).not.toContain('full jitter');
    expect(single).not.toContain('exponential from');
  });

  it('explains bad values', () => {
    expect(() => runSimulateCommand({ clients: 0, delay: '5s' })).toThrow(SimulateUsageError);
    expect(() => runSimulateCommand({ clients: 10, delay: 'soon' })).toThrow(/--delay must be a duration/);
    expect(() => runSimulateCommand({ clients: 10, delay: '5s', strategy: 'random' as never })).toThrow(
      /--strategy must be one of/,
    );
    expect(() => runSimulateCommand({ clients: 10, delay: '5s', attempts: 1.5 })).toThrow(/--attempts/);
  });
});
