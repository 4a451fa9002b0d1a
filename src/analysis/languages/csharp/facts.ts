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
import { assignmentOp, newFunction } from '../../flow/ir.js';
import {
  attachRetryFrames,
  pausedArgument,
  sleptParameter,
  type BodyCount,
  type CallSite,
  type RetryContextResult,
} from '../../flow/waits.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren, some } from '../tree-sitter/syntax.js';
import {
  callArguments,
  calleeExpr,
  callShape,
  isOwnCall,
  isRandomCall,
  lowerCSharp,
  typeName,
  type CallShape,
  type NameScope,
} from './lower.js';
import { CONNECT_CALL, PAUSE_METHOD, RESTART_NAME } from '../../context.js';
import {
  CSHARP_FUNCTIONS,
  CSHARP_GRAMMAR,
  CSHARP_LOOPS,
  isGotoLoop,
  csharpRetryContext,
  failureLoopContext,
  retryOnceContext,
} from './retry-context.js';

/**
 * The C# front end of the value-flow engine: one query over a file's tree fills the facts — classes,
 * structs, records and enums with their bases, fields and properties (initialisers, primary-constructor
 * parameters, getters), methods, constructors, local functions and lambdas with their parameters and
 * defaults, assignments (`this._x = x`, object initialisers), calls with the retry context around those
 * that may be retried, returns — and, for the file under analysis, the call sites a wait may be.
 *
 * Expressions are lowered once the walk is over: a method may read a field declared below it, and a
 * bare name is a local, a member of the class or a type only once the whole class is known.
 */

export interface CsFacts extends FileFacts {
  sites: CallSite[];
  /**
   * Declared types as written (`TimeSpan`, `int`): members by class, locals by function (top-level
   * statements under -1), return types by function. A rewrite of a `TimeSpan` differs from one of
   * milliseconds.
   */
  types: {
    members: Record<string, Record<string, string>>;
    locals: Record<number, Record<string, string>>;
    returns: Record<number, string>;
  };
}

export interface CsExtraction {
  facts: CsFacts;
  /** An expression of this file lowered where it stands, with the function around it (for the Polly checks). */
  lowerAt(node: Node): { expr: Expr; fn?: FunctionFact; className?: string };
}

interface ClassScope {
  fact: ClassFact;
  /** Fields, properties and primary-constructor parameters, with their declared types as written. */
  members: Map<string, string | undefined>;
  outer?: ClassScope;
}

interface WalkState {
  fn?: FunctionFact;
  /** The class whose receiver `this` is (kept inside lambdas and local functions). */
  cls?: ClassScope;
  /** Directly in a class body: declarations there are members. */
  classBody?: ClassScope;
  /** Inside a loop of the current function: a wait here may repeat. */
  repeats: boolean;
  /** Inside a property accessor: the property. */
  getterOf?: string;
  setterOf?: string;
  /** Inside a test method (`[Fact]`, `[Test]`, …). */
  test: boolean;
  /** Directly in a lambda handling a close or error event (`connection.Closed += async e => …`). */
  handler?: string;
}

