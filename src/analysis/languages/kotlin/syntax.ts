import type { Node } from '../tree-sitter/runtime.js';
import { namedChildren, oncePerNode } from '../tree-sitter/syntax.js';

/**
 * How the Kotlin grammar spells a call. `f(a) { … }` is `call_expression(call_expression(f, (a)),
 * annotated_lambda)`: the inner node is the call (its callee and arguments), the outer one only adds
 * the trailing lambda. Everything here works on the inner node and finds the lambda through its parent.
 */

/** The outer half of `f(a) { … }`: it is not a call of its own. */
export function isLambdaWrapper(node: Node): boolean {
  const head = node.namedChild(0);
  if (head?.type !== 'call_expression') return false;
  const types = namedChildren(node).map((c) => c.type);
  return types.includes('annotated_lambda') && !types.includes('value_arguments');
}

/** The call a wrapper wraps; any other node is itself. */
export function unwrapCall(node: Node): Node {
  let call = node;
  while (call.type === 'call_expression' && isLambdaWrapper(call)) call = call.namedChild(0)!;
  return call;
}

/** The trailing lambda of a call: its own, or its wrapper's. */
export function lambdaOf(call: Node): Node | null {
  const own = namedChildren(call).find((c) => c.type === 'annotated_lambda');
  const parent = call.parent;
  const wrapper =
    !own &&
    parent?.type === 'call_expression' &&
    parent.namedChild(0)?.equals(call) &&
    isLambdaWrapper(parent)
      ? namedChildren(parent).find((c) => c.type === 'annotated_lambda')
      : undefined;
  const annotated = own ?? wrapper;
  return annotated ? (namedChildren(annotated).find((c) => c.type === 'lambda_literal') ?? null) : null;
}

export interface CalleeParts {
  /** The expression called (`delay`, `Thread.sleep`, `client.fetch`). */
  callee: Node | null;
  /** Its last name. */
  name: string;
  /** The object of a member call (`Thread`, `client`), when there is one. */
  receiver: Node | null;
  /** The callee as written, without spaces and safe-call marks (`TimeUnit.SECONDS.sleep`). */
  qualified: string;
}

/** Read once per call node: the walk, the lowering and the retry checks all ask. Not to be mutated. */
export const calleeParts = oncePerNode((call: Node): CalleeParts => {
  const callee = call.namedChild(0);
  const type = callee?.type;
  if (!callee || type === 'annotated_lambda' || type === 'value_arguments')
    return { callee: null, name: '', receiver: null, qualified: '' };
  if (type === 'navigation_expression') {
    const children = namedChildren(callee);
    const member = children[children.length - 1];
    return {
      callee,
      name: member?.type === 'identifier' ? member.text : '',
      receiver: children.length > 1 ? children[0]! : null,
      qualified: qualifiedText(callee),
    };
  }
  return {
    callee,
    name: type === 'identifier' ? callee.text : '',
    receiver: null,
    qualified: qualifiedText(callee),
  };
});

function qualifiedText(node: Node): string {
  return node.text.replace(/\s+/g, '').replace(/\?\./g, '.').replace(/!!/g, '');
}

export interface CallArguments {
  /** Positional argument expressions, in order (the trailing lambda is not one). */
  nodes: Node[];
  named: [string, Node][];
  /** A `*spread` argument: positions cannot be trusted. */
  spread: boolean;
}

/** Read once per call node, like `calleeParts`. Not to be mutated. */
export const callArguments = oncePerNode((call: Node): CallArguments => {
  const list = namedChildren(call).find((c) => c.type === 'value_arguments');
  const out: CallArguments = { nodes: [], named: [], spread: false };
  for (const argument of list ? namedChildren(list) : []) {
    if (argument.type !== 'value_argument') continue;
    const parts = namedChildren(argument);
    const value = parts[parts.length - 1];
    if (!value) continue;
    const tokens = argument.children.map((c) => c?.type);
    if (tokens.includes('*')) out.spread = true;
    const hasName = parts.length > 1 && parts[0]!.type === 'identifier' && tokens.includes('=');
    if (hasName) out.named.push([parts[0]!.text, value]);
    else out.nodes.push(value);
  }
  return out;
});

/** `Random.nextLong(…)`, `ThreadLocalRandom.current().nextInt(…)`, `(a..b).random()`, `Math.random()`. */
export const RANDOM_RECEIVER =
  /(^|\.)(Random|ThreadLocalRandom|SecureRandom|random|rng|rand|jitterRandom)\b|ThreadLocalRandom\.current\(\)/;
const RANDOM_METHOD = /^(nextLong|nextInt|nextDouble|nextFloat|nextGaussian|random|randomOrNull|shuffled)$/;

export function isRandomCall(call: Node, parts: CalleeParts = calleeParts(call)): boolean {
  const { name, receiver, qualified } = parts;
  if (qualified === 'Math.random' || qualified === 'random' || qualified === 'Random') return true;
  if (!receiver) return /^(Random|SecureRandom)$/.test(name);
  if (name === 'random' || name === 'randomOrNull') return true;
  return RANDOM_METHOD.test(name) && RANDOM_RECEIVER.test(receiver.text.replace(/\s+/g, ''));
}

/** Whether an identifier named `name` occurs under `node` (a helper's sleep argument mentions its parameter). */
export function mentionsName(node: Node, name: string): boolean {
  return new RegExp(`(^|[^\\w$])${name.replace(/[$]/g, '\\$')}($|[^\\w$])`).test(node.text);
}

/** The type an extension function is declared on (`Flow<T>` of `fun <T> Flow<T>.retryWith(…)`), if it is one. */
export function extensionReceiver(fn: Node): Node | undefined {
  const name = fn.childForFieldName('name');
  return name
    ? namedChildren(fn).find((c) => /type$/.test(c.type) && c.endIndex <= name.startIndex)
    : undefined;
}
