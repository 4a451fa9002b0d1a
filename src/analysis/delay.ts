import type { AnalysisOptions } from './analyzer.js';
import type { Delay, Interval, Lockstep, RuleId } from './finding.js';
/**
 * The language-neutral value of a delay expression, as constant folding across the repository sees it.
 * Language analyzers evaluate their syntax into this; only `const`, `linear` and `exponential` can
 * become findings.
 */
export type DelayValue =
  | { kind: 'const'; ms: number }
  /** The attempt counter itself (before any arithmetic). */
  | { kind: 'counter'; name: string }
  | { kind: 'linear'; baseMs?: number; span?: Span }
  | { kind: 'exponential'; baseMs?: number; factor?: number; span?: Span }
  /** `span`: the values the random terms can produce, when every number around them is known. */
  | { kind: 'random'; span?: Span }
  /**
   * Derived from what the server said (Retry-After, rate-limit reset, an error field). `capMs`: the
   * code clamps it to at most this constant (`min(retry_after, 600)`).
   */
  | { kind: 'server'; capMs?: number }
  /** `external`: set outside the repository (an environment variable, a flag), not merely unresolved. */
  | { kind: 'unknown'; reason: string; external?: boolean };

export const UNKNOWN = (reason: string): DelayValue => ({ kind: 'unknown', reason });

/**
 * What a value can be at each attempt: entry `i` is its range when the attempt counter is `i`
 * (0 ≤ i < SPAN_ATTEMPTS). A constant has the same range at every attempt; growth is what makes
 * the entries differ. Interval arithmetic over-approximates, so a range that comes out a single
 * point is a single point.
 */
export type Span = readonly Interval[];

/**
 * How many values of the attempt counter a span follows (0–7): most retry loops give up within eight
 * tries, and a clamp that only bites after that is no lockstep the code can be shown to reach.
 */
export const SPAN_ATTEMPTS = 8;

/** The span of a value, when every number in it is known. */
export function spanOf(value: DelayValue): Span | null {
  switch (value.kind) {
    case 'const':
      return Array.from({ length: SPAN_ATTEMPTS }, () => [value.ms, value.ms] as const);
    case 'counter':
      return Array.from({ length: SPAN_ATTEMPTS }, (_, i) => [i, i] as const);
    case 'linear':
    case 'exponential':
    case 'random':
      return value.span ?? null;
    default:
      return null;
  }
}

/** `value` carrying `span` (or, with none, carrying no span rather than a stale one). */
function withSpan(value: DelayValue, span: Span | null): DelayValue {
  if (value.kind !== 'linear' && value.kind !== 'exponential' && value.kind !== 'random') return value;
  const { span: _stale, ...rest } = value;
  return span && span.every(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi))
    ? { ...rest, span }
    : rest;
}

/** A random value whose range is not known: quiet, as every random value was before spans. */
export const RANDOM: DelayValue = { kind: 'random' };

function spanZip(a: Span, b: Span, f: (x: Interval, y: Interval) => Interval | null): Span | null {
  const out: Interval[] = [];
  for (let i = 0; i < a.length; i += 1) {
    const r = f(a[i]!, b[i]!);
    if (!r) return null;
    out.push(r);
  }
  return out;
}

function hull(values: number[]): Interval {
  return [Math.min(...values), Math.max(...values)];
}

/** One arithmetic step on two ranges; null where the range cannot be bounded (a divisor around 0). */
function intervalOp(op: ArithmeticOp, [a, b]: Interval, [c, d]: Interval): Interval | null {
  switch (op) {
    case '+':
      return [a + c, b + d];
    case '-':
      return [a - d, b - c];
    case '*':
      return hull([a * c, a * d, b * c, b * d]);
    case '/':
      return c <= 0 && d >= 0 ? null : hull([a / c, a / d, b / c, b / d]);
    case '**':
      return a > 0 ? hull([a ** c, a ** d, b ** c, b ** d]) : null;
    case '<<':
      return a >= 0 && c >= 0 ? hull([a * 2 ** c, a * 2 ** d, b * 2 ** c, b * 2 ** d]) : null;
    default:
      return a === b && c === d ? [fold(op, a, c), fold(op, a, c)] : null;
  }
}

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
  // Each path's range joins the others': a path the range cannot follow leaves it unknown.
  if (random) return withSpan(random, values.map(spanOf).reduce(spanUnion));
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

