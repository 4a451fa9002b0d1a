import { ts } from 'ts-morph';
import type { Trigger } from '../../finding.js';
import {
  ATTEMPT_NAME,
  ERROR_CONDITION,
  ERROR_EVENT,
  OVERLOAD_SIGNAL,
  POLLING_CONDITION,
  RESTART_NAME,
  SUCCESS_CONDITION,
} from '../../context.js';
import { callsNamedIn, callsOfFile } from './calls.js';
import { isFunctionNode } from './resolve.js';
import {
  calleeName,
  enclosingFunction,
  functionName,
  isFunctionBoundary,
  isLoop,
  mentionsName,
  unwrap,
} from './scope.js';
import type { Wait } from './waits.js';
import type { FailurePath } from '../../flow/ir.js';

/** Why a wait counts as a pause between attempts, and what is in scope there. */
export interface RetryContext {
  trigger: Trigger;
  /** Names that change from one attempt to the next (loop counters, incremented variables, recursion parameters). */
  counters: Set<string>;
  attemptVar?: string;
  /** What the attempt counter of the `for` loop stays below (`attempt < 5`), or reaches (`<=`). */
  loopBound?: { bound: ts.Expression; inclusive: boolean };
  evidence: string[];
}

const MAX_DETAIL = 80;

export function retryContext(wait: Wait, file: ts.SourceFile): RetryContext | null {
  return wait.call === 'timeout-callback' ? scheduledRetry(wait, file) : inlineRetry(wait, file);
}

/** `await sleep(N)` and friends: on a failure path, and the work runs again (loop or recursion). */
function inlineRetry(wait: Wait, file: ts.SourceFile): RetryContext | null {
  const fn = enclosingFunction(wait.anchor);
  const path = failurePath(wait.anchor, fn, file);
  if (!path) return waitBeforeLaterAttempt(wait.anchor, fn, file) ?? waitBeforeRecursiveRetry(wait, fn, file);
  if (rethrowsAfter(wait.anchor)) return null;
  const loop = innermostLoop(wait.anchor, fn);
  const own = fn && isErrorCallback(fn) ? enclosingFunction(fn) : fn;
  const ownName = own ? functionName(own) : null;
  const recursion =
    own && ownName && callsNameWithin(own, ownName, file)
      ? { fn: own, name: ownName }
      : !loop && fn
        ? retriedFromCallback(fn, wait.anchor, file)
        : null;
  if (!loop && !recursion) return null;
  const counters = attemptCounters(wait.anchor, fn, loop, recursion?.fn ?? own);
  const evidence = [
    path.evidence,
    loop
      ? `inside a ${loopWord(loop)} loop (line ${lineOf(loop, file)})`
      : `which calls \`${recursion!.name}\` again`,
  ];
  const attemptVar = pickAttempt(counters);
  const loopBound = attemptVar === undefined ? undefined : forLimit(wait.anchor, fn, attemptVar);
  return { trigger: path.trigger, counters, attemptVar, evidence, ...(loopBound ? { loopBound } : {}) };
}

/** `for (let attempt = 0; attempt < MAX; attempt++)`: the bound of the loop that declares the counter. */
function forLimit(anchor: ts.Node, fn: ts.Node | null, counter: string): RetryContext['loopBound'] {
  for (let node = anchor.parent; node && node !== fn; node = node.parent) {
    if (!ts.isForStatement(node) || !node.initializer || !ts.isVariableDeclarationList(node.initializer))
      continue;
    if (!node.initializer.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === counter))
      continue;
    const condition = node.condition && unwrap(node.condition);
    if (!condition || !ts.isBinaryExpression(condition) || !ts.isIdentifier(condition.left)) return undefined;
    if (condition.left.text !== counter) return undefined;
    const op = condition.operatorToken.kind;
    if (op === ts.SyntaxKind.LessThanToken) return { bound: condition.right, inclusive: false };
    if (op === ts.SyntaxKind.LessThanEqualsToken) return { bound: condition.right, inclusive: true };
    return undefined;
  }
  return undefined;
}

/**
 * `for (let attempt = 0; …; attempt++) { try { if (attempt > 0) await sleep(ms); return await op() } catch {…} }`:
 * a wait that skips the first pass of a loop which leaves on success runs only before a later
 * attempt, and a later attempt comes only after the one before it failed.
 */
