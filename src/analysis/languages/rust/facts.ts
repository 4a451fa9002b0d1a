import type {
  AssignmentFact,
  AssignTarget,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
  ImportFact,
} from '../../flow/ir.js';
import { assignmentOp, newFunction } from '../../flow/ir.js';
import {
  attachRetryFrames,
  sleptParameter,
  type BodyCount,
  type CallSite,
  type RetryContextResult,
} from '../../flow/waits.js';
import { ATTEMPT_NAME } from '../../context.js';
import { retryContext, type ContextGrammar, type FailurePath } from '../java/retry-context.js';
import { countedFailure } from '../tree-sitter/counted-failure.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node, Tree } from '../tree-sitter/runtime.js';
import {
  ancestorPath,
  descendantsOfTypes,
  exitLineAfter,
  field,
  lineOf,
  namedChildren,
  some,
} from '../tree-sitter/syntax.js';
import { unitMs } from '../tree-sitter/durations.js';
import { pauseBeforeAttempt, retryHookWait, RUST_GRAMMAR } from './context.js';
import {
  argumentsOf,
  calleeNameOf,
  calleeOf,
  lowerRust,
  RANDOM_CALL,
  tailOf,
  type RustLowering,
} from './lower.js';
import { macroCall, reparseItems, reparseMacroArms, withFileText } from './macros.js';
import { crateName, useImports } from './modules.js';

/**
 * The Rust front end of the value-flow engine: one walk over a file fills the facts (`flow/ir.ts`) —
 * `use` and `mod` declarations, functions and methods (`&self` methods belong to their `impl`'s
 * type), structs (their fields, set by struct literals, which lower to calls of the struct with named
 * arguments), `const`/`static` items, `let` bindings and assignments, returns and tail expressions,
 * and calls with the retry context around those that may be retried — and, for the file under
 * analysis, the call sites a wait may be.
 */

export interface RsFacts extends FileFacts {
  sites: CallSite[];
  /** Lines of `#[cfg(test)]` modules and `#[test]` functions. */
  testLines: [number, number][];
}

/**
 * `std::thread::sleep(d)`, `tokio::time::sleep(d)`, `async_std::task::sleep(d)` and the same names
 * brought in by `use`; the older `tokio::time::delay_for`, smol's `Timer::after` and futures-timer's
 * `Delay::new`.
 */
const SLEEP_PATH =
  /^(?:(?:::)?(?:std::)?thread::|(?:::)?tokio::time::|(?:::)?async_std::task::|time::|task::)?(sleep|delay_for)$|^(?:\w+::)*(Timer::after|Delay::new)$/;
/** A bare `sleep(d)` is a wait only when it resolves to nothing in the repository. */
const BARE_SLEEP = /^(sleep|delay_for)$/;
/** Attributes that make a function or module test code (RULES.md section 1). */
const TEST_ATTRIBUTE = /^#\[(test|tokio::test|async_std::test|rstest|cfg\(test\)|bench)\b/;
/** `#[serde(default = "path::to_fn")]`: the function that gives a missing field its value. */
const SERDE_DEFAULT = /^#\[serde\([^\]]*\bdefault\s*=\s*"([\w:]+)"/;
/** Types whose value is their one type argument, for a field's or parameter's class. */
const WRAPPER_TYPE = /^(Arc|Rc|Box|Option|Cow|RefCell|Mutex|RwLock)$/;
const PRIMITIVE = /^(u|i|f)(8|16|32|64|128|size)$|^(bool|char|str|String|Duration|Instant|Self|_)$/;
/** Paths of the standard library and common crates: no repository code is behind them. */
const STD_PATH =
  /^(::)?(std|core|alloc|tokio|futures|serde_json|log|tracing|rand|fastrand|Duration|Instant|String|Vec|Box|Arc|Rc|HashMap|Ok|Err|Some)::/;
/**
 * Macro bodies parsed again per file: enough for a config module's `lazy_static!` and a retry macro's
 * arms, bounded for hostile code.
 */
