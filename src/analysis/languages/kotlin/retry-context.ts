import { ATTEMPT_NAME, CONNECT_CALL } from '../../context.js';
import type { FailurePath, FunctionFact } from '../../flow/ir.js';
import type { RetryContextResult } from '../../flow/waits.js';
import { isErrorCondition, isOverload, isSuccessCondition, type ConditionWords } from '../java/conditions.js';
import type { Node } from '../tree-sitter/runtime.js';
import {
  ancestorPath,
  ancestors,
  clip,
  descendantsOfTypes,
  field,
  lineOf,
  namedChildren,
  oncePerNode,
} from '../tree-sitter/syntax.js';
import { loopLimit } from '../tree-sitter/loop-limit.js';
import { ifBranches } from './lower.js';
import { callArguments, calleeParts, extensionReceiver, lambdaOf, unwrapCall } from './syntax.js';

/**
 * Is a Kotlin wait a pause between attempts (RULES.md section 1)? It must run only after something
 * failed — a `catch` block, an error branch (`if (!response.isSuccessful)`, `when (code) { 429 -> … }`),
 * a `runCatching { }.onFailure { }` handler, or after a success exit earlier in the loop body (a `try`
 * that returns) — and the work must run again: a loop around it (`while`, `for`, `do`, `repeat { }`,
 * `(1..n).forEach { }`) or the function calling itself. A Flow's `retryWhen { }` / `retry(n) { }`
 * predicate is both at once: it runs after a failure, and the flow is collected again when it says so.
 *
 * Lambdas are functions of their own (a `launch { }` body does not belong to the loop around it),
 * except the inline scope functions (`let`, `run`, `withContext`, …), which run in place.
 */

export const FUNCTION_TYPES = new Set([
  'function_declaration',
  'secondary_constructor',
  'anonymous_function',
  'anonymous_initializer',
  'getter',
  'setter',
  'class_body',
]);
const LOOP_TYPES = new Set(['while_statement', 'for_statement', 'do_while_statement']);
const CALLS = new Set(['call_expression']);
const TRIES = new Set(['try_expression']);
const STEPS = new Set(['unary_expression', 'assignment']);

/** Inline functions whose lambda runs in place, once. */
const IN_PLACE =
  /^(let|also|apply|run|with|use|synchronized|withContext|withTimeout|withTimeoutOrNull|withLock|coroutineScope|supervisorScope|runInterruptible|takeIf|takeUnless|ifEmpty|trace|measureTimeMillis|measureTime)$/;
/** Handlers of a failed `Result` or flow. */
const ON_FAILURE =
  /^(onFailure|getOrElse|recover|recoverCatching|catch|onErrorResume|onErrorReturn|exceptionOrNull)$/;
/** Iterations whose lambda repeats: `repeat(n) { }`, `(1..n).forEach { }`. */
const ITERATION =
  /^(forEach|forEachIndexed|onEach|map|mapNotNull|mapIndexed|firstNotNullOfOrNull|firstOrNull|first|any|all|takeWhile)$/;
/** kotlinx.coroutines flows, whose `retry { }` predicate collects them again. */
const FLOW_TYPE = /^(Flow|SharedFlow|StateFlow|MutableSharedFlow|MutableStateFlow)\b/;
const RANGE_RECEIVER = /\.\.|\buntil\b|\bdownTo\b|\bindices\b|IntRange|LongRange/;

const WORDS: ConditionWords = {
  error: /\bisFailure\b|!\s*[\w.?]*\.?isSuccess(ful)?\b/,
  success: /\bisSuccess(ful)?\b/,
};
const READ_TIMEOUT =
  /^(java\.net\.)?(SocketTimeoutException|InterruptedIOException|TimeoutCancellationException)$/;
