import { pauseBeforeTriedAttempt } from './try-attempt.js';
import type { RetryContextResult } from '../../flow/waits.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestors, descendantsOfTypes, field, lineOf, namedChildren } from '../tree-sitter/syntax.js';
import { cFamilyGrammar } from './c-family.js';
import { retryContext } from './retry-context.js';

/**
 * Is a Java call a pause between attempts? The curly-brace retry-context walk (a `catch` or an error
 * branch inside a loop, or in a method that calls itself), with Java's node names and HTTP words.
 */

export const JAVA_GRAMMAR = cFamilyGrammar({
  functions: [
    'method_declaration',
    'constructor_declaration',
    'compact_constructor_declaration',
    'lambda_expression',
    'static_initializer',
  ],
  loops: ['for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement'],
  forEach: ['enhanced_for_statement'],
  blocks: ['block', 'switch_block_statement_group'],
  catchClause: 'catch_clause',
  ifStatement: 'if_statement',
  tryStatement: 'try_statement',
  throwStatement: 'throw_statement',
  exits: ['return_statement', 'break_statement'],
  switchArms: ['switch_block_statement_group', 'switch_rule'],
  unarySteps: ['update_expression'],
  assignment: 'assignment_expression',
  invocation: 'method_invocation',
  ownCallName: (call) => {
    const object = call.childForFieldName('object');
    return !object || object.type === 'this' ? (call.childForFieldName('name')?.text ?? null) : null;
  },
  parameters: ['formal_parameter'],
  words: {
    // Status constants of Apache HttpClient (`HttpStatus.SC_SERVICE_UNAVAILABLE`) and `HttpURLConnection`.
    error:
      /!\s*[\w.]*(isSuccessful|is2xxSuccessful|isOk|isSuccess)\b|\b(is5xxServerError|is4xxClientError|isError|hasError|isFailure|failed)\b|==\s*[\w.]*\b(SC_|HTTP_)?(INTERNAL_SERVER_ERROR|INTERNAL_ERROR|SERVICE_UNAVAILABLE|UNAVAILABLE|BAD_GATEWAY|GATEWAY_TIMEOUT|TOO_MANY_REQUESTS)\b/,
    success: /\b(isSuccessful|is2xxSuccessful|isOk|isSuccess)\b/,
  },
});

/** Exceptions that only say a read found no data in time. */
const READ_TIMEOUT = /^(java\.net\.)?SocketTimeoutException$/;
/** Calls that read from a socket, a stream or a queue. */
const READ_CALL = /^(read\w*|receive\w*|accept|poll|take)$/;

export function javaRetryContext(call: Node): RetryContextResult | null {
  const context =
    retryContext(call, JAVA_GRAMMAR) ??
    reinvoked(call) ??
    attemptLoopCondition(call) ??
    pauseBeforeTriedAttempt(call, JAVA_GRAMMAR);
  return context && !readTimedOut(call) ? context : null;
}

/** The loop whose condition (or `for` update) holds a call, if any: it runs before each pass again. */
export function loopHeaderOf(call: Node): Node | null {
  let child = call;
  for (
    let node = call.parent;
    node && !JAVA_GRAMMAR.functions.has(node.type);
    child = node, node = node.parent
  ) {
    if (!JAVA_GRAMMAR.loops.has(node.type)) continue;
    const header = [field(node, 'condition'), field(node, 'update')];
    return header.some((part) => part?.id === child.id) ? node : null;
  }
  return null;
}

/**
 * A call in the condition of a loop whose body is an attempt — a `try` that leaves the loop when the
 * work succeeds, with a `catch` that lets it go round again (`while (strategy.shouldRetry()) { try {
 * connect(); return; } catch (IOException e) { continue; } }`): the call decides on, and runs before,
 * each attempt after a failure, so a wait inside the function it calls is the retry's pause.
 */
function attemptLoopCondition(call: Node): RetryContextResult | null {
  const loop = loopHeaderOf(call);
  const body = loop ? field(loop, 'body') : null;
  if (!loop || !body) return null;
  const attempt = descendantsOfTypes(body, TRY_STATEMENTS).find(
    (t) => enclosingFunctionOf(t)?.id === enclosingFunctionOf(loop)?.id && leavesOnSuccess(t) && goesRound(t),
  );
  if (!attempt) return null;
  return {
    trigger: { kind: 'exception' },
    counters: new Set(),
    evidence: [
      `is the condition of ${JAVA_GRAMMAR.loopWord(loop)} (line ${lineOf(loop)}) that leaves when the attempt succeeds and goes round again when it fails (line ${lineOf(attempt)})`,
    ],
  };
}

