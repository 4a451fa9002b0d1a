import { combine, type DelayValue } from '../delay.js';
import type { Expr } from './ir.js';

/**
 * A small literal table that the code rebuilds from its own elements each time round
 * (`fib = [fib[1], fib[0] + fib[1]]`) is a recurrence: its growth is not written as a power of the
 * attempt, so the recurrence is run for a few rounds and the element the wait reads is measured.
 */

/** Rounds run: enough for a sum of earlier terms to show its ratio, few enough to stay finite. */
const ROUNDS = 12;
/** A ratio between late rounds above this is exponential growth (Fibonacci settles at ≈ 1.618). */
const EXPONENTIAL_RATIO = 1.3;

export interface Recurrence {
  value: DelayValue;
  /** The first values of the element read, for the evidence. */
  terms: number[];
}

/**
 * The element `index` of table `name` starting at `initial` and rebuilt by `update` each round, or
 * null when an update reads anything but the table's own elements and numbers.
 */
export function runRecurrence(
  name: string,
  initial: number[],
  update: Expr[],
  index: number,
): Recurrence | null {
  if (update.length !== initial.length || index < 0 || index >= initial.length) return null;
  let state = initial;
  const terms = [initial[index]!];
  for (let round = 0; round < ROUNDS; round += 1) {
    const next = update.map((item) => term(item, name, state));
    if (next.some((n) => n === null)) return null;
    state = next as number[];
    terms.push(state[index]!);
  }
  return { value: growth(terms), terms: terms.slice(0, 6) };
}

/** One item of the rebuilt table, from the previous round's elements. */
function term(expr: Expr, name: string, state: readonly number[]): number | null {
  switch (expr.k) {
    case 'num':
      return expr.value;
    case 'neg': {
      const inner = term(expr.inner, name, state);
      return inner === null ? null : -inner;
    }
    case 'binary': {
      const left = term(expr.left, name, state);
      const right = term(expr.right, name, state);
      if (left === null || right === null) return null;
      const value = combine(expr.op, { kind: 'const', ms: left }, { kind: 'const', ms: right });
      return value.kind === 'const' ? value.ms : null;
    }
    case 'table':
      if (expr.of?.k !== 'name' || expr.of.name !== name || expr.index?.k !== 'num') return null;
      return state[expr.index.value] ?? null;
    default:
      return null;
  }
}

function growth(terms: readonly number[]): DelayValue {
  const first = terms[0]!;
  if (terms.every((t) => t === first)) return { kind: 'const', ms: first };
  const steps = terms.slice(1).map((t, i) => t - terms[i]!);
  // One that shrinks, swings back and forth or settles (a plain reassignment) is no backoff: the
  // largest value is the wait.
  if (steps.some((s) => s < 0) || steps[steps.length - 1] === 0)
    return { kind: 'const', ms: Math.max(...terms) };
  const base = terms.find((t) => t > 0);
  const last = terms[terms.length - 1]!;
  const before = terms[terms.length - 2]!;
  if (before > 0 && last / before >= EXPONENTIAL_RATIO)
    return { kind: 'exponential', baseMs: base, factor: Math.round((last / before) * 100) / 100 };
  return { kind: 'linear', baseMs: base };
}
