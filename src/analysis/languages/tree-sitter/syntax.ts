import { captures, type Node } from './runtime.js';

/**
 * Grammar-neutral navigation over tree-sitter nodes. Each language passes its own node type names;
 * every walk is iterative, so a deeply nested hostile file cannot overflow the JavaScript stack.
 */

/** The parent chain of `node`, nearest first, up to and excluding `stop` (or to the root). */
export function* ancestors(node: Node, stop?: Node | null): Generator<Node> {
  for (const current of ancestorPath(node)) {
    if (stop && current.id === stop.id) return;
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

/**
 * Named descendants of `root` whose type is in `types`, in document order, not looking inside nodes
 * whose type is in `skip` (a skipped node itself is kept when its type is also in `types`). Runs as a
 * query inside the WASM engine: only matching nodes become JavaScript objects, which is several times
 * faster than walking every node. Types the grammar does not have are ignored.
 */
export function descendantsOfTypes(
  root: Node,
  types: ReadonlySet<string>,
  skip: ReadonlySet<string> = NONE,
): Node[] {
  const source = querySource(root.tree.language, types, skip);
  if (source === null) return [];
  const found: Node[] = [];
  let skipEnd = -1;
  const rootStart = root.startIndex;
  for (const { node } of captures(root, source)) {
    if (node.startIndex === rootStart && node.endIndex === root.endIndex && node.type === root.type) continue;
    if (node.startIndex < skipEnd) continue;
    // Each read of a node's type is a call into the engine: once per capture.
    const type = node.type;
    if (types.has(type)) found.push(node);
    if (skip.has(type)) skipEnd = node.endIndex;
  }
  return found;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The query for a pair of type sets in one grammar, built once: checking every type against the
 * grammar crosses into WASM once per type, which costs more than a small file's query. Keyed by the
 * types' names, not the sets' identity, so a set written inline at a call site hits the cache too.
 */
const SOURCES = new Map<unknown, Map<string, string | null>>();

function querySource(
  language: Node['tree']['language'],
  types: ReadonlySet<string>,
  skip: ReadonlySet<string>,
): string | null {
  let byTypes = SOURCES.get(language);
  if (!byTypes) SOURCES.set(language, (byTypes = new Map()));
  const key = `${[...types].join(' ')}|${[...skip].join(' ')}`;
  let source = byTypes.get(key);
  if (source !== undefined) return source;
  const known = [...new Set([...types, ...skip])]
    .filter((type) => language.idForNodeType(type, true) !== null)
    .sort();
  source = known.length === 0 ? null : `[${known.map((type) => `(${type})`).join(' ')}] @node`;
  byTypes.set(key, source);
  return source;
}

/**
 * Every named descendant of `root` in document order, visiting a subtree only when `enter` returns
 * something other than `false`. Uses a cursor: no recursion, and no child arrays allocated.
 */
function walkNamed(root: Node, enter: (node: Node) => boolean | void): void {
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

/**
 * `compute` made to run once per node of a tree, for questions many calls ask of one node (which
 * names a loop steps, asked by every call inside it). Node ids are unique while their tree lives, and
 * a tree's answers are dropped with it.
 */
export function oncePerNode<T>(compute: (node: Node) => T): (node: Node) => T {
  const byTree = new WeakMap<object, Map<number, T>>();
  return (node) => {
    let answers = byTree.get(node.tree);
    if (!answers) byTree.set(node.tree, (answers = new Map()));
    if (answers.has(node.id)) return answers.get(node.id)!;
    const answer = compute(node);
    answers.set(node.id, answer);
    return answer;
  };
}

/** Named children, without the nulls the binding's array type allows. */
export function namedChildren(node: Node): Node[] {
  // One crossing into WASM for the whole list (and cached on the node), not one per child.
  const out: Node[] = [];
  for (const child of node.namedChildren) if (child && !child.isExtra) out.push(child);
  return out;
}

/** The child in field `name`, or null. */
export function field(node: Node, name: string): Node | null {
  const id = fieldId(node.tree.language, name);
  return id === -1 ? null : node.childForFieldId(id);
}

/**
 * Field ids by name, per grammar: the binding looks a name up by a linear search of the grammar's
 * field list on every call, and a walk asks for fields hundreds of thousands of times.
 */
const FIELD_IDS = new Map<unknown, Map<string, number>>();

function fieldId(language: Node['tree']['language'], name: string): number {
  let ids = FIELD_IDS.get(language);
  if (!ids) FIELD_IDS.set(language, (ids = new Map()));
  let id = ids.get(name);
  if (id === undefined) ids.set(name, (id = language.fields.indexOf(name)));
  return id;
}

/** The 1-based line a node starts on, for evidence sentences. */
export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/**
 * The attempt a failure test is about, for a failure path: the lines from `first` to `last` (a `try`
 * body, a condition with its initialiser) and the identifiers `tested` reads.
 */
export function attemptOf(
  first: Node,
  last: Node,
  tested?: Node | null,
): { from: number; to: number; names: string[] } {
  const identifiers = tested ? descendantsOfTypes(tested, new Set(['identifier'])) : [];
  if (tested?.type === 'identifier') identifiers.push(tested);
  // `send` of `send(x)` is the attempt itself, not a name holding its result.
  const names = identifiers
    .filter((n) => !n.parent?.childForFieldName('function')?.equals(n))
    .map((n) => n.text);
  return { from: lineOf(first), to: last.endPosition.row + 1, names: [...new Set(names)] };
}

/**
 * The line of the first statement after `node` that leaves its function unconditionally (`return`,
 * `raise`, `panic!`), among the statements that follow it in each enclosing block up to the function:
 * what runs after a wait stops there.
 */
export function exitLineAfter(
  node: Node,
  functions: ReadonlySet<string>,
  leaves: (statement: Node) => boolean,
): number | undefined {
  let child = node;
  for (let up = node.parent; up && !functions.has(up.type); child = up, up = up.parent) {
    for (const statement of namedChildren(up)) {
      if (statement.startIndex >= child.endIndex && leaves(statement)) return lineOf(statement);
    }
  }
  return undefined;
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
  while (node && node.parent && node.parent.startIndex >= start && node.parent.endIndex <= end)
    node = node.parent;
  while (node && !node.isNamed && node.parent) node = node.parent;
  return node && node.startIndex === start && node.endIndex === end ? node : null;
}

/**
 * The ancestors of `node`, nearest first, found by one descent from the root: in tree-sitter each
 * `parent` step is itself a descent from the root, so a walk up by `parent` costs the depth squared.
 * Each step down is one call into the engine, which finds the child holding the node among its
 * siblings itself. Analyses that look at many ancestors of one node take this path once.
 */
export function ancestorPath(node: Node): Node[] {
  const path: Node[] = [];
  for (let current: Node | null = node.tree.rootNode; current && current.id !== node.id;) {
    path.push(current);
    current = current.childWithDescendant(node);
  }
  return path.reverse();
}

/** `parent` for `node` and its ancestors, from one descent (see `ancestorPath`); other nodes fall back to `parent`. */
export type ParentOf = (node: Node) => Node | null;

export function lineage(node: Node): ParentOf {
  const parents = new Map<number, Node>();
  let child = node;
  for (const ancestor of ancestorPath(node)) {
    parents.set(child.id, ancestor);
    child = ancestor;
  }
  return (n) => (parents.has(n.id) ? parents.get(n.id)! : n.id === child.id ? null : n.parent);
}

/** The nearest ancestor of `node` (by `up`) whose type is in `types`, not looking past `boundaries`. */
export function enclosingBy(
  up: ParentOf,
  node: Node,
  types: ReadonlySet<string>,
  boundaries: ReadonlySet<string> = NONE,
): Node | null {
  for (let current = up(node); current; current = up(current)) {
    if (types.has(current.type)) return current;
    if (boundaries.has(current.type)) return null;
  }
  return null;
}

/**
 * A language's attempt counters around a call, from `countersAround(from, fn, loop, up)`: the loop
 * headers from `from` up to the function `fn`, the names `loop` steps, and `fn`'s parameters. Inside
 * a loop they are the loop's alone (its function is the call's), so they are worked out once per loop,
 * not again for every call in it.
 */
export function countersOncePerLoop(
  functions: ReadonlySet<string>,
  countersAround: (from: Node | null, fn: Node | null, loop: Node | null, up: ParentOf) => Set<string>,
): (call: Node, fn: Node | null, loop: Node | null, up: ParentOf) => Set<string> {
  const ofLoop = oncePerNode((loop: Node): string[] => {
    const up = lineage(loop);
    return [...countersAround(loop, enclosingBy(up, loop, functions), loop, up)];
  });
  return (call, fn, loop, up) => (loop ? new Set(ofLoop(loop)) : countersAround(up(call), fn, null, up));
}

/** The declaration of `fn` in its file's tree: a node of `types` on its first line, with its name. */
export function declarationOf(
  root: Node,
  fn: { line: number; name: string },
  types: ReadonlySet<string>,
): Node | null {
  return (
    descendantsOfTypes(root, types).find(
      (node) => node.startPosition.row === fn.line - 1 && field(node, 'name')?.text === fn.name,
    ) ?? null
  );
}
