import { ts } from 'ts-morph';
import { calleeName } from './scope.js';

/** The calls of one file, gathered by a single walk that the analyser and the retry checks share. */
export interface FileCalls {
  /** Calls with at least one argument (every wait passes its delay), in the analyser's order. */
  withArguments: ts.CallExpression[];
  /** Every call by its callee's last name (`f()`, `this.f()` → f), in document order. */
  byName: Map<string, ts.CallExpression[]>;
  /** Assignments to an `on…` property (`ws.onclose = reconnect`), in document order: handlers registered without a call. */
  handlerAssignments: ts.BinaryExpression[];
}

/** `x.onerror = …`, `socket.onclose = …`: a handler registered by assigning a property. */
const HANDLER_PROPERTY = /^on[a-z]/i;

/** Deeper syntax is generated or hostile; the recursive walks of the analysis stop well before the stack does. */
export const MAX_SYNTAX_DEPTH = 1_000;

const cache = new WeakMap<ts.SourceFile, FileCalls | null>();

/**
 * The calls of `file`, or null when its tree is nested deeper than `MAX_SYNTAX_DEPTH`. Iterative, so deep
 * nesting cannot overflow the stack here; built once per file, since a bundle is expensive to walk.
 */
export function callsOfFile(file: ts.SourceFile): FileCalls | null {
  const cached = cache.get(file);
  if (cached !== undefined) return cached;
  const withArguments: ts.CallExpression[] = [];
  const byName = new Map<string, ts.CallExpression[]>();
  const handlerAssignments: ts.BinaryExpression[] = [];
  const stack: ts.Node[] = [file];
  const depths: number[] = [0];
  let depth = 0;
  let tooDeep = false;
  const push = (child: ts.Node): void => {
    stack.push(child);
    depths.push(depth + 1);
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
    depth = depths.pop()!;
    if (depth > MAX_SYNTAX_DEPTH) {
      tooDeep = true;
      break;
    }
    if (node.kind === ts.SyntaxKind.CallExpression) {
      const call = node as ts.CallExpression;
      if (call.arguments.length > 0) withArguments.push(call);
      const name = calleeName(call);
      if (name) {
        const sites = byName.get(name);
        if (sites) sites.push(call);
        else byName.set(name, [call]);
      }
    } else if (node.kind === ts.SyntaxKind.BinaryExpression) {
      const assignment = node as ts.BinaryExpression;
      if (
        assignment.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(assignment.left) &&
        HANDLER_PROPERTY.test(assignment.left.name.text)
      ) {
        handlerAssignments.push(assignment);
      }
    }
    ts.forEachChild(node, push);
  }
  if (tooDeep) {
    cache.set(file, null);
    return null;
  }
  withArguments.reverse();
  handlerAssignments.sort((x, y) => x.pos - y.pos || y.end - x.end);
  // Document order, a call before the calls inside it (`a(b())` and `a(b)(c)` share a start).
  for (const sites of byName.values()) sites.sort((x, y) => x.pos - y.pos || y.end - x.end);
  const calls = { withArguments, byName, handlerAssignments };
  cache.set(file, calls);
  return calls;
}

/**
 * The calls of `name` under `node` (and `node` itself when `inclusive`): syntax ranges nest, so a
 * binary search finds them, though a minified bundle calls `t` thousands of times.
 */
export function callsNamedIn(
  node: ts.Node,
  name: string,
  file: ts.SourceFile,
  inclusive: boolean,
): ts.CallExpression[] {
  const sites = callsOfFile(file)?.byName.get(name);
  if (!sites) return [];
  let low = 0;
  let high = sites.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sites[middle]!.pos < node.pos) low = middle + 1;
    else high = middle;
  }
  const found: ts.CallExpression[] = [];
  for (let i = low; i < sites.length && sites[i]!.pos < node.end; i++) {
    const call = sites[i]!;
    if (call.end <= node.end && (inclusive || call !== node)) found.push(call);
  }
  return found;
}
