import type { Delay, Finding, RetryLibrary } from '../analysis/finding.js';
import {
  JITTER_STRATEGIES,
  STRATEGY_NAMES,
  type StrategyName,
  type SuggestedStrategy,
} from './strategies.js';
import { DEFAULT_ATTEMPTS, DEFAULT_SLOT_MS, defaultCapacity, simulateHerd, type HerdResult } from './herd.js';
import { deriveSeed } from './rng.js';
import {
  exponentialSchedule,
  fixedSchedule,
  linearSchedule,
  noisySchedule,
  scaledSchedule,
  strategySchedule,
  type Schedule,
  type ScheduleGrowth,
} from './schedule.js';
import { jvmLibrarySchedule } from './libraries/java.js';
import { hintJitterSchedule, lockstepSchedule } from './lockstep.js';
import { pollySchedule } from './libraries/csharp.js';
import { rustLibrarySchedule } from './libraries/rust.js';
import { pythonLibrarySchedule } from './libraries/python.js';
import { goLibrarySchedule } from './libraries/go.js';
import { FARADAY_INTERVAL_RANDOMNESS } from './libraries/ruby.js';

/** axios-retry's `exponentialDelay`: `factor · 2^retryCount` plus up to 20% (retryCount starts at 1). */
const AXIOS_RANDOM_SHARE = 0.2;
/** cockatiel's `ExponentialBackoff` caps waits at 30 s by default. */
const COCKATIEL_MAX_DELAY_MS = 30_000;
/** got adds up to this much random noise by default (got ≥ 12). */
const GOT_NOISE_MS = 100;

export interface ScheduleOutcome {
  label: string;
  /** Set when the schedule is one of our strategies. */
  strategy?: StrategyName;
  result: HerdResult;
}

/** Today's schedule against the suggested one (and the other strategies), for one finding. */
export interface FindingSimulation {
  clients: number;
  capacity: number;
  slotMs: number;
  attempts: number;
  /** The finding's base delay. */
  baseMs: number;
  current: ScheduleOutcome;
  suggested: ScheduleOutcome;
  /** Other strategies for the same wait (empty when the patch uses the library's own switch). */
  alternatives: ScheduleOutcome[];
}

export interface SimulateFindingOptions {
  capacity?: number;
  attempts?: number;
  slotMs?: number;
  /** Include golden-ratio jitter among the alternatives (it needs a configured index source). */
  includeGolden?: boolean;
}

function baseMsOf(delay: Delay): number | undefined {
  return delay.kind === 'fixed' ? delay.ms : delay.baseMs;
}

/** What the code waits today, from the evaluated delay. */
export function currentSchedule(delay: Delay): Schedule | undefined {
  const base = baseMsOf(delay);
  if (base === undefined) return undefined;
  switch (delay.kind) {
    case 'fixed':
      return fixedSchedule(base);
    case 'linear':
      return linearSchedule(base);
    case 'exponential':
      return exponentialSchedule(base, delay.factor ?? 2);
  }
}

/** How the window of a written jitter expression grows for this finding (mirrors the rewrites). */
function growthFor(finding: Finding, current: Schedule): ScheduleGrowth {
  // The spread rules' patch draws within the code's own (capped) delay and does not grow it again.
  if (finding.lockstep) return { kind: 'none' };
  if (finding.delay.kind !== 'fixed') return { kind: 'given', current };
  if (finding.form.kind === 'call-argument')
    return finding.attemptVar === undefined ? { kind: 'none' } : { kind: 'exponential' };
  // rxjs `retry({ delay })` and AWS `ConfiguredRetryStrategy` receive a retry count; the others do not.
  return finding.form.library === 'rxjs' ||
    finding.form.library === 'aws-sdk' ||
    finding.form.library === 'react-query'
    ? { kind: 'exponential' }
    : { kind: 'none' };
}

