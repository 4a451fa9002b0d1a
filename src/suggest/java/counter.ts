import { withLoadedTree, type GrammarName, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren } from '../../analysis/languages/tree-sitter/syntax.js';
import { lineBefore, type PlannedEdit } from '../plan.js';

/**
 * An attempt counter a patch brings in, for a repository helper that takes the attempt
 * (`Backoff.delayMillis(attempt)`) called from a loop that counts nothing, in the brace languages
 * (Java, Kotlin, C#): a declaration before the loop and an increment right before the statement
 * that waits, so the first retry waits `helper(1)`. Only for a loop of the same function whose body
 * is a block, standing in a block itself, with the names free in the function; otherwise null and the
 * patch jitters the wait in place instead.
 */

export interface CounterSyntax {
  grammar: GrammarName;
  loops: ReadonlySet<string>;
  /** Functions and lambdas: a loop outside them does not repeat the wait (and may not capture a counter). */
  functions: ReadonlySet<string>;
  /** Node types whose children are statements. */
  blocks: ReadonlySet<string>;
  declaration(name: string): string;
  increment(name: string): string;
}

const NAMES = ['attempt', 'retryAttempt'];

export function introducedCounter(
  fileText: string,
  waitOffset: number,
  syntax: CounterSyntax,
): { name: string; edits: PlannedEdit[] } | null {
  return withLoadedTree(syntax.grammar, fileText, (tree) => {
    let statement: Node | null = null;
    for (let node: Node | null = tree.rootNode.descendantForIndex(waitOffset); node; node = node.parent) {
      if (syntax.functions.has(node.type)) return null;
      const parent = node.parent;
      if (!statement && parent && syntax.blocks.has(parent.type)) statement = node;
      if (!syntax.loops.has(node.type)) continue;
      if (!statement || !parent || !syntax.blocks.has(parent.type) || !hasBlockBody(node, syntax))
        return null;
      const scope = enclosingFunction(node, syntax) ?? tree.rootNode;
      const name = NAMES.find((n) => !new RegExp(`\\b${n}\\b`).test(scope.text));
      if (!name) return null;
      return {
        name,
        edits: [
          lineBefore(fileText, node.startIndex, syntax.declaration(name)),
          lineBefore(fileText, statement.startIndex, syntax.increment(name)),
        ],
      };
    }
    return null;
  });
}

function hasBlockBody(loop: Node, syntax: CounterSyntax): boolean {
  const body = field(loop, 'body') ?? namedChildren(loop).find((c) => syntax.blocks.has(c.type));
  return body !== undefined && body !== null && syntax.blocks.has(body.type);
}

function enclosingFunction(node: Node, syntax: CounterSyntax): Node | null {
  for (let up = node.parent; up; up = up.parent) if (syntax.functions.has(up.type)) return up;
  return null;
}
