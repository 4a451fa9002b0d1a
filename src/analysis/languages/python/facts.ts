import { countedFailure } from '../tree-sitter/counted-failure.js';
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
  scheduledRetry,
  pausedArgument,
  sleptParameter,
  type BodyCount,
  type CallSite,
} from '../../flow/waits.js';
import { snippet } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { lowerPythonNode } from './lower.js';
import {
  collectImports,
  firstArgument,
  isModuleSleep,
  keywordArguments,
  mentionsName,
  positionalArguments,
  qualifiedCallee,
  RANDOM_CALL,
  SECOND_MS,
  unwrapDecorated,
  WILDCARD,
  type PyImport,
  spreadsArguments,
} from './module.js';
import { failureAt, FUNCTION_TYPES, retryContext } from './retry-context.js';

/**
 * The Python front end of the value-flow engine: one walk over a module's tree fills the facts
 * (`flow/ir.ts`) — imports, functions with their parameters and defaults, classes and fields,
 * assignments, calls (with the retry context around those that may be retried), returns — and,
 * for the file under analysis, the call sites a wait may be.
 */

export interface PyFacts extends FileFacts {
  sites: CallSite[];
  /** Bindings by local name, for the library checks' callee names. */
  importMap: Map<string, PyImport>;
}

/** Sleeps that return a coroutine: they wait only when awaited. */
const COROUTINE_SLEEP = /^(asyncio|trio|anyio)\.sleep$/;

/** Unresolved callees with these names are taken as sleeps in seconds, at lower confidence. */
const SLEEP_NAME = /^_?(sleep|sleep_for|sleep_seconds|backoff_sleep|pause|nap|snooze)$/;
/** Timers that run a callable after a delay in seconds: asyncio/tornado `call_later`, Twisted `callLater`, `threading.Timer`. */
const TIMER = /(^|\.)(call_later|callLater)$|^(threading\.)?Timer$/;
/** Objects whose `.wait(N)` is a sleep that a shutdown can interrupt (`threading.Event`). */
const STOP_EVENT = /(stop|shutdown|exit|quit|closing|cancel|terminat|halt)\w*$|(^|_)event$/i;
const DELAY_KEYWORDS = ['seconds', 'secs', 'delay', 'timeout', 'duration'];
const RECORD_DECORATOR =
  /^@\s*(dataclasses\.)?dataclass\b|^@\s*(attr\.s|attr\.attrs|attrs\.define|attr\.define|define|frozen|attrs\.frozen)\b/;
const RECORD_BASE =
  /^(BaseModel|BaseSettings|NamedTuple|pydantic\.BaseModel|pydantic_settings\.BaseSettings)$/;
/** The node types facts are read from. */
const FACT_NODES = new Set([
  'import_statement',
  'import_from_statement',
  'function_definition',
  'class_definition',
  'assignment',
  'augmented_assignment',
  'for_statement',
  'while_statement',
  'try_statement',
  'return_statement',
  'nonlocal_statement',
  'call',
]);

interface WalkState {
  fn?: FunctionFact;
  /** The class whose receiver `self` is inside this code (kept inside nested functions of a method). */
  cls?: string;
  /** Directly in a class body. */
  classBody?: ClassFact;
  /** Inside a loop of the current function, or the current function calls itself (a wait here may repeat). */
  repeats: boolean;
}

