import { DEFAULT_CONFIG, STRATEGIES, type StrategyName } from '../config.js';
import { formatDuration, parseDuration } from '../simulate/duration.js';
import {
  bucketPeaks,
  DEFAULT_ATTEMPTS,
  DEFAULT_SLOT_MS,
  defaultCapacity,
  simulateHerd,
  type HerdResult,
} from '../simulate/herd.js';
import { deriveSeed } from '../simulate/rng.js';
import { exponentialSchedule, fixedSchedule, strategySchedule, type Schedule } from '../simulate/schedule.js';
import { sparkline } from '../simulate/sparkline.js';

export interface SimulateCommandOptions {
  clients: number;
  /** The fixed delay the clients wait today: `5s`, `200ms`, `1.5s`, `2m`. */
  delay: string;
  /** One strategy, or `all` (the default) to compare every one. */
  strategy?: StrategyName | 'all';
  /** Requests the service serves per 10 ms slot; by default twice the evenly spread load. */
  capacity?: number;
  seed?: number;
  /** Attempts per client, the failing first call included. */
  attempts?: number;
}

/** A bad command-line value; its message is meant for the user as is. */
export class SimulateUsageError extends Error {
  override readonly name = 'SimulateUsageError';
}

const MAX_CLIENTS = 1_000_000;
const MAX_ATTEMPTS = 100;
const DEFAULT_SEED = 1;
const SPARKLINE_WIDTH = 60;

function positiveInteger(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new SimulateUsageError(
      `--${name} must be a whole number from 1 to ${max.toLocaleString('en-US')} (got ${value})`,
    );
  }
  return value;
}

interface Row {
  schedule: Schedule;
  result: HerdResult;
}

function table(rows: readonly Row[]): string {
  const header = ['schedule', 'peak/slot', 'peak/ideal', 'all served after', 'gave up', 'calls'];
  const cells = rows.map(({ schedule, result }) => [
    schedule.label,
    String(result.peak),
    `${result.peakRatio.toFixed(1)}×`,
    result.allSucceededAtMs === null ? 'never' : formatDuration(result.allSucceededAtMs),
    String(result.gaveUp),
    String(result.totalCalls),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => row[column]!.length)),
  );
  const format = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...cells.map(format)].join('\n');
}

function sparklines(rows: readonly Row[], slotMs: number): string {
  const horizon = Math.max(1, ...rows.map(({ result }) => result.horizonSlots));
  const width = Math.min(SPARKLINE_WIDTH, horizon);
  const series = rows.map(({ result }) => bucketPeaks(result, width, horizon));
  const max = Math.max(1, ...series.flat());
  const labelWidth = Math.max(...rows.map(({ schedule }) => schedule.label.length));
  const interval = formatDuration((horizon * slotMs) / width);
  const lines = rows.map(
    ({ schedule }, i) => `${schedule.label.padEnd(labelWidth)}  ${sparkline(series[i]!, max)}`,
  );
  return [
    `Retries over ${formatDuration(horizon * slotMs)}; each column is the busiest ${formatDuration(slotMs)} slot in ${interval}, one scale for all (max ${max}):`,
    ...lines,
  ].join('\n');
}

/**
 * `jitterbot simulate`: N clients waiting a fixed delay fail together at t = 0; compare what they do
 * to a service with their current schedule, exponential backoff without jitter, and each strategy
 * (growing with the attempt, capped at the default `cap_ms`). Returns the text to print.
 */
export function runSimulateCommand(options: SimulateCommandOptions): string {
  const clients = positiveInteger(options.clients, 'clients', MAX_CLIENTS);
  const delayMs = parseDuration(options.delay);
  if (delayMs === undefined || delayMs <= 0) {
    throw new SimulateUsageError(
      `--delay must be a duration such as 5s, 200ms or 1.5s (got ${JSON.stringify(options.delay)})`,
    );
  }
  const strategy = options.strategy ?? 'all';
  if (strategy !== 'all' && !STRATEGIES.includes(strategy)) {
    throw new SimulateUsageError(
      `--strategy must be one of ${STRATEGIES.join(', ')} or all (got ${strategy})`,
    );
  }
  const slotMs = DEFAULT_SLOT_MS;
  const attempts = positiveInteger(options.attempts ?? DEFAULT_ATTEMPTS, 'attempts', MAX_ATTEMPTS);
  const capacity =
    options.capacity === undefined
      ? defaultCapacity(clients, delayMs, slotMs)
      : positiveInteger(options.capacity, 'capacity', Number.MAX_SAFE_INTEGER);
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new SimulateUsageError(`--seed must be a whole number (got ${seed})`);
  const capMs = Math.max(DEFAULT_CONFIG.cap_ms, delayMs);

  const schedules: Schedule[] = [fixedSchedule(delayMs)];
  if (strategy === 'all') schedules.push(exponentialSchedule(delayMs, 2, capMs));
  const names = strategy === 'all' ? [...STRATEGIES] : [strategy];
  for (const name of names) schedules.push(strategySchedule(name, delayMs, capMs, { kind: 'exponential' }));

  const rows = schedules.map((schedule, index) => ({
    schedule,
    result: simulateHerd({
      clients,
      schedule,
      capacity,
      slotMs,
      attempts,
      baseMs: delayMs,
      seed: deriveSeed(seed, index),
    }),
  }));
  const plural = capacity === 1 ? 'request' : 'requests';
  const intro =
    `${clients.toLocaleString('en-US')} clients fail at t = 0 and retry after ${formatDuration(delayMs)}; ` +
    `the service serves ${capacity} ${plural} per ${formatDuration(slotMs)} slot; ` +
    `${attempts} attempts each; backoffs grow ×2 per attempt up to ${formatDuration(capMs)}; seed ${seed}.`;
  const notes =
    'peak/ideal compares the busiest slot with the clients spread evenly over one delay.' +
    (names.includes('golden') ? ' Golden-ratio jitter assumes every client has a distinct index.' : '');
  return [intro, '', table(rows), '', sparklines(rows, slotMs), '', notes].join('\n');
}
