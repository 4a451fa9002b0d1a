import { goldenFraction } from './strategies.js';
import { deriveSeed, seededRandom } from './rng.js';

/** Trials per row in the tenacity PR #642 comparison. */
export const SPREAD_TRIALS = 300;

/** Golden indices start at a random offset below this, as host or worker ids would. */
const INDEX_OFFSET_RANGE = 1_000_000;

export interface SpreadInput {
  clients: number;
  /** Slots the jitter window is cut into. */
  slots: number;
  trials: number;
  seed: number;
}

export interface SpreadRow extends SpreadInput {
  /** clients / slots: the peak of a perfect spread. */
  ideal: number;
  /** Busiest slot with full jitter, worst and mean over the trials. */
  fullWorstPeak: number;
  fullMeanPeak: number;
  /** Busiest slot with golden-ratio jitter (indices from a random offset each trial), worst over the trials. */
  goldenWorstPeak: number;
}

function peakOf(counts: Int32Array): number {
  let peak = 0;
  for (const count of counts) peak = Math.max(peak, count);
  return peak;
}

/**
 * One retry round, as in tenacity PR #642: every client picks a point in the same window, cut into
 * `slots` slots, once at random (full jitter) and once from the golden-ratio sequence; the row
 * reports the busiest slot, worst over `trials` independent trials.
 */
export function spreadPeaks(input: SpreadInput): SpreadRow {
  const { clients, slots, trials, seed } = input;
  const counts = new Int32Array(slots);
  let fullWorst = 0;
  let fullTotal = 0;
  let goldenWorst = 0;
  for (let trial = 0; trial < trials; trial += 1) {
    const random = seededRandom(deriveSeed(seed, trial));
    counts.fill(0);
    for (let client = 0; client < clients; client += 1) counts[Math.floor(random() * slots)]! += 1;
    const fullPeak = peakOf(counts);
    fullWorst = Math.max(fullWorst, fullPeak);
    fullTotal += fullPeak;

    counts.fill(0);
    const offset = Math.floor(random() * INDEX_OFFSET_RANGE);
    for (let client = 0; client < clients; client += 1) {
      counts[Math.floor(goldenFraction(offset + client) * slots)]! += 1;
    }
    goldenWorst = Math.max(goldenWorst, peakOf(counts));
  }
  return {
    ...input,
    ideal: clients / slots,
    fullWorstPeak: fullWorst,
    fullMeanPeak: fullTotal / trials,
    goldenWorstPeak: goldenWorst,
  };
}

/** The three rows of PR #642's table: 1,000 clients / 50 slots, 10,000 / 100 and 10,000 / 200. */
export const PR642_ROWS: ReadonlyArray<{ clients: number; slots: number }> = [
  { clients: 1_000, slots: 50 },
  { clients: 10_000, slots: 100 },
  { clients: 10_000, slots: 200 },
];

export function pr642Table(seed: number, trials = SPREAD_TRIALS): SpreadRow[] {
  return PR642_ROWS.map((row, index) => spreadPeaks({ ...row, trials, seed: deriveSeed(seed, index) }));
}
