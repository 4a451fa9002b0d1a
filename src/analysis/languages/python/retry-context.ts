import {
  ATTEMPT_NAME,
  CONNECT_ROUTINE,
  isRetryLimit,
  LOGGING_CALL,
  NO_DATA_SIGNAL,
  OVERLOAD_SIGNAL,
  REACHABLE_CONDITION,
  RUNS_UNTIL_DROPPED,
  turnedRound,
} from '../../context.js';
import type { Trigger } from '../../finding.js';
import type { Node } from '../tree-sitter/runtime.js';
import {
  attemptOf,
  exitLineAfter,
  clip,
  descendantsOfTypes,
  enclosingBy,
  field,
  countersOncePerLoop,
  lineage,
  lineOf,
  namedChildren,
  oncePerNode,
  type ParentOf,
} from '../tree-sitter/syntax.js';
import { parameterNames } from './module.js';
import type { Expr, FailurePath } from '../../flow/ir.js';

/**
 * Is a Python wait a pause between attempts (RULES.md section 1)? It must run only after something
 * failed (an `except` clause, an error branch, or after a success exit earlier in the loop body),
 * and the work must run again (a loop around it, or the function calling itself).
 */

export interface PyRetryContext {
  trigger: Trigger;
  /** Names that change from one attempt to the next. */
  counters: Set<string>;
  attemptVar?: string;
  /** What a `for … in range(…)` counter stays below. */
  limit?: Expr;
  evidence: string[];
}

export const FUNCTION_TYPES = new Set(['function_definition', 'lambda']);
const LOOP_TYPES = new Set(['while_statement', 'for_statement']);
const NESTED_SCOPES = new Set(['function_definition', 'lambda', 'class_definition']);
const CALL = new Set(['call']);
const AUGMENTED = new Set(['augmented_assignment']);
const CONDITIONALS = new Set(['if_statement', 'elif_clause', 'while_statement']);