function waitBeforeLaterAttempt(
  anchor: ts.Node,
  fn: ts.Node | null,
  file: ts.SourceFile,
): RetryContext | null {
  const loop = innermostLoop(anchor, fn);
  if (!loop || !ts.isBlock(loop.statement)) return null;
  let guard: { node: ts.IfStatement; counter: string } | null = null;
  for (let child = anchor, node = anchor.parent; node !== loop; child = node, node = node.parent) {
    const counter =
      ts.isIfStatement(node) && child === node.thenStatement ? laterPassCounter(node.expression) : null;
    if (counter) {
      guard = { node: node as ts.IfStatement, counter };
      break;
    }
  }
  if (!guard) return null;
  const counters = attemptCounters(anchor, fn, loop, null);
  if (!counters.has(guard.counter)) return null;
  const exit = firstSuccessExit(loop.statement, file);
  if (!exit) return null;
  return {
    trigger: { ...exit.path.trigger },
    counters,
    attemptVar: guard.counter,
    evidence: [
      `waits before each attempt after the first (\`${clip(guard.node.expression.getText(file))}\`, line ${lineOf(guard.node, file)})`,
      `of a ${loopWord(loop)} loop that leaves on success (line ${lineOf(exit.statement, file)})`,
    ],
  };
}

/** `attempt > 0`, `i >= 1`, `tries !== 0`, `attempt > 1` (counted from one): the counter, when the condition skips the first pass. */
function laterPassCounter(condition: ts.Expression): string | null {
  const test = unwrap(condition);
  if (!ts.isBinaryExpression(test)) return null;
  const [name, bound, op] = ts.isIdentifier(test.left)
    ? [test.left, unwrap(test.right), test.operatorToken.kind]
    : [test.right, unwrap(test.left), mirrored(test.operatorToken.kind)];
  if (!ts.isIdentifier(name) || !ts.isNumericLiteral(bound)) return null;
  const limit = Number(bound.text);
  const skipsFirst =
    ((op === ts.SyntaxKind.GreaterThanToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsToken) &&
      limit === 0) ||
    (op === ts.SyntaxKind.GreaterThanToken && limit === 1) ||
    (op === ts.SyntaxKind.GreaterThanEqualsToken && (limit === 1 || limit === 2));
  return skipsFirst ? name.text : null;
}

/** `0 < attempt` reads as `attempt > 0`. */
function mirrored(op: ts.BinaryOperator): ts.BinaryOperator {
  if (op === ts.SyntaxKind.LessThanToken) return ts.SyntaxKind.GreaterThanToken;
  if (op === ts.SyntaxKind.LessThanEqualsToken) return ts.SyntaxKind.GreaterThanEqualsToken;
  return op;
}

/**
 * `async function fetchJson(url, count = 1) { await sleep(count * 500); …; if (!ok) return fetchJson(url, count + 1) }`:
 * the wait comes first, at the top of the function body, and the function calls itself again after a failure with a
 * stepped parameter the wait depends on. Every wait after the first is then a wait between attempts.
 */
