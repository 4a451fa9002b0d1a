import { ATTEMPT_NAME, isRetryLimit, OVERLOAD_SIGNAL } from '../../context.js';
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
  oncePerNode,
  lineOf,
  namedChildren,
  type ParentOf,
} from '../tree-sitter/syntax.js';
import { parameterNames } from './package.js';
import type { Expr, FailurePath } from '../../flow/ir.js';
import { loopLimit } from '../tree-sitter/loop-limit.js';

/**
 * Is a Go wait a pause between attempts? It must run only after something failed (`if err != nil`,
 * a bad status, a `case` for 429/503, or after a success exit earlier in the loop body), and the
 * work must run again (a `for` loop around it, or the function calling itself).
 */

export interface GoRetryContext {
  trigger: Trigger;
  counters: Set<string>;
  attemptVar?: string;
  limit?: Expr;
  evidence: string[];
}

export const FUNCTION_TYPES = new Set(['function_declaration', 'method_declaration', 'func_literal']);
const LOOP_TYPES = new Set(['for_statement']);
const CALL = new Set(['call_expression']);
const LABELS = new Set(['labeled_statement']);
const IFS = new Set(['if_statement']);
const STEPS = new Set(['inc_statement', 'dec_statement', 'assignment_statement']);

/** `err != nil`, `errors.Is(err, …)`, `resp.StatusCode >= 500`, `== http.StatusTooManyRequests`, `isRetryable(err)`. */
const ERROR_CONDITION =
  /\b(err|e|error|lastErr|rerr)\w*\s*!=\s*nil|errors\.(Is|As)\(|StatusCode\s*(>=|>)\s*[45]\d\d|StatusCode\s*!=\s*(200|http\.StatusOK)|StatusCode\s*==\s*(408|429|5\d\d)|http\.Status(TooManyRequests|ServiceUnavailable|BadGateway|GatewayTimeout|InternalServerError|RequestTimeout)\b|\b(isRetryable|IsRetryable|shouldRetry|ShouldRetry|retryable|Retryable|isTransient|IsTransient|isTemporary|Temporary)\w*\(|codes\.(Unavailable|ResourceExhausted|Aborted|DeadlineExceeded)/;
/** `err == nil`, `resp.StatusCode == http.StatusOK`, `< 300`. */
const SUCCESS_CONDITION =
  /^\s*(err|e|error)\s*==\s*nil\s*$|^\s*(err|e)\s*==\s*nil\s*(&&|\|\|)|StatusCode\s*==\s*(20\d|http\.StatusOK)|StatusCode\s*<\s*(300|400|500)|^\s*(ok|success|succeeded)\s*$|^\s*[\w.]*\b(is|Is)(Success|Successful|OK|Ok)\w*\([^()]*\)\s*$/;
const POLLING_CONDITION =
  /==\s*"[\w -]+"|!=\s*"[\w -]+"|\.(Done|Ready|Finished|Complete|Completed)\b|\b(done|ready|finished|complete|completed|isDone|IsDone|isReady|IsReady)\b/;
/** A read that found nothing before its deadline (`ne.Timeout()`, `os.ErrDeadlineExceeded`, an empty queue). */
const READ_TIMEOUT =
  /\.Timeout\(\)|ErrDeadlineExceeded|\bErrTimeout\b|\bredis\.Nil\b|ErrNoMessages?\b|ErrEmptyQueue|ErrQueueEmpty/;
/** The attempt just made worked (an error, not a state, is what is checked). */
const ATTEMPT_SUCCEEDED =
  /^\s*(err|e|error)\s*==\s*nil\s*$|StatusCode\s*==\s*(20\d|http\.StatusOK)|StatusCode\s*<\s*(300|400)/;
/** `attempt > 0`, `retries != 0`, `try >= 1`: not the first attempt. */
const LATER_ATTEMPT = /^\s*([A-Za-z_]\w*)\s*(?:>\s*0|!=\s*0|>=\s*1)\s*$/;
const OVERLOAD_CASE =
  /\b(408|429|502|503|504)\b|Status(TooManyRequests|ServiceUnavailable|BadGateway|GatewayTimeout|RequestTimeout)|codes\.(Unavailable|ResourceExhausted)/;

export function retryContext(call: Node): GoRetryContext | null {
  const up = lineage(call);
  const fn = enclosingBy(up, call, FUNCTION_TYPES);
  const path = failurePath(call, fn, up);
  if (!path) return null;
  const name = fn ? functionName(fn) : null;
  if (givesUpAfter(call, name, up)) return null;
  const loop = enclosingBy(up, call, LOOP_TYPES, FUNCTION_TYPES);
  const recursion = !loop && !!fn && !!name && callsItself(fn, name);
  const jump = loop || recursion ? null : jumpBack(call, fn, up);
  if (!loop && !recursion && !jump) return null;
  const counters = attemptCounters(call, fn, loop, up);
  const evidence = [
    path.evidence,
    loop
      ? `inside a \`for\` loop (line ${lineOf(loop)})`
      : jump
        ? `which jumps back to \`${jump.text}:\` (line ${lineOf(jump)})`
        : `which calls \`${name}\` again`,
  ];
  const attemptVar = pickAttempt(counters);
  const limit = attemptVar === undefined ? undefined : loopLimit(call, attemptVar, FUNCTION_TYPES);
  return { trigger: path.trigger, counters, attemptVar, evidence, ...(limit ? { limit } : {}) };
}

/** `goto retry` after the wait, to a `retry:` label before it: the work runs again. */
function jumpBack(call: Node, fn: Node | null, up: ParentOf): Node | null {
  if (!fn) return null;
  for (let node: Node | null = call; node && node.id !== fn.id; node = up(node)) {
    const list = up(node);
    if (list?.type !== 'statement_list') continue;
    for (const statement of namedChildren(list)) {
      if (statement.startIndex <= node.startIndex || statement.type !== 'goto_statement') continue;
      const label = statement.namedChild(0)?.text;
      const target = descendantsOfTypes(fn, LABELS).find(
        (l) => l.startIndex < call.startIndex && field(l, 'label')?.text === label,
      );
      if (target) return field(target, 'label');
    }
  }
  return null;
}

/** The failure path a call runs on (an error branch), repeated or not: a reconnect called from it. */
export function failureAt(call: Node): FailurePath | null {
  const up = lineage(call);
  const path = failurePath(call, enclosingBy(up, call, FUNCTION_TYPES), up);
  if (!path) return null;
  const exitsAt = exitLineAfter(call, FUNCTION_TYPES, leavesFunction);
  return exitsAt === undefined ? path : { ...path, exitsAt };
}

/** `return …` or `panic(…)` as a statement. */
function leavesFunction(statement: Node): boolean {
  return (
    statement.type === 'return_statement' ||
    (statement.type === 'expression_statement' && /^panic\(/.test(statement.text))
  );
}

function failurePath(call: Node, fn: Node | null, up: ParentOf, viaChannels = true): FailurePath | null {
  let child: Node = call;
  for (let node = up(call); node && !(fn && node.id === fn.id); child = node, node = up(node)) {
    const parent = up(node);
    // Each read of a node's type is a call into the engine: once per ancestor.
    const type = node.type;
    if (type === 'if_statement') {
      const condition = field(node, 'condition');
      const consequence = field(node, 'consequence');
      const alternative = field(node, 'alternative');
      // A read that timed out with nothing to read loops to read again: polling, not a failure.
      if (condition && consequence?.equals(child) && READ_TIMEOUT.test(condition.text)) return null;
      if (condition && consequence?.equals(child) && isErrorCondition(condition.text))
        return conditionPath(condition, 'holds', node);
      if (condition && consequence?.equals(child) && underRetryLimit(condition.text, call, fn, up))
        return {
          trigger: { kind: 'unknown', detail: clip(condition.text) },
          evidence: `waits while \`${clip(condition.text)}\` holds (line ${lineOf(node)}): the attempts are counted against a retry limit`,
        };
      if (
        condition &&
        alternative?.equals(child) &&
        alternative.type === 'block' &&
        isSuccessCondition(condition.text)
      )
        return conditionPath(condition, 'fails', node);
      // `if attempt > 0 { wait }` at the top of a retry loop: every attempt after the first waits.
      if (condition && consequence?.equals(child) && LATER_ATTEMPT.test(condition.text)) {
        const counter = LATER_ATTEMPT.exec(condition.text)![1]!;
        if (ATTEMPT_NAME.test(counter))
          return {
            trigger: { kind: 'exception', detail: clip(condition.text) },
            evidence: `waits before every attempt after the first (\`${clip(condition.text)}\`, line ${lineOf(node)})`,
          };
      }
    }
    if (type === 'expression_case' || type === 'type_case') {
      const values = field(node, 'value')?.text ?? field(node, 'type')?.text ?? '';
      const subject = parent ? (field(parent, 'value')?.text ?? '') : '';
      if (
        OVERLOAD_CASE.test(values) ||
        OVERLOAD_SIGNAL.test(values) ||
        (subject === '' && isErrorCondition(values))
      ) {
        return {
          trigger: {
            kind: /Status|\d{3}/.test(values) ? 'status' : 'exception',
            detail: clip(`${subject ? `${subject} ` : ''}case ${values}`),
          },
          evidence: `waits for \`case ${clip(values)}\`${subject ? ` of \`${clip(subject)}\`` : ''} (line ${lineOf(node)})`,
        };
      }
    }
    const loop = type === 'statement_list' && parent?.type === 'block' ? up(parent) : null;
    if (loop && LOOP_TYPES.has(loop.type)) {
      const exit =
        successExitBefore(node, child) ??
        attemptAfter(namedChildren(node), child) ??
        processExitBefore(node, child, loop);
      if (exit) return exit;
    } else if (type === 'statement_list') {
      // Straight-line attempts (`if err := op(); err == nil { return nil }; time.Sleep(d); return op()`).
      const exit = successExitBefore(node, child);
      if (exit) return exit;
    }
    if (type === 'statement_list' && viaChannels) {
      const exit = failureReceivedBefore(node, child);
      if (exit) return exit;
    }
    // `select { case <-time.After(d): err = dial(); if err == nil { return } }` in a loop.
    if (type === 'communication_case' && field(node, 'communication')?.equals(child)) {
      const body = namedChildren(node).find((c) => c.type === 'statement_list');
      const exit = body ? attemptAfter(namedChildren(body), child) : null;
      if (exit && enclosingBy(up, node, LOOP_TYPES, FUNCTION_TYPES)) return exit;
    }
  }
  return null;
}

/**
 * `} else if attempt < maxRetries {` in a loop: the attempts are bounded by a retry limit. Not when the
 * loop also tests for a state (`if job.Done() { … }`): that loop polls, however its counter is named.
 */
function underRetryLimit(condition: string, call: Node, fn: Node | null, up: ParentOf): boolean {
  const loop = enclosingBy(up, call, LOOP_TYPES, FUNCTION_TYPES);
  if (!loop || !isRetryLimit(condition, attemptCounters(call, fn, loop, up))) return false;
  return !pollsInLoop(loop);
}

/** A loop whose header or `if`s test for a state: asked by every call in it, answered once. */
const pollsInLoop = oncePerNode((loop: Node): boolean => {
  const tests = [
    ...loop.namedChildren.filter((c) => c && c.type !== 'block').map((c) => c!.text),
    ...descendantsOfTypes(loop, IFS, FUNCTION_TYPES).map((n) => field(n, 'condition')?.text ?? ''),
  ];
  return tests.some((test) => POLLING_CONDITION.test(test));
});

/**
 * A wait before an attempt that leaves the loop once it succeeds (`time.Sleep(d); err = dial(); if
 * err == nil { return }`): from the second time round, it waits after a failure.
 */
function attemptAfter(statements: Node[], waitStatement: Node): FailurePath | null {
  for (const statement of statements) {
    if (statement.startIndex <= waitStatement.startIndex || statement.type !== 'if_statement') continue;
    const condition = field(statement, 'condition');
    const consequence = field(statement, 'consequence');
    if (condition && consequence && exits(consequence) && ATTEMPT_SUCCEEDED.test(condition.text)) {
      return {
        trigger: {
          kind: /StatusCode/.test(condition.text) ? 'status' : 'exception',
          detail: clip(condition.text),
        },
        evidence: `waits before an attempt that leaves the loop when \`${clip(condition.text)}\` (line ${lineOf(statement)})`,
      };
    }
  }
  return null;
}

function conditionPath(condition: Node, verb: 'holds' | 'fails', statement: Node): FailurePath {
  const text = clip(condition.text);
  const overload = OVERLOAD_SIGNAL.exec(text)?.[0];
  return {
    trigger: { kind: /StatusCode|Status\w+/.test(text) ? 'status' : 'exception', detail: overload ?? text },
    evidence: `waits when \`${text}\` ${verb} (line ${lineOf(statement)})`,
    attempt: attemptOf(statement, condition, condition),
  };
}

/** `if err == nil { return … }` or `if resp.StatusCode < 500 { break }` before the wait. */
function successExitBefore(list: Node, waitStatement: Node): FailurePath | null {
  return firstBefore(successExits(list), waitStatement);
}

/**
 * The answers of a statement list's statements, in order, for a question that reads each statement
 * alone: every call in the list asks about the statements before it, so the list is read once.
 */
type StatementAnswers = { start: number; answer: FailurePath }[];

function firstBefore(answers: StatementAnswers, waitStatement: Node): FailurePath | null {
  const first = answers[0];
  return first && first.start < waitStatement.startIndex ? first.answer : null;
}

function answersOf(list: Node, ask: (statement: Node) => FailurePath | null): StatementAnswers {
  const answers: StatementAnswers = [];
  for (const statement of namedChildren(list)) {
    const answer = ask(statement);
    if (answer) answers.push({ start: statement.startIndex, answer });
  }
  return answers;
}

const successExits = oncePerNode((list: Node) => answersOf(list, successExitAt));

function successExitAt(statement: Node): FailurePath | null {
  if (statement.type === 'for_statement') {
    // A round of attempts that returns on success: reaching the wait after it means all failed.
    const inner = field(statement, 'body')?.namedChild(0);
    const exit = inner ? returnsOnSuccess(namedChildren(inner)) : null;
    if (exit)
      return {
        trigger: { kind: 'exception', detail: clip(exit.text) },
        evidence: `waits after a loop of attempts that returns when \`${clip(exit.text)}\` (line ${lineOf(statement)})`,
      };
    return null;
  }
  if (statement.type !== 'if_statement') return null;
  const condition = field(statement, 'condition');
  const consequence = field(statement, 'consequence');
  const alternative = field(statement, 'alternative');
  // `if err != nil { log } else { break }`: leaving on success, in the other branch.
  if (condition && alternative?.type === 'block' && exits(alternative) && isErrorCondition(condition.text)) {
    return {
      trigger: { kind: 'exception', detail: clip(condition.text) },
      evidence: `waits only after \`${clip(condition.text)}\` held (line ${lineOf(statement)})`,
      attempt: attemptOf(statement, condition, condition),
    };
  }
  if (condition && consequence && exitsOnSuccess(consequence) && isSuccessCondition(condition.text)) {
    return {
      trigger: {
        kind: /StatusCode/.test(condition.text) ? 'status' : 'exception',
        detail: clip(condition.text),
      },
      evidence: `waits only after \`${clip(condition.text)}\` failed (line ${lineOf(statement)})`,
      attempt: attemptOf(statement, condition, condition),
    };
  }
  return null;
}

const SENDS = new Set(['send_statement']);
const ASSIGNS = new Set(['short_var_declaration', 'assignment_statement']);

/** `<-c`, `s := <-c`, `err = <-errs` as a statement: the channel it blocks on. */
function receivedChannel(statement: Node): string | null {
  const right = ASSIGNS.has(statement.type)
    ? field(statement, 'right')
    : statement.type === 'expression_statement'
      ? statement
      : null;
  const values = right ? namedChildren(right) : [];
  const receive = values.length === 1 ? values[0]! : null;
  if (receive?.type !== 'unary_expression' || field(receive, 'operator')?.text !== '<-') return null;
  const channel = field(receive, 'operand');
  return channel?.type === 'identifier' ? channel.text : null;
}

/**
 * `go send(conn); s := <-c; conn.Close(); time.Sleep(d); goto Redial`: the wait follows a receive
 * from a channel fed only on failure paths (`errs <- err` under `if err != nil`, or a signal the
 * process raises there itself: `signal.Notify(c, sig)` with `syscall.Kill(pid, sig)`), so the receive
 * returning means the work failed. A channel also fed elsewhere (a shutdown signal from outside, a
 * result) says nothing.
 */
function failureReceivedBefore(list: Node, waitStatement: Node): FailurePath | null {
  return firstBefore(failuresReceived(list), waitStatement);
}

const failuresReceived = oncePerNode((list: Node) => answersOf(list, failureReceivedAt));

function failureReceivedAt(statement: Node): FailurePath | null {
  const channel = receivedChannel(statement);
  if (!channel) return null;
  const feeds = feedsOf(statement.tree.rootNode, channel);
  const onFailure = feeds.map((feed) => {
    const up = lineage(feed);
    return failurePath(feed, enclosingBy(up, feed, FUNCTION_TYPES), up, false);
  });
  if (feeds.length === 0 || !onFailure.every(Boolean)) return null;
  return {
    trigger: onFailure[0]!.trigger,
    evidence: `waits after \`${clip(statement.text)}\` returns (line ${lineOf(statement)}): \`${channel}\` is fed only on failure paths (line ${lineOf(feeds[0]!)}, when \`${onFailure[0]!.trigger.detail ?? 'it failed'}\`)`,
  };
}

/**
 * The sends to a channel, its `close`, and the raising of the signals `signal.Notify` delivers to it;
 * none at all when the channel is handed to another call, whose sends go by another name.
 */
function feedsOf(root: Node, channel: string): Node[] {
  const sends = descendantsOfTypes(root, SENDS).filter((s) => field(s, 'channel')?.text === channel);
  const calls = descendantsOfTypes(root, CALL);
  const signals = new Set<string>();
  const closes: Node[] = [];
  for (const call of calls) {
    const args = namedChildren(field(call, 'arguments') ?? call);
    const callee = field(call, 'function')?.text;
    if (!args.some((a) => a.text === channel)) continue;
    if (callee === 'close') closes.push(call);
    else if (callee === 'signal.Notify' && args[0]?.text === channel)
      for (const sig of args.slice(1)) signals.add(lastSegment(sig.text));
    else return [];
  }
  const raised = calls.filter(
    (call) =>
      signals.size > 0 &&
      /(^|\.)(Kill|Signal)$/.test(field(call, 'function')?.text ?? '') &&
      namedChildren(field(call, 'arguments') ?? call).some((a) => signals.has(lastSegment(a.text))),
  );
  return [...sends, ...closes, ...raised];
}

function lastSegment(dotted: string): string {
  return dotted.slice(dotted.lastIndexOf('.') + 1);
}

/** `cmd := exec.Command(…)`: a child process made in the loop body. */
const EXEC_COMMAND = /^(\w+)\s*:?=\s*exec\.Command(?:Context)?\(/;

/**
 * `for { cmd := exec.Command(…); cmd.Start(); cmd.Wait(); time.Sleep(d) }`: a supervisor. A child
 * started and then waited for is long-running, so its exit is the failure, and the loop starts it
 * again after the wait. A one-shot `cmd.Run()` in a loop is left alone: that is a periodic job.
 */
function processExitBefore(list: Node, waitStatement: Node, loop: Node): FailurePath | null {
  if (loop.namedChildren.some((c) => c?.type === 'range_clause')) return null;
  return firstBefore(processExits(list), waitStatement);
}

/** Where a list's statements wait for a process they started (`cmd.Start()`, then `cmd.Wait()`). */
const processExits = oncePerNode((list: Node): StatementAnswers => {
  let command: string | null = null;
  let started = false;
  for (const statement of namedChildren(list)) {
    const text = statement.text;
    command = EXEC_COMMAND.exec(text)?.[1] ?? command;
    if (!command) continue;
    if (text.includes(`${command}.Start()`)) started = true;
    else if (started && text.includes(`${command}.Wait()`))
      return [
        {
          start: statement.startIndex,
          answer: {
            trigger: { kind: 'exception', detail: 'the child process exited' },
            evidence: `waits after \`${command}.Wait()\` returns (line ${lineOf(statement)}): the process the loop started has exited, and the loop starts it again`,
          },
        },
      ];
  }
  return [];
});

/** The condition of an `if <success> { … return }` among these statements. */
function returnsOnSuccess(statements: Node[]): Node | null {
  for (const statement of statements) {
    if (statement.type !== 'if_statement') continue;
    const condition = field(statement, 'condition');
    const list = field(statement, 'consequence')?.namedChild(0);
    if (
      condition &&
      list &&
      namedChildren(list).some((s) => s.type === 'return_statement') &&
      ATTEMPT_SUCCEEDED.test(condition.text)
    )
      return condition;
  }
  return null;
}

function exits(block: Node): boolean {
  const list = block.namedChild(0);
  return (
    !!list && namedChildren(list).some((s) => s.type === 'return_statement' || s.type === 'break_statement')
  );
}

/**
 * The block leaves the loop, or does so behind further success tests (`if err == nil { err =
 * db.Ping(); if err == nil { break } }`): each test is one more step of the attempt, so reaching
 * what follows still means a step failed. A state test on the way (`if job.Done()`) is polling.
 */
function exitsOnSuccess(block: Node): boolean {
  if (exits(block)) return true;
  const list = block.namedChild(0);
  return (
    !!list &&
    namedChildren(list).some((statement) => {
      if (statement.type !== 'if_statement') return false;
      const condition = field(statement, 'condition');
      const consequence = field(statement, 'consequence');
      return (
        !!condition && !!consequence && isSuccessCondition(condition.text) && exitsOnSuccess(consequence)
      );
    })
  );
}

function isErrorCondition(condition: string): boolean {
  if (OVERLOAD_SIGNAL.test(condition)) return true;
  if (POLLING_CONDITION.test(condition) && !/err|Err|fail/.test(condition)) return false;
  return ERROR_CONDITION.test(condition);
}

function isSuccessCondition(condition: string): boolean {
  if (POLLING_CONDITION.test(condition) && !/StatusCode|err/.test(condition)) return false;
  return SUCCESS_CONDITION.test(condition);
}

/** `time.Sleep(d); return err` gives up after waiting; `return retry(ctx, n+1)` tries again. */
function givesUpAfter(call: Node, name: string | null, up: ParentOf): boolean {
  let statement: Node = call;
  while (up(statement) && up(statement)!.type !== 'statement_list') statement = up(statement)!;
  const list = up(statement);
  if (!list) return false;
  return namedChildren(list).some(
    (s) =>
      s.startIndex > statement.startIndex &&
      s.type === 'return_statement' &&
      !(name && new RegExp(`\\b${name}\\(`).test(s.text)),
  );
}

function functionName(fn: Node): string | null {
  return field(fn, 'name')?.text ?? null;
}

function callsItself(fn: Node, name: string): boolean {
  const body = field(fn, 'body');
  return (
    !!body &&
    body.text.includes(name) &&
    descendantsOfTypes(body, CALL).some((node) => {
      const callee = field(node, 'function');
      const called = callee?.type === 'selector_expression' ? field(callee, 'field')?.text : callee?.text;
      return called === name;
    })
  );
}

/** `for attempt := 0; …`, `for i := range 5`, names stepped in the loop, attempt-like parameters. */
const attemptCounters = countersOncePerLoop(FUNCTION_TYPES, countersAround);

/** The counters of the `for` headers from `from` up to `fn`, of the names `loop` steps, and of `fn`'s parameters. */
function countersAround(from: Node | null, fn: Node | null, loop: Node | null, up: ParentOf): Set<string> {
  const names = new Set<string>();
  for (let node = from; node && !(fn && node.id === fn.id); node = up(node)) {
    if (node.type !== 'for_statement') continue;
    const clause = node.namedChildren.find((c) => c?.type === 'for_clause' || c?.type === 'range_clause');
    if (clause?.type === 'for_clause') {
      const init = field(clause, 'initializer');
      const left = init ? field(init, 'left') : null;
      for (const name of left ? namedChildren(left) : [])
        if (name.type === 'identifier') names.add(name.text);
    } else if (clause?.type === 'range_clause') {
      const right = field(clause, 'right');
      const left = field(clause, 'left');
      // `for i := range 5` / `range maxRetries` (Go 1.22) counts; ranging over a slice yields items.
      const first = left ? namedChildren(left)[0] : undefined;
      if (
        first &&
        first.text !== '_' &&
        right &&
        (right.type === 'int_literal' ||
          (right.type === 'identifier' && ATTEMPT_NAME.test(right.text)) ||
          /^(max|Max)/.test(right.text))
      ) {
        names.add(first.text);
      }
    }
  }
  if (loop) {
    for (const node of descendantsOfTypes(loop, STEPS)) {
      if (node.type === 'inc_statement' || node.type === 'dec_statement') {
        const target = node.namedChild(0);
        if (target) names.add(target.text);
      } else if (/^[+-]=$/.test(field(node, 'operator')?.text ?? '') && field(node, 'right')?.text === '1') {
        const target = field(node, 'left')?.namedChild(0);
        if (target) names.add(target.text);
      }
    }
  }
  // A parameter counts the attempts of a function that calls itself; in a loop it is the loop's bound
  // (`func Fetch(retries int)` with `for i := range retries`), not the pass it is on.
  if (fn && !loop) for (const param of parameterNames(fn)) if (ATTEMPT_NAME.test(param)) names.add(param);
  return names;
}

function pickAttempt(counters: Set<string>): string | undefined {
  const names = [...counters];
  return names.find((name) => ATTEMPT_NAME.test(name)) ?? names[0];
}
