import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import type { ChainCall, JvmSyntax } from '../java/libraries.js';
import type { ImportLine } from '../java/module.js';
import { IMPORT } from './module.js';
import { calleeParts, callArguments, lambdaOf, unwrapCall } from './syntax.js';

/**
 * The JVM retry libraries' checks (Spring Retry, Spring Framework 7, Resilience4j, Failsafe) read from
 * Kotlin trees. The libraries and their defaults are Java's, so the checks are Java's
 * (`java/libraries.ts`); this file only says where Kotlin keeps what they read: `T()` builds an
 * object, an annotation's arguments are a constructor call's (`Backoff(delay = 500)` nested in
 * `@Retryable`), and a setter is also written as a property (`policy.backOffPeriod = 500`).
 */

function importLines(root: Node): ImportLine[] {
  const lines: ImportLine[] = [];
  for (const node of descendantsOfTypes(root, new Set(['import']))) {
    const match = IMPORT.exec(node.text.replace(/\s+/g, ' ').trim());
    if (match) lines.push({ path: match[1]!.replace(/`/g, ''), isStatic: false, wildcard: !!match[2] });
  }
  return lines;
}

/** The constructor call of an annotation (`@Retryable(…)`), or of a nested one (`Backoff(…)`). */
function annotationCall(node: Node): Node | null {
  if (node.type === 'annotation')
    return (
      namedChildren(node).find((c) => c.type === 'constructor_invocation' || c.type === 'user_type') ?? null
    );
  if (node.type === 'call_expression') {
    const callee = node.namedChild(0);
    return callee && /^[A-Z]/.test(callee.text) && callee.type === 'identifier' ? node : null;
  }
  return null;
}

function annotationName(annotation: Node): string {
  const call = annotationCall(annotation);
  const type = call?.type === 'constructor_invocation' ? call.namedChild(0) : call;
  return (type?.text ?? '').replace(/<.*$/s, '').replace(/^.*\./, '');
}

function annotationPairs(node: Node): Map<string, Node> | null {
  const call = annotationCall(node);
  if (!call) return null;
  const pairs = new Map<string, Node>();
  if (call.type === 'user_type') return pairs; // a bare `@Retryable`
  const { nodes, named } = callArguments(call);
  for (const [key, value] of named) pairs.set(key, value);
  if (nodes.length === 1 && named.length === 0) pairs.set('value', nodes[0]!);
  return pairs;
}

/** A member call: `receiver.name(…)`, with its receiver, name node and arguments. */
function memberCall(node: Node): { receiver: Node; call: ChainCall } | null {
  if (node.type !== 'call_expression') return null;
  const call = unwrapCall(node);
  const parts = calleeParts(call);
  if (!parts.receiver || !parts.name || parts.callee?.type !== 'navigation_expression') return null;
  const children = namedChildren(parts.callee);
  return {
    receiver: parts.receiver,
    call: {
      name: parts.name,
      args: callArguments(call).nodes,
      node,
      nameNode: children[children.length - 1] ?? null,
    },
  };
}

function chainOf(outer: Node): { root: Node; calls: ChainCall[] } {
  const calls: ChainCall[] = [];
  let node: Node = outer;
  for (let member = memberCall(node); member; member = memberCall(node)) {
    calls.unshift(member.call);
    node = member.receiver;
  }
  return { root: node, calls };
}

function outerCalls(root: Node): Node[] {
  return descendantsOfTypes(root, new Set(['call_expression'])).filter((call) => {
    // Neither the receiver of a further call (`x.a().b()`) nor the inner half of `f(a) { … }`.
    const parent = call.parent;
    if (parent?.type === 'call_expression' && parent.namedChild(0)?.equals(call)) return false;
    const grand = parent?.parent;
    return !(
      parent?.type === 'navigation_expression' &&
      parent.namedChild(0)?.equals(call) &&
      grand?.type === 'call_expression' &&
      grand.namedChild(0)?.equals(parent)
    );
  });
}

/** `RetryPolicy<Any>()` or `FixedBackOffPolicy()`: a call of a capitalised name is a constructor call. */
function constructed(node: Node): string | null {
  if (node.type !== 'call_expression') return null;
  const parts = calleeParts(unwrapCall(node));
  if (!/^[A-Z]/.test(parts.name)) return null;
  return parts.qualified;
}

/** The name a construction is stored in: `val p = T()`, `p = T()`. */
function holderOf(creation: Node): string | null {
  const parent = creation.parent;
  if (parent?.type === 'property_declaration')
    return (
      namedChildren(parent)
        .find((c) => c.type === 'variable_declaration')
        ?.namedChild(0)?.text ?? null
    );
  if (parent?.type === 'assignment' && !parent.namedChild(0)?.equals(creation))
    return parent.namedChild(0)?.text ?? null;
  return null;
}

function enclosingBlock(node: Node): Node | null {
  let scope = node.parent;
  while (scope && scope.type !== 'block' && scope.type !== 'statements' && scope.type !== 'lambda_literal')
    scope = scope.parent;
  return scope;
}

/** The lambda of `T().apply { … }`, whose bare names are the new object's members. */
function appliedLambda(creation: Node): Node | null {
  const navigation = creation.parent;
  const call = navigation?.parent;
  if (navigation?.type !== 'navigation_expression' || !navigation.namedChild(0)?.equals(creation))
    return null;
  if (navigation.namedChild(navigation.namedChildCount - 1)?.text !== 'apply') return null;
  return call?.type === 'call_expression' && call.namedChild(0)?.equals(navigation) ? lambdaOf(call) : null;
}

function setterName(property: string): string {
  return `set${property[0]!.toUpperCase()}${property.slice(1)}`;
}

/**
 * `p.setBackOffPeriod(v)` and `p.backOffPeriod = v` in the block the holder `p` is declared in, and
 * `setBackOffPeriod(v)` or `backOffPeriod = v` in `T().apply { … }`.
 */
function setters(creation: Node): Map<string, Node> {
  const found = new Map<string, Node>();
  const applied = appliedLambda(creation);
  const holder = applied ? null : holderOf(creation);
  const scope = applied ?? enclosingBlock(creation);
  if ((!holder && !applied) || !scope) return found;
  // In `apply { }` the object is the receiver: written bare or as `this`.
  const isHolder = (node: Node | null): boolean =>
    applied ? node === null || node.text === 'this' : node?.text === holder;
  for (const node of descendantsOfTypes(scope, new Set(['call_expression', 'assignment']))) {
    if (node.type === 'call_expression') {
      const call = unwrapCall(node);
      const parts = calleeParts(call);
      const [arg] = callArguments(call).nodes;
      if (arg && parts.name && isHolder(parts.receiver)) found.set(parts.name, arg);
      continue;
    }
    const [left, right] = [node.namedChild(0), node.namedChild(node.namedChildCount - 1)];
    if (!left || !right || !node.children.some((c) => c?.type === '=')) continue;
    if (left.type === 'identifier' && applied) {
      found.set(setterName(left.text), right);
      continue;
    }
    if (left.type !== 'navigation_expression') continue;
    const parts = namedChildren(left);
    const property = parts[parts.length - 1]?.text ?? '';
    if (parts.length === 2 && isHolder(parts[0]!) && property) found.set(setterName(property), right);
  }
  return found;
}

/** `val f = IntervalFunction.of(…)` declared earlier in an enclosing block. */
function localInitializer(name: Node): Node | null {
  for (let scope = enclosingBlock(name); scope; scope = enclosingBlock(scope)) {
    for (const statement of namedChildren(scope)) {
      if (statement.startIndex >= name.startIndex) break;
      if (statement.type !== 'property_declaration') continue;
      const declared = namedChildren(statement)
        .find((c) => c.type === 'variable_declaration')
        ?.namedChild(0);
      if (declared?.text === name.text) return statement.namedChild(statement.namedChildCount - 1);
    }
  }
  return null;
}

export const KOTLIN_SYNTAX: JvmSyntax = {
  imports: importLines,
  annotations: (root) => descendantsOfTypes(root, new Set(['annotation'])),
  annotationName,
  annotationPairs,
  outerCalls,
  chainOf,
  constructed,
  creations: (root) =>
    descendantsOfTypes(root, new Set(['call_expression'])).filter((call) => constructed(call) !== null),
  // `object : T() { … }` is an object literal, never a call, so a call never subclasses.
  subclassed: () => false,
  setters,
  localInitializer,
};
