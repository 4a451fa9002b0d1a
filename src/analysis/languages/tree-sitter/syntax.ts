import type { Node } from './runtime.js';

/**
 * Grammar-neutral navigation over tree-sitter nodes. Each language passes its own node type names;
 * every walk is iterative, so a deeply nested hostile file cannot overflow the JavaScript stack.
 */

/** The parent chain of `node`, nearest first, up to and excluding `stop` (or to the root). */
export function* ancestors(node: Node, stop?: Node | null): Generator<Node> {
  for (let current = node.parent; current && !(stop && current.equals(stop)); current = current.parent) {
    yield current;
  }
}

/**
 * The nearest ancestor whose type is in `types`, not looking past an ancestor whose type is in
 * `boundaries` (a function boundary, typically). Null when none.
 */
export function enclosing(
  node: Node,
  types: ReadonlySet<string>,
  boundaries: ReadonlySet<string> = new Set(),
): Node | null {
  for (const ancestor of ancestors(node)) {
    if (types.has(ancestor.type)) return ancestor;
    if (boundaries.has(ancestor.type)) return null;
  }
  return null;
}

/** The nearest enclosing function (by the language's function node types), or null at module level. */
export function enclosingFunction(node: Node, functionTypes: ReadonlySet<string>): Node | null {
  return enclosing(node, functionTypes);
}

/** The nearest loop around `node` inside its function (a loop outside the function does not repeat it). */
export function enclosingLoop(
  node: Node,
  loopTypes: ReadonlySet<string>,
  functionTypes: ReadonlySet<string>,
): Node | null {
  return enclosing(node, loopTypes, functionTypes);
}

/** True when `inner` lies within `outer` (or is it). */
export function contains(outer: Node, inner: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/**
 * Every named descendant of `root` in document order, visiting a subtree only when `enter` returns
 * something other than `false`. Uses a cursor: no recursion, and no child arrays allocated.
 */
export function walkNamed(root: Node, enter: (node: Node) => boolean | void): void {
  const cursor = root.walk();
  try {
    if (!cursor.gotoFirstChild()) return;
    for (;;) {
      const node = cursor.currentNode;
      const descend = node.isNamed ? enter(node) !== false : true;
      if (descend && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent() || cursor.currentNode.equals(root)) return;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** Named descendants of `root` whose type is in `types`, in document order. */
export function descendantsOfTypes(
  root: Node,
  types: ReadonlySet<string>,
  skip: ReadonlySet<string> = new Set(),
): Node[] {
  const found: Node[] = [];
  walkNamed(root, (node) => {
    if (types.has(node.type)) found.push(node);
    return !skip.has(node.type);
  });
  return found;
}

/** True when some named descendant (or `root` itself) satisfies `test`; stops at the first. */
export function some(
  root: Node,
  test: (node: Node) => boolean,
  skip: ReadonlySet<string> = new Set(),
): boolean {
  if (test(root)) return true;
  let found = false;
  walkNamed(root, (node) => {
    if (found) return false;
    if (test(node)) {
      found = true;
      return false;
    }
    return !skip.has(node.type);
  });
  return found;
}

/** Named children, without the nulls the binding's array type allows. */
export function namedChildren(node: Node): Node[] {
  const out: Node[] = [];
  for (let index = 0; index < node.namedChildCount; index += 1) {
    const child = node.namedChild(index);
    if (child && !child.isExtra) out.push(child);
  }
  return out;
}

/** The child in field `name`, or null. */
export function field(node: Node, name: string): Node | null {
  return node.childForFieldName(name);
}

/** The text of field `name`, or ''. */
export function fieldText(node: Node, name: string): string {
  return node.childForFieldName(name)?.text ?? '';
}

/** The 1-based line a node starts on, for evidence sentences. */
export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** Whitespace-collapsed text clipped for a message (`if err != nil …`). */
export function clip(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * The outermost named node spanning exactly [start, end) (UTF-16 offsets), or null when no node
 * does: how a rewrite finds again what a finding pointed at, and checks the file has not changed.
 */
export function nodeSpanning(root: Node, start: number, end: number): Node | null {
  let node = root.descendantForIndex(start, Math.max(start, end - 1));
  while (node && node.parent && node.parent.startIndex >= start && node.parent.endIndex <= end) node = node.parent;
  while (node && !node.isNamed && node.parent) node = node.parent;
  return node && node.startIndex === start && node.endIndex === end ? node : null;
}
