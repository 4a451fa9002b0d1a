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
} from '../../flow/waits.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { lowerCallee, lowerGoNode, typeName, type GoLowering } from './lower.js';
import { callArguments, collectImports, isRandomCall, mentions, NS_PER_MS, qualified } from './package.js';
import { failureAt, FUNCTION_TYPES, retryContext } from './retry-context.js';

/**
 * The Go front end of the value-flow engine: one walk over a file's tree fills the facts
 * (`flow/ir.ts`) — imports, functions and methods (a method's class is its receiver's type), structs
 * (a struct literal is a call of its type, its fields the record constructor's), assignments,
 * calls with the retry context around those that may be retried, returns — and, for the file under
 * analysis, the call sites a wait may be.
 */

export interface GoFacts extends FileFacts {
  packageName: string;
  sites: CallSite[];
  /** Local name → import path, for the library checks. */
  importMap: Map<string, string>;
  /** The receiver name of each method (and of the function literals inside it), by function id. */
  receivers: Map<number, string>;
}

/** Milliseconds per nanosecond: what a wait's delay, lowered in nanoseconds, is scaled by. */
export const NS_UNIT_MS = 1 / NS_PER_MS;

/** Unresolved callees with these names are taken as sleeps, at lower confidence. */
const SLEEP_NAME =
  /^(sleep|Sleep|sleepCtx|SleepCtx|sleepContext|SleepContext|sleepWithContext|SleepWithContext|pause|Pause|wait|Wait)$/;
/** Injected clocks (`benbjohnson/clock`, `k8s.io/utils/clock`) sleep like `time`. */
const CLOCK_OPERAND = /(^|\.)(clock|clk|Clock)$/;
/** Arguments that are not the delay: a context, a logger. */
const NOT_A_DELAY = /^(ctx|context|c|log|logger)$|Context\(\)$/;
/** Go's predeclared functions and conversions: never the repository's code. */
const PREDECLARED = new Set([
  'append',
  'cap',
  'clear',
  'close',
  'complex',
  'copy',
  'delete',
  'imag',
  'len',
  'make',
  'max',
  'min',
  'new',
  'panic',
  'print',
  'println',
  'real',
  'recover',
  'string',
  'int',
  'int64',
  'int32',
  'uint',
  'uint64',
  'uint32',
  'float64',
  'float32',
  'byte',
  'rune',
  'bool',
]);
const FACT_NODES = new Set([
  ...FUNCTION_TYPES,
  'package_clause',
  'import_declaration',
  'type_spec',
  'const_spec',
  'var_spec',
  'short_var_declaration',
  'assignment_statement',
  'inc_statement',
  'dec_statement',
  'for_statement',
  'return_statement',
  'call_expression',
  'composite_literal',
  'labeled_statement',
  'goto_statement',
]);

interface WalkState {
  fn?: FunctionFact;
  /** The method's receiver: its name and its type. */
  receiver?: { name: string; type: string };
  /** Inside a loop of the current function (a wait here may repeat). */
  repeats: boolean;
}

