import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import { helperParams } from '../tree-sitter/helper-params.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

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

/** The dotted name a header declares or imports (`package com.acme`, `import java.time.Duration`). */
function qualified(node: Node): string | undefined {
  return namedChildren(node)
    .find((c) => c.type === 'qualified_identifier')
    ?.text.replace(/\s+/g, '');
}

/** The declared return type: the type after the parameter list, qualified when the file imports it. */
function returnType(fn: Node, root: Node): string | undefined {
  const children = namedChildren(fn);
  const params = children.findIndex((c) => c.type === 'function_value_parameters');
  const type = children.slice(params + 1).find((c) => /type$/.test(c.type))?.text;
  if (type === undefined) return undefined;
  const imported = namedChildren(root)
    .filter((c) => c.type === 'import')
    .map(qualified)
    .find((path) => path?.endsWith(`.${type}`));
  return imported && !imported.startsWith('kotlin.') ? imported : type;
}

export function kotlinHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
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
      owners.unshift(field(up, 'name')?.text ?? '');
    } else return null;
  }
  const header = namedChildren(root).find((c) => c.type === 'package_header');
  const packageName = header ? qualified(header) : undefined;
  const returns = returnType(declaration, root);
  return {
    owner: owners.join('.'),
    params: helperParams(fn),
    ...(returns ? { returns } : {}),
    ...(packageName ? { packageName } : {}),
  };
}
