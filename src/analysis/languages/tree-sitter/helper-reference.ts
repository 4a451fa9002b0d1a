import type { HelperParam } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import type { Node } from './runtime.js';
import { descendantsOfTypes, field, namedChildren } from './syntax.js';

/**
 * Reading how another file reaches a helper function (Java, Kotlin, C#): its declaration node and the
 * declarations around it. The languages' own rules (static, visibility) live with each language.
 */

/** A declaration's name: its `name` field, or its first identifier where the grammar has no fields. */
export function declaredName(node: Node): string | undefined {
  const named = field(node, 'name') ?? namedChildren(node).find((c) => /identifier$/.test(c.type));
  return named?.text;
}

/** The declaration of `fn`: a node of `types` named like it that starts on its first line. */
export function declarationOf(root: Node, fn: FunctionFact, types: ReadonlySet<string>): Node | null {
  return (
    descendantsOfTypes(root, types).find(
      (node) =>
        declaredName(node) === fn.name &&
        node.startPosition.row + 1 <= fn.line &&
        fn.line <= node.endPosition.row + 1,
    ) ?? null
  );
}

/** The function's parameters as a caller sees them; `types` overrides the facts' types by position. */
export function helperParams(fn: FunctionFact, types: readonly (string | undefined)[] = []): HelperParam[] {
  return fn.params.map((param, index) => {
    const type = types[index] ?? param.type;
    return {
      name: param.name,
      ...(type ? { type } : {}),
      ...(param.default !== undefined ? { optional: true } : {}),
    };
  });
}