const MS = 1;
const SECONDS = 1000;
/** Unity's coroutine waits, in seconds of game time or of real time. */
const UNITY_WAIT = /^(UnityEngine\.)?WaitForSeconds(Realtime)?$/;
const TYPES = new Set([
  'class_declaration',
  'struct_declaration',
  'record_declaration',
  'record_struct_declaration',
  'interface_declaration',
]);
/** The retry context's function bodies, and the members that declare a function of their own. */
const FUNCTIONS = new Set([
  ...CSHARP_FUNCTIONS,
  'operator_declaration',
  'conversion_operator_declaration',
  'destructor_declaration',
]);
const LOOPS = new Set(CSHARP_LOOPS);
/** A local, parameter or field (`backoff`, `_pause`, `this.retrier`), not a type's static member (`Task`). */
const VARIABLE_RECEIVER = /^(this\.)?[a-z_]\w*$/;
/** The node types facts are read from. */
const FACT_NODES = new Set([
  ...TYPES,
  ...FUNCTIONS,
  ...LOOPS,
  'enum_declaration',
  'enum_member_declaration',
  'property_declaration',
  'variable_declaration',
  'assignment_expression',
  'postfix_unary_expression',
  'prefix_unary_expression',
  'try_statement',
  'catch_declaration',
  'declaration_expression',
  'declaration_pattern',
  'return_statement',
  'invocation_expression',
  'object_creation_expression',
  'implicit_object_creation_expression',
  'constructor_initializer',
]);
/** Test methods (xUnit, NUnit, MSTest): their waits are tests' own pacing. */
const TEST_ATTRIBUTE = /[[,]\s*(?:[\w.]+\.)?(Fact|Theory|Test|TestCase|TestMethod|DataTestMethod)\s*[\](,]/;
/** Calls that are no calls of the program (`nameof(x)`). */
const NOT_A_CALL = new Set(['nameof', 'typeof', 'sizeof']);
const DELAY_ARGUMENT = ['millisecondsDelay', 'delay', 'millisecondsTimeout', 'timeout'];
const MODULE_LEVEL = -1;
/** Events raised when a connection is lost: a handler that waits and connects again retries. */
const LOST_EVENT =
  /^(On)?(Close|Closed|Disconnect|Disconnected|ConnectionLost|ConnectionClosed|ConnectionShutdown|Shutdown|Error|Faulted)(Async)?$/;
const LAMBDAS = new Set(['lambda_expression', 'anonymous_method_expression']);
/** Methods that register a handler for an event (`UseDisconnectedHandler(…)`, `OnClosed(…)`): the event. */
const HANDLER_REGISTRATION = /^(?:Use|Add|Register|Set)(\w+?)Handler(?:Async)?$|^On(\w+?)(?:Async)?$/;
const SPAN_VALUE = /^(new\s+)?(System\.)?TimeSpan\b/;

/** `Task.Delay(…)`, `Thread.Sleep(…)`: the waits the language provides. */
function isBuiltinWait({ name, objectText }: CallShape): boolean {
  if (name !== 'Delay' && name !== 'Sleep') return false;
  const object = objectText.replace(/^System\.Threading\.(Tasks\.)?/, '');
  return (object === 'Task' && name === 'Delay') || (object === 'Thread' && name === 'Sleep');
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

/** The initial value of a `variable_declarator` (the child after its name). */
function declaratorValue(declarator: Node, name: Node | null): Node | null {
  return (
    namedChildren(declarator).find((c) => !name?.equals(c) && c.type !== 'bracketed_argument_list') ?? null
  );
}

export function extractCSharpFacts(path: string, root: Node, withSites: boolean): CsExtraction {
  const facts: CsFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
    types: { members: {}, locals: {}, returns: {} },
  };
  /** Locals and parameters per function (top-level statements under MODULE_LEVEL), with declared types. */
  const locals = new Map<number, Map<string, string | undefined>>();
  const stats = new Map<number, BodyCount<Node>>();
  /** Each function's first sleep: the scope it stands in, to lower a pause helper's own delay after the walk, and its unit. */
  const sleepScopes = new Map<number, { state: WalkState; unitMs: number }>();
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];
  /** Lowering waits until every declaration is known. */
  const later: (() => void)[] = [];
  /** Assignments inside object initialisers: recorded with the object they fill. */
  const initialised = new Set<number>();
  const scopes: { start: number; end: number; state: WalkState }[] = [];
  const classScopes: ClassScope[] = [];
  /** Lambdas subscribed to a close or error event, by node id. */
  const handlers = new Map<number, string>();
  /** Waits the language provides, and where each function's calls start (a handler's reconnect follows its wait). */
  const directWaits = new Set<CallFact>();
  const callsIn = new Map<number, { start: number; name: string }[]>();

  const localsOf = (state: WalkState): Map<string, string | undefined> => {
    const key = state.fn?.id ?? MODULE_LEVEL;
    let map = locals.get(key);
    if (!map) locals.set(key, (map = new Map()));
    return map;
  };
  const localType = (state: WalkState, name: string): { type: string | undefined } | null => {
    for (let fn = state.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
      const map = locals.get(fn.id);
      if (map?.has(name)) return { type: map.get(name) };
    }
    // Top-level statements see their own locals; a class does not.
    if (!state.cls && locals.get(MODULE_LEVEL)?.has(name))
      return { type: locals.get(MODULE_LEVEL)!.get(name) };
    return null;
  };

  const shapes = new Map<number, CallShape | null>();
  const shape = (call: Node): CallShape | null => {
    let found = shapes.get(call.id);
    if (found === undefined) shapes.set(call.id, (found = callShape(call)));
    return found;
  };
  const nameScopes = new Map<WalkState, NameScope>();
  const nameScope = (state: WalkState): NameScope => {
    let scope = nameScopes.get(state);
    if (!scope) nameScopes.set(state, (scope = newNameScope(state)));
    return scope;
  };
  const newNameScope = (state: WalkState): NameScope => ({
    isLocal: (name) => localType(state, name) !== null,
    typeOf: (name) => {
      const local = localType(state, name);
      if (local) return local.type;
      for (let cls = state.cls; cls; cls = cls.outer) if (cls.members.has(name)) return cls.members.get(name);
      return undefined;
    },
    member: (name, line) => {
      for (let cls = state.cls; cls; cls = cls.outer) {
        if (!cls.members.has(name)) continue;
        return cls === state.cls
          ? { k: 'member', object: { k: 'self' }, name, line }
          : { k: 'member', object: { k: 'name', name: cls.fact.name, line }, name, line };
      }
      return null;
    },
    receiver: state.cls?.fact.name,
    setterOf: state.setterOf,
    targetType: (node) => {
      const declarator = node.parent;
      if (declarator?.type !== 'variable_declarator') return undefined;
      return typeName(field(declarator.parent ?? declarator, 'type'));
    },
    shape,
    cache: lowered,
  });

  // Nested calls are lowered as arguments and again as calls of their own: once is enough (a node
  // has one scope, and a lambda inside an expression is not lowered with it).
  const lowered = new Map<number, Expr>();
  const lower = (node: Node, state: WalkState): Expr => lowerCSharp(node, nameScope(state));

  /** An assignment whose target and value are lowered once every declaration is known. */
  const write = (
    target: AssignTarget | (() => AssignTarget),
    value: Expr | (() => Expr),
    op: AssignmentFact['op'],
    state: WalkState,
    line: number,
  ) => {
    const pending: Expr = { k: 'todo', what: 'pending' };
    const fact: AssignmentFact = {
      target: typeof target === 'function' ? { kind: 'name', name: '' } : target,
      op,
      value: typeof value === 'function' ? pending : value,
      fn: state.fn?.id,
      line,
    };
    facts.assignments.push(fact);
    later.push(() => {
      if (typeof target === 'function') fact.target = target();
      if (typeof value === 'function') fact.value = value();
    });
    return fact;
  };

  /** Where an assignment to `left` goes: a local, a field of this class, or a member of another object. */
  const targetOf = (left: Node, state: WalkState): (() => AssignTarget) | null => {
    if (left.type === 'identifier') {
      const name = left.text;
      return () => {
        if (localType(state, name) || !state.cls) return { kind: 'name', name };
        return { kind: 'field', className: state.cls.fact.name, name };
      };
    }
    if (left.type === 'member_access_expression') {
      const object = field(left, 'expression');
      const name = field(left, 'name')?.text ?? '';
      if (!object || name === '') return null;
      if (/^(this|base)$/.test(object.text) && state.cls) {
        const className = state.cls.fact.name;
        return () => ({ kind: 'field', className, name });
      }
      return () => ({ kind: 'member', object: lower(object, state), name });
    }
    return null;
  };

  const open: { end: number; state: WalkState }[] = [];
  const enter = (node: Node, state: WalkState) => {
    const end = node.endIndex;
    open.push({ end, state });
    scopes.push({ start: node.startIndex, end, state });
  };

  const visit = (node: Node, state: WalkState): void => {
    switch (node.type) {
      case 'class_declaration':
      case 'struct_declaration':
      case 'record_declaration':
      case 'record_struct_declaration':
      case 'interface_declaration':
      case 'enum_declaration':
        return defineType(node, state);
      case 'enum_member_declaration': {
        const name = field(node, 'name')?.text ?? '';
        const value = field(node, 'value');
        const cls = state.classBody;
        if (!cls || name === '') return;
        cls.members.set(name, undefined);
        if (value)
          write(
            { kind: 'field', className: cls.fact.name, name },
            () => lower(value, state),
            '=',
            state,
            lineOf(node),
          );
        return;
      }
      case 'property_declaration':
        return defineProperty(node, state);
      case 'method_declaration':
      case 'local_function_statement':
        return defineFunction(node, state, field(node, 'name')?.text ?? '', false);
      case 'constructor_declaration':
        return defineFunction(node, state, state.cls?.fact.name ?? field(node, 'name')?.text ?? '', true);
      case 'lambda_expression':
      case 'anonymous_method_expression': {
        const event = handlers.get(node.id);
        return defineFunction(node, state, '', false, event ? { handler: event } : {});
      }
      case 'operator_declaration':
      case 'conversion_operator_declaration':
      case 'destructor_declaration':
        return defineFunction(node, state, '', false);
      case 'accessor_declaration':
        return defineAccessor(node, state);
      case 'variable_declaration':
        return declare(node, state);
      case 'assignment_expression': {
        if (initialised.has(node.id)) return;
        const left = field(node, 'left');
        const right = field(node, 'right');
        const operator = field(node, 'operator')?.text ?? '=';
        const target = left ? targetOf(left, state) : null;
        if (!target || !right) return;
        if (operator === '+=' && left?.type === 'member_access_expression' && LAMBDAS.has(right.type)) {
          const event = field(left, 'name')?.text ?? '';
          if (LOST_EVENT.test(event)) handlers.set(right.id, event);
        }
        write(target, () => lower(right, state), assignmentOp(operator), state, lineOf(node));
        return;
      }
      case 'postfix_unary_expression':
      case 'prefix_unary_expression': {
        const step = /\+\+/.test(node.text) ? '+=' : /--/.test(node.text) ? '-=' : null;
        const operand = node.namedChild(0);
        const target = step && operand ? targetOf(operand, state) : null;
        if (!step || !target) return;
        write(target, { k: 'num', value: 1 }, step, state, lineOf(node));
        return;
      }
      case 'labeled_statement':
        if (!isGotoLoop(node)) return;
      // falls through: a statement that jumps back to its own label is a loop
      case 'for_statement':
      case 'while_statement':
      case 'do_statement':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        enter(node, { ...state, repeats: true });
        return;
      case 'foreach_statement': {
        if (state.fn) stats.get(state.fn.id)!.control = true;
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (left?.type === 'identifier') {
          localsOf(state).set(left.text, field(node, 'type')?.text);
          if (right)
            write(
              { kind: 'name', name: left.text },
              () => {
                const each = lower(right, state);
                return each.k === 'table' ? each : { k: 'todo', what: 'a loop value' };
              },
              'each',
              state,
              lineOf(node),
            );
        }
        enter(node, { ...state, repeats: true });
        return;
      }
      case 'try_statement':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        return;
      case 'catch_declaration':
      case 'declaration_expression':
      case 'declaration_pattern': {
        const name = field(node, 'name');
        if (name?.type === 'identifier') localsOf(state).set(name.text, field(node, 'type')?.text);
        return;
      }
      case 'return_statement': {
        const value = node.namedChild(0);
        if (value) returns(value, state);
        return;
      }
      case 'invocation_expression':
        return recordInvocation(node, state);
      case 'object_creation_expression':
        return recordCreation(node, typeName(field(node, 'type')), state);
      case 'implicit_object_creation_expression':
        return recordCreation(node, nameScope(state).targetType?.(node), state);
      case 'constructor_initializer': {
        // `: this(…)` / `: base(…)`: a call of the other constructor.
        const cls = state.cls?.fact;
        const target = /^\s*:\s*base\b/.test(node.text) ? cls?.bases[0] : cls?.name;
        if (target) recordConstructorCall(node, target, state);
        return;
      }
    }
  };

  const returns = (value: Node, state: WalkState) => {
    const fn = state.fn;
    if (!fn) return;
    later.push(() => fn.returns.push(lower(value, state)));
    // A getter's returns are what reading the property gives.
    if (state.getterOf && state.cls)
      write(
        { kind: 'field', className: state.cls.fact.name, name: state.getterOf },
        () => lower(value, state),
        '=',
        state,
        lineOf(value),
      );
  };

  const defineType = (node: Node, state: WalkState) => {
    const name = field(node, 'name')?.text ?? '';
    const bases: string[] = [];
    const baseList = namedChildren(node).find((c) => c.type === 'base_list');
    let baseCall: Node | null = null;
    for (const base of baseList ? namedChildren(baseList) : []) {
      if (base.type === 'primary_constructor_base_type') {
        baseCall = base;
        const type = typeName(field(base, 'type') ?? base.namedChild(0));
        if (type) bases.push(type);
        continue;
      }
      const type = typeName(base);
      if (type) bases.push(type);
    }
    const cls: ClassFact = { name, line: lineOf(node), bases };
    facts.classes.push(cls);
    const scope: ClassScope = { fact: cls, members: new Map(), outer: state.cls };
    classScopes.push(scope);
    const inner: WalkState = { cls: scope, classBody: scope, repeats: false, test: state.test };
    enter(node, inner);
    const parameters = namedChildren(node).find((c) => c.type === 'parameter_list');
    if (!parameters) return;
    // A primary constructor (records, C# 12 classes): its parameters are in scope in the whole body.
    const ctor = newFunction(
      facts.functions.length,
      name,
      { line: lineOf(node), endLine: parameters.endPosition.row + 1 },
      { className: name, isConstructor: true },
    );
    facts.functions.push(ctor);
    stats.set(ctor.id, { calls: 0, control: false, sleep: null });
    const ctorState: WalkState = { fn: ctor, cls: scope, repeats: false, test: state.test };
    for (const param of parameterList(parameters, ctor, ctorState)) {
      scope.members.set(param.name, param.type);
      write(
        { kind: 'field', className: name, name: param.name },
        () => ({ k: 'name', name: param.name, line: param.line }),
        '=',
        ctorState,
        param.line,
      );
    }
    if (baseCall && bases[0]) recordConstructorCall(baseCall, bases[0], ctorState);
  };

  /** Parameters of a function into its facts and its locals. */
  const parameterList = (
    list: Node,
    fn: FunctionFact,
    state: WalkState,
  ): { name: string; type: string | undefined; line: number }[] => {
    const names = localsOf(state);
    const found: { name: string; type: string | undefined; line: number }[] = [];
    const params =
      list.type === 'implicit_parameter' ? [list] : namedChildren(list).filter((c) => c.type === 'parameter');
    for (const param of params) {
      const nameNode = param.type === 'implicit_parameter' ? param : field(param, 'name');
      const name = nameNode?.text ?? '';
      const typeNode = field(param, 'type');
      const value = namedChildren(param)
        .filter(
          (c) =>
            !nameNode?.equals(c) &&
            !typeNode?.equals(c) &&
            c.type !== 'attribute_list' &&
            c.type !== 'modifier' &&
            c.type !== 'parameter_modifier',
        )
        .pop();
      const declared = typeNode?.text;
      const type = typeName(typeNode);
      const fact: FunctionFact['params'][number] = { name };
      if (type) fact.type = type;
      if (
        fn.params.length === 0 &&
        namedChildren(param).some(
          (c) => (c.type === 'modifier' || c.type === 'parameter_modifier') && c.text === 'this',
        )
      )
        fn.extension = true;
      if (value) later.push(() => (fact.default = lower(value, { ...state, fn: undefined })));
      fn.params.push(fact);
      names.set(name, declared);
      found.push({ name, type: declared, line: lineOf(param) });
    }
    return found;
  };

  const defineFunction = (
    node: Node,
    state: WalkState,
    name: string,
    isConstructor: boolean,
    extra: Partial<WalkState> = {},
  ) => {
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: lineOf(node), endLine: node.endPosition.row + 1 },
      { className: state.cls?.fact.name, parent: state.fn?.id, isConstructor },
    );
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const returnType =
      node.type === 'method_declaration' || node.type === 'local_function_statement'
        ? (field(node, 'returns') ?? field(node, 'type'))?.text
        : extra.getterOf
          ? state.cls?.members.get(extra.getterOf)
          : undefined;
    if (returnType) facts.types.returns[fn.id] = returnType;
    const test =
      state.test ||
      (node.type === 'method_declaration' &&
        namedChildren(node).some((c) => c.type === 'attribute_list' && TEST_ATTRIBUTE.test(c.text)));
    const inner: WalkState = { fn, cls: state.cls, repeats: false, test, ...extra };
    locals.set(fn.id, new Map());
    const parameters = field(node, 'parameters');
    if (parameters) parameterList(parameters, fn, inner);
    enter(node, inner);
    const body = field(node, 'body');
    if (body && body.type !== 'block') {
      // `=> expression`: what the function returns.
      const value = body.type === 'arrow_expression_clause' ? body.namedChild(0) : body;
      if (value) returns(value, inner);
    }
  };

  const defineAccessor = (node: Node, state: WalkState) => {
    const property = node.parent?.parent;
    const name = property ? (field(property, 'name')?.text ?? '') : '';
    const kind = field(node, 'name')?.text ?? node.child(0)?.text ?? '';
    if (!field(node, 'body')) return;
    const extra: Partial<WalkState> =
      kind === 'get' ? { getterOf: name } : kind === 'set' || kind === 'init' ? { setterOf: name } : {};
    defineFunction(node, state, `${kind}_${name}`, false, extra);
  };

  const defineProperty = (node: Node, state: WalkState) => {
    const cls = state.classBody;
    const name = field(node, 'name')?.text ?? '';
    if (!cls || name === '') return;
    cls.members.set(name, field(node, 'type')?.text);
    const value = field(node, 'value');
    const expr = value?.type === 'arrow_expression_clause' ? value.namedChild(0) : value;
    if (expr)
      write(
        { kind: 'field', className: cls.fact.name, name },
        () => lower(expr, state),
        '=',
        state,
        lineOf(node),
      );
  };

  const declare = (node: Node, state: WalkState) => {
    const typeNode = field(node, 'type');
    const written = typeNode?.type === 'implicit_type' ? undefined : typeNode?.text;
    for (const declarator of namedChildren(node)) {
      if (declarator.type !== 'variable_declarator') continue;
      const nameNode = field(declarator, 'name');
      const name = nameNode?.text ?? '';
      const value = declaratorValue(declarator, nameNode);
      const line = lineOf(declarator);
      // `var pause = TimeSpan.FromSeconds(5)`: the initialiser says the type.
      const declared = written ?? (value && SPAN_VALUE.test(value.text) ? 'TimeSpan' : undefined);
      if (state.classBody && !state.fn) {
        state.classBody.members.set(name, declared);
        if (value)
          write(
            { kind: 'field', className: state.classBody.fact.name, name },
            () => lower(value, state),
            '=',
            state,
            line,
          );
        continue;
      }
      localsOf(state).set(name, declared);
      if (value) write({ kind: 'name', name }, () => lower(value, state), '=', state, line);
    }
  };

  const newCall = (calleeName: string, line: number, state: WalkState): CallFact => {
    const call: CallFact = {
      callee: { k: 'todo', what: 'pending' },
      calleeName,
      args: [],
      named: [],
      line,
      spread: false,
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    return call;
  };

  const withArguments = (call: CallFact, node: Node, state: WalkState) => {
    const { positional, named } = callArguments(node);
    later.push(() => {
      call.args = positional.map((a) => lower(a, state));
      call.named = named.map(([k, v]) => [k, lower(v, state)]);
    });
    return { positional, named };
  };

  const recordConstructorCall = (node: Node, className: string, state: WalkState) => {
    const call = newCall(className.slice(className.lastIndexOf('.') + 1), lineOf(node), state);
    const line = lineOf(node);
    later.push(() => (call.callee = { k: 'name', name: className, line }));
    return { call, ...withArguments(call, node, state) };
  };

  const recordCreation = (node: Node, type: string | undefined, state: WalkState) => {
    if (!type) return;
    const created = recordConstructorCall(node, type, state);
    // Unity: `yield return new WaitForSeconds(2f);` suspends the coroutine for that many seconds.
    const delay = created.positional[0];
    if (UNITY_WAIT.test(type) && node.parent?.type === 'yield_statement' && delay) {
      recordWait(created.call, delay, SECONDS, state);
      pending.push({ call: created.call, node, state });
      if (withSites && !state.test)
        facts.sites.push({
          call: created.call,
          anchor: snippet(node),
          args: created.positional.map(snippet),
          named: created.named.map(([k, v]) => [k, snippet(v)]),
          direct: directWait(delay, SECONDS, state),
        });
    }
    // `new RetryOptions { Delay = … }`: the new object's members are set.
    const initializer =
      field(node, 'initializer') ?? namedChildren(node).find((c) => c.type === 'initializer_expression');
    for (const assignment of initializer ? namedChildren(initializer) : []) {
      if (assignment.type !== 'assignment_expression') continue;
      initialised.add(assignment.id);
      const left = field(assignment, 'left');
      const right = field(assignment, 'right');
      if (left?.type !== 'identifier' || !right) continue;
      const name = left.text;
      write(
        () => ({ kind: 'member', object: lower(node, state), name }),
        () => lower(right, state),
        '=',
        state,
        lineOf(assignment),
      );
    }
  };

  const recordInvocation = (node: Node, state: WalkState) => {
    const call = shape(node);
    if (!call || NOT_A_CALL.has(call.name)) return;
    const { name, positional, named } = call;
    // `client.UseDisconnectedHandler(async e => …)`: a handler registered by a method, not by `+=`.
    const registered = HANDLER_REGISTRATION.exec(name);
    const event = registered?.[1] ?? registered?.[2] ?? '';
    const handler = positional[0];
    if (LOST_EVENT.test(event) && handler && LAMBDAS.has(handler.type)) handlers.set(handler.id, event);
    const direct = isBuiltinWait(call);
    const fact = newCall(name, call.line, state);
    later.push(() => {
      const scope = nameScope(state);
      const lowered = (n: Node) => lower(n, state);
      fact.callee = calleeExpr(call, scope, lowered);
      fact.args = positional.map(lowered);
      fact.named = named.map(([k, v]) => [k, lowered(v)]);
    });
    const delay = direct
      ? (named.find(([k]) => DELAY_ARGUMENT.includes(k))?.[1] ?? positional[0] ?? null)
      : null;
    const own = isOwnCall(call);
    if (state.fn) {
      let calls = callsIn.get(state.fn.id);
      if (!calls) callsIn.set(state.fn.id, (calls = []));
      calls.push({ start: node.startIndex, name });
      stats.get(state.fn.id)!.calls += 1;
      if (isRandomCall(call)) state.fn.random = true;
      if (own && name === state.fn.name) state.fn.recursive = true;
    }
    if (direct) recordWait(fact, delay, MS, state);
    // Only waits the language knows, and calls the class's own code or an object's method named for
    // pausing or connecting can be behind, can pause a retry or restart one (an untyped receiver's
    // `Flush()` must not make every repository `Flush` that waits a retry's pause). Another file's own waits are never judged from here:
    // only its calls' frames matter (a `Reconnect()` or a `backoff.Delay()` called from a `catch`).
    const onVariable =
      VARIABLE_RECEIVER.test(call.objectText) && (PAUSE_METHOD.test(name) || CONNECT_CALL.test(name));
    if (!own && !onVariable && !(direct && withSites)) return;
    pending.push({ call: fact, node, state });
    // A call without arguments waits only through a pause helper's own delay (`pauseOf`); a call on
    // an object only lends its frame to the method it reaches (`retryThroughCallers`).
    if (!withSites || state.test || (!own && !direct)) return;
    const site: CallSite = {
      call: fact,
      anchor: snippet(node),
      args: positional.map(snippet),
      named: named.map(([k, v]) => [k, snippet(v)]),
    };
    if (direct && delay) site.direct = directWait(delay, MS, state);
    facts.sites.push(site);
  };

  /** A wait the platform provides: its function sleeps (a sleep helper when it is small). */
  const recordWait = (fact: CallFact, delay: Node | null, unitMs: number, state: WalkState) => {
    directWaits.add(fact);
    if (!state.fn) return;
    const body = stats.get(state.fn.id)!;
    if (body.sleep) return;
    body.sleep = { argument: delay };
    sleepScopes.set(state.fn.id, { state, unitMs });
  };

  const directWait = (delay: Node, unitMs: number, state: WalkState): NonNullable<CallSite['direct']> => {
    const wait: NonNullable<CallSite['direct']> = {
      delay: { k: 'todo', what: 'pending' },
      argument: snippet(delay),
      unitMs,
      confidence: 'high',
      byNameOnly: false,
    };
    later.push(() => (wait.delay = lower(delay, state)));
    return wait;
  };

  // One query yields the fact-bearing nodes in document order; the scope around each is a stack of
  // the types, functions and loops still open at its start.
  let current: WalkState = { repeats: false, test: false };
  for (const node of descendantsOfTypes(root, FACT_NODES)) {
    while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
    current = open[open.length - 1]?.state ?? { repeats: false, test: false };
    visit(node, current);
  }
  for (const finish of later) finish();
  for (const [key, map] of locals) facts.types.locals[key] = typedOnly(map);
  for (const scope of classScopes) facts.types.members[scope.fact.name] = typedOnly(scope.members);
  for (const fn of facts.functions) {
    const index = sleptParameter(fn, stats.get(fn.id)!, mentionsName);
    const slept = sleepScopes.get(fn.id);
    if (index >= 0) fn.sleeps = { param: index, unitMs: slept?.unitMs ?? MS };
    const paused = pausedArgument(fn, stats.get(fn.id)!, mentionsName);
    if (paused && slept) fn.pauses = { delay: lower(paused, slept.state), unitMs: slept.unitMs };
  }
  attachRetryFrames(pending, csharpRetryContext, undefined, (node) =>
    countedFailure(node, CSHARP_GRAMMAR.functions),
  );
  for (const { call, node, state } of pending) {
    if (call.retry || !directWaits.has(call)) continue;
    const context = state.handler
      ? handlerContext(state.handler, node, callsIn.get(state.fn!.id) ?? [])
      : state.repeats
        ? failureLoopContext(node)
        : retryOnceContext(node);
    if (context)
      call.retry = { trigger: context.trigger, counters: [...context.counters], evidence: context.evidence };
  }

  const lowerAt = (node: Node) => {
    let state: WalkState = { repeats: false, test: false };
    let start = -1;
    for (const scope of scopes) {
      if (scope.start <= node.startIndex && node.endIndex <= scope.end && scope.start >= start) {
        start = scope.start;
        state = scope.state;
      }
    }
    return { expr: lower(node, state), fn: state.fn, className: state.cls?.fact.name };
  };
  return { facts, lowerAt };
}