const READ_CALL = /\.(read|readLine|readBytes|receive|receiveCatching|poll|take|accept|recv)\s*\(/;
const STATEMENT_LISTS = /^(block|lambda_literal|source_file|control_structure_body)$/;
/** Callbacks of a connection that closed or failed (OkHttp `WebSocketListener`, MQTT, Ktor). */
const CLOSE_HANDLER =
  /^on(Failure|Failed|Error|Close|Closed|Closing|Disconnect|Disconnected|ConnectionLost|ConnectionFailed)$|^connectionLost$/;
const RECONNECT = /^(re)?connect\w*$|^restart\w*$|^resubscribe\w*$|^retry\w*$/i;
const STATUS_ENTRY = /^(408|429|5\d\d)$|^in\s+5\d\d\s*(\.\.|until)/;
/** Calls that do handed work again (`send(record)`, `resubmit(job)`), not ones that show it (`startAnimation(view)`). */
const RESEND =
  /^(re|Re)?(send|submit|publish|produce|enqueue|execute|run|process|fetch|retry|dispatch|deliver|upload)(?![a-z])/;
/** A parameter type that hands a function a failure. */
const FAILURE_TYPE = /^(Exception|Throwable|\w+Exception)$/;
/** Code that runs later or elsewhere: a call inside it is not made by the statement itself. */
const BODIES = new Set([...FUNCTION_TYPES, 'lambda_literal']);

type LambdaRole = 'loop' | 'predicate' | 'failure' | 'in-place' | 'function';

/** What the lambda of a call is to the code around it. */
export function lambdaRole(lambda: Node): { role: LambdaRole; call: Node | null } {
  const annotated = lambda.parent;
  const outer = annotated?.parent;
  if (!annotated || annotated.type !== 'annotated_lambda' || outer?.type !== 'call_expression')
    return { role: 'function', call: null };
  const call = unwrapCall(outer);
  const { name, receiver } = calleeParts(call);
  if (name === 'repeat' && !receiver) return { role: 'loop', call };
  if (ITERATION.test(name) && receiver && RANGE_RECEIVER.test(receiver.text)) return { role: 'loop', call };
  // `retryWhen` is a Flow's whatever its receiver (inside a `Flow<T>` extension it has none); a bare
  // `retry(3) { … }` is as often a helper whose lambda is the work, so it needs a flow (a receiver, or
  // the `Flow` an extension is declared on) and a predicate.
  if (
    name === 'retryWhen' ||
    (name === 'retry' && (receiver || inFlowExtension(call)) && endsInBoolean(lambda))
  )
    return { role: 'predicate', call };
  if (receiver && ON_FAILURE.test(name)) return { role: 'failure', call };
  if (IN_PLACE.test(name)) return { role: 'in-place', call };
  return { role: 'function', call };
}

/** Inside an extension function of a flow, where a bare `retry { }` is the flow's own. */
function inFlowExtension(node: Node): boolean {
  let fn = node.parent;
  while (fn && fn.type !== 'function_declaration') fn = fn.parent;
  const receiver = fn ? extensionReceiver(fn) : undefined;
  return !!receiver && FLOW_TYPE.test(receiver.text);
}

/** `{ …; true }`, `{ cause -> cause is IOException }`: a predicate, not the work itself. */
function endsInBoolean(lambda: Node): boolean {
  const last = namedChildren(lambda).pop();
  if (!last) return false;
  if (last.type === 'identifier') return last.text === 'true' || last.text === 'false';
  if (last.type === 'if_expression') {
    const { consequence, alternative } = ifBranches(last);
    return !!consequence && !!alternative && [consequence, alternative].every(branchEndsInBoolean);
  }
  return (
    /^(check_expression|is_expression|type_test|binary_expression|conjunction_expression|disjunction_expression|comparison_expression|equality_expression)$/.test(
      last.type,
    ) && /\bis\b|[<>]=?|==|!=|&&|\|\|/.test(last.text)
  );
}

function branchEndsInBoolean(branch: Node): boolean {
  const last = branch.type === 'block' ? namedChildren(branch).pop() : branch;
  return !!last && (last.text === 'true' || last.text === 'false');
}

export function retryContext(wait: Node): RetryContextResult | null {
  let failure: FailurePath | null = null;
  let failureNode: Node | null = null;
  let loop: { node: Node; word: string; counters: string[] } | null = null;
  let fn: Node | null = null;
  // One descent for every ancestor (each `parent` step is a descent of its own).
  const path = ancestorPath(wait);
  for (let index = 0; index < path.length; index += 1) {
    const node = path[index]!;
    const child = index === 0 ? wait : path[index - 1]!;
    if (FUNCTION_TYPES.has(node.type) || node.type === 'source_file') {
      fn = node;
      break;
    }
    if (node.type === 'lambda_literal') {
      const { role, call } = lambdaRole(node);
      if (role === 'predicate' && call) {
        const params = lambdaParameters(node);
        const name = calleeParts(call).name;
        failure ??= {
          trigger: { kind: 'exception' },
          evidence: `waits in a \`${name}\` predicate (line ${lineOf(call)})`,
        };
        loop ??= {
          node: call,
          word: `\`${name}\`, which collects the flow again when the predicate is true`,
          counters: name === 'retryWhen' && params[1] ? [params[1]] : [],
        };
        break;
      }
      if (role === 'failure' && call && !failure)
        failure = {
          trigger: { kind: 'exception' },
          evidence: `waits in an \`${calleeParts(call).name}\` handler (line ${lineOf(call)})`,
        };
      if (!failure) {
        const exit = role === 'loop' ? successExitBefore(node, child) : null;
        if (exit) failure = exit;
      }
      if (role === 'loop' && call && !loop) {
        const params = lambdaParameters(node);
        const { name } = calleeParts(call);
        const counters = name === 'repeat' || params.length > 0 ? [params[0] ?? 'it'] : [];
        loop = { node: call, word: `a \`${name}\` loop`, counters };
      }
      if (role === 'function') {
        fn = node;
        break;
      }
      continue;
    }
    if (!failure) {
      failure = failureAt(node, child);
      if (failure) failureNode = node;
    }
    if (LOOP_TYPES.has(node.type)) {
      if (!failure && node.type === 'while_statement') failure = whileFailing(node);
      loop ??= { node, word: loopWord(node), counters: loopVariables(node) };
    }
  }
  if (!failure) return handlerReconnect(wait);
  if (givesUpAfter(wait)) return null;
  const name = fn?.type === 'function_declaration' ? (field(fn, 'name')?.text ?? null) : null;
  const recursion = !loop && !!fn && !!name && callsItself(fn, name);
  if (!loop && !recursion) {
    const again = failureNode && fn ? callMadeAgain(wait, failureNode, fn) : null;
    if (!again) return null;
    return {
      trigger: failure.trigger,
      counters: new Set(),
      evidence: [failure.evidence, `then calls \`${clip(again.text, 60)}\` again (line ${lineOf(again)})`],
    };
  }
  const counters = new Set<string>(loop?.counters ?? []);
  if (loop) for (const stepped of steppedNames(loop.node)) counters.add(stepped);
  if (recursion && fn)
    for (const param of parameterNames(fn)) if (ATTEMPT_NAME.test(param)) counters.add(param);
  const names = [...counters];
  const attemptVar = names.find((n) => ATTEMPT_NAME.test(n)) ?? names[0];
  const limit = attemptVar === undefined ? undefined : loopLimit(wait, attemptVar, FUNCTION_TYPES, path);
  return {
    trigger: failure.trigger,
    counters,
    ...(attemptVar === undefined ? {} : { attemptVar }),
    ...(limit ? { limit } : {}),
    evidence: [
      failure.evidence,
      loop ? `inside ${loop.word} (line ${lineOf(loop.node)})` : `which calls \`${name}\` again`,
    ],
  };
}

/** Where a call is the work itself (its result kept or returned, or a statement), not an argument. */
const WORK_POSITION =
  /^(assignment|property_declaration|return_expression|jump_expression|statements|block|control_structure_body)$/;
/** Calls that only log: the same message before and after a wait repeats no work. */
const LOGGING = /^(println|print)$|(^|\.)(log|logger|Log|Timber|LOG|LOGGER)\./;

/**
 * A wait on a failure path followed by the same call the failed attempt made (`response =
 * chain.proceed(chain.request())` again after a 429, the `try`'s call again in its `catch`): the work
 * runs once more, a retry without a loop (RULES.md section 1, "followed by a re-invocation of the same
 * work"), as in Java and C#.
 */
function callMadeAgain(wait: Node, failure: Node, fn: Node): Node | null {
  const attempt = failure.type === 'catch_block' && failure.parent ? namedChildren(failure.parent)[0] : null;
  const textOf = (call: Node): string => call.text.replace(/\s+/g, '');
  const before = new Set(
    descendantsOfTypes(fn, CALLS)
      .filter(
        (c) =>
          c.endIndex <= failure.startIndex ||
          (!!attempt && c.startIndex >= attempt.startIndex && c.endIndex <= attempt.endIndex),
      )
      .map(textOf),
  );
  return (
    descendantsOfTypes(failure, CALLS).find(
      (c) =>
        c.startIndex >= wait.endIndex &&
        WORK_POSITION.test(c.parent?.type ?? '') &&
        !LOGGING.test(calleeParts(unwrapCall(c)).qualified) &&
        !/sleep|delay|wait/i.test(calleeParts(unwrapCall(c)).name) &&
        before.has(textOf(c)),
    ) ?? null
  );
}

/**
 * A close or error callback (`override fun onFailure(…)`, `onClosed`) that waits and then connects
 * again (`launch { delay(N); connect() }`), or an error handler handed the failure and the work that
 * failed (`handle(ex: Exception, record: ProducerRecord)`) that waits and then sends that work again:
 * a retry scheduled from the handler (RULES.md section 2).
 */
/**
 * Whether a function could be the handler `handlerReconnect` looks for (named like a close or failure
 * callback, or handed an exception): a cheap test on its facts, so most calls never walk the tree.
 */
export function mayHandleFailure(fn: FunctionFact): boolean {
  return CLOSE_HANDLER.test(fn.name) || fn.params.some((p) => FAILURE_TYPE.test(p.type ?? ''));
}

export function handlerReconnect(wait: Node): RetryContextResult | null {
  // Most calls are in no handler at all: that is settled first, from one walk up the tree.
  let handler: Node | null = null;
  for (const node of ancestors(wait)) {
    if (node.type === 'function_declaration') {
      handler = node;
      break;
    }
    if (FUNCTION_TYPES.has(node.type)) return null;
  }
  if (!handler) return null;
  const name = field(handler, 'name')?.text ?? '';
  const params = typedParameters(handler);
  const closes = CLOSE_HANDLER.test(name);
  const caught = closes ? undefined : params.find((p) => FAILURE_TYPE.test(p.type));
  if (!closes && !caught) return null;
  const { statement, container } = statementOf(wait);
  if (!container || givesUpAfter(wait)) return null;
  // What the handler was handed besides the failure: the work a retry does again.
  const handed = params.filter((p) => p !== caught).map((p) => p.name);
  const restart = namedChildren(container)
    .filter((s) => s.startIndex > statement.startIndex)
    .flatMap((s) => [s, ...descendantsOfTypes(s, CALLS, BODIES)].filter((c) => CALLS.has(c.type)))
    .map(unwrapCall)
    .find((call) => {
      const called = calleeParts(call).name;
      if (RECONNECT.test(called)) return true;
      return (
        !!caught && RESEND.test(called) && callArguments(call).nodes.some((a) => handed.includes(rootName(a)))
      );
    });
  if (!restart) return null;
  const again = `then calls \`${calleeParts(restart).name}()\` again (line ${lineOf(restart)})`;
  if (caught)
    return {
      trigger: { kind: 'exception', detail: caught.type },
      counters: new Set(),
      evidence: [
        `waits in \`${name}\`, which is handed the failure \`${caught.name}: ${caught.type}\` (line ${lineOf(handler)})`,
        `${again} with the work it was handed`,
      ],
    };
  return {
    trigger: { kind: 'exception', detail: name },
    counters: new Set(),
    evidence: [`waits in the \`${name}\` handler (line ${lineOf(handler)})`, again],
  };
}

/** The name a value is read from: `record` of `record` and of `task.record`. */
function rootName(node: Node): string {
  let root = node;
  while (root.type === 'navigation_expression' && root.namedChild(0)) root = root.namedChild(0)!;
  return root.type === 'identifier' ? root.text : '';
}

/** A function's parameters with their declared types (`ex: Exception` → `Exception`). */
function typedParameters(fn: Node): { name: string; type: string }[] {
  const list = namedChildren(fn).find((c) => c.type === 'function_value_parameters');
  return (list ? namedChildren(list) : [])
    .filter((p) => p.type === 'parameter')
    .map((p) => {
      const [name, type] = namedChildren(p);
      return { name: name?.text ?? '', type: type?.text.replace(/\?$/, '') ?? '' };
    });
}

/** Whether a node runs in a lambda of its own (`launch { }`, a callback) rather than when its function runs. */
export function deferred(node: Node): boolean {
  for (let up = node.parent; up && !FUNCTION_TYPES.has(up.type); up = up.parent)
    if (up.type === 'lambda_literal' && lambdaRole(up).role === 'function') return true;
  return false;
}

/**
 * The failure path a call runs on in its own function (a `catch`, an error branch), looked for up to
 * the function or a lambda that runs elsewhere: a `recon.schedule(…)` in a `catch` runs only after one.
 */
export function failurePath(call: Node): FailurePath | null {
  let child = call;
  for (let node = call.parent; node && !FUNCTION_TYPES.has(node.type); child = node, node = node.parent) {
    if (node.type === 'lambda_literal') {
      const { role, call: handler } = lambdaRole(node);
      if (role === 'failure' && handler)
        return {
          trigger: { kind: 'exception' },
          evidence: `runs in an \`${calleeParts(handler).name}\` handler (line ${lineOf(handler)})`,
        };
      if (role !== 'in-place') return null;
      continue;
    }
    const found = failureAt(node, child);
    if (found) return found;
  }
  return null;
}

function failureAt(node: Node, child: Node): FailurePath | null {
  if (node.type === 'catch_block') {
    if (isReadTimeout(node)) return null;
    const caught = namedChildren(node).find(
      (c) => c.type !== 'identifier' && c.type !== 'block' && c.type !== 'annotation',
    );
    const overload = isOverload(node.text);
    return {
      trigger: { kind: 'exception', detail: overload ?? caught?.text },
      evidence: `waits in a \`catch${caught ? ` (${clip(caught.text, 60)})` : ''}\` block (line ${lineOf(node)})${overload && !caught?.text.includes(overload) ? ` that handles \`${overload}\`` : ''}`,
    };
  }
  if (node.type === 'if_expression') {
    const condition = field(node, 'condition');
    if (!condition || condition.equals(child)) return null;
    const { consequence, alternative } = ifBranches(node);
    const text = condition.text;
    if (consequence?.equals(child) && isErrorCondition(text, WORDS))
      return conditionPath(text, 'holds', node);
    if (alternative?.equals(child) && isSuccessCondition(text, WORDS))
      return conditionPath(text, 'fails', node);
    return null;
  }
  if (node.type === 'when_entry') {
    const conditions = namedChildren(node).filter((c) => !c.equals(child) && c.type !== 'block');
    const label = conditions.map((c) => c.text.trim()).find((t) => STATUS_ENTRY.test(t) || isOverload(t));
    if (label)
      return {
        trigger: { kind: 'status', detail: label },
        evidence: `waits in the \`${clip(label, 40)}\` branch of a \`when\` (line ${lineOf(node)})`,
      };
    return null;
  }
  if (node.type === 'block' && node.parent && LOOP_TYPES.has(node.parent.type))
    return successExitBefore(node, child);
  return null;
}

