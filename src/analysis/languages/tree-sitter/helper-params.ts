import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';

/** A helper's parameters as a caller sees them; `types` overrides the facts' types by position. */
export function helperParams(
  fn: FunctionFact,
  types: readonly (string | undefined)[] = [],
): HelperSignature['params'] {
  return fn.params.map((param, index) => {
    const type = types[index] ?? param.type;
    return {
      name: param.name,
      ...(type ? { type } : {}),
      ...(param.default !== undefined ? { optional: true } : {}),
    };
  });
}
