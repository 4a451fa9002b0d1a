import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { nodeSpanning } from '../../analysis/languages/tree-sitter/syntax.js';
import { lineBefore, type PlannedEdit } from '../plan.js';

/**
 * An attempt counter a patch brings in, for a repository helper that takes the attempt
 * (`backoff(attempt)`) called from a loop that counts nothing: `attempt = 0` before the loop, and
 * `attempt += 1` right before the wait, so the first retry waits `helper(1)`. Only when the loop is a
 * `while`/`for` of the same function and the names are free in it; otherwise null and the patch
 * jitters the wait in place instead.
 */
export function introducedCounter(
  fileText: string,
  waitOffset: number,
): { name: string; edits: PlannedEdit[] } | null {
  return withLoadedTree('python', fileText, (tree) => {
    const at = nodeSpanning(tree.rootNode, waitOffset, waitOffset + 1);
    let statement: Node | null = null;
    for (let node = at; node; node = node.parent) {
      if (node.type === 'function_definition' || node.type === 'lambda') return null;
      if (!statement && node.type === 'expression_statement') statement = node;
      if (node.type !== 'while_statement' && node.type !== 'for_statement') continue;
      if (!statement) return null;
      const scope = enclosingFunction(node) ?? tree.rootNode;
      const name = ['attempt', 'retry_attempt'].find((n) => !new RegExp(`\\b${n}\\b`).test(scope.text));
      if (!name) return null;
      return {
        name,
        edits: [
          lineBefore(fileText, node.startIndex, `${name} = 0`),
          lineBefore(fileText, statement.startIndex, `${name} += 1`),
        ],
      };
    }
    return null;
  });
}

function enclosingFunction(node: Node): Node | null {
  for (let up = node.parent; up; up = up.parent) if (up.type === 'function_definition') return up;
  return null;
}