/**
 * `catch (e: SocketTimeoutException)` around a read (`read`, `receive`, `poll`, `accept`): no data came
 * in time, nothing failed, and the loop reads again — polling (RULES.md section 1).
 */
function isReadTimeout(handler: Node): boolean {
  const caught = namedChildren(handler).find((c) => /type/.test(c.type))?.text ?? '';
  if (!READ_TIMEOUT.test(caught)) return false;
  const attempt = handler.parent?.type === 'try_expression' ? namedChildren(handler.parent)[0] : null;
  return !!attempt && READ_CALL.test(attempt.text);
}

function conditionPath(text: string, verb: 'holds' | 'fails', statement: Node): FailurePath {
  const shown = clip(text.replace(/\s+/g, ' '));
  return {
    trigger: {
      kind: /status|code|\b[45]\d\d\b|success/i.test(shown) ? 'status' : 'exception',
      detail: shown,
    },
    evidence: `waits when \`${shown}\` ${verb} (line ${lineOf(statement)})`,
  };
}

/** `while (response.code == 429) { sleep(…); response = retry() }`: the loop runs while the attempt fails. */
function whileFailing(loop: Node): FailurePath | null {
  const condition = field(loop, 'condition');
  if (!condition || !isOverload(condition.text)) return null;
  return conditionPath(condition.text, 'holds', loop);
}

