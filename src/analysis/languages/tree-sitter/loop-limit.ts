import type { Expr } from '../../flow/ir.js';
import type { Node } from './runtime.js';
import { ancestors, field, lineOf } from './syntax.js';

/**
 * How far a retry's attempt counter runs, read off the header of a loop around the wait or of an `if`
 * that guards it (`if attempt < max_retries`), so that what a clamp or a fixed jitter does at attempts
 * the loop never reaches is not reported. The bound is exclusive, because a wait's range is indexed by the counter's value: `i < N` and `0 until N`
 * bound at N, `i <= N` and `1..=N` at N + 1. Headers are one line in every language the tree-sitter
 * front ends read, so one table of header shapes serves them all:
 *
 * - `for (int i = 0; i < N; i++)`, `for i := 1; i <= n; i++`, `while (attempt < max)`;
 * - `for i in 0..n`, `0..=n`, `1 until n`, `0..<n` (Rust, Kotlin); `for i := range n` (Go 1.22);
 * - `n.times do |i|`, `(1..n).each do |i|`, `1.upto(n) do |i|` (Ruby); `repeat(n) { i ->` (Kotlin).
 */
export function loopLimit(
  wait: Node,
  counter: string,
  functionTypes: ReadonlySet<string>,
  /** The wait's ancestors, nearest first, when the caller has already read them. */
  path: Iterable<Node> = ancestors(wait),
): Expr | undefined {
  for (const node of path) {
    if (functionTypes.has(node.type)) return undefined;
    if (IF_NODE.test(node.type)) {
      const bound = guardBound(node, wait, counter);
      if (bound) return boundExpr(bound, lineOf(node));
      continue;
    }
    if (!LOOP_NODE.test(node.type)) continue;
    const header = node.text.split('\n', 1)[0]!;
    const bound = headerBound(header, counter);
    if (bound) return boundExpr(bound, lineOf(node));
  }
  return undefined;
}

/** Branches taken when their condition holds (not `unless`). */
const IF_NODE = /^(if|elsif|if_modifier|if_statement|if_expression)$/;

/**
 * `if attempt < max_retries { sleep(…) }`: a wait in the branch a bound guards runs only below it.
 * Not in the `else`, and not when the comparison is one side of an `or`.
 */
function guardBound(branch: Node, wait: Node, counter: string): Bound | null {
  const condition = field(branch, 'condition');
  if (!condition || /\|\||\bor\b|!\s*\(|\bnot\b/.test(condition.text)) return null;
  const alternative = field(branch, 'alternative');
  if (alternative && alternative.startIndex <= wait.startIndex && wait.endIndex <= alternative.endIndex)
    return null;
  if (condition.startIndex <= wait.startIndex && wait.endIndex <= condition.endIndex) return null;
  return comparedBound(condition.text.replace(/\s+/g, ' '), counter, '');
}

/** Loops, and calls that loop (`n.times do |i|`, `repeat(n) { i ->`). */
const LOOP_NODE = /for|while|^call$|call_expression/;

/** A bound: a number, or a name or member chain (not a call, and not the left of arithmetic). */
const OPERAND = String.raw`(@?[A-Za-z_][\w.:]*|\d[\d_]*)(?![\w.(])(?!\s*[-+*/%])`;
/** A bound followed by a method call on it (`max_retries.times`). */
const RECEIVER = String.raw`(@?[A-Za-z_][\w.:]*?|\d[\d_]*)`;

interface Bound {
  text: string;
  inclusive: boolean;
}

function escaped(name: string): string {
  return name.replace(/[$^.*+?()[\]{}|\\]/g, '\\$&');
}

/**
 * Patterns built for one counter name, kept for the next wait: a file's retries share a handful of
 * counter names, and compiling the patterns again for each wait costs more than matching them.
 */
function memoised<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let found = cache.get(key);
  if (found === undefined) cache.set(key, (found = build()));
  return found;
}

const COMPARISONS = new Map<string, { below: RegExp; above: RegExp }>();