/** `not resp.ok`, `status_code >= 500`, `status in (429, 503)`, `if err:`, `error is not None`. */
const ERROR_CONDITION =
  /\bnot\s+[\w.]*\b(ok|success|succeeded)\b|(status|status_code|code)\s*(>=|>)\s*[45]\d\d|(status|status_code)\s*!=\s*20\d|(status|status_code)\s*==\s*(408|429|5\d\d)|(status|status_code)\s+in\s+[([{][^)\]}]*\b(408|429|5\d\d)\b|(status|status_code|code)\s+in\s+[\w.]*(retry|retriable|retryable|temporary|transient|error|fail)\w*\s*$|^\s*(err|error|exc|exception|failure|failed|last_error)\s*$|\b(err|error|exc|exception|last_error)\s+is\s+not\s+None|\b(is_retryable|should_retry|retryable|is_transient|is_throttl\w*)\s*\(|\b(429|502|503|504)\b/i;

/**
 * `resp.ok`, `status_code == 200`, `status < 400`, `success`, a name made of `success` (`is_success()`,
 * `query_succeeded`, `my_success_condition`; not `unsuccessful` nor a tally like `success_count`):
 * leaving here means it worked.
 */
const SUCCESS_CONDITION =
  /^\s*[\w.]*\.ok\s*$|^\s*(ok|success|succeeded|done_ok)\s*$|(status|status_code)\s*==\s*20\d|(status|status_code)\s*<\s*(300|400)|(status|status_code)\s+in\s+[([{][^)\]}]*\b20\d\b|\.(success|succeeded)\s*$|^\s*(?:[\w.]*[._])?(success|successful|succeeded)(?!_(count|counter|rate|ratio|total|num|number|pct|percent)\b)(?:_\w+)?(?:\([^()]*\))?\s*$/i;

/** A state being waited for, not a failure: polling (`status != 'done'`, `not job.finished`). */
const POLLING_CONDITION =
  /(==|!=)\s*['"][\w -]+['"]|\b(done|ready|finished|complete|completed|is_done|is_ready|is_complete|running|pending)\b/i;

export function retryContext(call: Node): PyRetryContext | null {
  const up = lineage(call);
  const fn = enclosingBy(up, call, FUNCTION_TYPES);
  const path = failurePath(call, fn, up);
  if (!path) return null;
  if (givesUpAfter(call, up)) return null;
  const loop = enclosingBy(up, call, LOOP_TYPES, FUNCTION_TYPES);
  const name = fn ? field(fn, 'name')?.text : undefined;
  const recursion = !!fn && !!name && callsItself(fn, name);
  if (!loop && !recursion) return null;
  const counters = attemptCounters(call, fn, loop, up);
  const evidence = [
    path.evidence,
    loop
      ? `inside a \`${loop.type === 'for_statement' ? 'for' : 'while'}\` loop (line ${lineOf(loop)})`
      : `which calls \`${name}\` again`,
  ];
  const attemptVar = pickAttempt(counters);
  const limit = attemptVar === undefined ? undefined : rangeLimit(call, fn, up, attemptVar);
  return { trigger: path.trigger, counters, attemptVar, evidence, ...(limit ? { limit } : {}) };
}

/**
 * `for attempt in range(5)` / `range(1, MAX_TRIES)`: the bound the counter stays below, as a number or
 * a name the engine resolves (anything else is not followed).
 */
function rangeLimit(call: Node, fn: Node | null, up: ParentOf, counter: string): Expr | undefined {
  for (let node = up(call); node && !(fn && node.id === fn.id); node = up(node)) {
    if (node.type !== 'for_statement' || field(node, 'left')?.text !== counter) continue;
    const right = field(node, 'right');
    if (right?.type !== 'call' || !/(^|\.)range$/.test(field(right, 'function')?.text ?? ''))
      return undefined;
    const args = namedChildren(field(right, 'arguments') ?? right).filter((a) => a.type !== 'comment');
    const stop = args.length === 1 || args.length === 2 ? args[args.length - 1]! : null;
    if (stop?.type === 'integer') return { k: 'num', value: Number(stop.text.replace(/_/g, '')) };
    if (stop?.type === 'identifier') return { k: 'name', name: stop.text, line: lineOf(stop) };
    return undefined;
  }
  return undefined;
}

/** The failure a call runs after (an `except` clause, an error branch), whatever repeats it. */
export function failureAt(call: Node): FailurePath | null {
  const up = lineage(call);
  const path = failurePath(call, enclosingBy(up, call, FUNCTION_TYPES), up);
  if (!path) return null;
  const exitsAt = exitLineAfter(
    call,
    FUNCTION_TYPES,
    (s) => s.type === 'return_statement' || s.type === 'raise_statement',
  );
  return exitsAt === undefined ? path : { ...path, exitsAt };
}

function failurePath(call: Node, fn: Node | null, up: ParentOf): FailurePath | null {
  let child: Node = call;
  for (let node = up(call); node && !(fn && node.id === fn.id); child = node, node = up(node)) {
    if (node.type === 'except_clause' || node.type === 'except_group_clause') {
      const caught = namedChildren(node).find((n) => n.type !== 'block')?.text ?? '';
      // `except queue.Empty:` — nothing to read yet; waiting and reading again is polling.
      if (caught && NO_DATA_SIGNAL.test(caught) && !OVERLOAD_SIGNAL.test(caught)) return null;
      if (pacesBothWays(call, node)) return null;
      const overload = OVERLOAD_SIGNAL.exec(node.text)?.[0];
      const what = overload ?? (caught ? clip(caught.replace(/\s+as\s+\w+$/, ''), 60) : '');
      const tried = up(node)?.type === 'try_statement' ? field(up(node)!, 'body') : null;
      return {
        trigger: { kind: 'exception', detail: what || undefined },
        evidence: `waits in an \`except${caught ? ` ${clip(caught, 60)}` : ''}\` clause (line ${lineOf(node)})${overload && !caught.includes(overload) ? ` that handles \`${overload}\`` : ''}`,
        ...(tried ? { attempt: attemptOf(tried, tried) } : {}),
      };
    }
    if (node.type === 'if_statement' || node.type === 'elif_clause') {
      const condition = field(node, 'condition');
      const consequence = field(node, 'consequence');
      if (condition && consequence && consequence.equals(child) && isErrorCondition(condition.text)) {
        return conditionPath(condition, 'holds', node);
      }
      if (condition && consequence?.equals(child) && underRetryLimit(condition.text, call, fn, up))
        return {
          trigger: { kind: 'unknown', detail: clip(condition.text) },
          evidence: `waits while \`${clip(condition.text)}\` holds (line ${lineOf(node)}): the attempts are counted against a retry limit`,
        };
    }
    const parent = up(node);
    if (node.type === 'else_clause' && parent?.type === 'if_statement') {
      const condition = field(parent, 'condition');
      if (condition && succeeds(condition.text, call)) return conditionPath(condition, 'fails', parent);
    }
    if (node.type === 'block' && parent && LOOP_TYPES.has(parent.type)) {
      const exit =
        successExitBefore(node, child, call) ??
        successExitAfter(node, child) ??
        (parent.type === 'while_statement' ? connectionDroppedBefore(node, child) : null);
      if (exit) return exit;
    }
  }
  return null;
}

/**
 * `elif attempt < max_retries:` in a loop: the attempts are bounded by a retry limit. Not when the
 * loop also tests for a state (`if job.done: break`): that loop polls, however its counter is named.
 */
function underRetryLimit(condition: string, call: Node, fn: Node | null, up: ParentOf): boolean {
  const loop = enclosingBy(up, call, LOOP_TYPES, FUNCTION_TYPES);
  if (!loop || !isRetryLimit(condition, attemptCounters(call, fn, loop, up))) return false;
  return !pollsInLoop(loop);
}

/** A loop that also tests for a state (`if job.done: break`): asked by every call in it, answered once. */
const pollsInLoop = oncePerNode((loop: Node): boolean =>
  [loop, ...descendantsOfTypes(loop, CONDITIONALS, NESTED_SCOPES)].some((node) =>
    POLLING_CONDITION.test(field(node, 'condition')?.text ?? ''),
  ),
);

/**
 * `try: work(); time.sleep(300) except Exception: log(); time.sleep(300)`: the same pause follows a
 * success, so the loop keeps a schedule and the pause in the `except` is the next tick, not a retry.
 */
function pacesBothWays(call: Node, clause: Node): boolean {
  const pause = field(call, 'arguments')?.text;
  const body = clause.parent?.type === 'try_statement' ? field(clause.parent, 'body') : null;
  if (!pause || !body) return false;
  const callee = field(call, 'function')?.text;
  return descendantsOfTypes(body, CALL, NESTED_SCOPES).some(
    (n) => field(n, 'function')?.text === callee && field(n, 'arguments')?.text === pause,
  );
}

function conditionPath(condition: Node, verb: 'holds' | 'fails', statement: Node): FailurePath {
  const text = clip(condition.text);
  return {
    trigger: { kind: /status|\.ok\b|\b[45]\d\d\b/.test(text) ? 'status' : 'exception', detail: text },
    evidence: `waits when \`${text}\` ${verb} (line ${lineOf(statement)})`,
    attempt: attemptOf(statement, condition, condition),
  };
}

/**
 * A loop body that leaves on success before reaching the wait (`if resp.ok: return resp`, a `try`
 * whose body returns or breaks, a `try … else: break`) only waits after a failure.
 */
function successExitBefore(block: Node, waitStatement: Node, call: Node): FailurePath | null {
  for (const statement of namedChildren(block)) {
    if (statement.equals(waitStatement) || statement.startIndex >= waitStatement.startIndex) break;
    if (statement.type === 'if_statement') {
      const condition = field(statement, 'condition');
      const consequence = field(statement, 'consequence');
      if (condition && consequence && exits(consequence) && succeeds(condition.text, call)) {
        return {
          trigger: { kind: 'status', detail: clip(condition.text) },
          evidence: `waits only after \`${clip(condition.text)}\` failed (line ${lineOf(statement)})`,
        };
      }
    }
    if (
      statement.type === 'try_statement' &&
      namedChildren(statement).some((c) => c.type === 'except_clause')
    ) {
      const body = field(statement, 'body');
      const orElse = namedChildren(statement).find((c) => c.type === 'else_clause');
      if ((body && leavesOnSuccess(body, call)) || (orElse && exits(field(orElse, 'body') ?? orElse))) {
        return {
          trigger: { kind: 'exception' },
          evidence: `waits after a \`try\` that leaves the loop on success (line ${lineOf(statement)})`,
        };
      }
    }
  }
  return null;
}

/**
 * `while …: sleep(delay); try: reconnect(); return; except …: delay *= 2`: the loop only comes back
 * to the wait after the attempt below it failed, so it is the pause before each retried attempt.
 */
function successExitAfter(block: Node, waitStatement: Node): FailurePath | null {
  for (const statement of namedChildren(block)) {
    if (statement.startIndex <= waitStatement.startIndex) continue;
    if (statement.type !== 'try_statement') continue;
    if (!namedChildren(statement).some((c) => c.type === 'except_clause')) continue;
    const body = field(statement, 'body');
    const orElse = namedChildren(statement).find((c) => c.type === 'else_clause');
    if ((body && exits(body)) || (orElse && exits(field(orElse, 'body') ?? orElse))) {
      return {
        trigger: { kind: 'exception' },
        evidence: `waits before a \`try\` that leaves the loop on success (line ${lineOf(statement)}), so it runs again only after a failure`,
      };
    }
  }
  return null;
}

/** `trio.run(…)`, `asyncio.run(…)`, `loop.run_until_complete(…)`: run a coroutine to its end. */
const EVENT_LOOP_RUN = /^(trio|asyncio|anyio)\.run$|\.run_until_complete$/;

/**
 * `while True: ws = WebSocketApp(url); ws.run_forever(); log(…); time.sleep(5)`: the wait ends the
 * loop body right after a call that holds a connection until it drops, with only logging between, so
 * it is the pause before connecting again. A `for` over items, or work after the connection, is not.
 */
function connectionDroppedBefore(block: Node, waitStatement: Node): FailurePath | null {
  const statements = namedChildren(block).filter((s) => s.type !== 'comment');
  if (!statements[statements.length - 1]?.equals(waitStatement)) return null;
  for (const statement of statements.slice(0, -1).reverse()) {
    const call = statement.type === 'expression_statement' ? statementCall(statement) : null;
    const callee = call ? (field(call, 'function')?.text ?? '') : '';
    if (LOGGING_CALL.test(callee)) continue;
    if (!call || !holdsConnection(call, callee)) return null;
    return {
      trigger: { kind: 'exception', detail: 'the connection dropped' },
      evidence: `waits after \`${clip(call.text)}\` returns (line ${lineOf(statement)}): the connection it held has ended, and the loop connects again`,
    };
  }
  return null;
}

function statementCall(statement: Node): Node | null {
  let expression = statement.namedChild(0);
  if (expression?.type === 'await') expression = expression.namedChild(0);
  return expression?.type === 'call' ? expression : null;
}

function holdsConnection(call: Node, callee: string): boolean {
  if (RUNS_UNTIL_DROPPED.test(lastName(callee))) return true;
  if (!EVENT_LOOP_RUN.test(callee)) return false;
  const routine = field(call, 'arguments')?.namedChild(0);
  const runs = routine?.type === 'call' ? field(routine, 'function') : routine;
  return !!runs && CONNECT_ROUTINE.test(lastName(runs.text));
}

function lastName(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}

/**
 * A `try` body that leaves the loop when the attempt worked: directly, or under a success test
 * (`if response.status_code not in TEMPORARY_ERRORS: return response`).
 */
function leavesOnSuccess(body: Node, wait: Node): boolean {
  if (exits(body)) return true;
  return namedChildren(body).some((statement) => {
    if (statement.type !== 'if_statement') return false;
    const condition = field(statement, 'condition');
    const consequence = field(statement, 'consequence');
    return !!condition && !!consequence && exits(consequence) && succeeds(condition.text, wait);
  });
}

/** A block that leaves the loop directly: `return …` or `break` among its own statements. */
function exits(block: Node): boolean {
  return namedChildren(block).some((s) => s.type === 'return_statement' || s.type === 'break_statement');
}

function isErrorCondition(condition: string): boolean {
  if (OVERLOAD_SIGNAL.test(condition)) return true;
  if (POLLING_CONDITION.test(condition) && !/err|fail|exc|\bnot\s+[\w.]*ok\b/i.test(condition)) return false;
  return ERROR_CONDITION.test(condition);
}

function isSuccessCondition(condition: string): boolean {
  if (POLLING_CONDITION.test(condition) && !/\.ok\b|status/.test(condition)) return false;
  return SUCCESS_CONDITION.test(condition);
}

/** A success test, or a reachability test (`if online:`) failing before a wait named for retries. */
function succeeds(condition: string, wait: Node): boolean {
  if (isSuccessCondition(condition)) return true;
  // The failure test turned round: `status not in RETRYABLE_CODES`, `code != 503`, `not is_retryable(e)`.
  const turned = turnedRound(condition);
  if (turned !== null && isErrorCondition(turned)) return true;
  const delay = field(wait, 'arguments')?.text ?? '';
  return REACHABLE_CONDITION.test(condition) && ATTEMPT_NAME.test(delay);
}

/** The wait is followed, in its own block, by a `raise`: give up after waiting, not try again. */
function givesUpAfter(call: Node, up: ParentOf): boolean {
  let statement: Node = call;
  while (up(statement) && up(statement)!.type !== 'block') statement = up(statement)!;
  const block = up(statement);
  if (!block) return false;
  return namedChildren(block).some(
    (s) => s.startIndex > statement.startIndex && s.type === 'raise_statement',
  );
}

function callsItself(fn: Node, name: string): boolean {
  const body = field(fn, 'body');
  return (
    !!body &&
    body.text.includes(name) &&
    descendantsOfTypes(body, CALL, NESTED_SCOPES).some((node) => {
      const callee = field(node, 'function');
      const called = callee?.type === 'attribute' ? field(callee, 'attribute')?.text : callee?.text;
      return called === name;
    })
  );
}

/** Loop variables over `range`/`count`/`enumerate`, names stepped inside the loop, attempt-like parameters. */
const attemptCounters = countersOncePerLoop(FUNCTION_TYPES, countersAround);

/** The counters of the `for` headers from `from` up to `fn`, of the names `loop` steps, and of `fn`'s parameters. */
function countersAround(from: Node | null, fn: Node | null, loop: Node | null, up: ParentOf): Set<string> {
  const names = new Set<string>();
  for (let node = from; node && !(fn && node.id === fn.id); node = up(node)) {
    if (node.type !== 'for_statement') continue;
    const right = field(node, 'right');
    const left = field(node, 'left');
    const iterated = right?.type === 'call' ? (field(right, 'function')?.text ?? '') : '';
    if (!left || !/(^|\.)(range|count|enumerate)$/.test(iterated)) continue;
    const first = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? left.namedChild(0) : left;
    if (first?.type === 'identifier' && first.text !== '_') names.add(first.text);
  }
  if (loop) {
    for (const node of descendantsOfTypes(loop, AUGMENTED, NESTED_SCOPES)) {
      const left = field(node, 'left');
      const right = field(node, 'right');
      const operator = node.children.find((c) => c && !c.isNamed && /=$/.test(c.type))?.type;
      if (left && right?.text === '1' && (operator === '+=' || operator === '-=')) names.add(left.text);
    }
  }
  if (fn) {
    for (const param of parameterNames(fn)) if (ATTEMPT_NAME.test(param)) names.add(param);
  }
  return names;
}

function pickAttempt(counters: Set<string>): string | undefined {
  const names = [...counters];
  return names.find((name) => ATTEMPT_NAME.test(name)) ?? names[0];
}
