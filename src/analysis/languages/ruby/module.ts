import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, descendantsOfTypes, field, namedChildren, some } from '../tree-sitter/syntax.js';

/**
 * What a Ruby file declares, as plain data: constants (by bare and by qualified name, as source text),
 * the facts analysis needs about its methods, and the files it requires.
 */

export interface RbMethod {
  params: string[];
  /** The method's last expression, when its body is one expression (Ruby returns it). */
  returns?: string;
  random: boolean;
  /** Sleeps one of its parameters. */
  sleeps?: { param: number };
  delayLike: boolean;
}

export interface RbFile {
  path: string;
  /** `RETRY_DELAY`, `Config::RETRY_DELAY` → expression text. */
  constants: Map<string, string>;
  methods: Map<string, RbMethod>;
  /** Repository paths of `require_relative` / `require` targets, most likely first. */
  requires: string[][];
}

/** `rand`, `Random.rand`, `SecureRandom.*`, `Kernel.rand`, `x.sample`, a jitter helper. */
export const RANDOM_METHOD = /^(rand|random_number|sample|shuffle|jitter\w*|\w*_jitter)$/;
export const RANDOM_RECEIVER = /^(Random|SecureRandom|Kernel|rng|random)$/;

const SCOPES = new Set(['class', 'module']);
const METHOD_TYPES = new Set(['method', 'singleton_method']);
const MAX_HELPER_CALLS = 4;

export function summariseRuby(path: string, root: Node): RbFile {
  const file: RbFile = { path, constants: new Map(), methods: new Map(), requires: [] };
  for (const assignment of descendantsOfTypes(root, new Set(['assignment']), METHOD_TYPES)) {
    const left = field(assignment, 'left');
    const right = field(assignment, 'right');
    if (left?.type !== 'constant' || !right) continue;
    const value = right.type === 'call' && field(right, 'method')?.text === 'freeze' ? (field(right, 'receiver') ?? right) : right;
    file.constants.set(left.text, value.text);
    const scope = [...ancestors(assignment)].filter((a) => SCOPES.has(a.type)).map((a) => field(a, 'name')?.text ?? '').reverse();
    for (let i = 0; i < scope.length; i += 1) file.constants.set([...scope.slice(i), left.text].join('::'), value.text);
  }
  for (const method of descendantsOfTypes(root, METHOD_TYPES)) {
    const name = field(method, 'name')?.text;
    if (name) file.methods.set(name, methodFacts(method));
  }
  for (const call of descendantsOfTypes(root, new Set(['call']), METHOD_TYPES)) {
    const name = field(call, 'method')?.text;
    if (name !== 'require_relative' && name !== 'require') continue;
    const arg = field(call, 'arguments')?.namedChild(0);
    if (arg?.type !== 'string') continue;
    const target = arg.text.slice(1, -1);
    file.requires.push(requirePaths(path, target, name === 'require_relative'));
  }
  return file;
}

function requirePaths(fromPath: string, target: string, relative: boolean): string[] {
  const withExtension = target.endsWith('.rb') ? target : `${target}.rb`;
  if (relative) return [posix.normalize(posix.join(posix.dirname(fromPath), withExtension))].filter((p) => !p.startsWith('..'));
  return [`lib/${withExtension}`, withExtension, `app/${withExtension}`];
}

export function parameterNames(method: Node): string[] {
  const parameters = field(method, 'parameters');
  if (!parameters) return [];
  return namedChildren(parameters).map((p) => (p.type === 'identifier' ? p.text : (field(p, 'name')?.text ?? '')));
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
  return RANDOM_METHOD.test(method) && (receiver === '' || RANDOM_RECEIVER.test(receiver) || method !== 'rand');
}

function methodFacts(method: Node): RbMethod {
  const params = parameterNames(method);
  const facts: RbMethod = { params, random: false, delayLike: false };
  const body = field(method, 'body');
  if (!body) return facts;
  let calls = 0;
  let control = false;
  let sleep: Node | null = null;
  some(
    body,
    (node) => {
      if (node.type === 'call' || node.type === 'identifier') {
        if (node.type === 'call') calls += 1;
        if (isRandomCall(node)) facts.random = true;
        if (!sleep && isSleep(node)) sleep = node;
      }
      if (['while', 'until', 'for', 'rescue', 'retry'].includes(node.type)) control = true;
      return false;
    },
    METHOD_TYPES,
  );
  const statements = namedChildren(body);
  if (statements.length === 1) facts.returns = statements[0]!.text;
  facts.delayLike = /\*\*|\.min\b|\bsleep\b|\bdelay\b|backoff|\.seconds?\b/.test(body.text);
  if (sleep && !control && calls <= MAX_HELPER_CALLS) {
    const argument = field(sleep as Node, 'arguments')?.namedChild(0);
    const index = argument ? params.findIndex((p) => p !== '' && some(argument, (n) => n.type === 'identifier' && n.text === p)) : -1;
    if (index >= 0) facts.sleeps = { param: index };
  }
  return facts;
}
