import { withTree, type GrammarName, type Node } from './runtime.js';

/**
 * Expressions kept as text (a library option read from a module's constants) are re-parsed on
 * demand, which for a constant costs microseconds.
 */

/**
 * Parses `prefix + text + suffix` and hands `use` the smallest node spanning exactly `text`: how
 * an expression kept as text is evaluated again (`prefix` makes it valid on its own, e.g.
 * `package p\nvar _ = ` for Go). Null when the text does not parse as one node.
 */
export async function withFragment<T>(
  grammar: GrammarName,
  prefix: string,
  text: string,
  suffix: string,
  use: (node: Node) => T | Promise<T>,
): Promise<T | null> {
  return withTree(grammar, `${prefix}${text}${suffix}`, async (tree) => {
    const start = prefix.length;
    const end = start + text.length;
    let node = tree.rootNode.descendantForIndex(start, end);
    while (node && !node.isNamed && node.parent) node = node.parent;
    if (!node || node.startIndex !== start || node.endIndex !== end || node.hasError) return null;
    return use(node);
  });
}
