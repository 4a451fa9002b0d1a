import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import { helperParams } from '../tree-sitter/helper-params.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

/**
 * How another C# file calls a helper method: `Owner.Name(…)` for a `static` method of a type, with
 * the namespace the `using` names. Only `public` all the way: `internal` (the default of a top-level
 * type) reaches the same assembly only, which the calling file's path does not tell.
 */

const METHODS = new Set(['method_declaration']);
const TYPES = new Set([
  'class_declaration',
  'struct_declaration',
  'record_declaration',
  'interface_declaration',
]);
const NAMESPACES = new Set(['namespace_declaration', 'file_scoped_namespace_declaration']);

function modifiers(node: Node): string[] {
  return namedChildren(node)
    .filter((c) => c.type === 'modifier')
    .map((c) => c.text);
}

export function csharpHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
  const method = declarationOf(root, fn, METHODS);
  if (!method) return null;
  const own = modifiers(method);
  if (!own.includes('static') || !own.includes('public')) return null;
  const owners: string[] = [];
  const namespaces: string[] = [];
  for (const up of ancestors(method)) {
    if (TYPES.has(up.type)) {
      if (!modifiers(up).includes('public')) return null;
      owners.unshift(field(up, 'name')?.text ?? '');
    } else if (NAMESPACES.has(up.type)) namespaces.unshift(field(up, 'name')?.text ?? '');
    else if (up.type !== 'declaration_list' && up.type !== 'compilation_unit') return null;
  }
  // Older grammars leave the declarations after a file-scoped namespace as its siblings.
  const fileScoped = namedChildren(root).find((c) => c.type === 'file_scoped_namespace_declaration');
  const scoped = fileScoped ? field(fileScoped, 'name')?.text : undefined;
  if (scoped && !namespaces.includes(scoped)) namespaces.unshift(scoped);
  const returns = (field(method, 'returns') ?? field(method, 'type'))?.text;
  const parameters = field(method, 'parameters');
  const types = (parameters ? namedChildren(parameters) : [])
    .filter((p) => p.type === 'parameter')
    .map((p) => field(p, 'type')?.text);
  return {
    owner: owners.join('.'),
    params: helperParams(fn, types),
    ...(returns ? { returns } : {}),
    ...(namespaces.length ? { packageName: namespaces.join('.') } : {}),
  };
}