const MAX_MACRO_BODIES = 16;
const ITEMS_IN_MACRO = /\b(fn|static|const)\s/;
const FACT_NODES = new Set([
  'use_declaration',
  'mod_item',
  'struct_item',
  'enum_item',
  'impl_item',
  'trait_item',
  'function_item',
  'const_item',
  'static_item',
  'let_declaration',
  'let_condition',
  'assignment_expression',
  'compound_assignment_expr',
  'for_expression',
  'while_expression',
  'loop_expression',
  'return_expression',
  'call_expression',
  'struct_expression',
  'macro_definition',
  'macro_invocation',
]);

interface WalkState {
  fn?: FunctionFact;
  /** The type of the `impl` (or trait) around the code: `self` and `Self` are it. */
  implType?: string;
  /** Inside a loop of the current function (a wait here may repeat). */
  repeats: boolean;
  /** Inside `#[cfg(test)]` or a `#[test]` function. */
  test: boolean;
}

export function extractRustFacts(path: string, root: Node, withSites: boolean): RsFacts {
  const facts: RsFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
    testLines: [],
  };
  const paths = new Set<string>();
  const modules: string[] = [];
  const implTypes = new Set<string>();
  // Calls are lowered as arguments and again as calls of their own: once is enough.
  const calls = new Map<number, Expr>();
  const lowerIn = (node: Node, state: WalkState): Expr => {
    const context: RustLowering = { paths, calls };
    if (state.implType) context.implType = state.implType;
    return lowerRust(node, context);
  };
  const stats = new Map<number, BodyCount<Node>>();
  /** Calls that are waits the language knows (by node id). */
  const directWaits = new Set<number>();
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];

  const macros: { node: Node; state: WalkState }[] = [];
  const definitions: { node: Node; state: WalkState }[] = [];
  const open: { end: number; state: WalkState }[] = [];
  const enter = (node: Node, state: WalkState) => {
    if (state.test && !open[open.length - 1]?.state.test)
      facts.testLines.push([node.startPosition.row + 1, node.endPosition.row + 1]);
    open.push({ end: node.endIndex, state });
  };
  const top: WalkState = { repeats: false, test: false };

  const assign = (
    target: AssignTarget,
    value: Expr,
    op: AssignmentFact['op'],
    state: WalkState,
    node: Node,
  ) => {
    const fact: AssignmentFact = { target, op, value, line: node.startPosition.row + 1 };
    if (state.fn) fact.fn = state.fn.id;
    facts.assignments.push(fact);
  };

  const targetOf = (left: Node, state: WalkState): AssignTarget | null => {
    if (left.type === 'identifier') return { kind: 'name', name: left.text };
    if (left.type !== 'field_expression') return null;
    const object = field(left, 'value');
    const name = field(left, 'field')?.text ?? '';
    if (!object) return null;
    if (object.type === 'self' && state.implType) return { kind: 'field', className: state.implType, name };
    return { kind: 'member', object: lowerIn(object, state), name };
  };

  /** Macros among the items of a file, module or impl (not the `println!`s of function bodies). */
  const itemMacros = (container: Node, state: WalkState) => {
    for (const item of namedChildren(container))
      if (item.type === 'macro_invocation' && ITEMS_IN_MACRO.test(item.text))
        macros.push({ node: item, state });
  };

  const visit = (node: Node, state: WalkState): void => {
    switch (node.type) {
      case 'use_declaration':
        facts.imports.push(...useImports(node));
        return;
      case 'mod_item': {
        const name = field(node, 'name')?.text ?? '';
        const body = field(node, 'body');
        if (!body) modules.push(name);
        else {
          const inner = { ...state, test: state.test || isTest(node) };
          itemMacros(body, inner);
          enter(node, inner);
        }
        return;
      }
      case 'struct_item':
        return defineStruct(node, state);
      case 'enum_item':
        facts.classes.push({
          name: field(node, 'name')?.text ?? '',
          line: node.startPosition.row + 1,
          bases: [],
        });
        return;
      case 'impl_item':
      case 'trait_item': {
        const type = node.type === 'impl_item' ? typeName(field(node, 'type')) : field(node, 'name')?.text;
        if (type) implTypes.add(type);
        const inner: WalkState = { repeats: false, test: state.test, ...(type ? { implType: type } : {}) };
        const body = field(node, 'body');
        if (body) itemMacros(body, inner);
        enter(node, inner);
        return;
      }
      case 'function_item':
        return defineFunction(node, state);
      case 'const_item':
      case 'static_item': {
        const name = field(node, 'name')?.text ?? '';
        const value = field(node, 'value');
        if (!value) return;
        // An associated constant (`Self::PAUSE`) is a field of the impl's type.
        const target: AssignTarget =
          state.implType && !state.fn
            ? { kind: 'field', className: state.implType, name }
            : { kind: 'name', name };
        assign(target, lowerIn(value, state), '=', state, node);
        return;
      }
      case 'let_declaration': {
        const pattern = field(node, 'pattern');
        const value = field(node, 'value');
        if (pattern?.type === 'identifier' && value)
          assign({ kind: 'name', name: pattern.text }, lowerIn(value, state), '=', state, node);
        return;
      }
      case 'let_condition': {
        // `if let Some(delay) = schedule.next()`, `while let Ok(d) = rx.recv()`: the payload is the value.
        const pattern = field(node, 'pattern');
        const value = field(node, 'value');
        const payload = pattern?.type === 'tuple_struct_pattern' ? namedChildren(pattern) : [];
        if (
          value &&
          payload.length === 2 &&
          /^(Some|Ok)$/.test(payload[0]!.text) &&
          payload[1]!.type === 'identifier'
        )
          assign({ kind: 'name', name: payload[1]!.text }, lowerIn(value, state), '=', state, node);
        return;
      }
      case 'assignment_expression':
      case 'compound_assignment_expr': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const target = left ? targetOf(left, state) : null;
        if (!target || !right) return;
        const op =
          node.type === 'assignment_expression' ? '=' : assignmentOp(field(node, 'operator')?.text ?? '');
        assign(target, lowerIn(right, state), op, state, node);
        return;
      }
      case 'for_expression': {
        const pattern = field(node, 'pattern');
        const value = field(node, 'value');
        if (state.fn) stats.get(state.fn.id)!.control = true;
        if (pattern?.type === 'identifier' && value) {
          // `for delay in [1, 2, 4]` walks a schedule; any other loop value is read at run time.
          const each: Expr =
            value.type === 'array_expression' ? lowerIn(value, state) : { k: 'todo', what: 'a loop value' };
          assign({ kind: 'name', name: pattern.text }, each, 'each', state, node);
        }
        enter(node, { ...state, repeats: true });
        return;
      }
      case 'while_expression':
      case 'loop_expression':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        enter(node, { ...state, repeats: true });
        return;
      case 'return_expression': {
        const value = node.namedChild(0);
        if (value && state.fn) state.fn.returns.push(lowerIn(value, state));
        return;
      }
      case 'call_expression':
        return recordCall(node, state);
      case 'macro_definition':
        definitions.push({ node, state });
        return;
      case 'macro_invocation':
        return recordMacroCall(node, state);
      case 'struct_expression': {
        // A struct literal sets the struct's fields: a call of the struct with named arguments.
        const expr = lowerIn(node, state);
        if (expr.k !== 'call' || expr.callee.k !== 'name') return;
        const call: CallFact = {
          callee: expr.callee,
          calleeName: expr.callee.name,
          args: [],
          named: expr.named,
          line: expr.line,
          spread: false,
        };
        if (state.fn) call.fn = state.fn.id;
        facts.calls.push(call);
        return;
      }
    }
  };

  const defineStruct = (node: Node, state: WalkState) => {
    const name = field(node, 'name')?.text ?? '';
    const cls: ClassFact = { name, line: node.startPosition.row + 1, bases: [], recordFields: [] };
    facts.classes.push(cls);
    const body = field(node, 'body');
    if (!body) return;
    const ordered = body.type === 'ordered_field_declaration_list';
    // Attributes (`#[serde(default = "default_retry_ms")]`) are the siblings before a field.
    let attributes: Node[] = [];
    const declarations: { declaration: Node; attributes: Node[] }[] = [];
    for (const child of namedChildren(body)) {
      if (child.type === 'attribute_item') attributes.push(child);
      else if (child.type === 'field_declaration' || (ordered && child.type !== 'visibility_modifier')) {
        declarations.push({ declaration: child, attributes });
        attributes = [];
      }
    }
    for (const [index, { declaration, attributes }] of declarations.entries()) {
      const fieldName = ordered ? String(index) : (field(declaration, 'name')?.text ?? '');
      cls.recordFields!.push(fieldName);
      // A field a deserialised config leaves out takes its serde default: the code's own value.
      for (const attribute of attributes) {
        const fallback = SERDE_DEFAULT.exec(attribute.text)?.[1];
        if (!fallback) continue;
        const line = attribute.startPosition.row + 1;
        const callee: Expr = fallback.includes('::')
          ? {
              k: 'member',
              object: { k: 'name', name: fallback.replace(/::\w+$/, ''), line },
              name: fallback.replace(/^.*::/, ''),
              line,
            }
          : { k: 'name', name: fallback, line };
        assign(
          { kind: 'field', className: name, name: fieldName },
          { k: 'call', callee, args: [], named: [], line },
          '=',
          state,
          attribute,
        );
      }
      // The declared type of a field tells the engine what `self.config.retry_delay` is: recorded as a
      // write that gives no value (`other`), only a class.
      const type = typeName(ordered ? declaration : field(declaration, 'type'));
      if (type && !PRIMITIVE.test(type))
        assign(
          { kind: 'field', className: name, name: fieldName },
          {
            k: 'call',
            callee: { k: 'name', name: type, line: cls.line },
            args: [],
            named: [],
            line: cls.line,
          },
          'other',
          state,
          declaration,
        );
    }
  };

  const defineFunction = (node: Node, state: WalkState) => {
    const name = field(node, 'name')?.text ?? '';
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
      { className: state.fn ? undefined : state.implType, parent: state.fn?.id, isConstructor: false },
    );
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const parameters = field(node, 'parameters');
    for (const param of parameters ? namedChildren(parameters) : []) {
      if (param.type !== 'parameter') continue;
      const pattern = field(param, 'pattern');
      const type = typeName(field(param, 'type'));
      fn.params.push({
        name: pattern?.type === 'identifier' ? pattern.text : '',
        ...(type && !PRIMITIVE.test(type) ? { type } : {}),
      });
    }
    const inner: WalkState = { fn, repeats: false, test: state.test || isTest(node) };
    if (state.implType) inner.implType = state.implType;
    const body = field(node, 'body');
    const last = body ? tailOf(body) : null;
    if (last) fn.returns.push(lowerIn(last, inner));
    enter(node, inner);
  };

  const recordCall = (node: Node, state: WalkState) => {
    const callee = calleeOf(node);
    if (!callee) return;
    // A method's receiver chain is calls of its own: only paths need their text.
    const calleeText = callee.type === 'field_expression' ? '' : callee.text.replace(/\s+/g, '');
    const expr = lowerIn(node, state);
    // The lowered call says what the node would (its callee's name, whose it is) without more reads.
    const calleeName = expr.k === 'call' ? lastName(expr.callee) : calleeNameOf(callee);
    const direct = SLEEP_PATH.test(calleeText) ? (argumentsOf(node)[0] ?? null) : null;
    if (state.fn) {
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      if (RANDOM_CALL.test(calleeText || calleeName)) state.fn.random = true;
      if (!own.sleep && direct) own.sleep = { argument: direct };
      if (calleeName === state.fn.name && callsItself(callee)) state.fn.recursive = true;
    }
    // `Duration::from_secs(5)`, `Some(d)` and `rand::random()` are values, not calls of the repository;
    // a call of its own code handed a random draw (`set_delay(jittered)`) is still a call.
    const own = expr.k === 'call' ? ownCall(expr.callee) : ownCallee(callee);
    if (expr.k !== 'call' && !own && !direct) return;
    const call: CallFact =
      expr.k === 'call'
        ? { callee: expr.callee, calleeName, args: expr.args, named: [], line: expr.line, spread: false }
        : {
            callee: lowerIn(callee, state),
            calleeName,
            args: argumentsOf(node).map((a) => lowerIn(a, state)),
            named: [],
            line: node.startPosition.row + 1,
            spread: false,
          };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    if (direct) directWaits.add(node.id);
    // Only calls the repository's own code can be behind, or waits the language knows, can pause a
    // retry or restart one: library chains (`client.get(url).send()`) are neither.
    if (!direct && !own) return;
    pending.push({ call, node, state });
    if (!withSites || state.test || call.args.length === 0) return;
    const args = argumentsOf(node);
    const anchor = node.parent?.type === 'await_expression' ? node.parent : node;
    facts.sites.push({
      call,
      anchor: snippet(anchor),
      args: args.map(snippet),
      named: [],
      ...(direct
        ? {
            direct: {
              delay: lowerIn(direct, state),
              argument: snippet(direct),
              unitMs: 1,
              confidence: 'high' as const,
              byNameOnly: BARE_SLEEP.test(calleeText),
            },
          }
        : {}),
    });
  };

  /** `retry!(fetch(), 3, 500)`: a call of the repository's macro, should it define one (see `macros.ts`). */
  const recordMacroCall = (node: Node, state: WalkState) => {
    const found = macroCall(node);
    if (!found) return;
    const line = node.startPosition.row + 1;
    const call: CallFact = {
      callee: { k: 'name', name: found.name, line },
      calleeName: found.name,
      args: found.args.map((arg) => (arg ? lowerIn(arg, state) : { k: 'todo', what: 'a macro argument' })),
      named: [],
      line,
      spread: false,
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    pending.push({ call, node, state });
  };

  const finish = () => {
    // `impl Foo` in a file that does not declare `Foo`: its methods still belong to a class here.
    for (const type of implTypes)
      if (!facts.classes.some((c) => c.name === type)) facts.classes.push({ name: type, line: 1, bases: [] });
    for (const name of modules) facts.imports.push({ local: name, module: 'self', name });
    for (const text of paths) {
      if (facts.imports.some((i) => i.local === text)) continue;
      const fact = qualifiedImport(text, facts.imports, crateName(path));
      if (fact) facts.imports.push(fact);
    }
    for (const fn of facts.functions) {
      const body = stats.get(fn.id)!;
      const index = sleptParameter(fn, body, mentionsName);
      if (index >= 0)
        fn.sleeps = { param: index, unitMs: unitOf(body.sleep!.argument!, fn.params[index]!.name) };
    }
    attachRetryFrames(
      pending,
      (node) =>
        retryContext(node, RUST_GRAMMAR) ??
        (directWaits.has(node.id) ? beforeAttempt(node, RUST_GRAMMAR) : null),
      { facts, failureAt, sites: facts.sites },
      (node) => countedFailure(node, RUST_GRAMMAR.functions),
    );
    for (const { call, node } of pending) {
      if (call.retry || !directWaits.has(node.id)) continue;
      const hooked = retryHookWait(node, failureAt(node));
      if (hooked) call.retry = hooked;
    }
  };

  const walk = (from: Node, base: WalkState) => {
    open.length = 0;
    itemMacros(from, base);
    for (const node of descendantsOfTypes(from, FACT_NODES)) {
      while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
      visit(node, open[open.length - 1]?.state ?? base);
    }
  };
  walk(root, top);
  // Items inside macros (`lazy_static! { static ref … }`, `cfg_blocking! { fn … }`) and the arms of
  // `macro_rules!` are token trees to the grammar: parsed again, in place, walked in the macro's scope.
  const bodies: Tree[] = [];
  try {
    for (let index = 0; index < macros.length && index < MAX_MACRO_BODIES; index += 1) {
      const body = reparseItems(root, macros[index]!.node);
      if (!body) continue;
      bodies.push(body);
      walk(body.rootNode, macros[index]!.state);
    }
    for (const { node, state } of definitions) {
      for (const arm of reparseMacroArms(root, node, MAX_MACRO_BODIES - bodies.length)) {
        bodies.push(arm);
        const from = facts.sites.length;
        walk(arm.rootNode, state);
        for (const site of facts.sites.slice(from)) withFileText(site, root.text);
      }
    }
    finish();
  } finally {
    for (const body of bodies) body.delete();
  }
  return facts;
}