export function extractPythonFacts(path: string, root: Node, withSites: boolean): PyFacts {
  const importMap = new Map<string, PyImport>();
  const facts: PyFacts = {
    path,
    imports: [],
    functions: [],
    classes: [],
    assignments: [],
    calls: [],
    sites: [],
    importMap,
  };

  // Nested calls are lowered as arguments and again as calls of their own: once is enough.
  const lower = lowerOnce((node, recurse) => lowerPythonNode(node, importMap, recurse));
  const stats = new Map<number, BodyCount<Node>>();

  const assign = (target: Node, value: Expr, op: AssignmentFact['op'], state: WalkState, line: number) => {
    const to = targetOf(target, state, lower);
    if (to) facts.assignments.push({ target: to, op, value, fn: state.fn?.id, line });
    else if (target.type === 'pattern_list' || target.type === 'tuple_pattern') {
      for (const element of namedChildren(target))
        assign(element, { k: 'todo', what: 'unpacked' }, 'other', state, line);
    }
  };

  /**
   * One query yields the nodes that carry facts, in document order (only they become JavaScript
   * objects, the rest of the tree stays in WASM); the scope around each is a stack of the functions,
   * classes and loops that are still open at its start.
   */
  const open: { end: number; state: WalkState }[] = [];
  let current: WalkState = { repeats: false };
  const enter = (node: Node, state: WalkState) => open.push({ end: node.endIndex, state });
  const walkAll = () => {
    for (const node of descendantsOfTypes(root, FACT_NODES)) {
      while (open.length > 0 && node.startIndex >= open[open.length - 1]!.end) open.pop();
      current = open[open.length - 1]?.state ?? { repeats: false };
      visit(node, current);
    }
  };
  const visit = (node: Node, state: WalkState): void => {
    switch (node.type) {
      case 'import_statement':
      case 'import_from_statement':
        // Imports come before their use (at the top, or inside the function that lazily imports).
        collectImports(node, importMap);
        return;
      case 'function_definition':
        return defineFunction(node, state);
      case 'class_definition':
        return defineClass(node);
      case 'assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const line = node.startPosition.row + 1;
        // `retry_wait: float = 5.0` in a dataclass body: a field the generated constructor takes.
        if (state.classBody && !state.fn && left?.type === 'identifier' && field(node, 'type'))
          state.classBody.recordFields?.push(left.text);
        if (!left || !right) return;
        if (
          (left.type === 'pattern_list' || left.type === 'tuple_pattern') &&
          (right.type === 'expression_list' || right.type === 'tuple')
        ) {
          const targets = namedChildren(left);
          const values = namedChildren(right);
          if (targets.length === values.length)
            targets.forEach((t, i) => assign(t, lower(values[i]!), '=', state, line));
          else assign(left, { k: 'todo', what: 'unpacked' }, 'other', state, line);
        } else assign(left, lower(right), '=', state, line);
        return;
      }
      case 'augmented_assignment': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        const operator = node.children.find((c) => c && !c.isNamed && /=$/.test(c.type))?.type ?? '';
        if (left && right) {
          assign(left, lower(right), assignmentOp(operator), state, node.startPosition.row + 1);
        }
        return;
      }
      case 'for_statement': {
        const left = field(node, 'left');
        const right = field(node, 'right');
        if (state.fn) stats.get(state.fn.id)!.control = true;
        if (left && right) {
          const each: Expr =
            right.type === 'list' || right.type === 'tuple'
              ? lower(right)
              : { k: 'todo', what: 'a loop value' };
          assign(left, each, 'each', state, node.startPosition.row + 1);
        }
        enter(node, { ...state, repeats: true });
        return;
      }
      case 'while_statement':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        enter(node, { ...state, repeats: true });
        return;
      case 'try_statement':
        if (state.fn) stats.get(state.fn.id)!.control = true;
        break;
      case 'return_statement': {
        const value = node.namedChild(0);
        if (value && state.fn) state.fn.returns.push(lower(value));
        break;
      }
      case 'nonlocal_statement':
        if (state.fn)
          (state.fn.enclosingNames ??= []).push(
            ...namedChildren(node)
              .filter((n) => n.type === 'identifier')
              .map((n) => n.text),
          );
        return;
      case 'call':
        recordCall(node, state);
        break;
    }
  };

  const defineFunction = (node: Node, state: WalkState) => {
    const name = field(node, 'name')?.text ?? '';
    const inClass = state.classBody;
    const fn = newFunction(
      facts.functions.length,
      name,
      { line: node.startPosition.row + 1, endLine: node.endPosition.row + 1 },
      { className: inClass?.name, parent: state.fn?.id, isConstructor: !!inClass && name === '__init__' },
    );
    facts.functions.push(fn);
    stats.set(fn.id, { calls: 0, control: false, sleep: null });
    const parameters = field(node, 'parameters');
    const isMethod = !!inClass && !isStatic(node);
    for (const [index, param] of (parameters ? namedChildren(parameters) : []).entries()) {
      const nameNode = param.type === 'identifier' ? param : (field(param, 'name') ?? param.namedChild(0));
      const pname = nameNode?.type === 'identifier' ? nameNode.text : '';
      if (isMethod && index === 0) continue;
      // `**options` stays: an options map read with `options.get(key, fallback)` is set by keyword arguments.
      if (
        param.type === 'list_splat_pattern' ||
        param.type === 'keyword_separator' ||
        param.type === 'positional_separator'
      )
        continue;
      const defaultValue = field(param, 'value');
      const type = field(param, 'type')
        ?.text.replace(/^["']|["']$/g, '')
        .replace(/^Optional\[(.*)\]$/, '$1');
      fn.params.push({
        name: pname,
        ...(defaultValue ? { default: lower(defaultValue) } : {}),
        ...(type ? { type } : {}),
      });
    }
    enter(node, { fn, cls: state.cls, repeats: false });
  };

  const defineClass = (node: Node) => {
    const name = field(node, 'name')?.text ?? '';
    const superclasses = field(node, 'superclasses');
    const bases = superclasses
      ? namedChildren(superclasses)
          .filter((b) => b.type === 'identifier' || b.type === 'attribute')
          .map((b) => b.text)
      : [];
    const decorated = node.parent?.type === 'decorated_definition' ? node.parent : null;
    const decorators = decorated
      ? namedChildren(decorated)
          .filter((d) => d.type === 'decorator')
          .map((d) => d.text)
      : [];
    const cls: ClassFact = { name, line: node.startPosition.row + 1, bases };
    const body = field(node, 'body');
    const hasInit =
      !!body &&
      namedChildren(body).some(
        (s) =>
          unwrapDecorated(s).type === 'function_definition' &&
          field(unwrapDecorated(s), 'name')?.text === '__init__',
      );
    if (
      !hasInit &&
      (decorators.some((d) => RECORD_DECORATOR.test(d)) || bases.some((b) => RECORD_BASE.test(b)))
    )
      cls.recordFields = [];
    facts.classes.push(cls);
    if (body) enter(node, { cls: name, classBody: cls, repeats: false });
  };

  const recordCall = (node: Node, state: WalkState) => {
    const callee = field(node, 'function');
    if (!callee) return;
    const calleeName = callee.type === 'attribute' ? (field(callee, 'attribute')?.text ?? '') : callee.text;
    const qualified = qualifiedCallee(callee, importMap);
    if (state.fn) {
      const own = stats.get(state.fn.id)!;
      own.calls += 1;
      if (RANDOM_CALL.test(qualified)) state.fn.random = true;
      if (!own.sleep && isModuleSleep(qualified))
        own.sleep = { argument: firstArgument(node, ['seconds', 'delay', 'secs']) };
      if (calleeName === state.fn.name && (callee.type === 'identifier' || /^(self|cls)\./.test(callee.text)))
        state.fn.recursive = true;
    }
    const spread = spreadsArguments(node);
    const positional = positionalArguments(node);
    const keywords = [...keywordArguments(node)];
    const call: CallFact = {
      callee: lower(callee),
      calleeName,
      args: positional.map(lower),
      named: keywords.map(([k, { value }]) => [k, lower(value)]),
      line: node.startPosition.row + 1,
      spread,
    };
    if (state.fn) call.fn = state.fn.id;
    facts.calls.push(call);
    // `random.seed(0)`: from here on the module's shared source is a generator with that seed, in every
    // function of the module that draws from it (an argument-less `seed()` reseeds from the OS).
    if (qualified === 'random.seed' && callee.type === 'attribute') {
      const seed = positional[0] ?? keywordArguments(node).get('a')?.value;
      const line = node.startPosition.row + 1;
      const generator: Expr = {
        k: 'generator',
        what: node.text,
        line,
        ...(seed ? { seed: lower(seed) } : {}),
      };
      facts.assignments.push({
        target: { kind: 'name', name: field(callee, 'object')!.text },
        op: '=',
        value: generator,
        line,
      });
    }
    // Only calls the repository's own code can be behind (a function, a method of the receiver, a
    // function of an imported module) or waits the language knows can pause a retry, or restart one.
    const direct = directWait(node, callee, qualified);
    if (TIMER.test(qualified) && positional.length >= 2) timers.push({ call, node, state });
    const object = callee.type === 'attribute' ? field(callee, 'object') : null;
    const own =
      !object ||
      (object.type === 'identifier' && (/^(self|cls)$/.test(object.text) || importMap.has(object.text)));
    if (!own && !direct) return;
    pending.push({ call, node, state });
    // A call without arguments waits only through a pause helper's own delay (`pauseOf`).
    if (!withSites) return;
    facts.sites.push({
      call,
      anchor: snippet(node),
      args: positional.map(snippet),
      named: keywords.map(([k, { value }]) => [k, snippet(value)]),
      direct: direct ?? undefined,
    });
  };

  const directWait = (node: Node, callee: Node, qualified: string): CallSite['direct'] | null => {
    const at = (keywords: readonly string[], confidence: 'high' | 'medium', byNameOnly: boolean) => {
      const delay = firstArgument(node, keywords);
      return delay
        ? { delay: lower(delay), argument: snippet(delay), unitMs: SECOND_MS, confidence, byNameOnly }
        : null;
    };
    // `asyncio.sleep(5)` without `await` only makes a coroutine: nothing waits.
    if (COROUTINE_SLEEP.test(qualified) && node.parent?.type !== 'await') return null;
    if (isModuleSleep(qualified)) return at(DELAY_KEYWORDS, 'high', false);
    if (TIMER.test(qualified) && positionalArguments(node).length >= 2)
      return at(['delay', 'interval'], 'medium', false);
    const name = callee.type === 'attribute' ? (field(callee, 'attribute')?.text ?? '') : callee.text;
    if (
      callee.type === 'attribute' &&
      name === 'wait' &&
      STOP_EVENT.test(field(callee, 'object')?.text ?? '')
    )
      return at(['timeout'], 'medium', false);
    if (SLEEP_NAME.test(name)) return at(DELAY_KEYWORDS, 'medium', true);
    return null;
  };

  /** Calls whose retry context is worked out once the walk knows which functions call themselves. */
  const pending: { call: CallFact; node: Node; state: WalkState }[] = [];
  const timers: { call: CallFact; node: Node; state: WalkState }[] = [];
  walkAll();
  for (const [local, binding] of importMap) {
    // The engine looks a name it cannot find up in every module imported whole (`local: '*'`).
    const fact: ImportFact = { local: local.startsWith(WILDCARD) ? WILDCARD : local, module: binding.module };
    if (binding.name !== undefined) fact.name = binding.name;
    facts.imports.push(fact);
  }
  for (const fn of facts.functions) {
    const index = sleptParameter(fn, stats.get(fn.id)!, mentionsName);
    if (index >= 0) fn.sleeps = { param: index, unitMs: SECOND_MS };
    const paused = pausedArgument(fn, stats.get(fn.id)!, mentionsName);
    if (paused) fn.pauses = { delay: lower(paused), unitMs: SECOND_MS };
  }
  attachRetryFrames(pending, retryContext, { facts, failureAt, sites: facts.sites }, (node) =>
    countedFailure(node, FUNCTION_TYPES),
  );
  for (const { call, node, state } of timers) {
    const scheduled = positionalArguments(node)[1]!;
    const runs =
      scheduled.type === 'lambda'
        ? descendantsOfTypes(scheduled, new Set(['call'])).map((c) => calleeOf(c))
        : [scheduled.type === 'attribute' ? (field(scheduled, 'attribute')?.text ?? '') : scheduled.text];
    const context = scheduledRetry({ runs, facts, fn: state.fn, failure: failureAt(node) });
    if (!call.retry && context)
      call.retry = { trigger: context.trigger, counters: [], evidence: context.evidence };
  }
  return facts;
}

function targetOf(node: Node, state: WalkState, lower: (n: Node) => Expr): AssignTarget | null {
  if (node.type === 'identifier') {
    if (state.classBody && !state.fn)
      return { kind: 'field', className: state.classBody.name, name: node.text };
    return { kind: 'name', name: node.text };
  }
  if (node.type === 'attribute') {
    const object = field(node, 'object');
    const name = field(node, 'attribute')?.text ?? '';
    if (!object) return null;
    if ((object.text === 'self' || object.text === 'cls') && state.cls)
      return { kind: 'field', className: state.cls, name };
    return { kind: 'member', object: lower(object), name };
  }
  return null;
}

function calleeOf(call: Node): string {
  const callee = field(call, 'function');
  return callee?.type === 'attribute' ? (field(callee, 'attribute')?.text ?? '') : (callee?.text ?? '');
}

function isStatic(fn: Node): boolean {
  const decorated = fn.parent?.type === 'decorated_definition' ? fn.parent : null;
  return (
    !!decorated &&
    namedChildren(decorated).some((d) => d.type === 'decorator' && /@\s*staticmethod\b/.test(d.text))
  );
}