/**
 * A loop body that leaves on success before the wait (a `try` whose body returns or breaks, an
 * `if (response.isSuccessful) return …`) only reaches the wait after a failure.
 */
function successExitBefore(body: Node, waitStatement: Node): FailurePath | null {
  for (const statement of namedChildren(body)) {
    if (statement.startIndex >= waitStatement.startIndex) break;
    if (
      statement.type === 'try_expression' &&
      namedChildren(statement).some((c) => c.type === 'catch_block')
    ) {
      const attempt = namedChildren(statement).find((c) => c.type === 'block');
      if (attempt && exits(attempt))
        return {
          trigger: { kind: 'exception' },
          evidence: `waits after a \`try\` that leaves the loop on success (line ${lineOf(statement)})`,
        };
    }
    if (statement.type === 'if_expression') {
      const condition = field(statement, 'condition');
      const { consequence } = ifBranches(statement);
      if (condition && consequence && exits(consequence) && isSuccessCondition(condition.text, WORDS))
        return conditionPath(condition.text, 'fails', statement);
    }
    const reconnect = swallowedConnect(statement);
    if (reconnect) return reconnect;
  }
  return null;
}

/**
 * A `try` that connects (`sessionConnector { … }`, `client.reconnect()`) with a `catch` that lets the
 * failure fall through: the loop's wait after it is the pause before the next connection attempt.
 */