function waitBeforeRecursiveRetry(
  wait: Wait,
  fn: (ts.SignatureDeclaration & ts.Node) | null,
  file: ts.SourceFile,
): RetryContext | null {
  if (!fn || !isFunctionNode(fn) || !fn.body || !ts.isBlock(fn.body)) return null;
  const self = functionName(fn);
  if (!self) return null;
  // Most functions never call themselves: known per function, before any walk for this wait.
  const recursive = selfCalls(fn, self, file);
  if (recursive.length === 0) return null;
  // Only a wait that is a statement of the body itself (not nested in a branch or a callback).
  let statement: ts.Node = wait.anchor;
  while (statement.parent && statement.parent !== fn.body) statement = statement.parent;
  if (statement.parent !== fn.body) return null;
  // Cheap before the walk of the body: the wait must depend on one of the function's parameters.
  const waited = wait.delay;
  const parameters = fn.parameters.flatMap((parameter) => boundNames(parameter.name));
  if (!parameters.some((name) => mentionsName(waited, name))) return null;
  const stepped = new Set<string>();
  const counted = new Set<string>();
  let path: FailurePath | null = null;
  for (const { call, failure } of recursive) {
    if (call.pos < wait.anchor.end) continue;
    const found = failure();
    if (!found) continue;
    path ??= found;
    for (const [index, parameter] of fn.parameters.entries()) {
      for (const { name, argument } of passedFor(parameter.name, call.arguments[index])) {
        if (!ts.isBinaryExpression(argument) || !mentionsName(argument, name)) continue;
        stepped.add(name);
        // `count + 1` counts attempts; `delay * 2` is a growing delay, evaluated as such.
        const op = argument.operatorToken.kind;
        if (op === ts.SyntaxKind.PlusToken || op === ts.SyntaxKind.MinusToken) counted.add(name);
      }
    }
  }
  if (!path || stepped.size === 0 || ![...stepped].some((name) => mentionsName(waited, name))) return null;
  const found: FailurePath = path;
  return {
    trigger: found.trigger,
    counters: counted,
    attemptVar: pickAttempt(counted),
    evidence: [
      found.evidence.replace(/^waits/, 'calls itself again'),
      `and waits first on each call, longer as ${[...stepped].map((n) => `\`${n}\``).join(', ')} grows`,
    ],
  };
}

/** The names a parameter binds: `delay`, or `model` and `delayMs` of `{ model, delayMs = 0 } = {}`. */
function boundNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  if (!ts.isObjectBindingPattern(name)) return [];
  return name.elements.flatMap((element) => (ts.isIdentifier(element.name) ? [element.name.text] : []));
}

/**
 * What a call passes for each name a parameter binds: the argument itself, or for an options
 * pattern, the property of the object literal passed (`{ model, delayMs: (delayMs || 2000) * 2 }`).
 */
function passedFor(
  parameter: ts.BindingName,
  given: ts.Expression | undefined,
): { name: string; argument: ts.Expression }[] {
  const argument = given && unwrap(given);
  if (!argument) return [];
  if (ts.isIdentifier(parameter)) return [{ name: parameter.text, argument }];
  if (!ts.isObjectBindingPattern(parameter) || !ts.isObjectLiteralExpression(argument)) return [];
  return parameter.elements.flatMap((element) => {
    if (!ts.isIdentifier(element.name)) return [];
    const key = element.propertyName ? element.propertyName.getText() : element.name.text;
    const property = argument.properties.find(
      (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === key,
    );
    return property ? [{ name: element.name.text, argument: unwrap(property.initializer) }] : [];
  });
}

/**
 * The calls of `fn` to itself (by `name`), found once per function: a bundle's wrapper function can
 * hold thousands of waits, and walking its body for each would be quadratic.
 */
const selfCallCache = new WeakMap<ts.Node, SelfCall[]>();

interface SelfCall {
  call: ts.CallExpression;
  /** The failure path the call is on, worked out on first use and kept. */
  failure: () => FailurePath | null;
}

function selfCalls(fn: ts.Node & { body?: ts.Node }, name: string, file: ts.SourceFile): SelfCall[] {
  let calls = selfCallCache.get(fn);
  if (!calls) {
    const body = fn.body;
    calls = (body ? callsNamedIn(body, name, file, true) : []).map((node) => {
      let failure: FailurePath | null | undefined;
      return {
        call: node,
        failure: () =>
          failure === undefined ? (failure = failurePath(node, enclosingFunction(node), file)) : failure,
      };
    });
    selfCallCache.set(fn, calls);
  }
  return calls;
}

/** `setTimeout(() => connect(), N)` on an error path or in an error event: a retry by recursion. */
function scheduledRetry(wait: Wait, file: ts.SourceFile): RetryContext | null {
  const callback = wait.callback;
  if (!callback) return null;
  const fn = enclosingFunction(wait.anchor);
  const outer =
    fn && (isErrorCallback(fn) || errorEvent(fn)) ? (namedEnclosing(fn) ?? enclosingFunction(fn)) : fn;
  const selfName = outer ? functionName(outer) : null;
  const restarted = restartedName(callback, selfName);
  if (!restarted) return null;
  const event = fn ? errorEvent(fn) : null;
  const path = event
    ? {
        trigger: { kind: 'error-event', detail: `'${event}' event` } as Trigger,
        evidence: `scheduled from the '${event}' event handler`,
      }
    : (failurePath(wait.anchor, fn, file) ?? calledOnlyOnFailure(fn, file));
  if (!path) return null;
  const counters = attemptCounters(wait.anchor, fn, null, outer);
  return {
    trigger: path.trigger,
    counters,
    attemptVar: pickAttempt(counters),
    evidence: [path.evidence, `the timer calls \`${restarted}\` again`],
  };
}

