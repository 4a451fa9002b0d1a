import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import { helperParams } from '../tree-sitter/helper-params.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

/**
 * How another Java file calls a helper method: `Owner.name(…)`, so only a `static` method of a named
 * type declared at the top level or nested in one. `public` reaches every package; without it (or in a
 * type that is not public) only the same package does; `private` anywhere on the way reaches none.
 */

const METHODS = new Set(['method_declaration']);
const TYPES = new Set([
  'class_declaration',
  'interface_declaration',
  'enum_declaration',
  'record_declaration',
]);
/** What a type may sit in and still be named from another file. */
const TYPE_CONTAINERS = new Set([
  'program',
  'class_body',
  'interface_body',
  'enum_body',
  'enum_body_declarations',
]);

function modifiers(node: Node): string {
  return namedChildren(node).find((c) => c.type === 'modifiers')?.text ?? '';
}

/** Members of an interface are public without saying so. */
function inInterface(node: Node): boolean {
  return node.parent?.parent?.type === 'interface_declaration';
}

export function javaHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
  const method = declarationOf(root, fn, METHODS);
  if (!method) return null;
  const owners: Node[] = [];
  for (const up of ancestors(method)) {
    if (TYPES.has(up.type)) owners.unshift(up);
    else if (!TYPE_CONTAINERS.has(up.type)) return null; // an anonymous or local class
  }
  const own = modifiers(method);
  if (owners.length === 0 || !/\bstatic\b/.test(own) || /\bprivate\b/.test(own)) return null;
  let packageOnly = !/\bpublic\b/.test(own) && !inInterface(method);
  for (const owner of owners) {
    const mods = modifiers(owner);
    if (/\bprivate\b/.test(mods)) return null;
    if (!/\bpublic\b/.test(mods) && !inInterface(owner)) packageOnly = true;
  }
  const declared = namedChildren(root).find((c) => c.type === 'package_declaration');
  const packageName = declared ? namedChildren(declared)[0]?.text.replace(/\s+/g, '') : undefined;
  const returns = field(method, 'type')?.text;
  return {
    owner: owners.map((owner) => field(owner, 'name')?.text ?? '').join('.'),
    params: helperParams(fn),
    ...(returns ? { returns } : {}),
    ...(packageName ? { packageName } : {}),
    ...(packageOnly ? { packageOnly } : {}),
  };
}
