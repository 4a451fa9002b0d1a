import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import { LOGGING_CALL } from '../../context.js';
import { descendantsOfTypes, field, namedChildren, some } from '../tree-sitter/syntax.js';

/** `rand`, `Random.rand`, `SecureRandom.*`, `Kernel.rand`, `x.sample`, a jitter helper. */
const RANDOM_METHOD = /^(rand|random_number|sample|shuffle|jitter\w*|\w*_jitter)$/;
const RANDOM_RECEIVER = /^(Random|SecureRandom|Kernel|rng|random)$/;
const IDENTIFIER = new Set(['identifier']);

/** Ruby syntax shared by the front end and the retry context: requires, parameters, sleeps, randomness. */

export function requirePaths(fromPath: string, target: string, relative: boolean): string[] {
  const withExtension = target.endsWith('.rb') ? target : `${target}.rb`;
  if (relative)
    return [posix.normalize(posix.join(posix.dirname(fromPath), withExtension))].filter(
      (p) => !p.startsWith('..'),
    );
  // A gem or engine kept inside the repository (`gems/billing/lib/billing/retry.rb`) puts its `lib/`
  // on the load path, as Bundler's `path:` gems do: the same file under any `lib/`.
  return [`lib/${withExtension}`, withExtension, `app/${withExtension}`, `**/lib/${withExtension}`];
}

export function parameterNames(method: Node): string[] {
  const parameters = field(method, 'parameters');
  if (!parameters) return [];
  return namedChildren(parameters).map((p) =>
    p.type === 'identifier' ? p.text : (field(p, 'name')?.text ?? ''),
  );
}

/** A call to Ruby's `sleep` (bare, or `Kernel.sleep`). */
export function isSleep(call: Node): boolean {
  if (call.type !== 'call' || field(call, 'method')?.text !== 'sleep') return false;
  const receiver = field(call, 'receiver');
  return !receiver || receiver.text === 'Kernel';
}

/**
 * `seconds_left.times { sleep 1 }`: a countdown that waits one step at a time and at most logs. The
 * pause is the steps' total, so the `times` call is the wait; null when the sleep is no such step.
 */
export function countdownOf(sleep: Node): Node | null {
  if (!isSleep(sleep)) return null;
  let block = sleep.parent;
  if (block?.type === 'body_statement' || block?.type === 'block_body') block = block.parent;
  const loop = block?.parent;
  if (
    !block ||
    (block.type !== 'do_block' && block.type !== 'block') ||
    loop?.type !== 'call' ||
    field(loop, 'method')?.text !== 'times' ||
    !field(loop, 'receiver')
  )
    return null;
  const busy = some(block, (n) => n.type === 'call' && !n.equals(sleep) && !LOGGING_CALL.test(calleeText(n)));
  return busy ? null : loop;
}

/** `@logger.warn`, `Api.fetch`, `fetch`: a call's receiver and method as written. */
export function calleeText(call: Node): string {
  const receiver = field(call, 'receiver')?.text;
  const method = field(call, 'method')?.text ?? '';
  return receiver ? `${receiver}.${method}` : method;
}

export function isRandomCall(call: Node): boolean {
  if (call.type !== 'call' && call.type !== 'identifier') return false;
  const method = call.type === 'identifier' ? call.text : (field(call, 'method')?.text ?? '');
  const receiver = call.type === 'call' ? (field(call, 'receiver')?.text ?? '') : '';
  return (
    RANDOM_METHOD.test(method) && (receiver === '' || RANDOM_RECEIVER.test(receiver) || method !== 'rand')
  );
}

/** Whether `node` uses the local name `name`. */
export function mentions(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return node.text.includes(name) && descendantsOfTypes(node, IDENTIFIER).some((n) => n.text === name);
}