/**
 * A callback that waits and then calls the function it was created in again retries that function:
 * `fetch(url).then((res) => { if (res.status > 400) return sleep(1000).then(() => fetchAndRetry(url)) })`,
 * `ws.addEventListener('close', async () => { await delay(1000); connect() })` inside `connect`.
 * The call must come after the wait, inside the callback: a call elsewhere in the function is not
 * what the wait is a pause before.
 */
function retriedFromCallback(
  fn: ts.Node,
  anchor: ts.Node,
  file: ts.SourceFile,
): { fn: ts.SignatureDeclaration & ts.Node; name: string } | null {
  const outer = namedEnclosing(fn);
  const name = outer && functionName(outer);
  if (!outer || !name) return null;
  return callsNamedIn(fn, name, file, false).some((call) => call.pos >= anchor.end)
    ? { fn: outer, name }
    : null;
}

/** The nearest named function around `fn`: the one an anonymous callback or executor runs on behalf of. */
function namedEnclosing(fn: ts.Node): (ts.SignatureDeclaration & ts.Node) | null {
  for (let outer = enclosingFunction(fn); outer; outer = enclosingFunction(outer))
    if (functionName(outer)) return outer;
  return null;
}

/** Call sites looked at when a helper's callers decide whether it runs on failure. */
const MAX_CALL_SITES = 20;

/**
 * A `reconnect()` / `reschedule()` helper whose every call in the file is on a failure path (a catch,
 * an error branch, an error event handler) is itself a failure path, though nothing in its body says so.
 */
function calledOnlyOnFailure(fn: ts.Node | null, file: ts.SourceFile): FailurePath | null {
  const name = fn ? functionName(fn) : null;
  if (!fn || !name) return null;
  const sites: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    if (sites.length > MAX_CALL_SITES) return;
    if (ts.isCallExpression(node) && calleeName(node) === name && !isInside(node, fn)) sites.push(node);
    // Passed by name as a rejection handler: `.catch(failure)`, `.then(ok, failure)`.
    if (ts.isIdentifier(node) && node.text === name && isRejectionHandlerArgument(node)) sites.push(node);
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (sites.length === 0 || sites.length > MAX_CALL_SITES) return null;
  let first: FailurePath | null = null;
  const failing: ts.Node[] = [];
  for (const site of sites) {
    const caller = enclosingFunction(site);
    const event = caller ? errorEvent(caller) : null;
    const path = ts.isIdentifier(site)
      ? { trigger: { kind: 'exception' } as Trigger, evidence: '' }
      : event
        ? { trigger: { kind: 'error-event', detail: `'${event}' event` } as Trigger, evidence: '' }
        : failurePath(site, caller, file);
    if (!path) continue;
    first ??= path;
    failing.push(site);
  }
  // Mostly called after failures (a heartbeat may call it too): the helper is the failure handling.
  if (!first || failing.length * 2 < sites.length) return null;
  const lines = failing.map((site) => lineOf(site, file)).join(', ');
  return {
    trigger: first!.trigger,
    evidence: `\`${name}\` is called after failures (line${failing.length > 1 ? 's' : ''} ${lines})`,
  };
}

function isRejectionHandlerArgument(node: ts.Identifier): boolean {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return false;
  const method = call.expression.name.text;
  return (
    (method === 'catch' && call.arguments[0] === node) || (method === 'then' && call.arguments[1] === node)
  );
}

function isInside(node: ts.Node, container: ts.Node): boolean {
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    if (current === container) return true;
  }
  return false;
}

