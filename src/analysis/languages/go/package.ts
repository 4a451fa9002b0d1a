import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren, oncePerNode, some } from '../tree-sitter/syntax.js';

/**
 * Go syntax shared by the front end and the retry-library checks: imports and how they qualify a
 * selector, random draws by package, arguments and parameters.
 */

/** Nanoseconds per millisecond: Go expressions are lowered in nanoseconds, findings speak milliseconds. */
export const NS_PER_MS = 1_000_000;

const IDENTIFIER = new Set(['identifier']);
const RANDOM_PACKAGES = new Set(['math/rand', 'math/rand/v2', 'crypto/rand', 'golang.org/x/exp/rand']);

/**
 * The name a package is used by when imported without an alias: the last path element, skipping a
 * major-version suffix (`/v4`) and the `go-` / `-go` decorations Go repositories like
 * (`go-retryablehttp` → `retryablehttp`, `retry-go` → `retry`).
 */
export function defaultImportName(importPath: string): string {
  const segments = importPath.split('/');
  let last = segments[segments.length - 1] ?? importPath;
  if (/^v\d+$/.test(last) && segments.length > 1) last = segments[segments.length - 2]!;
  return last
    .replace(/^go-/, '')
    .replace(/[-.]go$/, '')
    .replace(/\.v\d+$/, '')
    .replace(/-/g, '');
}

/** Local name → import path, from one `import` declaration (blank and dot imports bind nothing by name). */
export function collectImports(declaration: Node, imports: Map<string, string>): void {
  some(declaration, (node) => {
    if (node.type === 'import_spec') {
      const path = field(node, 'path')?.text.replace(/^["`]|["`]$/g, '') ?? '';
      const alias = field(node, 'name')?.text;
      if (alias === '_' || alias === '.') return false;
      imports.set(alias ?? defaultImportName(path), path);
    }
    return false;
  });
}

/** Whether `node` uses the name `name`. */
export function mentions(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return node.text.includes(name) && descendantsOfTypes(node, IDENTIFIER).some((n) => n.text === name);
}

/** `time.Sleep` with `import t "time"` → `time.Sleep`: a selector named by the import path. */
export function qualified(node: Node, imports: ReadonlyMap<string, string>): string {
  if (node.type === 'selector_expression') {
    const operand = field(node, 'operand');
    const member = field(node, 'field')?.text ?? '';
    if (operand?.type === 'identifier' && imports.has(operand.text))
      return `${imports.get(operand.text)}.${member}`;
    return `${operand?.text ?? ''}.${member}`;
  }
  return node.text;
}

export function isRandomCall(
  callee: Node,
  imports: ReadonlyMap<string, string>,
  /** `qualified(callee, imports)`, when the caller has it already. */
  name = qualified(callee, imports),
): boolean {
  const dot = name.lastIndexOf('.');
  const pkg = dot > 0 ? name.slice(0, dot) : '';
  return RANDOM_PACKAGES.has(pkg) || /jitter|random/i.test(name.slice(dot + 1));
}

/**
 * The arguments of a call expression (none when the list is missing in broken code): read once per
 * call node, which the walk, the lowering and the wait checks each ask for. Not to be mutated.
 */
export const callArguments = oncePerNode((call: Node): Node[] => {
  const list = field(call, 'arguments');
  return list ? namedChildren(list) : [];
});

/** Parameter names in order (`''` for an unnamed one); the receiver is not among them. */
export function parameterNames(fn: Node): string[] {
  const parameters = field(fn, 'parameters');
  if (!parameters) return [];
  const names: string[] = [];
  for (const declaration of namedChildren(parameters)) {
    const declared = declaration.childrenForFieldName('name').filter((n): n is Node => !!n);
    if (declared.length === 0) names.push('');
    for (const name of declared) names.push(name.text);
  }
  return names;
}
