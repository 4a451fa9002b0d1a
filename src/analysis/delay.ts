import type { AnalysisOptions } from './analyzer.js';
import type { Delay, RuleId } from './finding.js';
/**
 * The language-neutral value of a delay expression, as constant folding across the repository sees it.
 * Language analyzers evaluate their syntax into this; only `const`, `linear` and `exponential` can
 * become findings.
 */
export type DelayValue =
  | { kind: 'const'; ms: number }
  /** The attempt counter itself (before any arithmetic). */
  | { kind: 'counter'; name: string }
  | { kind: 'linear'; baseMs?: number }
  | { kind: 'exponential'; baseMs?: number; factor?: number }
  | { kind: 'random' }
  /** Derived from what the server said (Retry-After, rate-limit reset, an error field). */
  | { kind: 'server' }
  /** `external`: set outside the repository (an environment variable, a flag), not merely unresolved. */
  | { kind: 'unknown'; reason: string; external?: boolean };

export const UNKNOWN = (reason: string): DelayValue => ({ kind: 'unknown', reason });

/**
 * Which value dominates when two combine: randomness anywhere makes the whole delay jittered, a server
 * hint makes it server-directed, and anything unknown poisons the rest.
 */
const PRECEDENCE: Record<DelayValue['kind'], number> = {
  random: 6,
  server: 5,
  unknown: 4,
  exponential: 3,
  linear: 2,
  counter: 1,
  const: 0,
};

export function dominant(a: DelayValue, b: DelayValue): DelayValue {
  return PRECEDENCE[a.kind] >= PRECEDENCE[b.kind] ? a : b;
}

/**
 * Every value that can reach one wait (a parameter's default and each caller's argument, a field's
 * initialiser and each assignment): randomness on any path keeps the wait quiet; a server hint next
 * to the code's own value is judged by that value (the fallback is what clients share); anything
 * unresolved keeps it quiet; a setting from outside the repository next to the code's own default
 * is judged by that default (it is what every client runs with unless configured, and a configured
 * value is one value for all of them too); otherwise growth beats a constant, and the longest
 * constant is the wait.
 */
export function joinValues(values: readonly DelayValue[]): DelayValue {
  if (values.length === 0) return UNKNOWN('no value reaches the wait');
  const random = values.find((v) => v.kind === 'random');
  if (random) return random;
  const own = values.filter((v) => v.kind !== 'server');
  if (own.length === 0) return values[0]!;
  const unknown = own.find((v) => v.kind === 'unknown' && !v.external);
  if (unknown) return unknown;
  const known = own.filter((v) => v.kind !== 'unknown');
  if (known.length === 0) return own[0]!;
  return known.reduce((acc, value) => {
    if (acc.kind === 'const' && value.kind === 'const') return acc.ms >= value.ms ? acc : value;
    return PRECEDENCE[acc.kind] >= PRECEDENCE[value.kind] ? acc : value;
  });
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '**' | '<<' | '>>';

/** Folds one binary operation; keeps the growth shape when the attempt counter is involved. */
export function combine(op: ArithmeticOp, left: DelayValue, right: DelayValue): DelayValue {
  const top = dominant(left, right);
  if (top.kind === 'random' || top.kind === 'server') return top;
  if (top.kind === 'unknown') {
    // `delay * 2 ** attempt` with `delay` a parameter: the base is unknown, the growth is not.
    const grows = isGrowing(left) ? left : isGrowing(right) ? right : null;
    if (!grows || !(op === '*' || op === '+' || op === '**' || op === '<<')) return top;
    if ((op === '**' || op === '<<') && grows === right) return { kind: 'exponential' };
    if (grows.kind === 'exponential' || op === '**' || op === '<<') return { kind: 'exponential' };
    return { kind: 'linear' };
  }
  if (left.kind === 'const' && right.kind === 'const') {
    const value = fold(op, left.ms, right.ms);
    return Number.isFinite(value) ? { kind: 'const', ms: value } : UNKNOWN('not a finite number');
  }
  // Exponential growth: base ** counter, base << counter, or anything already exponential.
  if ((op === '**' || op === '<<') && isGrowing(right)) {
    return { kind: 'exponential', factor: op === '**' && left.kind === 'const' ? left.ms : 2 };
  }
  if (left.kind === 'exponential' || right.kind === 'exponential') {
    const exp = left.kind === 'exponential' ? left : (right as Extract<DelayValue, { kind: 'exponential' }>);
    const other = left.kind === 'exponential' ? right : left;
    if (op === '*' && other.kind === 'const') {
      return { kind: 'exponential', factor: exp.factor, baseMs: (exp.baseMs ?? 1) * other.ms };
    }
    return { kind: 'exponential', factor: exp.factor };
  }
  if (op === '*' || op === '+' || op === '-') {
    const other = isGrowing(left) ? right : left;
    return { kind: 'linear', baseMs: op === '*' && other.kind === 'const' ? other.ms : undefined };
  }
  return { kind: 'linear' };
}

function isGrowing(value: DelayValue): boolean {
  return value.kind === 'counter' || value.kind === 'linear' || value.kind === 'exponential';
}

function fold(op: ArithmeticOp, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '**':
      return a ** b;
    case '<<':
      return a << b;
    case '>>':
      return a >> b;
  }
}