/** The wait runs only after something failed: in a catch, an error branch, a rejection handler, or after a success exit. */
function failurePath(anchor: ts.Node, fn: ts.Node | null, file: ts.SourceFile): FailurePath | null {
  let child: ts.Node = anchor;
  for (let node = anchor.parent; node && node !== fn; child = node, node = node.parent) {
    const found = failureStep(node, child, file);
    if (found) return found;
  }
  if (fn && (isErrorCallback(fn) || passedAsRejectionHandler(fn))) {
    return {
      trigger: { kind: 'exception' },
      evidence: `waits in a rejection handler (line ${lineOf(fn, file)})`,
    };
  }
  const event = fn && errorEvent(fn);
  return event
    ? {
        trigger: { kind: 'error-event', detail: `'${event}' event` },
        evidence: `waits in the '${event}' event handler (line ${lineOf(fn!, file)})`,
      }
    : null;
}

/** Whether reaching `child` through `node` (its parent) means something failed. */
function failureStep(node: ts.Node, child: ts.Node, file: ts.SourceFile): FailurePath | null {
  if (ts.isCatchClause(node)) {
    const text = node.block.getText(file);
    const overload = OVERLOAD_SIGNAL.exec(text)?.[0];
    return {
      trigger: { kind: 'exception', detail: overload },
      evidence: `waits in a \`catch\` block (line ${lineOf(node, file)})${overload ? ` that handles \`${overload}\`` : ''}`,
    };
  }
  if (ts.isIfStatement(node)) {
    const inThen = child === node.thenStatement;
    const inElse = child === node.elseStatement;
    const verdict = conditionVerdict(node, file);
    if ((inThen && verdict.error) || (inElse && verdict.success)) {
      const condition = verdict.text;
      return {
        trigger: { kind: statusLike(condition) ? 'status' : 'exception', detail: clip(condition) },
        evidence: `waits when \`${clip(condition)}\` ${inThen ? 'holds' : 'fails'} (line ${lineOf(node, file)})`,
      };
    }
  }
  if (ts.isCaseClause(node) && ts.isSwitchStatement(node.parent.parent)) {
    const label = node.expression.getText(file);
    const subject = node.parent.parent.expression.getText(file);
    if (
      /^(408|429|5\d\d)$/.test(label) ||
      OVERLOAD_SIGNAL.test(label) ||
      ERROR_CONDITION.test(`${subject} === ${label}`)
    ) {
      return {
        trigger: { kind: 'status', detail: `${clip(subject)} === ${label}` },
        evidence: `waits for \`case ${clip(label)}\` of \`${clip(subject)}\` (line ${lineOf(node, file)})`,
      };
    }
  }
  // Any block on the way up: the loop body, or a `try` block inside it (`if (ok) return true; await backoff()`).
  if (ts.isBlock(node)) {
    const exit = successExitInBlock(node, child as ts.Statement, file);
    if (exit) return exit;
  }
  return null;
}

/**
 * A loop body that leaves on success before reaching the wait (`if (res.ok) return res;`,
 * `try { return await op(); } catch {}`) only waits after a failure.
 */
function successExitInBlock(
  block: ts.Block,
  waitStatement: ts.Statement,
  file: ts.SourceFile,
): FailurePath | null {
  const exit = firstSuccessExit(block, file);
  // Statements of one block do not overlap: the exit comes first when it starts first. A copy: the
  // finding must not share the kept one.
  return exit && exit.statement.pos < waitStatement.pos
    ? { trigger: { ...exit.path.trigger }, evidence: exit.path.evidence }
    : null;
}

/**
 * The first statement of a block that leaves on success, found once per block: a bundle's wrapper
 * holds thousands of statements, and each would otherwise scan all those before it.
 */
const successExits = new WeakMap<ts.Block, { statement: ts.Statement; path: FailurePath } | null>();

function firstSuccessExit(
  block: ts.Block,
  file: ts.SourceFile,
): { statement: ts.Statement; path: FailurePath } | null {
  let exit = successExits.get(block);
  if (exit !== undefined) return exit;
  exit = null;
  for (const statement of block.statements) {
    if (ts.isIfStatement(statement) && exits(statement.thenStatement)) {
      const condition = statement.expression.getText(file);
      if (isSuccessCondition(condition)) {
        exit = {
          statement,
          path: {
            trigger: { kind: 'status', detail: clip(condition) },
            evidence: `waits only after \`${clip(condition)}\` failed (line ${lineOf(statement, file)})`,
          },
        };
        break;
      }
    }
    if (ts.isTryStatement(statement) && statement.catchClause && exitsOnSuccess(statement.tryBlock, file)) {
      exit = {
        statement,
        path: {
          trigger: { kind: 'exception' },
          evidence: `waits after a \`try\` that returns on success (line ${lineOf(statement, file)})`,
        },
      };
      break;
    }
  }
  successExits.set(block, exit);
  return exit;
}