/** A `try` whose body leaves the loop (`return`, `break`) after its work. */
function leavesOnSuccess(attempt: Node): boolean {
  const body = field(attempt, 'body');
  return !!body && namedChildren(body).some((s) => LOOP_EXITS.has(s.type));
}

/** A `try` with a `catch` that neither rethrows nor leaves: the loop runs the attempt again. */
function goesRound(attempt: Node): boolean {
  return namedChildren(attempt).some((clause) => {
    if (clause.type !== 'catch_clause') return false;
    const body = field(clause, 'body');
    return !!body && !namedChildren(body).some((s) => s.type === 'throw_statement' || LOOP_EXITS.has(s.type));
  });
}

/**
 * A wait on a failure path followed by the same call the failed attempt made (`response =
 * chain.proceed(request)` again after a 429, `return handler.apply(…)` in the `catch`): the work runs
 * once more, a retry without a loop (RULES.md section 1, "followed by a re-invocation of the same work").
 */
export function reinvoked(call: Node): RetryContextResult | null {
  let child = call;
  for (
    let node = call.parent;
    node && !JAVA_GRAMMAR.functions.has(node.type);
    child = node, node = node.parent
  ) {
    const path = JAVA_GRAMMAR.failureAt(node, child);
    if (!path) continue;
    const fn = enclosingFunctionOf(node);
    if (!fn) return null;
    const before = new Set(
      descendantsOfTypes(fn, INVOCATIONS)
        .filter((c) => c.endIndex <= node.startIndex || insideTryOf(c, node))
        .map((c) => c.text.replace(/\s+/g, '')),
    );
    const again = descendantsOfTypes(node, INVOCATIONS).find(
      (c) =>
        c.startIndex >= call.endIndex &&
        WORK_POSITION.has(c.parent?.type ?? '') &&
        before.has(c.text.replace(/\s+/g, '')) &&
        !isWait(c),
    );
    if (!again) return null;
    return {
      trigger: path.trigger,
      counters: new Set(),
      evidence: [
        path.evidence,
        `then calls \`${clip(again.text)}\` again (line ${again.startPosition.row + 1})`,
      ],
    };
  }
  return null;
}

/** Methods that run when a connection closed or an attempt failed (the JDK's, Netty's, listeners'). */
export const FAILURE_HANDLER =
  /^(uncaughtException|channelInactive|channelUnregistered|exceptionCaught|connectionLost|on\w*(Close|Closed|Disconnect|Disconnected|Failure|Failed|Error|Lost|Drop|Dropped))$/;
/** Calls that start the failed work again, not any work (`sendAlert()` after a failure is no retry). */
const STARTS_AGAIN = /^(re)?(start|connect|subscribe)|^retry|Reconnect|Restart|Retry(?!After)/;

/**
 * A wait in a failure handler followed by starting the work again (`uncaughtException` → `new
 * Thread(task).start()`, `channelInactive` → `connect()`): the handler runs once per failure, so the
 * wait is the pause before the next attempt (RULES.md section 2, a reconnect from an error handler).
 */
export function handlerRestart(call: Node): RetryContextResult | null {
  const fn = enclosingFunctionOf(call);
  const name = fn?.type === 'method_declaration' ? (field(fn, 'name')?.text ?? '') : '';
  if (!fn || !FAILURE_HANDLER.test(name)) return null;
  const again = descendantsOfTypes(fn, INVOCATIONS).find(
    (c) =>
      c.startIndex >= call.endIndex &&
      WORK_POSITION.has(c.parent?.type ?? '') &&
      STARTS_AGAIN.test(field(c, 'name')?.text ?? '') &&
      enclosingFunctionOf(c)?.id === fn.id,
  );
  if (!again) return null;
  return {
    trigger: { kind: 'exception', detail: `\`${name}\` handler` },
    counters: new Set(),
    evidence: [
      `waits in \`${name}\` (line ${fn.startPosition.row + 1}), which runs when the work failed`,
      `then starts it again: \`${clip(again.text)}\` (line ${again.startPosition.row + 1})`,
    ],
  };
}

/**
 * Library callbacks that decide on a retry: the library sends the request again when they return
 * true (Apache HttpClient's `HttpRequestRetryHandler`, `HttpRequestRetryStrategy`,
 * `ServiceUnavailableRetryStrategy`), by the method and the interface it implements.
 */
