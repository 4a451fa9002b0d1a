import { withLoadedTree, type GrammarName, type Node } from '../analysis/languages/tree-sitter/runtime.js';
import { inlineCode } from './inline-code.js';
import { lineBefore, type PlannedEdit } from './plan.js';

/** How one language writes the loops, functions, statements and counter lines a patch works with. */
export interface CounterSyntax {
  grammar: GrammarName;
  /** A loop the counter may count the passes of. */
  isLoop(node: Node): boolean;
  /** A function (or block that is one, `items.each do`) between the wait and the loop: no counter. */
  isFunction(node: Node): boolean;
  /** Nodes whose children are statements: the increment goes before the one holding the wait. */
  statementLists: ReadonlySet<string>;
  /** Names to try, in order: the first the function does not use yet. */
  names: readonly string[];
  declare(name: string): string;
  increment(name: string): string;
}

/** A counter a patch brings: its name, and the lines declaring and incrementing it. */
export interface IntroducedCounter {
  name: string;
  edits: PlannedEdit[];
}

/**
 * An attempt counter a patch brings in, for a repository helper that takes the attempt
 * (`backoff(attempt)`) called from a loop that counts nothing: declared at 0 before the loop and
 * incremented right before the statement that waits, so the first retry waits `helper(1)`. Only when
 * the loop is of the same function and the name is free in it; otherwise null and the patch jitters
 * the wait in place instead.
 */
export function introducedCounter(
  syntax: CounterSyntax,
  fileText: string,
  waitOffset: number,
): IntroducedCounter | null {
  return withLoadedTree(syntax.grammar, fileText, (tree) => {
    let statement: Node | null = null;
    for (let node: Node | null = tree.rootNode.descendantForIndex(waitOffset); node; node = node.parent) {
      if (!statement && node.parent && syntax.statementLists.has(node.parent.type)) statement = node;
      if (syntax.isLoop(node)) {
        if (!statement) return null;
        const scope = enclosing(node, syntax) ?? tree.rootNode;
        const name = syntax.names.find((n) => !new RegExp(`\\b${n}\\b`).test(scope.text));
        if (!name) return null;
        return {
          name,
          edits: [
            lineBefore(fileText, node.startIndex, syntax.declare(name)),
            lineBefore(fileText, statement.startIndex, syntax.increment(name)),
          ],
        };
      }
      if (syntax.isFunction(node)) return null;
    }
    return null;
  });
}

function enclosing(node: Node, syntax: CounterSyntax): Node | null {
  for (let up = node.parent; up; up = up.parent) if (syntax.isFunction(up)) return up;
  return null;
}

/** What a patch that brings the counter adds to its description. */
export function counterNote(syntax: CounterSyntax, name: string): string {
  return ` It takes the attempt, so the patch counts them: ${inlineCode(syntax.declare(name))} before the loop, ${inlineCode(syntax.increment(name))} before the wait.`;
}
