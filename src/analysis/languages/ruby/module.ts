import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';

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
  return [`lib/${withExtension}`, withExtension, `app/${withExtension}`];
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