const RETRY_DECISION = {
  method: /^retryRequest$/,
  type: /(^|\.)(HttpRequestRetryHandler|HttpRequestRetryStrategy|ServiceUnavailableRetryStrategy)$/,
};

/**
 * A wait in a retry-decision callback on the way to `return true` (or a condition): the library
 * re-sends right after it, so the wait is the pause between attempts. A wait before `return false` or
 * a `throw` is not.
 */
export function retryDecision(call: Node): RetryContextResult | null {
  const fn = enclosingFunctionOf(call);
  const name = fn?.type === 'method_declaration' ? (field(fn, 'name')?.text ?? '') : '';
  if (!fn || !RETRY_DECISION.method.test(name)) return null;
  const owner = implementedBy(fn);
  if (!owner || !returnsTrueAfter(call, fn)) return null;
  return {
    trigger: { kind: 'exception', detail: `\`${owner}.${name}\`` },
    counters: new Set(),
    evidence: [
      `waits in \`${owner}.${name}\` (line ${fn.startPosition.row + 1}), whose \`true\` makes the client send the request again`,
    ],
  };
}

/** The retry-decision interface a method's class (or anonymous class) implements, or null. */
function implementedBy(method: Node): string | null {
  const body = method.parent;
  const holder = body?.type === 'class_body' ? body.parent : null;
  const types =
    holder?.type === 'class_declaration'
      ? descendantsOfTypes(field(holder, 'interfaces') ?? holder, CATCH_TYPES).map((t) => t.text)
      : holder?.type === 'object_creation_expression'
        ? [field(holder, 'type')?.text ?? '']
        : [];
  return types.map((t) => t.replace(/<.*$/s, '')).find((t) => RETRY_DECISION.type.test(t)) ?? null;
}

/** Whether the statements after the wait, in its block or the blocks around it, return a retry first. */
function returnsTrueAfter(call: Node, fn: Node): boolean {
  for (let node: Node = call; node.parent && node.id !== fn.id; node = node.parent) {
    if (node.parent.type !== 'block') continue;
    for (let next = node.nextNamedSibling; next; next = next.nextNamedSibling) {
      if (next.type === 'throw_statement') return false;
      // `return true`, or a condition (`return count < MAX`) that is true on the attempts it retries.
      if (next.type === 'return_statement') return (namedChildren(next)[0]?.text ?? 'false') !== 'false';
    }
  }
  return false;
}

/** For a `catch`, the calls of its `try` body: the attempt that failed. */
function insideTryOf(call: Node, failure: Node): boolean {
  if (failure.type !== 'catch_clause' || !failure.parent) return false;
  const body = field(failure.parent, 'body');
  return !!body && call.startIndex >= body.startIndex && call.endIndex <= body.endIndex;
}

function enclosingFunctionOf(node: Node): Node | null {
  for (let at: Node | null = node; at; at = at.parent) if (JAVA_GRAMMAR.functions.has(at.type)) return at;
  return null;
}

function isWait(call: Node): boolean {
  return /sleep|wait|park/i.test(field(call, 'name')?.text ?? '');
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

/**
 * A wait in a `catch` of a read timeout around a read: the loop polls for data, nothing failed
 * (RULES.md section 1, read timeouts).
 */
function readTimedOut(call: Node): boolean {
  for (const node of ancestors(call)) {
    if (JAVA_GRAMMAR.functions.has(node.type)) break;
    if (node.type !== 'catch_clause') continue;
    const parameter = namedChildren(node).find((c) => c.type === 'catch_formal_parameter');
    const types = parameter
      ? descendantsOfTypes(parameter, CATCH_TYPES).filter((t) => t.parent?.type === 'catch_type')
      : [];
    if (types.length === 0 || !types.every((t) => READ_TIMEOUT.test(t.text))) return false;
    const body = node.parent ? field(node.parent, 'body') : null;
    return (
      !!body &&
      descendantsOfTypes(body, INVOCATIONS).some((c) => READ_CALL.test(field(c, 'name')?.text ?? ''))
    );
  }
  return false;
}

/** Where a call is the work itself (its result kept or returned), not an argument of something else. */
const WORK_POSITION = new Set([
  'expression_statement',
  'assignment_expression',
  'return_statement',
  'variable_declarator',
]);
const CATCH_TYPES = new Set(['type_identifier', 'scoped_type_identifier']);
const TRY_STATEMENTS = new Set(['try_statement', 'try_with_resources_statement']);
const LOOP_EXITS = new Set(['return_statement', 'break_statement']);
const INVOCATIONS = new Set(['method_invocation']);
