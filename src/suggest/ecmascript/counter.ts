import { ts } from 'ts-morph';
import type { IntroducedCounter } from '../loop-counter.js';
import { lineAfter, lineBefore, type PlannedEdit } from '../plan.js';
import type { EcmaSource } from './source.js';

/** The lines a TypeScript/JavaScript counter is written with. */
export const ECMASCRIPT_COUNTER_WORDS = {
  declare: (name: string) => `let ${name} = 0;`,
  increment: (name: string) => `${name} += 1;`,
  reset: (name: string) => `${name} = 0;`,
};

/**
 * An attempt counter a patch brings in, for a repository helper that takes the attempt
 * (`backoffDelay(attempt)`) called from a loop that counts nothing: `let attempt = 0;` before the
 * loop and `attempt += 1;` right before the statement that waits, so the first retry waits
 * `helper(1)`. Only for a loop of the same function whose body is a block, with the names free in
 * that function; otherwise null and the patch jitters the wait in place instead.
 */
export function introducedCounter(source: EcmaSource, wait: ts.Node): IntroducedCounter | null {
  let statement: ts.Statement | undefined;
  let attempt: ts.Block | undefined;
  for (let node: ts.Node | undefined = wait; node; node = node.parent) {
    if (ts.isFunctionLike(node) && !isCallbackOfWait(node, wait)) return null;
    if (!statement && ts.isStatement(node) && ts.isBlock(node.parent)) statement = node;
    if (!attempt && ts.isCatchClause(node)) attempt = node.parent.tryBlock;
    if (!isLoop(node)) continue;
    if (!statement) return null;
    const scope = enclosingFunction(node) ?? source.file;
    const text = source.textOf(scope);
    const name = ['attempt', 'retryAttempt'].find((n) => !new RegExp(`\\b${n}\\b`).test(text));
    if (!name) return null;
    const edits = [
      lineBefore(source.text, source.start(node), ECMASCRIPT_COUNTER_WORDS.declare(name)),
      lineBefore(source.text, source.start(statement), ECMASCRIPT_COUNTER_WORDS.increment(name)),
    ];
    // As in every language (see loop-counter.ts): a loop that goes on after success counts afresh.
    const reset = attempt ? resetAfter(source, attempt, ECMASCRIPT_COUNTER_WORDS.reset(name)) : null;
    return { name, edits: reset ? [...edits, reset] : edits, resets: reset !== null };
  }
  return null;
}

function resetAfter(source: EcmaSource, attempt: ts.Block, code: string): PlannedEdit | null {
  const last = attempt.statements[attempt.statements.length - 1];
  if (!last || ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isBreakOrContinueStatement(last))
    return null;
  return lineAfter(source.text, source.start(last), last.end, code);
}

function isLoop(node: ts.Node): boolean {
  return (
    (ts.isWhileStatement(node) || ts.isForStatement(node) || ts.isDoStatement(node)) &&
    ts.isBlock(node.statement)
  );
}

/** `new Promise((r) => setTimeout(r, N))`: the executor belongs to the wait, not to another function. */
function isCallbackOfWait(fn: ts.Node, wait: ts.Node): boolean {
  let outer: ts.Node | undefined = fn.parent;
  while (outer && !ts.isStatement(outer)) outer = outer.parent;
  let own: ts.Node | undefined = wait;
  while (own && !ts.isStatement(own)) own = own.parent;
  return outer !== undefined && outer === own;
}

function enclosingFunction(node: ts.Node): ts.Node | undefined {
  for (let up = node.parent; up; up = up.parent) if (ts.isFunctionLike(up)) return up;
  return undefined;
}
