import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import {
  ancestors,
  Coverage,
  descendantsOfTypes,
  field,
  namedChildren,
  scopedIndex,
} from '../tree-sitter/syntax.js';

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
const CONTROL_TYPES = new Set(['while', 'until', 'for', 'rescue', 'retry']);
/** Where a wait repeats: loops, `rescue` clauses (with `retry`), and the blocks of looping methods. */
const REPEATING_TYPES = new Set([
  'while',
  'until',
  'for',
  'while_modifier',
  'until_modifier',
  'rescue',
  'rescue_modifier',
]);
const LOOP_METHOD = /^(loop|times|upto|downto|step|each|each_with_index|until|retriable)$/;
const INDEX_TYPES = new Set(['assignment', 'call', 'retry', 'do_block', 'block', ...REPEATING_TYPES]);
const IDENTIFIER = new Set(['identifier']);
const BARE_RAND = /(^|[^\w.:@$])rand\b(?![?!])/;
const METHOD_TYPES = new Set(['method', 'singleton_method']);
const MAX_HELPER_CALLS = 4;

export function summariseRuby(path: string, root: Node): RbFile {
  return summariseRubyIndexed(path, root).file;
}

/**
 * The file summary and, from the same pass, the calls that can be a pause between attempts: inside
 * a loop, a `rescue` clause, or a method that calls itself.
 */
export function summariseRubyIndexed(path: string, root: Node): { file: RbFile; calls: Node[] } {
  const file: RbFile = { path, constants: new Map(), methods: new Map(), requires: [] };
  const index = scopedIndex(root, INDEX_TYPES, METHOD_TYPES);
  const repeating: Node[] = [];
  for (const node of index.all) {
    if (node.type === 'assignment') collectConstant(node, file);
    else if (node.type === 'call') collectRequire(node, path, file);
    else if (REPEATING_TYPES.has(node.type)) repeating.push(node);
    else if (
      (node.type === 'do_block' || node.type === 'block') &&
      LOOP_METHOD.test(node.parent?.childForFieldName('method')?.text ?? '')
    )
      repeating.push(node);
  }
  for (const method of index.scopes) {
    const name = field(method, 'name')?.text;
    if (!name) continue;
    const inside = index.inScope.get(method.id) ?? [];
    file.methods.set(name, methodFacts(method, inside));
    if (
      inside.some(
        (node) => node.type === 'call' && !field(node, 'receiver') && field(node, 'method')?.text === name,
      )
    )
      repeating.push(method);
  }
  const coverage = new Coverage(repeating);
  return { file, calls: index.all.filter((node) => node.type === 'call' && coverage.covers(node)) };
}

function collectConstant(assignment: Node, file: RbFile): void {
  const left = field(assignment, 'left');
  const right = field(assignment, 'right');
  if (left?.type !== 'constant' || !right) return;
  const value =
    right.type === 'call' && field(right, 'method')?.text === 'freeze'
      ? (field(right, 'receiver') ?? right)
      : right;
  file.constants.set(left.text, value.text);
  const scope = [...ancestors(assignment)]
    .filter((a) => SCOPES.has(a.type))
    .map((a) => field(a, 'name')?.text ?? '')
    .reverse();
  for (let i = 0; i < scope.length; i += 1)
    file.constants.set([...scope.slice(i), left.text].join('::'), value.text);
}

function collectRequire(call: Node, path: string, file: RbFile): void {
  const name = field(call, 'method')?.text;
  if (name !== 'require_relative' && name !== 'require') return;
  const arg = field(call, 'arguments')?.namedChild(0);
  if (arg?.type !== 'string') return;
  file.requires.push(requirePaths(path, arg.text.slice(1, -1), name === 'require_relative'));
}

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

function methodFacts(method: Node, inside: readonly Node[]): RbMethod {
  const params = parameterNames(method);
  const facts: RbMethod = { params, random: false, delayLike: false };
  const body = field(method, 'body');
  if (!body) return facts;
  let calls = 0;
  let control = false;
  let sleep: Node | null = null;
  for (const node of inside) {
    if (node.type === 'call') {
      calls += 1;
      if (isRandomCall(node)) facts.random = true;
      if (!sleep && isSleep(node)) sleep = node;
    } else if (CONTROL_TYPES.has(node.type)) {
      control = true;
    }
  }
  // A bare `rand` is an identifier, not a call: read it from the text, comments removed.
  if (BARE_RAND.test(body.text.replace(/#[^\n]*/g, ''))) facts.random = true;
  const statements = namedChildren(body);
  if (statements.length === 1) facts.returns = statements[0]!.text;
  facts.delayLike = /\*\*|\.min\b|\bsleep\b|\bdelay\b|backoff|\.seconds?\b/.test(body.text);
  if (sleep && !control && calls <= MAX_HELPER_CALLS) {
    const argument = field(sleep as Node, 'arguments')?.namedChild(0);
    const index = argument ? params.findIndex((p) => p !== '' && mentions(argument, p)) : -1;
    if (index >= 0) facts.sleeps = { param: index };
  }
  return facts;
}

/** Whether `node` uses the local name `name`. */
export function mentions(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return node.text.includes(name) && descendantsOfTypes(node, IDENTIFIER).some((n) => n.text === name);
}
