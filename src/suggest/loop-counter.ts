import { withLoadedTree, type GrammarName, type Node } from '../analysis/languages/tree-sitter/runtime.js';
import { inlineCode } from './inline-code.js';
import { lineAfter, lineBefore, type PlannedEdit } from './plan.js';

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
  /**
   * For a failure handler around the wait (`except`, `catch`): the statements of the attempt it guards,
   * whose end is reached only when the attempt worked. Languages without one leave it out.
   */
  attemptOf?(handler: Node): Node | null;
  /** The line that starts the count again (`attempt = 0`). */
  reset?(name: string): string;
}

/** A counter a patch brings: its name, and the lines declaring, incrementing and resetting it. */
export interface IntroducedCounter {
  name: string;
  edits: PlannedEdit[];
  /** Whether it starts again at 0 once an attempt works (a loop that keeps going after success). */
  resets: boolean;
}

/** Statements after which nothing more of the block runs. */
const JUMP = /return|break|continue|raise|throw|next|retry|redo/;

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
    let attempt: Node | null = null;
    for (let node: Node | null = tree.rootNode.descendantForIndex(waitOffset); node; node = node.parent) {
      if (!statement && node.parent && syntax.statementLists.has(node.parent.type)) statement = node;
      attempt ??= syntax.attemptOf?.(node) ?? null;
      if (syntax.isLoop(node)) {
        if (!statement) return null;
        const scope = enclosing(node, syntax) ?? tree.rootNode;
        const name = syntax.names.find((n) => !new RegExp(`\\b${n}\\b`).test(scope.text));
        if (!name) return null;
        const edits = [
          lineBefore(fileText, node.startIndex, syntax.declare(name)),
          lineBefore(fileText, statement.startIndex, syntax.increment(name)),
        ];
        const reset = attempt && syntax.reset ? resetAfter(fileText, attempt, syntax.reset(name)) : null;
        return { name, edits: reset ? [...edits, reset] : edits, resets: reset !== null };
      }
      if (syntax.isFunction(node)) return null;
    }
    return null;
  });
}

/**
 * A loop that goes on after an attempt works (a consumer's `while True`) would otherwise keep every
 * later wait at the cap: the count starts again after the attempt's last statement, which runs only
 * when nothing failed. Not after a statement that leaves (the loop is over on success anyway).
 */
function resetAfter(fileText: string, attempt: Node, code: string): PlannedEdit | null {
  const last = attempt.namedChildren.filter((child) => child && !/comment/.test(child.type)).pop();
  if (!last || JUMP.test(last.type)) return null;
  return lineAfter(fileText, last.startIndex, last.endIndex, code);
}

function enclosing(node: Node, syntax: CounterSyntax): Node | null {
  for (let up = node.parent; up; up = up.parent) if (syntax.isFunction(up)) return up;
  return null;
}

/** What a patch that brings the counter adds to its description. */
export function counterNote(
  syntax: Pick<CounterSyntax, 'declare' | 'increment' | 'reset'>,
  counter: IntroducedCounter,
): string {
  const { name } = counter;
  const reset =
    counter.resets && syntax.reset
      ? `, and ${inlineCode(syntax.reset(name))} again once an attempt works`
      : '';
  return ` It takes the attempt, so the patch counts them: ${inlineCode(syntax.declare(name))} before the loop, ${inlineCode(syntax.increment(name))} before the wait${reset}.`;
}
