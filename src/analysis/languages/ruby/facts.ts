import { countedFailure } from '../tree-sitter/counted-failure.js';
import type {
  AssignmentFact,
  AssignTarget,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
} from '../../flow/ir.js';
import {
  attachRetryFrames,
  scheduledRetry,
  sleptParameter,
  type BodyCount,
  type CallSite,
} from '../../flow/waits.js';
import { assignmentOp, newFunction } from '../../flow/ir.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren, some } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { lowerRubyNode, rubyArguments, rubyCallee, SHARED_SOURCE } from './lower.js';
import { countdownOf, isRandomCall, isSleep, mentions } from './module.js';
import { failureAt, METHOD_TYPES, retryContext } from './retry-context.js';

/**
 * The Ruby front end of the value-flow engine: one walk over a file fills the facts — `require`d
 * files (everything they define is in scope), methods with their parameters and defaults (the last
 * expression is what a method returns), classes and their `@fields`, constants (bare and qualified),
 * assignments, and calls with the retry context around those that may be retried.
 */

export interface RbFacts extends FileFacts {
  sites: CallSite[];
}

const SECOND_MS = 1_000;
/** Block-taking methods whose block runs repeatedly. */
const LOOP_METHOD = /^(loop|times|upto|downto|step|each|each_with_index|until|retriable)$/;
const MAX_WALK_DEPTH = 1_000;

interface WalkState {
  fn?: FunctionFact;
  cls?: string;
  classBody?: ClassFact;
  /** Enclosing classes and modules, outermost first: constants are also known by `Outer::NAME`. */
  scopes: string[];
  repeats: boolean;
}

/** Where a bare name stands as a statement of its own. */
const STATEMENT_PARENTS = new Set([
  'body_statement',
  'then',
  'else',
  'begin',
  'ensure',
  'block_body',
  'program',
]);