export function extractGoFacts(path: string, root: Node, withSites: boolean): GoFacts {
  const importMap = new Map<string, string>();
  const facts: GoFacts = {
    path,
    packageName: '',
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
    importMap,
    receivers: new Map(),
  };
  const lowered = new Map<number, Expr>();
  const lowering = (state: WalkState): GoLowering => ({ imports: importMap, receiver: state.receiver?.name });
  // A node is lowered with the receiver of the method it stands in.
  let at: GoLowering = lowering({ repeats: false });
  const lowerInScope = lowerOnce((node, recurse) => lowerGoNode(node, at, recurse), lowered);
  const lower = (node: Node, state: WalkState): Expr => {
    at = lowering(state);
    return lowerInScope(node);
  };
  const stats = new Map<number, BodyCount<Node>>();
  /** Names each function declares (parameters, `:=`, `var`): an `=` to any other name sets a package variable. */
  const declared = new Map<number, Set<string>>();
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];
  const labels = new Set<string>();
  /** Functions with a `goto` back to an earlier label. */
  const jumpsBack = new Set<number>();

  const isDeclared = (name: string, state: WalkState): boolean => {
    for (let fn = state.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent])
      if (declared.get(fn.id)?.has(name)) return true;
    return state.receiver?.name === name;
  };

  const assign = (
    target: Node,
    value: Expr,
    op: AssignmentFact['op'],
    state: WalkState,
    line: number,
    declares: boolean,
  ) => {
    const to = targetOf(target, state, (n) => lower(n, state));
    if (!to) return;
    if (to.kind === 'name' && state.fn) {
      if (declares) declared.get(state.fn.id)!.add(to.name);
      else if (!isDeclared(to.name, state)) {
        // A package variable set inside a function is no constant: the package-level binding says so.
        facts.assignments.push({
          target: to,
          op: 'other',
          value: { k: 'todo', what: 'set at run time' },
          line,
        });
        return;
      }
    }
    facts.assignments.push({ target: to, op, value, fn: state.fn?.id, line });
  };

  /**
   * `a, b := x, y` pairs up; `n, err := strconv.Atoi(s)` binds `n` to what was parsed; `d, err := f()`
   * binds each name to a value that cannot be followed.
   */
  const assignLists = (
    left: Node[],
    right: Node[],
    op: AssignmentFact['op'],
    state: WalkState,
    line: number,
    declares: boolean,
  ) => {
    const parsed = right.length === 1 && left.length === 2 ? parsedFrom(right[0]!, importMap) : null;
    left.forEach((target, index) => {
      const value = right.length === left.length ? right[index] : index === 0 && parsed ? parsed : undefined;
      if (value) assign(target, lower(value, state), op, state, line, declares);
      else assign(target, { k: 'todo', what: 'one of several results' }, 'other', state, line, declares);
    });
  };

  const open: { end: number; state: WalkState }[] = [];
  const enter = (node: Node, state: WalkState) => open.push({ end: node.endIndex, state });

  const visit = (node: Node, state: WalkState): void => {
    const line = node.startPosition.row + 1;
    switch (node.type) {
      case 'package_clause':
        facts.packageName = node.namedChild(0)?.text ?? '';
        return;
      case 'import_declaration':
        collectImports(node, importMap);
        return;
      case 'function_declaration':
      case 'method_declaration':
      case 'func_literal':
        return defineFunction(node, state);
      case 'type_spec':
        return defineStruct(node);
      case 'const_spec':
      case 'var_spec': {
        const names = node.childrenForFieldName('name').filter((n): n is Node => !!n);
        const values = field(node, 'value');
        // `var d time.Duration` is the zero value until something sets it; `const ( A = iota; B )` repeats.
        if (!values) return;
        assignLists(names, namedChildren(values), '=', state, line, true);
        return;
      }
      case 'short_var_declaration':
      case 'assignment_statement': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (!left || !right) return;
        const operator = field(node, 'operator')?.text ?? ':=';
        // `if d > max { d = max }` bounds the value without changing its shape (Go before `min`).
        if (operator === '=' && isClamp(node)) return;
        const op = assignmentOp(operator);
        assignLists(
          namedChildren(left),
          namedChildren(right),
          op,
          state,
          line,
          node.type === 'short_var_declaration',
        );
        return;
      }
      case 'inc_statement':
      case 'dec_statement': {
        const target = node.namedChild(0);
        if (target)
          assign(
            target,
            { k: 'num', value: 1 },
            node.type === 'inc_statement' ? '+=' : '-=',
            state,
            line,
            false,
          );
        return;
      }
      case 'for_statement': {
        if (state.fn) stats.get(state.fn.id)!.control = true;
        const range = namedChildren(node).find((c) => c.type === 'range_clause');
        const left = range ? field(range, 'left') : null;
        if (range && left) {
          const right = field(range, 'right');
          const [key, item] = namedChildren(left);
          const schedule = right ? lower(right, state) : null;
          if (key) assign(key, { k: 'todo', what: 'a loop index' }, 'each', state, line, true);
          if (item)
            assign(
              item,
              schedule?.k === 'table' ? schedule : { k: 'todo', what: 'a loop value' },
              'each',
              state,
              line,
              true,
            );
        }
        enter(node, { ...state, repeats: true });
        return;
      }
      case 'return_statement': {
        const list = node.namedChild(0);
        const values = list ? namedChildren(list) : [];
        // `return d, nil`: only single results are delays a helper computes.
        if (state.fn && values.length === 1) state.fn.returns.push(lower(values[0]!, state));
        return;
      }
      case 'call_expression':
        return recordCall(node, state);
      case 'composite_literal':
        return recordLiteral(node, state);
      case 'labeled_statement': {
        const label = field(node, 'label')?.text;
        if (state.fn && label) labels.add(`${state.fn.id}:${label}`);
        return;
      }
      case 'goto_statement': {
        // A jump back to a label before it repeats what lies between: a loop without `for`.
        const label = node.namedChild(0)?.text;
        if (state.fn && label && labels.has(`${state.fn.id}:${label}`)) jumpsBack.add(state.fn.id);
        return;
      }
    }
  };

  const defineFunction = (node: Node, state: WalkState) => {
    const isMethod = node.type === 'method_declaration';
    const receiverNode = isMethod ? field(node, 'receiver')?.namedChild(0) : null;
    const receiverType = receiverNode ? declaredType(field(receiverNode, 'type')) : undefined;
    const receiverName = receiverNode ? field(receiverNode, 'name')?.text : undefined;
    const receiver = isMethod
      ? receiverType
        ? { name: receiverName ?? '', type: receiverType }
        : undefined
      : node.type === 'func_literal'
        ? state.receiver
        : undefined;
    const fn = newFunction(
      facts.functions.length,
      node.type === 'func_literal' ? '' : (field(node, 'name')?.text ?? ''),
      { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
      {
        className: receiver?.type,
        parent: node.type === 'func_literal' ? state.fn?.id : undefined,
        isConstructor: false,
      },
    );
    facts.functions.push(fn);
    if (receiver?.name) facts.receivers.set(fn.id, receiver.name);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const names = new Set<string>();
    declared.set(fn.id, names);
    for (const declaration of namedChildren(field(node, 'parameters') ?? node)) {
      if (
        declaration.type !== 'parameter_declaration' &&
        declaration.type !== 'variadic_parameter_declaration'
      )
        continue;
      const type =
        declaration.type === 'parameter_declaration' ? declaredType(field(declaration, 'type')) : undefined;
      const declaredNames = declaration.childrenForFieldName('name').filter((n): n is Node => !!n);
      if (declaredNames.length === 0) fn.params.push({ name: '' });
      for (const name of declaredNames) {
        fn.params.push(type ? { name: name.text, type } : { name: name.text });
        names.add(name.text);
      }
    }
    // Named results are variables of the body.
    const result = field(node, 'result');
    if (result?.type === 'parameter_list')
      for (const declaration of namedChildren(result))
        for (const name of declaration.childrenForFieldName('name')) if (name) names.add(name.text);
    enter(node, { fn, receiver, repeats: false });
  };

  const defineStruct = (node: Node) => {
    const type = field(node, 'type');
    const name = field(node, 'name')?.text;
    if (!name || type?.type !== 'struct_type') return;
    const cls: ClassFact = {
      name,
      line: node.startPosition.row + 1,
      bases: [],
      recordFields: [],
      fieldTypes: {},
    };
    const list = namedChildren(type).find((c) => c.type === 'field_declaration_list');
    for (const declaration of list ? namedChildren(list) : []) {
      if (declaration.type !== 'field_declaration') continue;
      const declaredIn = declaredType(field(declaration, 'type'));
      const names = declaration.childrenForFieldName('name').filter((n): n is Node => !!n);
      if (names.length === 0) {
        // An embedded struct: its fields and methods are the outer struct's too.
        if (declaredIn) {
          cls.bases.push(declaredIn);
          cls.recordFields!.push(declaredIn.slice(declaredIn.lastIndexOf('.') + 1));
        }
        continue;
      }
      for (const field of names) {
        cls.recordFields!.push(field.text);
        if (declaredIn) cls.fieldTypes![field.text] = declaredIn;
      }
    }
    facts.classes.push(cls);
  };

  /** A struct literal is a call of its type: the record constructor's call sites are its literals. */
  const recordLiteral = (node: Node, state: WalkState) => {
    const type = field(node, 'type');
    const callee = type ? typeName(type, lowering(state)) : null;
    const expr = lower(node, state);
    if (!callee || expr.k !== 'call') return;
    const call: CallFact = {
      callee,
      calleeName: callee.k === 'member' ? callee.name : callee.k === 'name' ? callee.name : '',
      args: expr.args,
      named: expr.named,
      line: node.startPosition.row + 1,
      spread: false,
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
  };

  const recordCall = (node: Node, state: WalkState) => {
    const callee = field(node, 'function');
    if (!callee) return;
    // Each read of a node's type is a call into the engine: once here.
    const calleeType = callee.type;
    const operand = calleeType === 'selector_expression' ? field(callee, 'operand') : null;
    const calleeName =
      calleeType === 'selector_expression'
        ? (field(callee, 'field')?.text ?? '')
        : calleeType === 'identifier'
          ? callee.text
          : '';
    const name = qualified(callee, importMap);
    const args = callArguments(node);
    const variadic = args.map((a) => a.type === 'variadic_argument');
    if (state.fn) {
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      if (isRandomCall(callee, importMap, name)) state.fn.random = true;
      if (!own.sleep && isTimeWait(name, operand)) own.sleep = { argument: args[0] ?? null };
      const receiverCall = !!operand && operand.text === state.receiver?.name;
      if (
        calleeName === state.fn.name &&
        ((calleeType === 'identifier' && !state.fn.className) || (receiverCall && !!state.fn.className))
      )
        state.fn.recursive = true;
    }
    const call: CallFact = {
      callee: lowerCallee(callee, lowering(state), (n) => lower(n, state)),
      calleeName,
      args: args.map((a, index) => lower(variadic[index] ? (a.namedChild(0) ?? a) : a, state)),
      named: [],
      line: node.startPosition.row + 1,
      spread: variadic.includes(true),
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    const direct = directWait(node, callee, operand, name, args, state);
    // Only calls the repository's code can be behind (not the standard library's, not a builtin),
    // or waits the language knows, can pause a retry or restart one.
    const importPath = operand?.type === 'identifier' ? importMap.get(operand.text) : undefined;
    const own =
      (calleeType === 'identifier' && !PREDECLARED.has(callee.text)) ||
      (calleeType === 'selector_expression' &&
        (importPath === undefined || importPath.split('/')[0]!.includes('.')));
    if (!own && !direct) return;
    pending.push({ call, node, state });
    // A call without arguments waits only through a pause helper's own delay (`pauseOf`).
    if (!withSites) return;
    facts.sites.push({
      call,
      anchor: snippet(node),
      args: args.map(snippet),
      named: [],
      direct: direct ?? undefined,
    });
  };

  const directWait = (
    node: Node,
    callee: Node,
    operand: Node | null,
    name: string,
    args: Node[],
    state: WalkState,
  ): CallSite['direct'] | null => {
    const at = (delay: Node | undefined, confidence: 'high' | 'medium', byNameOnly: boolean) =>
      delay
        ? { delay: lower(delay, state), argument: snippet(delay), unitMs: NS_UNIT_MS, confidence, byNameOnly }
        : null;
    const member = callee.type === 'selector_expression' ? (field(callee, 'field')?.text ?? '') : callee.text;
    if (name === 'time.Sleep' || name === 'time.NewTimer') return at(args[0], 'high', false);
    if (name === 'time.After') return isReceived(node) ? at(args[0], 'high', false) : null;
    if (operand && CLOCK_OPERAND.test(operand.text)) {
      if (member === 'Sleep' || (member === 'After' && isReceived(node))) return at(args[0], 'high', false);
      return null;
    }
    if (!SLEEP_NAME.test(member)) return null;
    // `pkg.Sleep(d)` of a package outside the repository says nothing by its name.
    if (operand?.type === 'identifier' && importMap.has(operand.text)) return null;
    return at(
      args.find((arg) => !NOT_A_DELAY.test(arg.text)),
      'medium',
      true,
    );
  };

  for (const node of descendantsOfTypes(root, FACT_NODES)) {
    while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
    visit(node, open[open.length - 1]?.state ?? { repeats: false });
  }
  for (const [local, module] of importMap) facts.imports.push({ local, module });
  for (const fn of facts.functions) {
    const index = sleptParameter(fn, stats.get(fn.id)!, mentions);
    if (index >= 0) fn.sleeps = { param: index, unitMs: NS_UNIT_MS };
    // Lowered with its receiver in scope when the sleep's call was recorded.
    const paused = pausedArgument(fn, stats.get(fn.id)!, mentions);
    const delay = paused && lowered.get(paused.id);
    if (delay) fn.pauses = { delay, unitMs: NS_UNIT_MS };
  }
  attachRetryFrames(
    pending.map((p) =>
      p.state.fn && jumpsBack.has(p.state.fn.id) ? { ...p, state: { ...p.state, repeats: true } } : p,
    ),
    retryContext,
    { facts, failureAt, sites: facts.sites },
    (node) => countedFailure(node, FUNCTION_TYPES),
  );
  return facts;
}

/** Parsers whose first result is the value of their first argument (a number or a duration, as text). */
const PARSERS = /^(strconv\.(Atoi|ParseInt|ParseUint|ParseFloat)|time\.ParseDuration)$/;

/** `strconv.Atoi(s)` → `s`: parsing keeps where the value came from (a header, a variable, a literal). */
function parsedFrom(value: Node, imports: ReadonlyMap<string, string>): Node | null {
  if (value.type !== 'call_expression') return null;
  const callee = field(value, 'function');
  if (!callee || !PARSERS.test(qualified(callee, imports))) return null;
  return callArguments(value)[0] ?? null;
}

/** `x = y` as the whole body of `if x > y`, `if x >= y`, `if x < y` or `if x <= y`: a clamp. */
function isClamp(assignment: Node): boolean {
  const left = field(assignment, 'left');
  const right = field(assignment, 'right');
  if (left?.namedChildCount !== 1 || right?.namedChildCount !== 1) return false;
  const list = assignment.parent;
  const statement = list?.parent?.parent;
  if (list?.namedChildCount !== 1 || statement?.type !== 'if_statement') return false;
  const condition = field(statement, 'condition');
  if (condition?.type !== 'binary_expression' || !/^[<>]=?$/.test(field(condition, 'operator')?.text ?? ''))
    return false;
  const sides = [field(condition, 'left')?.text, field(condition, 'right')?.text];
  return sides.includes(left.text) && sides.includes(right.text);
}

/** `time.Sleep(d)`, `time.After(d)`, `time.NewTimer(d)`, or an injected clock's: waits its argument. */
function isTimeWait(name: string, operand: Node | null): boolean {
  if (/^time\.(Sleep|After|NewTimer)$/.test(name)) return true;
  return !!operand && CLOCK_OPERAND.test(operand.text) && /\.(Sleep|After)$/.test(name);
}

/** `<-time.After(d)`, possibly as a `select` case: the receive is what waits. */
function isReceived(call: Node): boolean {
  const parent = call.parent;
  return parent?.type === 'unary_expression' && field(parent, 'operator')?.text === '<-';
}

/** The named type a declaration states: `*Client` → `Client`, `pkg.Config`, `List[T]` → `List`. */
function declaredType(type: Node | null): string | undefined {
  if (!type) return undefined;
  switch (type.type) {
    case 'pointer_type':
      return declaredType(type.namedChild(0));
    case 'type_identifier':
      return type.text;
    case 'qualified_type':
      return type.text;
    case 'generic_type':
      return declaredType(field(type, 'type'));
    default:
      return undefined;
  }
}

function targetOf(node: Node, state: WalkState, lower: (n: Node) => Expr): AssignTarget | null {
  if (node.type === 'identifier') return node.text === '_' ? null : { kind: 'name', name: node.text };
  if (node.type === 'selector_expression') {
    const object = field(node, 'operand');
    const name = field(node, 'field')?.text ?? '';
    if (!object) return null;
    if (state.receiver && object.type === 'identifier' && object.text === state.receiver.name)
      return { kind: 'field', className: state.receiver.type, name };
    return { kind: 'member', object: lower(object), name };
  }
  if (node.type === 'parenthesized_expression' && node.namedChild(0))
    return targetOf(node.namedChild(0)!, state, lower);
  return null;
}
