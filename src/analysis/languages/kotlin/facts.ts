import { countedFailure } from '../tree-sitter/counted-failure.js';
import type {
  AssignmentFact,
  AssignTarget,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
  ParamFact,
} from '../../flow/ir.js';
import { newFunction } from '../../flow/ir.js';
import { springPropertiesPrefix } from '../../flow/settings.js';
import { attachRetryFrames, sleptParameter, type BodyCount, type CallSite } from '../../flow/waits.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import { unitMs } from '../tree-sitter/durations.js';
import { calleeExpr, lowerKotlin } from './lower.js';
import { importFact } from './module.js';
import {
  deferred,
  failurePath,
  FUNCTION_TYPES as KOTLIN_FUNCTIONS,
  handlerReconnect,
  lambdaRole,
  mayHandleFailure,
  retryContext,
} from './retry-context.js';
import {
  calleeParts,
  callArguments,
  extensionReceiver,
  isLambdaWrapper,
  isRandomCall,
  mentionsName,
  unwrapCall,
} from './syntax.js';

/**
 * The Kotlin front end of the value-flow engine: one walk over a file's tree fills the facts —
 * imports, functions with their parameters and defaults (a function's defaults are siblings of its
 * `parameter` nodes), classes and objects with their properties (a companion object's belong to its
 * class), primary constructors (their `val`/`var` parameters are fields, set from the constructor's
 * arguments or defaults), assignments, returns, and calls with the retry context around those that
 * may be retried — and, for the file under analysis, the call sites a wait may be.
 */

export interface KtFacts extends FileFacts {
  sites: CallSite[];
}

/** The node types facts are read from. */
const FACT_NODES = new Set([
  'package_header',
  'import',
  'class_declaration',
  'object_declaration',
  'companion_object',
  'function_declaration',
  'secondary_constructor',
  'anonymous_initializer',
  'property_declaration',
  'assignment',
  'unary_expression',
  'for_statement',
  'while_statement',
  'do_while_statement',
  'try_expression',
  'return_expression',
  'call_expression',
  'lambda_literal',
  'getter',
  'setter',
]);
const ASSIGN_OPS: Record<string, AssignmentFact['op']> = {
  '=': '=',
  '+=': '+=',
  '-=': '-=',
  '*=': '*=',
  '/=': '/=',
};
/** `delay` (kotlinx.coroutines), `Thread.sleep`, `SystemClock.sleep` (Android): milliseconds. */
const SLEEP_MS =
  /^(delay|kotlinx\.coroutines\.delay|Thread\.sleep|java\.lang\.Thread\.sleep|SystemClock\.sleep)$/;
const TIME_UNIT_SLEEP =
  /^(?:(?:java\.util\.concurrent\.)?TimeUnit\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)\.sleep$/;
