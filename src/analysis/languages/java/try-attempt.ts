import type { Node } from '../tree-sitter/runtime.js';
import { lineOf, namedChildren } from '../tree-sitter/syntax.js';
import type { RetryContextResult } from '../../flow/waits.js';
import type { ContextGrammar } from './retry-context.js';

/**
 * A wait at the top of a `try` in a loop, before the attempt that leaves the loop when it succeeds,
 * with a `catch` that lets the loop run again (`for (…) { try { Thread.sleep(10000); con = connect();
 * break; } catch (SQLException e) { log(e); } }`): the pause before each retried attempt. Java and C#
 * write it alike. A `catch` of an interruption only, or one that leaves too, is no retry.
 */

const EXITS = new Set(['break_statement', 'return_statement']);
const GIVES_UP = new Set(['break_statement', 'return_statement', 'throw_statement']);
/** Exceptions that only say the wait itself was interrupted or cancelled. */
const INTERRUPTION =
  /^(\w+\.)*(InterruptedException|ThreadInterruptedException|OperationCanceledException|TaskCanceledException)$/;

export function pauseBeforeTriedAttempt(call: Node, grammar: ContextGrammar): RetryContextResult | null {
  let statement = call;
  for (let up = call.parent; up; statement = up, up = up.parent) {
    if (grammar.functions.has(up.type) || grammar.loops.has(up.type)) return null;
    if (grammar.blocks.has(up.type) && up.parent?.type === 'try_statement') {
      const attempt = up.parent;
      const exit = namedChildren(up).find(
        (next) => next.startIndex >= statement.endIndex && EXITS.has(next.type),
      );
      if (!exit) return null;
      const loop = loopAround(attempt, grammar);
      const caught = loop
        ? namedChildren(attempt).find((clause) => retriesAfter(clause, grammar))
        : undefined;
      if (!loop || !caught) return null;
      return {
        trigger: { kind: 'exception' },
        counters: new Set(grammar.loopVariables(loop)),
        evidence: [
          `waits before an attempt that leaves the loop when it succeeds (line ${lineOf(exit)})`,
          `a failure is caught (line ${lineOf(caught)}) and the loop (line ${lineOf(loop)}) runs it again`,
        ],
      };
    }
  }
  return null;
}

/** The loop whose body the `try` is a statement of. */
function loopAround(attempt: Node, grammar: ContextGrammar): Node | null {
  const parent = attempt.parent;
  if (parent && grammar.loops.has(parent.type)) return parent;
  return parent && grammar.blocks.has(parent.type) && parent.parent && grammar.loops.has(parent.parent.type)
    ? parent.parent
    : null;
}

/** A `catch` of a failure (not only an interruption) whose body lets the loop go round again. */
function retriesAfter(clause: Node, grammar: ContextGrammar): boolean {
  if (clause.type !== 'catch_clause') return false;
  const body = namedChildren(clause).find((child) => grammar.blocks.has(child.type));
  if (!body || namedChildren(body).some((statement) => GIVES_UP.has(statement.type))) return false;
  const header = clause.text.slice(0, body.startIndex - clause.startIndex);
  const types = /\(\s*([\w.|\s]+?)\s+\w+\s*\)|\(\s*([\w.]+)\s*\)/.exec(header);
  const caught = (types?.[1] ?? types?.[2] ?? '').split('|').map((type) => type.trim());
  // A bare `catch` (C#) names nothing: it catches the failure too.
  return caught.some((type) => !INTERRUPTION.test(type));
}