/** A wait before each retried attempt (see `pauseBeforeAttempt`), as a retry context. */
function beforeAttempt(wait: Node, grammar: ContextGrammar): RetryContextResult | null {
  const found = pauseBeforeAttempt(wait);
  if (!found) return null;
  const counters = new Set([...grammar.loopVariables(found.loop), ...grammar.steppedNames(found.loop)]);
  const attemptVar = [...counters].find((name) => ATTEMPT_NAME.test(name)) ?? [...counters][0];
  return {
    trigger: found.path.trigger,
    counters,
    ...(attemptVar === undefined ? {} : { attemptVar }),
    evidence: [found.path.evidence, `inside ${grammar.loopWord(found.loop)} (line ${lineOf(found.loop)})`],
  };
}

/**
 * The failure path a call is on (an `Err` arm, an `if let Err`, or after an `if res.is_ok() { return … }`
 * earlier in its block), up to its function, repeated or not.
 */
function failureAt(call: Node): FailurePath | null {
  const path = failureAround(call);
  if (!path) return null;
  const exitsAt = exitLineAfter(call, RUST_GRAMMAR.functions, leavesFunction);
  return exitsAt === undefined ? path : { ...path, exitsAt };
}

/** `return …`, `panic!(…)`, `bail!(…)` as a statement. */
function leavesFunction(statement: Node): boolean {
  const inner = statement.type === 'expression_statement' ? statement.namedChild(0) : statement;
  return (
    inner?.type === 'return_expression' ||
    (inner?.type === 'macro_invocation' && /^(panic|bail|unreachable)!/.test(inner.text))
  );
}

