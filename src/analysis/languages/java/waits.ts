import { unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import type { CallParts } from './lower.js';

/**
 * The waits Java itself provides (RULES.md section 5): `Thread.sleep(ms)`, `TimeUnit.SECONDS.sleep(n)`,
 * Guava's `Uninterruptibles.sleepUninterruptibly(n, unit)`, `LockSupport.parkNanos(n)`, Android's
 * `SystemClock.sleep(ms)`. The repository's own sleep helpers are found by the engine.
 */

const TIME_UNIT =
  /^(?:(?:java\.util\.concurrent\.)?TimeUnit\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/;
/** Calls with these names that resolve to nothing in the repository are taken as sleeps in milliseconds. */
const SLEEP_NAME = /^(sleep|sleepQuietly|sleepUninterruptibly|pause|backoffSleep|sleepMillis|sleepMs)$/;

/** The built-in wait a call is, if any: which argument is the delay and in which unit. */
export function builtinWait(call: CallParts): { argument: Node; unitMs: number } | null {
  const object = call.object?.text.replace(/\s+/g, '') ?? '';
  const { name } = call;
  const [first, second] = call.args;
  if (!first) return null;
  if (name === 'sleep' && /^((java\.lang\.)?Thread|SystemClock)$/.test(object))
    return { argument: first, unitMs: 1 };
  const timeUnit = TIME_UNIT.exec(object);
  if (name === 'sleep' && timeUnit) return { argument: first, unitMs: unitMs(timeUnit[1]!) ?? 1 };
  if (name === 'sleepUninterruptibly' && /Uninterruptibles$/.test(object)) {
    const unit = second ? TIME_UNIT.exec(second.text.replace(/\s+/g, '')) : null;
    return { argument: first, unitMs: unit ? (unitMs(unit[1]!) ?? 1) : 1 };
  }
  if (name === 'parkNanos' && /LockSupport$/.test(object)) return { argument: second ?? first, unitMs: 1e-6 };
  return null;
}

/** `sleepQuietly(500)`, `Utils.sleep(1000)`: a wait by its name only, used when nothing in the repository says otherwise. */
export function sleepByName({ args, name }: CallParts): Node | null {
  return args.length === 1 && SLEEP_NAME.test(name) ? args[0]! : null;
}