function swallowedConnect(statement: Node): FailurePath | null {
  const tries = [statement, ...descendantsOfTypes(statement, TRIES, BODIES)].filter((t) => TRIES.has(t.type));
  for (const attempt of tries) {
    const handlers = namedChildren(attempt).filter((c) => c.type === 'catch_block');
    const body = namedChildren(attempt).find((c) => c.type === 'block');
    if (!body || handlers.length === 0 || handlers.some((h) => leaves(h) || isReadTimeout(h))) continue;
    const connect = [body, ...descendantsOfTypes(body, CALLS, BODIES)]
      .filter((c) => CALLS.has(c.type))
      .map((c) => calleeParts(unwrapCall(c)).name)
      .find((name) => CONNECT_CALL.test(name));
    if (connect)
      return {
        trigger: { kind: 'exception', detail: 'connection' },
        evidence: `waits after a \`try\` that calls \`${connect}\` and goes on when it fails (line ${lineOf(attempt)})`,
      };
  }
  return null;
}

/** A handler that does not reach the wait after it: `throw`, `return`, `break`, `continue`. */
function leaves(handler: Node): boolean {
  const block = namedChildren(handler).find((c) => c.type === 'block');
  return (
    !!block &&
    (exits(block) ||
      namedChildren(block).some((s) => s.type === 'throw_expression' || /^continue\b/.test(s.text)))
  );
}

