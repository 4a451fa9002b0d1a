import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

const FUNCTION = new Set(['function_declaration']);

/** A Go helper as another package calls it: `<package name>.Name(…)`, its parameter and result types as written. */
export function goHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
  const owner = namedChildren(root)
    .find((node) => node.type === 'package_clause')
    ?.namedChild(0)?.text;
  const declaration = declarationOf(root, fn, FUNCTION);
  if (!owner || !declaration) return null;
  const params: HelperSignature['params'] = [];
  for (const spec of namedChildren(field(declaration, 'parameters') ?? declaration)) {
    const type = field(spec, 'type')?.text;
    const variadic = spec.type === 'variadic_parameter_declaration';
    if (!variadic && spec.type !== 'parameter_declaration') continue;
    const names = spec.childrenForFieldName('name').filter((n): n is Node => !!n);
    for (const name of names.length > 0 ? names : [null])
      params.push({
        name: name?.text ?? '',
        ...(type ? { type } : {}),
        ...(variadic ? { optional: true } : {}),
      });
  }
  const returns = resultType(field(declaration, 'result'));
  return { owner, params, ...(returns ? { returns } : {}) };
}

/** `time.Duration` for `(d time.Duration)` or `time.Duration`; several results are no single type. */
function resultType(result: Node | null): string | undefined {
  if (!result) return undefined;
  if (result.type !== 'parameter_list') return result.text;
  const specs = namedChildren(result).filter((n) => n.type === 'parameter_declaration');
  const only = specs.length === 1 ? specs[0]! : null;
  return only && only.childrenForFieldName('name').filter(Boolean).length <= 1
    ? field(only, 'type')?.text
    : undefined;
}