/** A `try` block that leaves the loop when the work succeeded: a bare `return`, or `if (res.ok) return`. */
function exitsOnSuccess(block: ts.Block, file: ts.SourceFile): boolean {
  return block.statements.some(
    (s) =>
      ts.isReturnStatement(s) ||
      ts.isBreakStatement(s) ||
      (ts.isIfStatement(s) && exits(s.thenStatement) && isSuccessCondition(s.expression.getText(file))),
  );
}

function exits(statement: ts.Statement): boolean {
  if (ts.isReturnStatement(statement) || ts.isBreakStatement(statement)) return true;
  if (ts.isBlock(statement))
    return statement.statements.some((s) => ts.isReturnStatement(s) || ts.isBreakStatement(s));
  return false;
}

/** Many calls share the same enclosing `if`s: judge each condition once per file. */
const verdicts = new WeakMap<ts.IfStatement, { text: string; error: boolean; success: boolean }>();

function conditionVerdict(
  node: ts.IfStatement,
  file: ts.SourceFile,
): { text: string; error: boolean; success: boolean } {
  let verdict = verdicts.get(node);
  if (!verdict) {
    const text = node.expression.getText(file);
    verdict = { text, error: isErrorCondition(text), success: isSuccessCondition(text) };
    verdicts.set(node, verdict);
  }
  return verdict;
}

/** `!err`, `!error`: the absence of an error is success, whatever the error regex sees in the name. */
const NEGATED_ERROR = /^\s*!\s*\(?\s*(err|error|e|ex|exc|failure|failed|lastError)\s*\)?\s*$/;

function isErrorCondition(condition: string): boolean {
  if (NEGATED_ERROR.test(condition)) return false;
  if (
    POLLING_CONDITION.test(condition) &&
    !OVERLOAD_SIGNAL.test(condition) &&
    !/err|fail|!.*ok\b/i.test(condition)
  )
    return false;
  return ERROR_CONDITION.test(condition) || OVERLOAD_SIGNAL.test(condition);
}

function isSuccessCondition(condition: string): boolean {
  if (POLLING_CONDITION.test(condition) && !/\.ok\b|status/.test(condition)) return false;
  return SUCCESS_CONDITION.test(condition);
}

function statusLike(condition: string): boolean {
  return /status|\.ok\b|\b[45]\d\d\b/.test(condition);
}

/** `.catch(e => …)`, `.then(ok, e => …)`: a function that runs when a promise rejects. */
function isErrorCallback(fn: ts.Node): boolean {
  const parent = fn.parent;
  if (!parent || !ts.isCallExpression(parent)) return false;
  const callee = unwrap(parent.expression);
  if (!ts.isPropertyAccessExpression(callee)) return false;
  if (callee.name.text === 'catch') return true;
  return callee.name.text === 'then' && parent.arguments[1] === fn;
}

/** The name of the error event a handler is registered for: `.on('error', fn)`, `ws.onclose = fn`. */
function errorEvent(fn: ts.Node): string | null {
  const parent = fn.parent;
  if (parent && ts.isCallExpression(parent)) {
    const name = calleeName(parent);
    const [event] = parent.arguments;
    if (
      name &&
      /^(on|once|addListener|addEventListener|prependListener)$/.test(name) &&
      event &&
      ts.isStringLiteralLike(event) &&
      ERROR_EVENT.test(event.text)
    ) {
      return event.text;
    }
  }
  if (parent && ts.isBinaryExpression(parent) && ts.isPropertyAccessExpression(parent.left)) {
    const property = parent.left.name.text;
    if (/^on(error|close|end|disconnect)$/i.test(property)) return property.slice(2).toLowerCase();
  }
  return registeredByReference(fn);
}

/**
 * A named handler registered elsewhere by reference: `ws.onclose = this.handleClose`,
 * `socket.on('close', onClose)`, `.on('error', this.reconnect.bind(this))`.
 */
