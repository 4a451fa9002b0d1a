import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

const METHODS = new Set(['method', 'singleton_method']);
const NAMESPACES = new Set(['module', 'class']);

/**
 * A Ruby helper other files call as `Outer::Inner.name(…)`: a singleton method (`def self.name`, or
 * a method in `class << self`), or a module's method made a module function (`module_function`,
 * `extend self`). An instance method needs an object or an `include`, so it has no such name.
 */
export function rubyHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
  const method = declarationOf(root, fn, METHODS);
  if (!method) return null;
  const namespaces: Node[] = [];
  let singleton = method.type === 'singleton_method' && field(method, 'object')?.type === 'self';
  for (let up = method.parent; up; up = up.parent) {
    if (up.type === 'singleton_class' && field(up, 'value')?.type === 'self') singleton = true;
    if (NAMESPACES.has(up.type)) namespaces.unshift(up);
  }
  const owner = namespaces[namespaces.length - 1];
  if (!owner || (method.type === 'singleton_method' && !singleton)) return null;
  if (!singleton && !(owner.type === 'module' && moduleFunction(owner, method, fn.name))) return null;
  return {
    owner: namespaces.map((node) => field(node, 'name')?.text ?? '').join('::'),
    params: namedChildren(field(method, 'parameters') ?? method).map(parameter),
  };
}

/**
 * A method of the module's own body made a module function: by `module_function` before it,
 * `module_function :name`, or `extend self`.
 */
function moduleFunction(module: Node, method: Node, name: string): boolean {
  const body = namedChildren(field(module, 'body') ?? module);
  if (!body.some((statement) => statement.id === method.id)) return false;
  return body.some((statement) => {
    if (statement.type === 'identifier')
      return statement.text === 'module_function' && statement.startIndex < method.startIndex;
    if (statement.type !== 'call' || field(statement, 'receiver')) return false;
    const verb = field(statement, 'method')?.text;
    const args = namedChildren(field(statement, 'arguments') ?? statement);
    if (verb === 'extend') return args.length === 1 && args[0]!.type === 'self';
    return verb === 'module_function' && args.some((arg) => arg.text.replace(/^:/, '') === name);
  });
}

function parameter(node: Node): HelperSignature['params'][number] {
  const name = (field(node, 'name') ?? node).text;
  switch (node.type) {
    case 'identifier':
      return { name };
    case 'optional_parameter':
      return { name, optional: true };
    case 'keyword_parameter':
      return { name, keyword: true, ...(field(node, 'value') ? { optional: true } : {}) };
    default:
      // `*rest`, `**options`, `&block`: a call may leave them out.
      return { name, optional: true };
  }
}