function failureAround(call: Node): FailurePath | null {
  // One descent for every ancestor (each `parent` step is a descent of its own).
  const path = ancestorPath(call);
  for (let index = 0; index < path.length; index += 1) {
    const up = path[index]!;
    const child = index === 0 ? call : path[index - 1]!;
    const type = up.type;
    if (RUST_GRAMMAR.functions.has(type)) break;
    const failure = RUST_GRAMMAR.failureAt(up, child);
    if (failure) return failure;
    if (type !== 'block') continue;
    // The nearest exit on success before the call: the attempt it tests is the one that failed.
    const before = namedChildren(up).filter((statement) => statement.endIndex <= child.startIndex);
    for (const statement of before.reverse()) {
      const exit = RUST_GRAMMAR.successExit(statement);
      if (exit) return exit;
    }
  }
  return null;
}

/** Crate names are snake_case; a CamelCase first segment is a type (`Duration::from_secs`). */
const EXTERN_CRATE = /^[a-z][a-z0-9_]*$/;
/** Crates that are never in the repository: no module lookup for `std::thread::sleep`. */
const STANDARD_CRATES = new Set(['std', 'core', 'alloc']);

/**
 * A path used as a qualifier (`config::sub` in `config::sub::X`) as an import: from the crate, the
 * current or parent module, or through the `use` or `mod` that binds its first segment.
 */