/** What a library waits once its own jitter switch is on, per the rewrites in RULES §3. */
function librarySchedule(
  library: RetryLibrary,
  current: Schedule,
  baseMs: number,
  capMs: number,
  growing: boolean,
): Schedule {
  switch (library) {
    case 'p-retry':
    case 'promise-retry':
    case 'retry':
    case 'async-retry':
      return scaledSchedule(current, 1, 2, `${library} randomize`);
    case 'bullmq':
      return scaledSchedule(current, 0.5, 1, 'bullmq jitter 0.5');
    case 'exponential-backoff':
    case 'ky':
      return scaledSchedule(current, 0, 1, `${library} full jitter`);
    case 'got':
      return noisySchedule(current, GOT_NOISE_MS, 'got noise');
    case 'socket.io':
      // Spread by ± 50 %, then capped: at the finding's cap when it grows, at 1.5 × the wait (the
      // suggested reconnectionDelayMax) when it was pinned to its cap.
      return {
        label: 'socket.io randomizationFactor 0.5',
        delayMs: ({ attempt, random }) =>
          Math.min(baseMs * 2 ** attempt * (0.5 + random()), growing ? capMs : 1.5 * baseMs),
      };
    case 'axios-retry':
      return {
        label: 'axios-retry exponentialDelay',
        delayMs: ({ attempt, random }) => baseMs * 2 ** (attempt + 1) * (1 + AXIOS_RANDOM_SHARE * random()),
      };
    case 'cockatiel':
      return {
        ...strategySchedule('decorrelated', baseMs, Math.min(capMs, COCKATIEL_MAX_DELAY_MS), {
          kind: 'exponential',
        }),
        label: 'cockatiel decorrelated jitter',
      };
    case 'rxjs':
    case 'aws-sdk':
    case 'react-query':
      return strategySchedule('full', baseMs, capMs, { kind: 'exponential' });
    case 'bull':
    case 'signalr':
      // Neither has a jitter option: the suggestion draws the delay at random itself (full jitter).
      return strategySchedule('full', baseMs, capMs, growing ? { kind: 'exponential' } : { kind: 'none' });
    case 'spring-retry':
    case 'spring-framework':
    case 'resilience4j':
    case 'failsafe':
      return jvmLibrarySchedule(library, current, baseMs, growing);
    case 'polly':
      return pollySchedule(current, baseMs, capMs, growing);
    case 'tokio-retry':
    case 'backon':
    case 'backoff-rs':
    case 'tryhard':
      return rustLibrarySchedule(library, current, baseMs, growing);
    case 'tenacity':
    case 'backoff':
    case 'retrying':
    case 'urllib3':
    case 'celery':
      return pythonLibrarySchedule(library, current, baseMs, capMs, growing);
    case 'cenkalti-backoff':
    case 'retry-go':
    case 'go-retryablehttp':
    case 'go-resiliency':
      return goLibrarySchedule(library, current, baseMs, growing);
    case 'faraday-retry':
      // `rand * interval_randomness * interval` is added to every wait.
      return noisySchedule(
        current,
        FARADAY_INTERVAL_RANDOMNESS * baseMs,
        `faraday-retry interval_randomness ${FARADAY_INTERVAL_RANDOMNESS}`,
      );
  }
}

/**
 * Runs the herd simulation for one finding: today's schedule, the suggested one and the other
 * strategies, with the same clients, capacity and seed. Null when the delay is not a known number.
 */
export function simulateFinding(
  finding: Finding,
  clients: number,
  strategy: SuggestedStrategy,
  capMs: number,
  seed: number,
  options: SimulateFindingOptions = {},
): FindingSimulation | null {
  const baseMs = baseMsOf(finding.delay);
  // A wait in lockstep is simulated where it is in lockstep (from the attempt its jitter vanishes).
  const current = finding.lockstep
    ? lockstepSchedule(finding.lockstep, finding.attemptVar)
    : currentSchedule(finding.delay);
  if (baseMs === undefined || current === undefined || baseMs <= 0) return null;
  const slotMs = options.slotMs ?? DEFAULT_SLOT_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const capacity = options.capacity ?? defaultCapacity(clients, baseMs, slotMs);
  const run = (schedule: Schedule, stream: number): HerdResult =>
    simulateHerd({ clients, schedule, capacity, slotMs, attempts, baseMs, seed: deriveSeed(seed, stream) });
  const growth = growthFor(finding, current);
  const outcome = (name: StrategyName, stream: number): ScheduleOutcome => {
    const schedule = strategySchedule(name, baseMs, capMs, growth);
    return { label: schedule.label, strategy: name, result: run(schedule, stream) };
  };

  // A server hint is never shortened: the fix is jitter on top of it, and no strategy below it is offered.
  const serverCap = finding.lockstep?.kind === 'server-cap';
  let suggested: ScheduleOutcome;
  if (serverCap) {
    const schedule = hintJitterSchedule(current);
    suggested = { label: schedule.label, result: run(schedule, 1) };
  } else if (strategy === 'library') {
    if (finding.form.kind !== 'library-option')
      throw new Error('simulateFinding: a library strategy needs a library finding');
    const schedule = librarySchedule(
      finding.form.library,
      current,
      baseMs,
      capMs,
      finding.delay.kind !== 'fixed',
    );
    suggested = { label: schedule.label, result: run(schedule, 1) };
  } else {
    suggested = outcome(strategy, 1);
  }
  const alternatives =
    strategy === 'library' || serverCap
      ? []
      : STRATEGY_NAMES.filter(
          (name) =>
            name !== strategy &&
            (options.includeGolden === true || !JITTER_STRATEGIES[name].needsClientIndex),
        ).map((name, index) => outcome(name, index + 2));
  return {
    clients,
    capacity,
    slotMs,
    attempts,
    baseMs,
    current: { label: current.label, result: run(current, 0) },
    suggested,
    alternatives,
  };
}
