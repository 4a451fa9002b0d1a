import type { HelperSignature } from '../../analyzer.js';
import type { FunctionFact } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { declarationOf, field, namedChildren } from '../tree-sitter/syntax.js';

const FUNCTION = new Set(['function_item']);
/** Visible to the whole crate: `pub`, `pub(crate)`. */
const CRATE_VISIBLE = /^pub(\s*\(\s*crate\s*\))?$/;

/** Whether a declaration's first line makes it visible to the whole crate (`pub fn`, `pub(crate) async fn`). */
export function crateVisible(firstLine: string): boolean {
  return /^\s*pub(\s*\(\s*crate\s*\))?\s+(const\s+|async\s+|unsafe\s+)*fn\b/.test(firstLine);
}

/**
 * A Rust helper as the rest of its crate calls it: the path of the inline modules around it in its
 * file (`retry::jitter`, '' at the top), each of them crate-visible, or null; its parameter and
 * return types as written.
 */
export function rustHelperSignature(root: Node, fn: FunctionFact): HelperSignature | null {
  const declaration = declarationOf(root, fn, FUNCTION);
  if (!declaration) return null;
  const modules: string[] = [];
  for (let up = declaration.parent; up; up = up.parent) {
    if (up.type !== 'mod_item') continue;
    const visibility = namedChildren(up).find((n) => n.type === 'visibility_modifier');
    if (!visibility || !CRATE_VISIBLE.test(visibility.text)) return null;
    modules.unshift(field(up, 'name')?.text ?? '');
  }
  const params = namedChildren(field(declaration, 'parameters') ?? declaration)
    .filter((node) => node.type === 'parameter')
    .map((node) => {
      const type = field(node, 'type')?.text;
      return { name: field(node, 'pattern')?.text ?? '', ...(type ? { type } : {}) };
    });
  const returns = field(declaration, 'return_type')?.text;
  return { owner: modules.join('::'), params, ...(returns ? { returns } : {}) };
}