function registeredByReference(fn: ts.Node): string | null {
  const name = functionName(fn);
  return name ? (handlersOf(fn.getSourceFile()).events.get(name) ?? null) : null;
}

/** `function onError(err) {…}` passed by name: `fetch(url).catch(onError)`, `.then(ok, onError)`. */
function passedAsRejectionHandler(fn: ts.Node): boolean {
  const name = functionName(fn);
  return name !== null && handlersOf(fn.getSourceFile()).rejections.has(name);
}

/** Per file, the functions it registers by name to run on failure. */
interface FailureHandlers {
  /** Handlers of error-like events, each with the first such event. */
  events: Map<string, string>;
  /** Functions passed by name as a promise's rejection handler. */
  rejections: Set<string>;
}

const handlerCache = new WeakMap<ts.SourceFile, FailureHandlers>();

/** Calls that register an event handler: `socket.on('close', reconnect)`. */
const REGISTRARS = ['on', 'once', 'addListener', 'addEventListener', 'prependListener'];

/**
 * Read off the file's one walk (`callsOfFile`): registrations are calls of a few names, or
 * assignments to an `on…` property, so no walk of its own is needed.
 */
function handlersOf(file: ts.SourceFile): FailureHandlers {
  const cached = handlerCache.get(file);
  if (cached) return cached;
  const calls = callsOfFile(file);
  const registered: { at: ts.Node; expression: ts.Expression; event: string }[] = [];
  for (const node of calls?.handlerAssignments ?? []) {
    const property = (node.left as ts.PropertyAccessExpression).name.text;
    if (/^on(error|close|end|disconnect)$/i.test(property))
      registered.push({ at: node, expression: node.right, event: property.slice(2).toLowerCase() });
  }
  for (const registrar of REGISTRARS) {
    for (const node of calls?.byName.get(registrar) ?? []) {
      const [type, handler] = node.arguments;
      if (type && handler && ts.isStringLiteralLike(type) && ERROR_EVENT.test(type.text))
        registered.push({ at: node, expression: handler, event: type.text });
    }
  }
  // The first registration in the file names a handler's event.
  registered.sort((x, y) => x.at.pos - y.at.pos || y.at.end - x.at.end);
  const handlers = new Map<string, string>();
  for (const { expression, event } of registered) {
    let target = unwrap(expression);
    if (
      ts.isCallExpression(target) &&
      ts.isPropertyAccessExpression(target.expression) &&
      target.expression.name.text === 'bind'
    ) {
      target = unwrap(target.expression.expression);
    }
    const name = ts.isIdentifier(target)
      ? target.text
      : ts.isPropertyAccessExpression(target)
        ? target.name.text
        : null;
    if (name && !handlers.has(name)) handlers.set(name, event);
  }
  const rejections = new Set<string>();
  for (const [method, index] of [
    ['catch', 0],
    ['then', 1],
  ] as const) {
    for (const call of calls?.byName.get(method) ?? []) {
      const argument = call.arguments[index];
      if (argument && ts.isIdentifier(argument) && isRejectionHandlerArgument(argument))
        rejections.add(argument.text);
    }
  }
  const found = { events: handlers, rejections };
  handlerCache.set(file, found);
  return found;
}

/** The function a timer callback restarts, if it restarts one: the enclosing function or a reconnect-like name. */
function restartedName(callback: ts.Expression, selfName: string | null): string | null {
  let target = unwrap(callback);
  // `this.connect.bind(this)` restarts `connect`.
  if (
    ts.isCallExpression(target) &&
    ts.isPropertyAccessExpression(target.expression) &&
    target.expression.name.text === 'bind'
  ) {
    target = unwrap(target.expression.expression);
  }
  const direct = ts.isIdentifier(target)
    ? target.text
    : ts.isPropertyAccessExpression(target)
      ? target.name.text
      : null;
  if (direct && (direct === selfName || RESTART_NAME.test(direct))) return direct;
  if (!isFunctionBoundary(target)) return null;
  let found: string | null = null;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (name && (name === selfName || RESTART_NAME.test(name))) found = name;
    }
    ts.forEachChild(node, visit);
  };
  visit(target);
  return found;
}

