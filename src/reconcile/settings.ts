import { positiveInt } from '../queue/create.js';

/** How the reconciler runs; every field has an environment variable (docs/deploy.md). */
export interface ReconcileSettings {
  /** `RECONCILE=off` turns it off; on by default. */
  enabled: boolean;
  /** Mean wait between runs (`RECONCILE_INTERVAL_SECONDS`); each wait is drawn from ±50 % of it. */
  intervalMs: number;
  /** How far back a run looks (`RECONCILE_LOOKBACK_MINUTES`). */
  lookbackMs: number;
  /**
   * How old a delivery or change must be before a periodic run touches it
   * (`RECONCILE_MIN_AGE_SECONDS`): younger ones may still be in the queue.
   */
  minAgeMs: number;
  /** API calls one run of one platform may make (`RECONCILE_MAX_API_CALLS`). */
  maxApiCalls: number;
  /** Reviews one run of one platform may queue (`RECONCILE_MAX_REVIEWS`). */
  maxEnqueued: number;
}

/**
 * Every 10 minutes, over the last 6 hours, touching nothing younger than 5 minutes: an outage is
 * caught up within minutes of its end, and a run costs at most 60 API calls and queues at most 20
 * reviews per platform (GitHub allows an app 5 000 calls an hour; the next run goes on where this one
 * stopped).
 */
export const DEFAULT_RECONCILE: ReconcileSettings = {
  enabled: true,
  intervalMs: 10 * 60_000,
  lookbackMs: 6 * 60 * 60_000,
  minAgeMs: 5 * 60_000,
  maxApiCalls: 60,
  maxEnqueued: 20,
};

const OFF = new Set(['off', 'false', '0', 'no']);

/** GitHub keeps an app's deliveries for 3 days, and the review records outlive that (RECORD_TTL_MS). */
const MAX_LOOKBACK_MINUTES = 3 * 24 * 60;

/** The settings from the environment; throws with a readable message on a bad value. */
export function reconcileSettingsFromEnv(env: Record<string, string | undefined>): ReconcileSettings {
  const d = DEFAULT_RECONCILE;
  const settings: ReconcileSettings = {
    enabled: !OFF.has(env.RECONCILE?.trim().toLowerCase() ?? ''),
    intervalMs: positiveInt(env, 'RECONCILE_INTERVAL_SECONDS', d.intervalMs / 1000) * 1000,
    lookbackMs: positiveInt(env, 'RECONCILE_LOOKBACK_MINUTES', d.lookbackMs / 60_000) * 60_000,
    minAgeMs: positiveInt(env, 'RECONCILE_MIN_AGE_SECONDS', d.minAgeMs / 1000) * 1000,
    maxApiCalls: positiveInt(env, 'RECONCILE_MAX_API_CALLS', d.maxApiCalls),
    maxEnqueued: positiveInt(env, 'RECONCILE_MAX_REVIEWS', d.maxEnqueued),
  };
  if (settings.lookbackMs > MAX_LOOKBACK_MINUTES * 60_000)
    throw new Error(`RECONCILE_LOOKBACK_MINUTES must be at most ${MAX_LOOKBACK_MINUTES} (3 days)`);
  return settings;
}
