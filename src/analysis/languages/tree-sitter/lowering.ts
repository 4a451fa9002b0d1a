import { MAX_EXPRESSION_NESTING } from '../../flow/engine.js';
import type { Expr } from '../../flow/ir.js';
import type { Node } from './runtime.js';

/** A language's lowering of one node, its sub-expressions lowered through `lower`. */
export type LowerNode = (node: Node, lower: (node: Node) => Expr) => Expr;

/**
 * A file's lowering with every node lowered once, whoever asks: the walk at each call, and each
 * enclosing expression that holds it. Lowered one level at a time, a builder chain `a.b().c().d()`
 * or a call nested in arguments is lowered again for every expression around it (on Java's own
 * sources, ten lowerings per node). `done` may be shared to read what was lowered (by node id).
 *
 * Nesting is counted on the way; an expression cut at the limit is not kept, so asking for a part
 * of it on its own still reaches as deep as the limit allows from there.
 */
export function lowerOnce(lowerNode: LowerNode, done = new Map<number, Expr>()): (node: Node) => Expr {
  let depth = 0;
  let cuts = 0;
  const lower = (node: Node): Expr => {
    const known = done.get(node.id);
    if (known) return known;
    if (depth > MAX_EXPRESSION_NESTING) {
      cuts += 1;
      return { k: 'todo', what: 'expression nested too deeply' };
    }
    const cutsBefore = cuts;
    depth += 1;
    let expr: Expr;
    try {
      expr = lowerNode(node, lower);
    } finally {
      depth -= 1;
    }
    if (cuts === cutsBefore) done.set(node.id, expr);
    return expr;
  };
  return lower;
}