/** Unresolved callees with these names are taken as sleeps in milliseconds, at lower confidence. */
const SLEEP_NAME = /^(sleep|sleepFor|pause|nap|backoffSleep)$/;
/** A `delay` that is not kotlinx.coroutines': declared in the file, or imported from elsewhere. */
const OWN_DELAY = /\bfun\s+(<[^>]*>\s*)?delay\s*\(|^import\s+(?!kotlinx\.coroutines\.)[\w.]+\.delay\s*$/m;
const TEST_ANNOTATION = /@(Test|ParameterizedTest|RepeatedTest|BeforeEach|AfterEach)\b/;

interface ClassInfo {
  fact: ClassFact;
  /** Properties, constructor properties, methods and companion members: what a bare name may mean. */
  members: Set<string>;
  ctor?: FunctionFact;
}

interface WalkState {
  fn?: FunctionFact;
  cls?: ClassInfo;
  /** Directly in a class body (a property here is a field). */
  classBody?: ClassInfo;
  /** Inside a loop of the current function, or a retry predicate: a wait here may repeat. */
  repeats: boolean;
  /** Inside a test function. */
  test: boolean;
}

export function extractKotlinFacts(path: string, root: Node, withSites: boolean): KtFacts {
  const facts: KtFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
  };
  const stats = new Map<number, BodyCount<Node> & { unitMs: number }>();
  /** Names declared in each function (parameters, locals, lambda and loop variables). */
  const locals = new Map<number, Set<string>>();
  const pending: { call: CallFact; node: Node; state: WalkState; direct: boolean }[] = [];
  const ownDelay = OWN_DELAY.test(root.text);

  const isLocal = (name: string, state: WalkState): boolean => {
    for (let fn = state.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
      if (locals.get(fn.id)?.has(name)) return true;
    }
    return false;
  };
  const declare = (name: string, state: WalkState) => {
    if (state.fn) locals.get(state.fn.id)!.add(name);
  };

  let current: WalkState = { repeats: false, test: false };
  // An expression is lowered with the walk's state where it stands: the locals declared so far (a
  // `val` inside an `if` block shadows a property) and the class whose members it may name. Its parts
  // are not shared with the expressions the walk reaches later, which may stand after more locals.
  const lowered = new Map<number, Expr>();
  const lower = (node: Node): Expr => {
    let expr = lowered.get(node.id);
    if (!expr) {
      const state = current;
      expr = lowerKotlin(node, {
        receiverField: (name) => !!state.cls?.members.has(name) && !isLocal(name, state),
      });
      lowered.set(node.id, expr);
    }
    return expr;
  };

  const open: { end: number; state: WalkState }[] = [];
  const enter = (node: Node, state: WalkState) => open.push({ end: node.endIndex, state });

  const visit = (node: Node, state: WalkState): void => {
    const line = node.startPosition.row + 1;
    switch (node.type) {
      case 'package_header':
        facts.packageName = (namedChildren(node)[0]?.text ?? '').replace(/\s+/g, '');
        return;
      case 'import': {
        const fact = importFact(node.text);
        if (fact) facts.imports.push(fact);
        return;
      }
      case 'class_declaration':
      case 'object_declaration':
        return defineClass(node, state);
      case 'companion_object': {
        const outer = state.classBody;
        if (outer) enter(node, { cls: outer, classBody: outer, repeats: false, test: false });
        return;
      }
      case 'function_declaration':
      case 'secondary_constructor':
        return defineFunction(node, state);
      case 'anonymous_initializer':
        if (state.classBody)
          enter(node, { fn: state.classBody.ctor, cls: state.cls, repeats: false, test: false });
        return;
      case 'getter':
      case 'setter':
        // Computed on every read: not a stored value, and not a retry's place.
        enter(node, { cls: state.cls, repeats: false, test: state.test });
        return;
      case 'property_declaration':
        return property(node, state, line);
      case 'assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const op = ASSIGN_OPS[field(node, 'operator')?.text ?? '='] ?? 'other';
        if (left && right) {
          const target = targetOf(left, state);
          if (target) facts.assignments.push({ target, op, value: lower(right), fn: state.fn?.id, line });
        }
        return;
      }
      case 'unary_expression': {
        const operator = field(node, 'operator')?.text;
        const argument = field(node, 'argument');
        if ((operator === '++' || operator === '--') && argument) {
          const target = targetOf(argument, state);
          if (target)
            facts.assignments.push({
              target,
              op: operator === '++' ? '+=' : '-=',
              value: { k: 'num', value: 1 },
              fn: state.fn?.id,
              line,
            });
        }
        return;
      }
      case 'for_statement': {
        if (state.fn) stats.get(state.fn.id)!.control = true;
        const [variable, iterated] = namedChildren(node).filter(
          (c) => c.type !== 'label' && c.type !== 'annotation',
        );
        for (const name of declaredNames(variable)) {
          declare(name, state);
          const list = iterated ? lower(iterated) : null;
          const each: Expr = list?.k === 'table' ? list : { k: 'todo', what: 'a loop value' };
          facts.assignments.push({
            target: { kind: 'name', name },
            op: 'each',
            value: each,
            fn: state.fn?.id,
            line,
          });
        }
        enter(node, { ...state, repeats: true });
        return;
      }
      case 'while_statement':
      case 'do_while_statement':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        enter(node, { ...state, repeats: true });
        return;
      case 'try_expression':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        return;
      case 'return_expression': {
        // `return@label` leaves a lambda, not the function.
        if (field(node, 'label')) return;
        const value = node.namedChild(0);
        if (value && state.fn) state.fn.returns.push(lower(value));
        return;
      }
      case 'lambda_literal': {
        for (const name of lambdaParameterNames(node)) declare(name, state);
        const { role } = lambdaRole(node);
        if (role === 'loop' || role === 'predicate') {
          if (state.fn) stats.get(state.fn.id)!.control = true;
          enter(node, { ...state, repeats: true });
        }
        return;
      }
      case 'call_expression':
        if (!isLambdaWrapper(node)) recordCall(node, state);
        return;
    }
  };

  const defineClass = (node: Node, state: WalkState) => {
    const info = classInfo(node);
    facts.classes.push(info.fact);
    const params = constructorParameters(node);
    const body = namedChildren(node).find((c) => c.type === 'class_body' || c.type === 'enum_class_body');
    const hasSecondary = !!body && namedChildren(body).some((c) => c.type === 'secondary_constructor');
    const isClass = node.type === 'class_declaration';
    if (isClass && (params.length > 0 || !hasSecondary)) {
      const ctor = newFunction(
        facts.functions.length,
        info.fact.name,
        { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
        { className: info.fact.name, isConstructor: true },
      );
      facts.functions.push(ctor);
      stats.set(ctor.id, { calls: 0, control: true, sleep: null, unitMs: 1 });
      locals.set(ctor.id, new Set());
      info.ctor = ctor;
      const inner: WalkState = { fn: ctor, cls: info, repeats: false, test: false };
      current = inner;
      for (const param of params) {
        const parts = namedChildren(param);
        const name = parts.find((p) => p.type === 'identifier')?.text ?? '';
        const nameAt = parts.findIndex((p) => p.type === 'identifier');
        const type = parts[nameAt + 1];
        const value = parts[nameAt + 2];
        ctor.params.push(paramFact(name, type, value ? lower(value) : undefined));
        locals.get(ctor.id)!.add(name);
        if (param.children.some((c) => c?.type === 'val' || c?.type === 'var'))
          facts.assignments.push({
            target: { kind: 'field', className: info.fact.name, name },
            op: '=',
            value: { k: 'name', name, line: param.startPosition.row + 1 },
            fn: ctor.id,
            line: param.startPosition.row + 1,
          });
      }
    }
    enter(node, {
      fn: info.ctor,
      cls: info,
      classBody: info,
      repeats: false,
      test: state.test,
    });
  };

  const defineFunction = (node: Node, state: WalkState) => {
    const isConstructor = node.type === 'secondary_constructor';
    const owner = state.classBody;
    const name = isConstructor ? (owner?.fact.name ?? '') : (field(node, 'name')?.text ?? '');
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
      {
        className: owner?.fact.name,
        parent: owner ? undefined : state.fn?.id,
        isConstructor,
      },
    );
    const receiver = extensionReceiver(node);
    if (receiver) fn.receiverType = receiver.text.replace(/[?<][\s\S]*$/, '').trim();
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null, unitMs: 1 });
    locals.set(fn.id, new Set());
    const modifiers = namedChildren(node).find((c) => c.type === 'modifiers');
    const inner: WalkState = {
      fn,
      cls: state.cls,
      repeats: false,
      test: state.test || (!!modifiers && TEST_ANNOTATION.test(modifiers.text)),
    };
    current = inner;
    const list = namedChildren(node).find((c) => c.type === 'function_value_parameters');
    let last: ParamFact | null = null;
    for (const child of list ? namedChildren(list) : []) {
      if (child.type === 'parameter') {
        const [nameNode, type] = namedChildren(child);
        last = paramFact(nameNode?.text ?? '', type, undefined);
        fn.params.push(last);
        locals.get(fn.id)!.add(last.name);
      } else if (last && child.type !== 'parameter_modifiers' && child.type !== 'annotation') {
        // A parameter's default is the sibling after it.
        last.default = lower(child);
        last = null;
      }
    }
    const body = namedChildren(node).find((c) => c.type === 'function_body');
    const expression = body?.namedChild(0);
    if (expression && expression.type !== 'block') fn.returns.push(lower(expression));
    enter(node, inner);
  };

  const property = (node: Node, state: WalkState, line: number) => {
    const declaration = namedChildren(node).find(
      (c) => c.type === 'variable_declaration' || c.type === 'multi_variable_declaration',
    );
    if (!declaration) return;
    const value = namedChildren(node).find(
      (c) =>
        !c.equals(declaration) &&
        !/^(modifiers|user_type|nullable_type|type_parameters|type_constraints|getter|setter|property_delegate|parenthesized_type|function_type)$/.test(
          c.type,
        ),
    );
    const delegate = namedChildren(node).find((c) => c.type === 'property_delegate');
    if (declaration.type === 'multi_variable_declaration') {
      for (const name of declaredNames(declaration)) {
        declare(name, state);
        facts.assignments.push({
          target: { kind: 'name', name },
          op: 'other',
          value: { k: 'todo', what: 'destructured' },
          fn: state.fn?.id,
          line,
        });
      }
      return;
    }
    const name = namedChildren(declaration)[0]?.text ?? '';
    const expr: Expr | null = value
      ? lower(value)
      : delegate
        ? { k: 'todo', what: 'a delegated property' }
        : null;
    if (state.classBody) {
      if (expr)
        facts.assignments.push({
          target: { kind: 'field', className: state.classBody.fact.name, name },
          op: '=',
          value: expr,
          fn: state.fn?.id,
          line,
        });
      // A constant of a top-level object is also what `import pkg.Object.NAME` of another file reads.
      if (expr && isObjectConstant(node))
        facts.assignments.push({ target: { kind: 'name', name }, op: '=', value: expr, line });
      return;
    }
    declare(name, state);
    if (expr)
      facts.assignments.push({
        target: { kind: 'name', name },
        op: '=',
        value: expr,
        fn: state.fn?.id,
        line,
      });
  };

  const targetOf = (left: Node, state: WalkState): AssignTarget | null => {
    if (left.type === 'identifier') {
      const name = left.text;
      if (!isLocal(name, state) && state.cls?.members.has(name))
        return { kind: 'field', className: state.cls.fact.name, name };
      return { kind: 'name', name };
    }
    if (left.type === 'navigation_expression') {
      const [object, member] = namedChildren(left);
      if (!object || !member) return null;
      if (object.type === 'this_expression' && state.cls)
        return { kind: 'field', className: state.cls.fact.name, name: member.text };
      return { kind: 'member', object: lower(object), name: member.text };
    }
    return null;
  };

  const recordCall = (node: Node, state: WalkState) => {
    const parts = calleeParts(node);
    if (!parts.callee) return;
    const { nodes, named, spread } = callArguments(node);
    const call: CallFact = {
      callee: calleeExpr(parts.callee, lower),
      calleeName: parts.name,
      args: nodes.map(lower),
      named: named.map(([key, value]) => [key, lower(value)]),
      line: node.startPosition.row + 1,
      spread,
    };
    const direct = directWait(parts.qualified, parts.name, nodes);
    if (state.fn) {
      call.fn = state.fn.id;
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      if (isRandomCall(node, parts)) state.fn.random = true;
      // A wait in a launched lambda (`scope.launch { delay(ms); … }`) does not make the caller wait.
      if (!own.sleep && direct && !direct.byNameOnly && !deferred(node)) {
        own.sleep = { argument: nodes[0] ?? null };
        own.unitMs = direct.unitMs;
      }
      if (parts.name === state.fn.name && (!parts.receiver || parts.receiver.type === 'this_expression'))
        state.fn.recursive = true;
    }
    facts.calls.push(call);
    // Only calls the repository's own code can be behind (a bare name, a method of the receiver, an
    // object's or an imported name's member) or waits the language knows can pause a retry.
    const receiver = parts.receiver;
    const own =
      !receiver ||
      receiver.type === 'this_expression' ||
      (receiver.type === 'identifier' &&
        (/^[A-Z]/.test(receiver.text) ||
          !!state.cls?.members.has(receiver.text) ||
          facts.imports.some((i) => i.local === receiver.text)));
    if (!own && !direct) return;
    pending.push({ call, node, state, direct: !!direct });
    if (!withSites || state.test || nodes.length + named.length === 0) return;
    facts.sites.push({
      call,
      anchor: snippet(node),
      args: nodes.map(snippet),
      named: named.map(([key, value]) => [key, snippet(value)]),
      direct: direct ?? undefined,
    });
  };

  const directWait = (qualified: string, name: string, nodes: Node[]): CallSite['direct'] | null => {
    const argument = nodes[0];
    if (!argument || nodes.length > 1) return null;
    const wait = (unit: number, confidence: 'high' | 'medium', byNameOnly: boolean) => ({
      delay: lower(argument),
      argument: snippet(argument),
      unitMs: unit,
      confidence,
      byNameOnly,
    });
    // A file with a `delay` of its own (or imported from the repository) means that one: followed.
    if (SLEEP_MS.test(qualified)) return wait(1, 'high', qualified === 'delay' && ownDelay);
    const unit = TIME_UNIT_SLEEP.exec(qualified);
    if (unit) return wait(unitMs(unit[1]!) ?? 1, 'high', false);
    if (SLEEP_NAME.test(name) && !qualified.includes('.')) return wait(1, 'medium', true);
    return null;
  };

  for (const node of descendantsOfTypes(root, FACT_NODES)) {
    while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
    current = open[open.length - 1]?.state ?? { repeats: false, test: false };
    visit(node, current);
  }
  for (const fn of facts.functions) {
    const body = stats.get(fn.id)!;
    const index = sleptParameter(fn, body, mentionsName);
    if (index >= 0) fn.sleeps = { param: index, unitMs: body.unitMs };
  }
  attachRetryFrames(
    pending,
    (node) => retryContext(unwrapCall(node)),
    { facts, failureAt: (node) => failurePath(unwrapCall(node)) },
    (node) => countedFailure(unwrapCall(node), KOTLIN_FUNCTIONS),
  );
  // A wait on a failure path that then makes the failed call again retries once, without a loop.
  for (const { call, node, state, direct } of pending) {
    if (call.retry || !direct || state.repeats || state.fn?.recursive) continue;
    const frame = retryContext(unwrapCall(node));
    if (frame) call.retry = { trigger: frame.trigger, counters: [], evidence: frame.evidence };
  }
  // A reconnect from a close or error callback, or an error handler sending its work again, repeats
  // without a loop or recursion of its own.
  for (const { call, node } of pending) {
    if (call.retry || call.fn === undefined || !mayHandleFailure(facts.functions[call.fn]!)) continue;
    const frame = handlerReconnect(node);
    if (frame) call.retry = { trigger: frame.trigger, counters: [], evidence: frame.evidence };
  }
  return facts;
}