function qualifiedImport(
  text: string,
  imports: readonly ImportFact[],
  crate: string | null,
): ImportFact | null {
  const segments = text.split('::');
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (segments.length > 1 && (/^(crate|self|super)$/.test(first) || first === crate))
    return { local: text, module: segments.slice(0, -1).join('::'), name: last };
  const bound = imports.find((i) => i.local === first);
  // Nothing in scope by that name: a crate (2018 edition), perhaps one of the workspace's own.
  if (!bound && EXTERN_CRATE.test(first) && !STANDARD_CRATES.has(first))
    return segments.length === 1
      ? { local: text, module: text }
      : { local: text, module: segments.slice(0, -1).join('::'), name: last };
  if (!bound) return null;
  const base = bound.name === undefined ? bound.module : `${bound.module}::${bound.name}`;
  if (segments.length === 1) return null;
  return { local: text, module: [base, ...segments.slice(1, -1)].join('::'), name: last };
}

/** `Foo`, `&mut Foo`, `Arc<Foo>`, `crate::config::Foo` → `Foo`; null for anything else. */
function typeName(node: Node | null): string | null {
  if (!node) return null;
  switch (node.type) {
    case 'type_identifier':
    case 'primitive_type':
      return node.text;
    case 'reference_type':
      return typeName(field(node, 'type'));
    case 'scoped_type_identifier':
      return field(node, 'name')?.text ?? null;
    case 'generic_type': {
      const base = typeName(field(node, 'type'));
      if (base && WRAPPER_TYPE.test(base)) {
        const args = field(node, 'type_arguments');
        return args?.namedChild(0) ? typeName(args.namedChild(0)) : null;
      }
      return base;
    }
    default:
      return null;
  }
}