export function extractRubyFacts(path: string, root: Node, withSites: boolean): RbFacts {
  const facts: RbFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
  };
  // Nested calls are lowered as arguments and again as calls of their own: once is enough.
  const lower = lowerOnce(lowerRubyNode);
  const stats = new Map<number, BodyCount<Node>>();
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];
  const timers: { call: CallFact; node: Node; state: WalkState }[] = [];
  let depth = 0;

  const assign = (left: Node, value: Expr, op: AssignmentFact['op'], state: WalkState, line: number) => {
    const targets = targetsOf(left, state);
    for (const target of targets) facts.assignments.push({ target, op, value, fn: state.fn?.id, line });
  };

  const walk = (node: Node, state: WalkState): void => {
    if (depth > MAX_WALK_DEPTH) return;
    depth += 1;
    try {
      visit(node, state);
    } finally {
      depth -= 1;
    }
  };

  const visit = (node: Node, state: WalkState): void => {
    const line = node.startPosition.row + 1;
    switch (node.type) {
      case 'class':
      case 'module': {
        const name = field(node, 'name')?.text ?? '';
        const simple = name.split('::').pop() ?? name;
        // A module is a class of methods too: mixed in by `include`, called as `Util.wait_for(…)`.
        const superclass = node.type === 'class' ? field(node, 'superclass') : null;
        const base = superclass ? namedChildren(superclass)[0]?.text : undefined;
        const cls: ClassFact = { name: simple, line, bases: base ? [base] : [] };
        facts.classes.push(cls);
        for (const child of namedChildren(node))
          walk(child, { cls: simple, classBody: cls, scopes: [...state.scopes, simple], repeats: false });
        return;
      }
      case 'method':
      case 'singleton_method':
        return defineMethod(node, state);
      case 'assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (left && right) {
          assign(left, lower(right), '=', state, line);
          walk(right, state);
        }
        return;
      }
      case 'operator_assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const operator = field(node, 'operator')?.text ?? '';
        if (left && right) {
          assign(left, lower(right), assignmentOp(operator), state, line);
          walk(right, state);
        }
        return;
      }
      case 'while':
      case 'until':
      case 'for':
      case 'while_modifier':
      case 'until_modifier':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        for (const child of namedChildren(node)) walk(child, { ...state, repeats: true });
        return;
      case 'rescue':
      case 'retry':
      case 'begin':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        if (node.type === 'rescue' || (node.type === 'begin' && retriedByRescue(node)))
          return walkChildren(node, { ...state, repeats: true });
        break;
      case 'body_statement':
        // A method body with a `rescue … retry` runs again from its first statement.
        if (retriedByRescue(node)) return walkChildren(node, { ...state, repeats: true });
        break;
      case 'return': {
        const value = node.namedChild(0);
        const expr = value?.type === 'argument_list' ? value.namedChild(0) : value;
        if (expr && state.fn) state.fn.returns.push(lower(expr));
        break;
      }
      case 'call':
        recordCall(node, state);
        return;
      case 'identifier':
        // A bare `rand` is an identifier, not a call.
        if (state.fn && isRandomCall(node)) state.fn.random = true;
        return;
    }
    walkChildren(node, state);
  };

  const walkChildren = (node: Node, state: WalkState): void => {
    // A bare name standing as a statement may call a method (known from the parent, not asked of each name).
    const statements = STATEMENT_PARENTS.has(node.type);
    for (const child of namedChildren(node)) {
      if (statements && state.fn && child.type === 'identifier' && isBareMethodCall(child, state.fn))
        recordBareCall(child, state, state.fn);
      walk(child, state);
    }
  };

  const recordCall = (node: Node, state: WalkState) => {
    const method = field(node, 'method')?.text ?? '';
    const receiver = field(node, 'receiver');
    if (!receiver && (method === 'require' || method === 'require_relative')) {
      const arg = field(node, 'arguments')?.namedChild(0);
      if (arg?.type === 'string') {
        const target = arg.text.slice(1, -1);
        facts.imports.push({ local: '*', module: method === 'require_relative' ? `./${target}` : target });
      }
      return;
    }
    if (state.classBody && !state.fn && /^attr_(accessor|writer)$/.test(method)) return;
    // `include Retryable`: the module's methods are the class's own.
    if (state.classBody && !state.fn && !receiver && /^(include|prepend|extend)$/.test(method)) {
      const list = field(node, 'arguments');
      for (const mixin of list ? namedChildren(list) : [])
        if (mixin.type === 'constant' || mixin.type === 'scope_resolution')
          state.classBody.bases.push(mixin.text);
      return;
    }
    const { args, named, spread, positionalSpread, nodes, namedNodes } = rubyArguments(node, lower);
    const calleeName =
      method === 'new' && receiver ? (receiver.text.split('::').pop() ?? receiver.text) : method;
    const call: CallFact = {
      callee: rubyCallee(node, lower),
      calleeName,
      args,
      named,
      line: node.startPosition.row + 1,
      spread,
      positionalSpread,
    };
    if (state.fn) {
      call.fn = state.fn.id;
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      if (isRandomCall(node)) state.fn.random = true;
      if (!own.sleep && isSleep(node))
        own.sleep = { argument: field(node, 'arguments')?.namedChild(0) ?? null };
      if (!receiver && method === state.fn.name) state.fn.recursive = true;
    }
    facts.calls.push(call);
    // `srand(42)`: from here on the process's shared source is a generator with that seed, for every
    // draw of the file (an argument-less `srand` reseeds from the OS).
    if (method === 'srand' && (!receiver || /^(Kernel|Random)$/.test(receiver.text))) {
      const generator: Expr = {
        k: 'generator',
        what: node.text,
        line: call.line,
        ...(args[0] ? { seed: args[0] } : {}),
      };
      facts.assignments.push({
        target: { kind: 'name', name: SHARED_SOURCE },
        op: '=',
        value: generator,
        line: call.line,
      });
    }
    // Only calls the repository's own code can be behind (a method without a receiver or on `self`,
    // a class or module method) or `sleep` itself can pause a retry, or restart one.
    const own =
      !receiver ||
      receiver.type === 'self' ||
      receiver.type === 'constant' ||
      receiver.type === 'scope_resolution';
    const timer = isTimer(node) && nodes.length > 0;
    if (own || isSleep(node)) pending.push({ call, node, state });
    if (timer) timers.push({ call, node, state });
    if (withSites && (own || isSleep(node) || timer) && (nodes.length > 0 || namedNodes.length > 0)) {
      const site: CallSite = {
        call,
        anchor: snippet(node),
        args: nodes.map(snippet),
        named: namedNodes.map(([k, v]) => [k, snippet(v)]),
      };
      const countdown = countdownOf(node);
      const steps = countdown ? field(countdown, 'receiver') : null;
      if ((isSleep(node) || timer) && nodes[0])
        site.direct = {
          delay: steps ? { k: 'binary', op: '*', left: lower(steps), right: args[0]! } : args[0]!,
          argument: snippet(nodes[0]),
          unitMs: SECOND_MS,
          confidence: timer ? 'medium' : 'high',
          byNameOnly: false,
        };
      facts.sites.push(site);
    }
    // Blocks of looping methods repeat; other blocks run as written.
    const block = field(node, 'block');
    const loops = LOOP_METHOD.test(method);
    for (const child of namedChildren(node)) {
      if (child.type === 'do_block' || child.type === 'block' || (block && child.equals(block)))
        walk(child, { ...state, repeats: state.repeats || loops });
      else if (child.type !== 'identifier' && child.type !== 'constant') walk(child, state);
    }
  };

  /**
   * A statement that is only a name no local binds (`sleep_to_avoid_thrashing`) calls a method
   * without arguments: it can restart a retry, or wait for one.
   */
  const isBareMethodCall = (node: Node, fn: FunctionFact): boolean =>
    !fn.params.some((p) => p.name === node.text) &&
    !facts.assignments.some((a) => a.fn === fn.id && a.target.kind === 'name' && a.target.name === node.text);
  const recordBareCall = (node: Node, state: WalkState, fn: FunctionFact) => {
    const call: CallFact = {
      callee: { k: 'name', name: node.text, line: node.startPosition.row + 1 },
      calleeName: node.text,
      args: [],
      named: [],
      line: node.startPosition.row + 1,
      spread: false,
      fn: fn.id,
    };
    stats.get(fn.id)!.calls += 1;
    if (node.text === fn.name) fn.recursive = true;
    facts.calls.push(call);
    pending.push({ call, node, state });
  };

  const defineMethod = (node: Node, state: WalkState) => {
    const name = field(node, 'name')?.text ?? '';
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
      { className: state.cls, parent: state.fn?.id, isConstructor: !!state.cls && name === 'initialize' },
    );
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const parameters = field(node, 'parameters');
    for (const param of parameters ? namedChildren(parameters) : []) {
      if (param.type === 'identifier') fn.params.push({ name: param.text });
      else if (param.type === 'optional_parameter' || param.type === 'keyword_parameter') {
        const pname = field(param, 'name')?.text ?? '';
        const value = field(param, 'value');
        const keywordOnly = param.type === 'keyword_parameter';
        fn.params.push({
          name: pname,
          ...(value ? { default: lower(value) } : {}),
          ...(keywordOnly ? { keywordOnly } : {}),
        });
      }
    }
    const body = field(node, 'body');
    const inner: WalkState = { fn, cls: state.cls, scopes: state.scopes, repeats: false };
    if (body) {
      walk(body, inner);
      // Ruby returns a method's last expression.
      const last = namedChildren(body).pop();
      if (last && last.type !== 'rescue' && last.type !== 'ensure' && last.type !== 'return')
        fn.returns.push(lower(last));
    }
    const index = sleptParameter(fn, stats.get(fn.id)!, mentions);
    if (index >= 0) fn.sleeps = { param: index, unitMs: SECOND_MS };
  };

  const targetsOf = (left: Node, state: WalkState): AssignTarget[] => {
    if (left.type === 'identifier') return [{ kind: 'name', name: left.text }];
    if (left.type === 'instance_variable' && state.cls)
      return [{ kind: 'field', className: state.cls, name: left.text.slice(1) }];
    if (left.type === 'constant') {
      // Constants are lexically scoped: `RETRY_DELAY` and `Client::RETRY_DELAY` name the same one.
      const names = [left.text];
      for (let i = state.scopes.length - 1; i >= 0; i -= 1)
        names.push([...state.scopes.slice(i), left.text].join('::'));
      return names.map((name) => ({ kind: 'name', name }));
    }
    if (left.type === 'call') {
      const receiver = field(left, 'receiver');
      const method = field(left, 'method')?.text ?? '';
      if (!receiver) return [];
      if (receiver.type === 'self' && state.cls)
        return [{ kind: 'field', className: state.cls, name: method }];
      return [{ kind: 'member', object: lower(receiver), name: method }];
    }
    return [];
  };

  walk(root, { scopes: [], repeats: false });
  // Constants are bound once at load: a constant assigned in a method is not one.
  facts.assignments = facts.assignments.filter(
    (a) => !(a.fn !== undefined && a.target.kind === 'name' && /^[A-Z]/.test(a.target.name)),
  );
  attachRetryFrames(pending, retryContext, { facts, failureAt }, (node) =>
    countedFailure(node, METHOD_TYPES),
  );
  for (const { call, node, state } of timers) {
    const block = namedChildren(node).find((c) => c.type === 'do_block' || c.type === 'block');
    const runs = block ? calledIn(block) : [];
    const context = scheduledRetry({ runs, facts, fn: state.fn, failure: failureAt(node) });
    if (!call.retry && context)
      call.retry = { trigger: context.trigger, counters: [], evidence: context.evidence };
  }
  return facts;
}

/** A `begin` block or method body whose `rescue` runs it again with `retry`. */
function retriedByRescue(body: Node): boolean {
  return namedChildren(body).some((c) => c.type === 'rescue' && some(c, (n) => n.type === 'retry'));
}

/** EventMachine timers: `EM.add_timer(d) { … }`, `EM.add_periodic_timer(d) { … }`, `EM::Timer.new(d) { … }`. */
function isTimer(call: Node): boolean {
  const method = field(call, 'method')?.text ?? '';
  const receiver = field(call, 'receiver')?.text ?? '';
  if (/^(add_timer|add_periodic_timer)$/.test(method)) return /^(::)?(EM|EventMachine)$/.test(receiver);
  return method === 'new' && /^(::)?(EM|EventMachine)::(Periodic)?Timer$/.test(receiver);
}

/** The methods a block calls, with or without arguments. */
function calledIn(block: Node): string[] {
  const names: string[] = [];
  for (const node of descendantsOfTypes(block, new Set(['call', 'identifier']))) {
    if (node.type === 'call') names.push(field(node, 'method')?.text ?? '');
    else if (STATEMENT_PARENTS.has(node.parent?.type ?? '')) names.push(node.text);
  }
  return names;
}