/** The counter below a bound, or a bound above the counter, after `prefix` (a loop keyword). */
function comparedBound(text: string, counter: string, prefix: string): Bound | null {
  const { below, above } = memoised(COMPARISONS, `${prefix} ${counter}`, () => {
    const v = escaped(counter);
    return {
      below: new RegExp(String.raw`^${prefix}.*?(?<![\w.])${v}\s*(<=?)\s*${OPERAND}`),
      above: new RegExp(String.raw`^${prefix}.*?(?<![\w.])${OPERAND}\s*(>=?)\s*${v}(?![\w.(])`),
    };
  });
  const under = below.exec(text);
  if (under) return { text: under[2]!, inclusive: under[1] === '<=' };
  const over = above.exec(text);
  return over ? { text: over[1]!, inclusive: over[2] === '>=' } : null;
}

type Shape = [RegExp, (m: RegExpExecArray) => Bound];
const SHAPES = new Map<string, Shape[]>();

/** The bound's text and whether the header includes it, for the header of a loop over `counter`. */
function headerBound(header: string, counter: string): Bound | null {
  const compared = comparedBound(header, counter, String.raw`\s*(?:for|while)\b`);
  if (compared) return compared;
  for (const [pattern, read] of memoised(SHAPES, counter, () => shapesOf(counter))) {
    const match = pattern.exec(header);
    if (match) return read(match);
  }
  return null;
}

function shapesOf(counter: string): Shape[] {
  const v = escaped(counter);
  return [
    // A range the counter walks. `..` includes its end in Kotlin (`for (i in 0..n)`) and Ruby
    // (`for i in 0..n`), not in Rust (`for i in 0..n {`).
    [
      new RegExp(
        String.raw`^\s*for\s*(\()?\s*(?:(?:val|var|let|mut)\s+)?${v}\s+in\s+\(?\s*\d+\s*(\.\.=|\.\.<|\.\.\.|\.\.|until)\s*${OPERAND}\s*\)?\s*(\{)?`,
      ),
      (m) => ({
        text: m[3]!,
        inclusive: m[2] === '..=' || (m[2] === '..' && (m[1] === '(' || m[4] !== '{')),
      }),
    ],
    [
      new RegExp(String.raw`^\s*for\s+${v}\s*:=\s*range\s+${OPERAND}\s*\{`),
      (m) => ({ text: m[1]!, inclusive: false }),
    ],
    [
      new RegExp(String.raw`^.*?(?<![\w.@])${RECEIVER}\.times\s*(?:do\s*|\{\s*)\|\s*${v}\s*\|`),
      (m) => ({ text: m[1]!, inclusive: false }),
    ],
    [
      new RegExp(
        String.raw`^.*?\(\s*\d+\s*(\.\.\.?)\s*${OPERAND}\s*\)\.each\s*(?:do\s*|\{\s*)\|\s*${v}\s*\|`,
      ),
      (m) => ({ text: m[2]!, inclusive: m[1] === '..' }),
    ],
    [
      new RegExp(String.raw`^.*?\b\d+\.upto\(\s*${OPERAND}\s*\)\s*(?:do\s*|\{\s*)\|\s*${v}\s*\|`),
      (m) => ({ text: m[1]!, inclusive: true }),
    ],
    [
      new RegExp(String.raw`^.*?\brepeat\s*\(\s*${OPERAND}\s*\)\s*\{\s*${v}\s*->`),
      (m) => ({ text: m[1]!, inclusive: false }),
    ],
  ];
}

function boundExpr(
  { text, inclusive }: { text: string; inclusive: boolean },
  line: number,
): Expr | undefined {
  const value = operandExpr(text, line);
  if (!value) return undefined;
  return inclusive ? { k: 'binary', op: '+', left: value, right: { k: 'num', value: 1 } } : value;
}

/** A number, a name, or a member chain off a name or the object itself (`this.`, `self.`, `@`). */
function operandExpr(text: string, line: number): Expr | undefined {
  if (/^\d/.test(text)) return { k: 'num', value: Number(text.replace(/_/g, '')) };
  if (text.startsWith('@')) return { k: 'member', object: { k: 'self' }, name: text.slice(1), line };
  // `A::B` is one constant name in Ruby; a dotted path is a member chain.
  const [head, ...rest] = text.split('.');
  if (!head || rest.some((part) => !/^[A-Za-z_]\w*$/.test(part))) return undefined;
  let expr: Expr = head === 'this' || head === 'self' ? { k: 'self' } : { k: 'name', name: head, line };
  for (const name of rest) expr = { k: 'member', object: expr, name, line };
  return expr.k === 'self' ? undefined : expr;
}