/** A statement or block that leaves the loop: `return`, `break`, `return@label`. */
function exits(node: Node): boolean {
  const statements = node.type === 'block' ? namedChildren(node) : [node];
  return statements.some(
    (s) =>
      s.type === 'return_expression' ||
      (s.type === 'identifier' && s.text === 'break') ||
      (s.type === 'labeled_expression' && /^break@/.test(s.text)) ||
      (s.type === 'property_declaration' && /=\s*return\b/.test(s.text)),
  );
}

/** The statement holding `node`, and the block (or lambda) it is a statement of. */
function statementOf(node: Node): { statement: Node; container: Node | null } {
  const path = ancestorPath(node);
  const at = path.findIndex((ancestor) => STATEMENT_LISTS.test(ancestor.type));
  if (at < 0) return { statement: path[path.length - 1] ?? node, container: null };
  return { statement: at === 0 ? node : path[at - 1]!, container: path[at]! };
}

/** The wait is followed, in its own block, by a `throw`: it gives up after waiting. */
function givesUpAfter(wait: Node): boolean {
  const { statement, container } = statementOf(wait);
  if (!container) return false;
  return namedChildren(container).some(
    (s) => s.startIndex > statement.startIndex && s.type === 'throw_expression',
  );
}

function lambdaParameters(lambda: Node): string[] {
  const list = namedChildren(lambda).find((c) => c.type === 'lambda_parameters');
  return list ? namedChildren(list).map((p) => namedChildren(p)[0]?.text ?? p.text) : [];
}