/** A class or object with the names a bare reference inside it may mean (read from its own body only). */
function classInfo(node: Node): ClassInfo {
  const children = namedChildren(node);
  const body = children.find((c) => c.type === 'class_body' || c.type === 'enum_class_body');
  const name = field(node, 'name')?.text ?? '';
  const bases = children
    .find((c) => c.type === 'delegation_specifiers')
    ?.namedChildren.map((s) => (s?.text ?? '').replace(/[(<][\s\S]*$/, '').trim())
    .filter((b) => b !== '');
  const info: ClassInfo = {
    fact: { name, line: node.startPosition.row + 1, bases: bases ?? [] },
    members: new Set(),
  };
  const prefix = springPropertiesPrefix(children.find((c) => c.type === 'modifiers')?.text ?? '');
  if (prefix !== null) info.fact.settings = { prefix, convention: 'spring' };
  for (const param of constructorParameters(node)) {
    if (param.children.some((c) => c?.type === 'val' || c?.type === 'var'))
      info.members.add(namedChildren(param).find((p) => p.type === 'identifier')?.text ?? '');
  }
  if (body) addMembers(info.members, body);
  return info;
}

function constructorParameters(node: Node): Node[] {
  const params = namedChildren(node)
    .find((c) => c.type === 'primary_constructor')
    ?.namedChildren.find((c) => c?.type === 'class_parameters');
  return params ? namedChildren(params).filter((p) => p.type === 'class_parameter') : [];
}

function addMembers(members: Set<string>, body: Node): void {
  for (const member of namedChildren(body)) {
    // A companion's members are the class's: `PAUSE` inside it and `Client.PAUSE` outside.
    if (member.type === 'companion_object') {
      const inner = namedChildren(member).find((c) => c.type === 'class_body');
      if (inner) addMembers(members, inner);
    }
    if (member.type === 'function_declaration') members.add(field(member, 'name')?.text ?? '');
    if (member.type === 'property_declaration') {
      const declaration = namedChildren(member).find((c) => c.type === 'variable_declaration');
      const name = declaration ? namedChildren(declaration)[0]?.text : undefined;
      if (name) members.add(name);
    }
  }
}

function paramFact(name: string, type: Node | undefined, value: Expr | undefined): ParamFact {
  const param: ParamFact = { name };
  if (value) param.default = value;
  const typeName = type && /type/.test(type.type) ? type.text.replace(/[?<][\s\S]*$/, '').trim() : '';
  if (typeName && /^[A-Z][\w.]*$/.test(typeName)) param.type = typeName;
  return param;
}

function declaredNames(node: Node | undefined): string[] {
  if (!node) return [];
  if (node.type === 'variable_declaration') return [namedChildren(node)[0]?.text ?? ''].filter((n) => n);
  if (node.type === 'multi_variable_declaration') return namedChildren(node).flatMap((d) => declaredNames(d));
  return [];
}

function lambdaParameterNames(lambda: Node): string[] {
  const list = namedChildren(lambda).find((c) => c.type === 'lambda_parameters');
  return list ? namedChildren(list).flatMap((p) => declaredNames(p)) : ['it'];
}

/** A `val` declared straight in a top-level `object`: one value another file can import by name. */
function isObjectConstant(property: Node): boolean {
  const owner = property.parent?.type === 'class_body' ? property.parent.parent : null;
  return (
    owner?.type === 'object_declaration' &&
    owner.parent?.type === 'source_file' &&
    property.children.some((c) => c?.type === 'val')
  );
}