/** A wait in a close or error handler that connects again after it (RULES.md section 2). */
function handlerContext(
  event: string,
  wait: Node,
  calls: readonly { start: number; name: string }[],
): RetryContextResult | null {
  const start = wait.startIndex;
  const again = calls.find(
    (c) => c.start > start && RESTART_NAME.test(c.name.charAt(0).toLowerCase() + c.name.slice(1)),
  );
  if (!again) return null;
  return {
    trigger: { kind: 'error-event', detail: event },
    counters: new Set(),
    evidence: [
      `waits in the \`${event}\` handler (line ${lineOf(wait)})`,
      `which then calls \`${again.name}\``,
    ],
  };
}

function typedOnly(map: ReadonlyMap<string, string | undefined>): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const [name, type] of map) if (type) typed[name] = type;
  return typed;
}

function mentionsName(node: Node, name: string): boolean {
  return some(node, (n) => n.type === 'identifier' && n.text === name);
}

/** Variable initialisers of the function around `at`, by name (Polly's `var delays = Backoff…`). */
export function localInitializer(name: string, at: Node, functionTypes: ReadonlySet<string>): Node | null {
  let scope: Node | null = at.parent;
  while (scope && !functionTypes.has(scope.type) && scope.type !== 'compilation_unit') scope = scope.parent;
  if (!scope) return null;
  for (const declarator of descendantsOfTypes(scope, new Set(['variable_declarator']))) {
    const nameNode = field(declarator, 'name');
    if (nameNode?.text === name) return declaratorValue(declarator, nameNode);
  }
  return null;
}

export { FUNCTIONS as CSHARP_FUNCTION_NODES };