/** Attributes are the siblings just before an item. */
function isTest(item: Node): boolean {
  for (
    let sibling = item.previousNamedSibling;
    sibling?.type === 'attribute_item';
    sibling = sibling.previousNamedSibling
  )
    if (TEST_ATTRIBUTE.test(sibling.text.replace(/\s+/g, ''))) return true;
  return false;
}

/**
 * A function or associated function (`retry(…)`, `Self::pause(…)`, `config::load(…)`), or a method of
 * the receiver, of a local or of one of the receiver's fields (`self.policy.conn_failed()`).
 */
function ownCallee(callee: Node): boolean {
  // `Ok(v)`, `Some(d)`, `Wrapper(x)`: constructors, not functions.
  if (callee.type === 'identifier') return !/^[A-Z]/.test(callee.text);
  if (callee.type === 'scoped_identifier') return !STD_PATH.test(callee.text);
  if (callee.type !== 'field_expression') return false;
  const object = field(callee, 'value');
  if (object?.type === 'self' || object?.type === 'identifier') return true;
  return object?.type === 'field_expression' && field(object, 'value')?.type === 'self';
}

/** The same test on a lowered callee: a function, a path outside the standard library, a method of the receiver, a local or a field of the receiver. */
function ownCall(callee: Expr): boolean {
  if (callee.k === 'name') return !/^[A-Z]/.test(callee.name);
  if (callee.k !== 'member') return false;
  const object = callee.object;
  if (object.k === 'self') return true;
  if (object.k === 'name') return !STD_PATH.test(`${object.name}::`);
  return object.k === 'member' && object.object.k === 'self';
}

function lastName(callee: Expr): string {
  return callee.k === 'name' || callee.k === 'member' ? callee.name : '';
}

function callsItself(callee: Node): boolean {
  if (callee.type === 'identifier') return true;
  if (callee.type === 'field_expression') return field(callee, 'value')?.type === 'self';
  return callee.type === 'scoped_identifier' && field(callee, 'path')?.text === 'Self';
}

function mentionsName(node: Node, name: string): boolean {
  return some(node, (n) => n.type === 'identifier' && n.text === name);
}

/** The unit a sleep helper's parameter is in: `Duration::from_secs(secs)` waits seconds, a `Duration` milliseconds. */
function unitOf(argument: Node, param: string): number {
  if (argument.type !== 'call_expression') return 1;
  const callee = calleeOf(argument);
  const first = argumentsOf(argument)[0];
  if (callee?.type !== 'scoped_identifier' || first?.text !== param) return 1;
  if (!/(^|::)Duration$/.test(field(callee, 'path')?.text ?? '')) return 1;
  return unitMs((field(callee, 'name')?.text ?? '').replace(/_f(32|64)$/, '')) ?? 1;
}
