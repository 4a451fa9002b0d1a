import type { ReviewJob } from '../queue/job.js';
import type { EnqueueResult } from '../queue/types.js';
import type { ReconcileSettings } from './settings.js';

export interface ReconcileLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * One platform's way of finding what the bot may have missed: GitHub reads the app's delivery log,
 * GitLab lists the open merge requests of the projects it serves. A source asks its platform only
 * through `run.call()` and enqueues only through `run.enqueue`, so both stay within the run's caps.
 */
export interface ReconcileSource {
  platform: string;
  reconcile(run: ReconcileRun): Promise<void>;
}

export interface ReconcileRun {
  /** Only what happened after this (ms since the epoch) is looked at: the look-back window. */
  since: number;
  /**
   * Only what happened before this is reconciled: a younger delivery or change may still be on its
   * way through the webhook and the queue.
   */
  until: number;
  /** Takes one API call from the run's budget; false when none is left (stop asking). */
  call(): boolean;
  /** API calls the run may still make. */
  callsLeft(): number;
  /**
   * Queues a review, unless the run already queued its cap (`over-budget` then). `key` names what it
   * reconciles (a delivery, a head commit) for {@link ReconcileRun.queuedBefore}.
   */
  enqueue(job: ReviewJob, why: string, key: string): Promise<EnqueueResult | 'over-budget'>;
  /**
   * Whether an earlier run of this process queued `key` within the look-back window. Its review may
   * still be waiting behind others: asking the platform about it again would spend the run's calls on
   * what is already in hand (and, with a backlog, never reach the rest).
   */
  queuedBefore(key: string): boolean;
  log: ReconcileLog;
}

/** Whether the queue took a review; a source stops at anything else (full, unreachable, over budget). */
export function queued(result: EnqueueResult | 'over-budget'): boolean {
  return result === 'queued' || result === 'coalesced';
}

/** What one run of one source did, for the log and the tests. */
export interface ReconcileReport {
  platform: string;
  apiCalls: number;
  enqueued: number;
  /** The run stopped at a cap before it had looked at everything. */
  capped: boolean;
  error?: string;
}

export interface ReconcilerDeps {
  sources: ReconcileSource[];
  settings: ReconcileSettings;
  enqueue(job: ReviewJob): Promise<EnqueueResult>;
  log: ReconcileLog;
  now?: () => number;
  /** Uniform random in [0, 1), for the jittered interval. */
  random?: () => number;
}

/**
 * Runs every source once; a call while a run is in progress gets that run's reports. `fresh`: nothing
 * of this process can be in flight yet (it just started), so young deliveries are looked at too.
 */
export type RunOnce = (options?: { fresh?: boolean }) => Promise<ReconcileReport[]>;

export interface Reconciler {
  runOnce: RunOnce;
  /** Stops the timer; a run in progress finishes on its own. */
  stop(): void;
}

/**
 * Reviews survive outages and crashes: on start, then every `intervalMs` (each wait drawn from
 * ±50 % of it, so replicas started together do not ask the platforms together), each source looks for
 * webhooks that failed or reviews that never completed and queues them once. Single-flight: a run
 * never overlaps the previous one. A source that fails is logged and tried again at the next run.
 */
export function startReconciler(deps: ReconcilerDeps): Reconciler {
  const runOnce = createReconciler(deps);
  const random = deps.random ?? Math.random;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const next = (): void => {
    if (stopped) return;
    const delayMs = deps.settings.intervalMs * (0.5 + random());
    timer = setTimeout(() => void runOnce().finally(next), delayMs);
    timer.unref();
  };
  void runOnce({ fresh: true }).finally(next);
  return {
    runOnce,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The runs without the timer: what `startReconciler` schedules, and what tests call directly. */
export function createReconciler(deps: ReconcilerDeps): RunOnce {
  let running: Promise<ReconcileReport[]> | undefined;
  /** key → when this process queued it; forgotten once outside the look-back window. */
  const queuedAt = new Map<string, number>();
  return (options = {}) => {
    running ??= runAll(deps, queuedAt, options.fresh === true).finally(() => (running = undefined));
    return running;
  };
}

async function runAll(
  deps: ReconcilerDeps,
  queuedAt: Map<string, number>,
  fresh: boolean,
): Promise<ReconcileReport[]> {
  const now = (deps.now ?? Date.now)();
  for (const [key, at] of queuedAt) if (at < now - deps.settings.lookbackMs) queuedAt.delete(key);
  const reports: ReconcileReport[] = [];
  for (const source of deps.sources) reports.push(await runSource(deps, source, queuedAt, fresh, now));
  return reports;
}

async function runSource(
  deps: ReconcilerDeps,
  source: ReconcileSource,
  queuedAt: Map<string, number>,
  fresh: boolean,
  now: number,
): Promise<ReconcileReport> {
  const { settings, log } = deps;
  const report: ReconcileReport = { platform: source.platform, apiCalls: 0, enqueued: 0, capped: false };
  const run: ReconcileRun = {
    since: now - settings.lookbackMs,
    until: fresh ? now : now - settings.minAgeMs,
    call() {
      if (report.apiCalls >= settings.maxApiCalls) {
        report.capped = true;
        return false;
      }
      report.apiCalls += 1;
      return true;
    },
    callsLeft: () => settings.maxApiCalls - report.apiCalls,
    queuedBefore: (key) => queuedAt.has(`${source.platform}\n${key}`),
    async enqueue(job, why, key) {
      if (report.enqueued >= settings.maxEnqueued) {
        report.capped = true;
        return 'over-budget';
      }
      const result = await deps.enqueue(job);
      if (queued(result)) {
        report.enqueued += 1;
        queuedAt.set(`${source.platform}\n${key}`, now);
      }
      log.info(
        { platform: source.platform, why, queue: result, headSha: job.headSha },
        'reconciler queued a review',
      );
      return result;
    },
    log,
  };
  try {
    await source.reconcile(run);
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  }
  const level = report.error ? 'warn' : 'info';
  log[level](
    { ...report },
    report.error ? 'reconcile run failed; trying again next run' : 'reconcile run done',
  );
  return report;
}
