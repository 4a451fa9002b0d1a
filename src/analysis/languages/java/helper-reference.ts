import type { HelperReference } from '../../analyzer.js';
import type { FileFacts, FunctionFact } from '../../flow/ir.js';
import { declarationOf, declaredName, helperParams } from '../tree-sitter/helper-reference.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, field, namedChildren } from '../tree-sitter/syntax.js';

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

export function javaHelperReference(fn: FunctionFact, root: Node, facts: FileFacts): HelperReference | null {
  const method = declarationOf(root, fn, METHODS);
  if (!method) return null;
  const owners: Node[] = [];
  for (const up of ancestors(method)) {
    if (TYPES.has(up.type)) owners.unshift(up);
    else if (!TYPE_CONTAINERS.has(up.type)) return null; // an anonymous or local class
  }
  if (owners.length === 0) return null;
  const own = modifiers(method);
  // Members of an interface are public without saying so.
  const inInterface = (node: Node) => node.parent?.parent?.type === 'interface_declaration';
  if (!/\bstatic\b/.test(own) || /\bprivate\b/.test(own)) return null;
  let packageOnly = !/\bpublic\b/.test(own) && !inInterface(method);
  for (const owner of owners) {
    const mods = modifiers(owner);
    if (/\bprivate\b/.test(mods)) return null;
    if (!/\bpublic\b/.test(mods) && !inInterface(owner)) packageOnly = true;
  }
  const returnType = field(method, 'type')?.text;
  return {
    ...(facts.packageName ? { packageName: facts.packageName } : {}),
    owner: owners.map(declaredName).join('.'),
    ...(packageOnly ? { packageOnly } : {}),
    ...(returnType ? { returnType } : {}),
    params: helperParams(fn),
  };
}