/** `Math.min` / `Math.max`: a cap adds no randomness, so the growing or dominant term decides the shape. */
export function minMax(which: 'min' | 'max', values: DelayValue[]): DelayValue {
  if (values.length === 0) return UNKNOWN('empty min/max');
  return values.reduce((acc, value) => {
    if (acc.kind === 'const' && value.kind === 'const') {
      return { kind: 'const', ms: which === 'min' ? Math.min(acc.ms, value.ms) : Math.max(acc.ms, value.ms) };
    }
    // A cap read at run time (`Math.min(maxDelay, base * 2 ** n)`) does not hide the growth beneath it.
    if (acc.kind === 'unknown' && isGrowing(value)) return value;
    if (value.kind === 'unknown' && isGrowing(acc)) return acc;
    return dominant(acc, value);
  });
}

/** Which rule a delay breaks, if any: constants are fixed, growth without randomness is unjittered. */
export function classifyDelay(
  value: DelayValue,
  options: AnalysisOptions,
): { rule: RuleId; unknown?: boolean } | null {
  switch (value.kind) {
    case 'const':
      // A hand-written `sleep(0)` yields to the scheduler rather than waiting; a library left to retry
      // at once (0 ms) is judged by the library checks, which do not come through here.
      return value.ms > 0 && value.ms >= options.minDelayMs ? { rule: 'fixed-delay-retry' } : null;
    case 'counter':
    case 'linear':
    case 'exponential':
      return { rule: 'unjittered-backoff' };
    case 'unknown':
      return options.reportUnknown ? { rule: 'fixed-delay-retry', unknown: true } : null;
    default:
      return null;
  }
}

/** The longest delay text kept in a finding: an options object can be long. */
const MAX_DELAY_TEXT = 200;

export function clipDelayText(text: string): string {
  return text.length > MAX_DELAY_TEXT ? `${text.slice(0, MAX_DELAY_TEXT - 1)}…` : text;
}

/** A finding's delay from its evaluated value and source text (clipped). */
export function toDelay(value: DelayValue, text: string): Delay {
  const clipped = clipDelayText(text);
  switch (value.kind) {
    case 'const':
      return { kind: 'fixed', ms: value.ms, text: clipped };
    case 'counter':
      return { kind: 'linear', text: clipped };
    case 'linear':
      return { kind: 'linear', baseMs: value.baseMs, text: clipped };
    case 'exponential':
      return { kind: 'exponential', baseMs: value.baseMs, factor: value.factor, text: clipped };
    default:
      return { kind: 'fixed', text: clipped };
  }
}
