import type { HelperReference } from '../../analyzer.js';
import type { FileFacts, FunctionFact } from '../../flow/ir.js';
import { declarationOf, declaredName, helperParams } from '../tree-sitter/helper-reference.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, namedChildren } from '../tree-sitter/syntax.js';

/**
 * How another Kotlin file calls a helper function: a top-level one by its name (imported from its
 * package), a member of an `object` or of a class's `companion object` as `Owner.name(…)`. Instance
 * methods need an instance and are no helper; a `private` or `internal` owner is out of reach (the
 * module of the calling file is not known).
 */

const FUNCTIONS = new Set(['function_declaration']);
const HIDDEN = /\b(?:private|internal|protected)\b/;

function visibility(node: Node): string {
  return namedChildren(node).find((c) => c.type === 'modifiers')?.text ?? '';
}

/** The declared return type: the type after the parameter list, qualified when the file imports it. */
function returnType(fn: Node, facts: FileFacts): string | undefined {
  const children = namedChildren(fn);
  const params = children.findIndex((c) => c.type === 'function_value_parameters');
  const type = children.slice(params + 1).find((c) => /type$/.test(c.type))?.text;
  if (type === undefined) return undefined;
  const imported = facts.imports.find((i) => i.local === type);
  return imported && !imported.module.startsWith('kotlin.') ? imported.module : type;
}

export function kotlinHelperReference(
  fn: FunctionFact,
  root: Node,
  facts: FileFacts,
): HelperReference | null {
  const declaration = declarationOf(root, fn, FUNCTIONS);
  if (!declaration || HIDDEN.test(visibility(declaration))) return null;
  const owners: string[] = [];
  // The function must sit in an object (or a companion): a function of a class needs an instance.
  let member = false;
  for (const up of ancestors(declaration)) {
    if (up.type === 'class_body' || up.type === 'source_file') continue;
    if (HIDDEN.test(visibility(up))) return null;
    if (up.type === 'companion_object') member = true;
    else if (up.type === 'object_declaration' || (member && up.type === 'class_declaration')) {
      member = true;
      owners.unshift(declaredName(up) ?? '');
    } else return null;
  }
  const type = returnType(declaration, facts);
  return {
    ...(facts.packageName ? { packageName: facts.packageName } : {}),
    ...(owners.length ? { owner: owners.join('.') } : {}),
    ...(type ? { returnType: type } : {}),
    params: helperParams(fn),
  };
}