/** Whether the wait's own statement is followed, in the same block, by a `throw`: give up, not try again. */
function rethrowsAfter(anchor: ts.Node): boolean {
  let statement: ts.Node = anchor;
  while (statement.parent && !ts.isBlock(statement.parent)) statement = statement.parent;
  const block = statement.parent;
  if (!block || !ts.isBlock(block)) return false;
  const index = block.statements.indexOf(statement as ts.Statement);
  return block.statements.slice(index + 1).some((s) => ts.isThrowStatement(s));
}

function innermostLoop(anchor: ts.Node, fn: ts.Node | null): ts.IterationStatement | null {
  for (let node = anchor.parent; node && node !== fn; node = node.parent) {
    if (isLoop(node)) return node;
  }
  return null;
}

/** Whether `fn` calls `name` (its own name: one answer per function). */
const callsSelfCache = new WeakMap<ts.Node, boolean>();

function callsNameWithin(fn: ts.Node, name: string, file: ts.SourceFile): boolean {
  let found = callsSelfCache.get(fn);
  if (found === undefined) {
    found = callsNamedIn(fn, name, file, false).length > 0;
    callsSelfCache.set(fn, found);
  }
  return found;
}

/** `retryDelay`, `reconnectInterval`, `backoffMs`: a wait, not a count of attempts, whatever else the name says. */
const DELAY_NAME = /delay|interval|wait|timeout|sleep|pause|ms$|millis|seconds|duration|backoff/i;

/** Names that change between attempts: for-loop variables, variables stepped inside the loop, recursion parameters. */
function attemptCounters(
  anchor: ts.Node,
  fn: ts.Node | null,
  loop: ts.IterationStatement | null,
  outer: ts.Node | null,
): Set<string> {
  const names = new Set<string>();
  for (let node = anchor.parent; node && node !== fn; node = node.parent) {
    if (ts.isForStatement(node) && node.initializer && ts.isVariableDeclarationList(node.initializer)) {
      for (const declaration of node.initializer.declarations) {
        if (ts.isIdentifier(declaration.name)) names.add(declaration.name.text);
      }
    }
  }
  if (loop) {
    const visit = (node: ts.Node): void => {
      if (
        (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
        (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
      ) {
        const name = counterName(node.operand);
        if (name) names.add(name);
      }
      if (
        ts.isBinaryExpression(node) &&
        (node.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken ||
          node.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken)
      ) {
        const right = unwrap(node.right);
        const name = counterName(node.left);
        if (name && ts.isNumericLiteral(right) && right.text === '1') names.add(name);
      }
      ts.forEachChild(node, visit);
    };
    visit(loop);
  }
  if (outer && isFunctionBoundary(outer)) {
    for (const parameter of outer.parameters) {
      if (
        ts.isIdentifier(parameter.name) &&
        ATTEMPT_NAME.test(parameter.name.text) &&
        !DELAY_NAME.test(parameter.name.text)
      )
        names.add(parameter.name.text);
    }
  }
  return names;
}

/**
 * What a loop steps by one: a local, or a field of the object (`this.attempt++` in a reconnect loop
 * of a class), named as the engine names the field (`self.attempt`).
 */
function counterName(node: ts.Expression): string | null {
  const target = unwrap(node);
  if (ts.isIdentifier(target)) return target.text;
  if (ts.isPropertyAccessExpression(target) && unwrap(target.expression).kind === ts.SyntaxKind.ThisKeyword)
    return `${FIELD_PREFIX}${target.name.text}`;
  return null;
}

const FIELD_PREFIX = 'self.';

/** The counter a finding names, as the source spells it (`this.attempt` for a field). */
function pickAttempt(counters: Set<string>): string | undefined {
  const names = [...counters];
  const name = names.find((n) => ATTEMPT_NAME.test(n)) ?? names[0];
  return name?.startsWith(FIELD_PREFIX) ? `this.${name.slice(FIELD_PREFIX.length)}` : name;
}

function loopWord(loop: ts.IterationStatement): string {
  if (ts.isForOfStatement(loop)) return 'for…of';
  if (ts.isForInStatement(loop)) return 'for…in';
  if (ts.isWhileStatement(loop)) return 'while';
  if (ts.isDoStatement(loop)) return 'do…while';
  return 'for';
}

export function lineOf(node: ts.Node, file: ts.SourceFile): number {
  return file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL - 1)}…` : flat;
}