function spanUnion(a: Span | null, b: Span | null): Span | null {
  return a && b && spanZip(a, b, ([p, q], [r, t]) => [Math.min(p, r), Math.max(q, t)]);
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '**' | '<<' | '>>';

/**
 * Folds one binary operation; keeps the growth shape when the attempt counter is involved, and the
 * range of what random terms can produce when every number around them is known.
 */
export function combine(op: ArithmeticOp, left: DelayValue, right: DelayValue): DelayValue {
  const shape = combineShape(op, left, right);
  if (shape.kind === 'const' || shape.kind === 'server' || shape.kind === 'unknown') return shape;
  const l = spanOf(left);
  const r = spanOf(right);
  return withSpan(shape, l && r && spanZip(l, r, (x, y) => intervalOp(op, x, y)));
}

function combineShape(op: ArithmeticOp, left: DelayValue, right: DelayValue): DelayValue {
  const top = dominant(left, right);
  if (top.kind === 'random') return top;
  if (top.kind === 'server') return serverStep(op, top, left === top ? right : left);
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
    if (op === '<<')
      return { kind: 'exponential', factor: 2, ...(left.kind === 'const' ? { baseMs: left.ms } : {}) };
    return { kind: 'exponential', factor: left.kind === 'const' ? left.ms : 2 };
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

/** A clamped server hint scaled or shifted by a constant keeps its (scaled) cap; anything else loses it. */
function serverStep(
  op: ArithmeticOp,
  server: Extract<DelayValue, { kind: 'server' }>,
  other: DelayValue,
): DelayValue {
  if (server.capMs === undefined || other.kind !== 'const' || !['+', '*', '/'].includes(op))
    return { kind: 'server' };
  const capMs = fold(op, server.capMs, other.ms);
  return Number.isFinite(capMs) && capMs > 0 ? { kind: 'server', capMs } : { kind: 'server' };
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

/**
 * `Math.min` / `Math.max`: a cap adds no randomness, so the growing or dominant term decides the shape;
 * the range is clamped attempt by attempt, which is where a cap swallows jitter added beneath it.
 */
export function minMax(which: 'min' | 'max', values: DelayValue[]): DelayValue {
  if (values.length === 0) return UNKNOWN('empty min/max');
  const shape = minMaxShape(which, values);
  if (shape.kind === 'const' || shape.kind === 'server' || shape.kind === 'unknown') return shape;
  const pick = which === 'min' ? Math.min : Math.max;
  const span = values
    .map(spanOf)
    .reduce((a, b) => a && b && spanZip(a, b, ([p, q], [r, t]) => [pick(p, r), pick(q, t)]));
  return withSpan(shape, span);
}

function minMaxShape(which: 'min' | 'max', values: DelayValue[]): DelayValue {
  // `min(retry_after, 600)`: the server's hint, but never more than the code's constant.
  const server = values.find((v) => v.kind === 'server');
  const caps = values.filter((v) => v.kind === 'const').map((v) => v.ms);
  if (which === 'min' && server?.kind === 'server' && caps.length === values.length - 1 && caps.length > 0)
    return { kind: 'server', capMs: Math.min(...caps, server.capMs ?? Infinity) };
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

/** A spread under this fraction of the wait does not separate clients (configurable). */
export const DEFAULT_NEGLIGIBLE_SPREAD = 0.1;

/** Width of a range relative to its top, where a float sum is as good as zero. */
const POINT = 1e-9;

/** What keeps a random or server-chosen wait in lockstep, if anything does. */
export function lockstepOf(
  value: DelayValue,
  negligible = DEFAULT_NEGLIGIBLE_SPREAD,
  /** How many values the attempt counter takes, when the retry's limit says: later ones never run. */
  attempts = SPAN_ATTEMPTS,
): Lockstep | null {
  if (value.kind === 'server')
    return value.capMs !== undefined ? { kind: 'server-cap', ms: value.capMs } : null;
  if (value.kind !== 'random' || !value.span || attempts < 1) return null;
  const span = value.span.slice(0, attempts);
  const growing = span.some(([lo, hi]) => lo !== span[0]![0] || hi !== span[0]![1]);
  // The first attempt from which every later one is a single point too (a floor that only holds the
  // first attempts together is not what the message says).
  const point = span.map(([lo, hi]) => hi - lo <= POINT * Math.abs(hi));
  const open = point.lastIndexOf(false);
  const attempt = open === span.length - 1 ? -1 : open + 1;
  if (attempt >= 0) {
    const ms = span[attempt]![0];
    if (ms <= 0) return null;
    // The range one attempt earlier shows the jitter there was before the clamp swallowed it.
    const before = attempt > 0 ? span[attempt - 1] : undefined;
    return { kind: 'collapse', attempt, ms, growing, ...(before ? { before } : {}) };
  }
  // Too narrow everywhere: the widest the code ever makes it is still no spread at all.
  const relative = span.map(([lo, hi]) => (hi > 0 ? (hi - lo) / hi : Infinity));
  const widest = relative.indexOf(Math.max(...relative));
  if (relative[widest]! >= negligible) return null;
  const [lo, hi] = span[widest]!;
  return { kind: 'negligible', spreadMs: hi - lo, waitMs: hi };
}

const LOCKSTEP_RULE: Record<Lockstep['kind'], RuleId> = {
  collapse: 'clamped-jitter',
  negligible: 'negligible-jitter',
  'server-cap': 'clamped-server-hint',
};

/**
 * Which rule a delay breaks, if any: constants are fixed, growth without randomness is unjittered,
 * and randomness a clamp swallows or too small to matter is lockstep still.
 */
export function classifyDelay(
  value: DelayValue,
  options: AnalysisOptions,
  attempts?: number,
): { rule: RuleId; unknown?: boolean; lockstep?: Lockstep } | null {
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
    case 'random':
    case 'server': {
      const lockstep = lockstepOf(value, options.negligibleSpread, attempts);
      return lockstep ? { rule: LOCKSTEP_RULE[lockstep.kind], lockstep } : null;
    }
  }
}

/** The longest delay text kept in a finding: an options object can be long. */
const MAX_DELAY_TEXT = 200;

export function clipDelayText(text: string): string {
  return text.length > MAX_DELAY_TEXT ? `${text.slice(0, MAX_DELAY_TEXT - 1)}…` : text;
}

/** A finding's delay from its evaluated value and source text (clipped). */
export function toDelay(value: DelayValue, text: string, lockstep?: Lockstep): Delay {
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
      // A wait in lockstep is the one value clients share (the cap), or the wait its jitter barely moves.
      if (lockstep?.kind === 'negligible') return { kind: 'fixed', ms: lockstep.waitMs, text: clipped };
      return lockstep ? { kind: 'fixed', ms: lockstep.ms, text: clipped } : { kind: 'fixed', text: clipped };
  }
}