function loopWord(loop: Node): string {
  if (loop.type === 'for_statement') return 'a `for` loop';
  return loop.type === 'while_statement' ? 'a `while` loop' : 'a `do … while` loop';
}

/** `for (attempt in 1..5)`: the variable counts attempts when the loop walks a range. */
function loopVariables(loop: Node): string[] {
  if (loop.type !== 'for_statement') return [];
  const [variable, iterated] = namedChildren(loop).filter(
    (c) => c.type !== 'label' && c.type !== 'annotation',
  );
  if (!variable || variable.type !== 'variable_declaration' || !iterated) return [];
  const name = namedChildren(variable)[0]?.text;
  return name && RANGE_RECEIVER.test(iterated.text) ? [name] : [];
}

/** Names stepped by one (`attempt++`, `attempt += 1`) under `node`: searched once per loop, which every call in it asks. */
const steppedNames = oncePerNode((node: Node): string[] => {
  const names: string[] = [];
  const scope = node.type === 'call_expression' ? (lambdaOf(node) ?? node) : node;
  for (const step of descendantsOfTypes(scope, STEPS, FUNCTION_TYPES)) {
    if (step.type === 'unary_expression') {
      const match = /^(?:\+\+|--)\s*([A-Za-z_]\w*)$|^([A-Za-z_]\w*)\s*(?:\+\+|--)$/.exec(step.text);
      if (match) names.push(match[1] ?? match[2]!);
      continue;
    }
    const left = field(step, 'left');
    const operator = field(step, 'operator')?.text;
    if (
      left?.type === 'identifier' &&
      (operator === '+=' || operator === '-=') &&
      field(step, 'right')?.text === '1'
    )
      names.push(left.text);
  }
  return names;
});

function callsItself(fn: Node, name: string): boolean {
  if (!fn.text.includes(name)) return false;
  return descendantsOfTypes(fn, CALLS, new Set(['class_body'])).some((call) => {
    const parts = calleeParts(call);
    return parts.name === name && (!parts.receiver || parts.receiver.type === 'this_expression');
  });
}

function parameterNames(fn: Node): string[] {
  const list = namedChildren(fn).find((c) => c.type === 'function_value_parameters');
  return list
    ? namedChildren(list)
        .filter((p) => p.type === 'parameter')
        .map((p) => namedChildren(p)[0]?.text ?? '')
    : [];
}
