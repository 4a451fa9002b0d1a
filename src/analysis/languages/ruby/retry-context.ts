import {
  ATTEMPT_NAME,
  isRetryLimit,
  LOGGING_CALL,
  NO_DATA_SIGNAL,
  OVERLOAD_SIGNAL,
  turnedRound,
} from '../../context.js';
import type { Trigger } from '../../finding.js';
import type { Node } from '../tree-sitter/runtime.js';
import {
  clip,
  enclosingBy,
  field,
  lineage,
  lineOf,
  namedChildren,
  oncePerNode,
  type ParentOf,
  some,
} from '../tree-sitter/syntax.js';
import { calleeText, countdownOf, parameterNames } from './module.js';
import type { Expr, FailurePath as FailureFact } from '../../flow/ir.js';
import { loopLimit } from '../tree-sitter/loop-limit.js';

/**
 * Is a Ruby `sleep` a pause between attempts? It runs after something failed (a `rescue` clause, an
 * error branch such as `unless response.success?`), and the work runs again: `retry` after it, a
 * loop around it (`loop do`, `while`, `until`, `n.times do`), or the method calling itself.
 */

export interface RbRetryContext {
  trigger: Trigger;
  counters: Set<string>;
  attemptVar?: string;
  limit?: Expr;
  evidence: string[];
}

export const METHOD_TYPES = new Set(['method', 'singleton_method']);
const LOOP_TYPES = new Set(['while', 'until', 'for', 'while_modifier', 'until_modifier']);
/** Block-taking methods whose block runs repeatedly. */
const LOOP_METHODS = /^(loop|times|upto|downto|step|each|each_with_index|until|retriable)$/;
const BLOCK_TYPES = new Set(['do_block', 'block']);
/** Branches taken when a condition holds (`unless`: when it fails). */
const CONDITIONAL_TYPES = new Set(['if', 'elsif', 'unless', 'if_modifier', 'unless_modifier']);
/** Nodes whose children are statements. */
const STATEMENT_BODIES = new Set(['then', 'body_statement', 'do', 'else', 'begin', 'block_body']);

/** `unless resp.success?`, `if response.code.to_i >= 500`, `if error`, `status == 429`, `@error_codes.include?(status)`. */
const ERROR_CONDITION =
  /\b(error|retry|retriable|retryable)\w*\.include\?\(|(code|status)(\.to_i)?\s*(>=|>)\s*[45]\d\d|(code|status)(\.to_i)?\s*==\s*['"]?(408|429|5\d\d)|\b(error|err|exception|failed|failure)\b|\b(429|502|503|504)\b|\.(server_error|error|failed|timeout)\?/;
const SUCCESS_CONDITION =
  /\.(success|successful|ok|is_a\?\(Net::HTTPSuccess\))\??\s*$|(code|status)(\.to_i)?\s*==\s*['"]?20\d|\.ok\?|^\s*(ok|success)\s*$/;
const POLLING_CONDITION = /==\s*['":][\w -]+['"]?|\b(done|ready|finished|complete|completed)\??/;

export function retryContext(sleep: Node): RbRetryContext | null {
  // A countdown (`n.times { sleep 1 }`) waits as a whole: its retry context is the `times` call's.
  const countdown = countdownOf(sleep);
  const call = countdown ?? sleep;
  const up = lineage(call);
  const method = enclosingBy(up, call, METHOD_TYPES);
  const path = failurePath(call, method, up);
  if (!path) return retriedFromTheTop(call, up);
  if (path.clause.type === 'rescue' && pacesBothWays(call, path.clause)) return null;
  if (givesUpAfter(call, up)) return null;
  const retried = retryAfter(call, path.clause);
  const loop = enclosingLoop(call, method, up);
  const name = method ? field(method, 'name')?.text : undefined;
  const recursion = !!method && !!name && callsItself(method, name);
  const redone = retried || loop || recursion || !method ? null : workAgainAfter(call, path.clause, method);
  if (!retried && !loop && !recursion && !redone) return null;
  const counters = attemptCounters(method, loop);
  const again = retried
    ? `followed by \`retry\` (line ${lineOf(retried)})`
    : loop
      ? `inside a \`${loopWord(loop)}\` loop (line ${lineOf(loop)})`
      : redone
        ? `followed by \`${calleeText(redone)}\` again (line ${lineOf(redone)}), the call the method made before`
        : `which calls \`${name}\` again`;
  const evidence = [path.evidence, again];
  if (countdown)
    evidence.push(
      `counts down \`${field(countdown, 'receiver')?.text}\` with one \`${clip(sleep.text, 40)}\` a step (line ${lineOf(countdown)}): the pause is their total`,
    );
  const attemptVar = pickAttempt(counters);
  const limit = attemptVar === undefined ? undefined : loopLimit(call, attemptVar, METHOD_TYPES);
  return { trigger: path.trigger, counters, attemptVar, evidence, ...(limit ? { limit } : {}) };
}

/**
 * `response = @app.call(env)` … `if failed; sleep …; @app.call(original_env); end`: after the wait,
 * the failure branch makes the call the method made before it — the work runs once more.
 */
function workAgainAfter(wait: Node, clause: Node, method: Node): Node | null {
  const before = new Set<string>();
  some(method, (node) => {
    if (node.type === 'call' && node.endIndex <= clause.startIndex) before.add(calleeText(node));
    return false;
  });
  let found: Node | null = null;
  some(clause, (node) => {
    if (node.type !== 'call' || node.startIndex <= wait.endIndex) return false;
    const callee = calleeText(node);
    if (!before.has(callee) || LOGGING_CALL.test(callee) || callee === 'sleep') return false;
    found = node;
    return true;
  });
  return found;
}

/** The failure a call runs after (a `rescue`, an error branch), whatever repeats it. */
export function failureAt(call: Node): FailurePath | null {
  const up = lineage(call);
  return failurePath(call, enclosingBy(up, call, METHOD_TYPES), up);
}

/**
 * `loop do; work; sleep 300; rescue; log; sleep 300; end`: the same pause follows a success, so the
 * loop keeps a schedule and the pause in the `rescue` is the next tick, not a retry.
 */
function pacesBothWays(call: Node, rescue: Node): boolean {
  const pause = field(call, 'arguments')?.text;
  const body = rescue.parent;
  // The texts are read first: a subtree without the word holds no such node, and is not walked.
  if (!pause || !body || (rescue.text.includes('retry') && some(rescue, (n) => n.type === 'retry')))
    return false;
  return namedChildren(body).some(
    (statement) =>
      statement.type !== 'rescue' &&
      statement.type !== 'ensure' &&
      statement.text.includes('sleep') &&
      some(statement, (n) => n.type === 'call' && isSleepCall(n) && field(n, 'arguments')?.text === pause),
  );
}

function isSleepCall(node: Node): boolean {
  return (
    field(node, 'method')?.text === 'sleep' &&
    (!field(node, 'receiver') || field(node, 'receiver')?.text === 'Kernel')
  );
}

/**
 * `begin; sleep 5; connect; rescue …; retry; end`: the wait opens a block that its `rescue` runs
 * again with `retry`, so it is the pause before every retried attempt.
 */
function retriedFromTheTop(call: Node, up: ParentOf): RbRetryContext | null {
  let statement: Node = call;
  while (up(statement) && !STATEMENT_BODIES.has(up(statement)!.type)) statement = up(statement)!;
  const body = up(statement);
  if (!body || (body.type !== 'begin' && body.type !== 'body_statement')) return null;
  const statements = namedChildren(body).filter((c) => c.type !== 'comment');
  if (!statements[0]?.equals(statement)) return null;
  const rescue = statements.find((c) => c.type === 'rescue' && some(c, (n) => n.type === 'retry'));
  if (!rescue) return null;
  const caught = field(rescue, 'exceptions')?.text ?? '';
  return {
    trigger: { kind: 'exception', detail: caught ? clip(caught, 60) : undefined },
    counters: new Set(),
    evidence: [
      `waits at the start of a block whose \`rescue${caught ? ` ${clip(caught, 60)}` : ''}\` (line ${lineOf(rescue)}) runs it again with \`retry\``,
    ],
  };
}

interface FailurePath extends FailureFact {
  /** The clause the wait is in (a `rescue`, an `if` branch): where `retry` must follow. */
  clause: Node;
}

function failurePath(call: Node, method: Node | null, up: ParentOf): FailurePath | null {
  let child: Node = call;
  for (let node = up(call); node && !(method && node.id === method.id); child = node, node = up(node)) {
    if (node.type === 'rescue' || node.type === 'rescue_modifier') {
      if (node.type === 'rescue_modifier' && !field(node, 'handler')?.equals(child)) continue;
      const caught = field(node, 'exceptions')?.text ?? '';
      // `rescue IO::WaitReadable`, `rescue ThreadError` (an empty queue popped without blocking): polling.
      if (caught && NO_DATA_SIGNAL.test(caught) && !OVERLOAD_SIGNAL.test(caught)) return null;
      const overload = OVERLOAD_SIGNAL.exec(node.text)?.[0];
      return {
        trigger: { kind: 'exception', detail: overload ?? (caught ? clip(caught, 60) : undefined) },
        evidence: `waits in a \`rescue${caught ? ` ${clip(caught, 60)}` : ''}\` clause (line ${lineOf(node)})`,
        clause: node,
      };
    }
    if (CONDITIONAL_TYPES.has(node.type)) {
      const condition = field(node, 'condition');
      if (condition && node.type === 'if' && field(node, 'alternative')?.equals(child)) {
        const otherwise = elseFailure(condition);
        if (otherwise) return { ...otherwise, clause: node };
        continue;
      }
      const branch = field(node, 'consequence') ?? field(node, 'body');
      if (!condition || !branch?.equals(child)) continue;
      const negated = node.type === 'unless' || node.type === 'unless_modifier';
      const failing = negated ? isSuccessCondition(condition.text) : isErrorCondition(condition.text);
      const text = clip(condition.text);
      if (failing)
        return {
          trigger: { kind: /code|status|success/.test(text) ? 'status' : 'exception', detail: text },
          evidence: `waits when \`${text}\` ${negated ? 'fails' : 'holds'} (line ${lineOf(node)})`,
          clause: node,
        };
      if (!negated && underRetryLimit(condition.text, call, method, up))
        return {
          trigger: { kind: 'unknown', detail: text },
          evidence: `waits while \`${text}\` holds (line ${lineOf(node)}): the attempts are counted against a retry limit`,
          clause: node,
        };
    }
  }
  return null;
}

/**
 * The `else` of `if response.success?` or of `if response.code != 429`: the branch taken when the
 * attempt failed. Only a single comparison is turned round; a compound condition's `else` is not one case.
 */
function elseFailure(condition: Node): Omit<FailurePath, 'clause'> | null {
  const text = clip(condition.text);
  const turned = turnedRound(condition.text);
  const failing = isSuccessCondition(condition.text) || (turned !== null && isErrorCondition(turned));
  if (!failing) return null;
  return {
    trigger: { kind: /code|status|success/.test(text) ? 'status' : 'exception', detail: text },
    evidence: `waits when \`${text}\` does not hold (line ${lineOf(condition)})`,
  };
}

/**
 * `elsif attempt <= @max_retries` in a loop: the attempts are bounded by a retry limit. Not when the
 * loop also tests for a state (`break if job.done?`): that loop polls, however its counter is named.
 */
function underRetryLimit(condition: string, call: Node, method: Node | null, up: ParentOf): boolean {
  const loop = enclosingLoop(call, method, up);
  if (!loop || !isRetryLimit(condition, attemptCounters(method, loop))) return false;
  return !some(loop, (node) => {
    const test =
      CONDITIONAL_TYPES.has(node.type) || LOOP_TYPES.has(node.type)
        ? field(node, 'condition')?.text
        : undefined;
    return !!test && POLLING_CONDITION.test(test);
  });
}

function isErrorCondition(condition: string): boolean {
  if (OVERLOAD_SIGNAL.test(condition)) return true;
  if (POLLING_CONDITION.test(condition) && !/err|fail/.test(condition)) return false;
  return ERROR_CONDITION.test(condition);
}

function isSuccessCondition(condition: string): boolean {
  if (POLLING_CONDITION.test(condition) && !/success|code|status/.test(condition)) return false;
  return SUCCESS_CONDITION.test(condition);
}

/** A `retry` in the same clause after the wait: the `begin` block runs again. */
function retryAfter(call: Node, clause: Node): Node | null {
  if (clause.type !== 'rescue' || !clause.text.includes('retry')) return null;
  let found: Node | null = null;
  some(clause, (node) => {
    if (node.type === 'retry' && node.startIndex > call.startIndex) {
      found = node;
      return true;
    }
    return false;
  });
  return found;
}

/**
 * `sleep 1; raise` gives up after waiting; `sleep 1; retry if tries < 3; raise` retries first and
 * gives up only when the attempts run out.
 */
function givesUpAfter(call: Node, up: ParentOf): boolean {
  let statement: Node = call;
  while (up(statement) && !STATEMENT_BODIES.has(up(statement)!.type)) statement = up(statement)!;
  const body = up(statement);
  if (!body) return false;
  for (const s of namedChildren(body)) {
    if (s.startIndex <= statement.startIndex) continue;
    if (/^retry\b/.test(s.text)) return false;
    if (/^(raise|fail)\b/.test(s.text)) return true;
  }
  return false;
}

function enclosingLoop(call: Node, method: Node | null, up: ParentOf): Node | null {
  for (let node = up(call); node && !(method && node.id === method.id); node = up(node)) {
    if (LOOP_TYPES.has(node.type)) return node;
    const parent = up(node);
    if (
      BLOCK_TYPES.has(node.type) &&
      parent?.type === 'call' &&
      LOOP_METHODS.test(field(parent, 'method')?.text ?? '')
    )
      return parent;
  }
  return null;
}

function loopWord(loop: Node): string {
  if (loop.type === 'call')
    return field(loop, 'method')?.text === 'loop' ? 'loop do' : `${field(loop, 'method')?.text} do`;
  return loop.type.replace(/_modifier$/, '');
}

function callsItself(method: Node, name: string): boolean {
  const body = field(method, 'body');
  return (
    !!body &&
    body.text.includes(name) &&
    some(
      body,
      (node) =>
        node.type === 'call' &&
        !field(node, 'receiver') &&
        field(node, 'method')?.text === name &&
        !node.equals(method),
    )
  );
}

/**
 * Names stepped by one under a method or loop (`attempts += 1`): searched once per scope, which every
 * wait in it asks, and only when its text has a step at all.
 */
const steppedIn = oncePerNode((scope: Node): string[] => {
  const names: string[] = [];
  if (!/[+-]=/.test(scope.text)) return names;
  some(scope, (node) => {
    if (
      node.type === 'operator_assignment' &&
      /^[+-]=$/.test(field(node, 'operator')?.text ?? '') &&
      field(node, 'right')?.text === '1'
    ) {
      const left = field(node, 'left');
      if (left) names.push(left.text);
    }
    return false;
  });
  return names;
});

/** `attempts += 1`, block parameters of `n.times do |i|`, attempt-like method parameters. */
function attemptCounters(method: Node | null, loop: Node | null): Set<string> {
  const scope = method ?? loop;
  const names = new Set<string>(scope ? steppedIn(scope) : []);
  if (
    loop?.type === 'call' &&
    (COUNTING_METHOD.test(field(loop, 'method')?.text ?? '') || walksRange(loop))
  ) {
    const block = field(loop, 'block');
    const params = block ? field(block, 'parameters') : null;
    const first = params ? namedChildren(params).pop() : undefined;
    if (first?.type === 'identifier') names.add(first.text);
  }
  if (method) for (const param of parameterNames(method)) if (ATTEMPT_NAME.test(param)) names.add(param);
  return names;
}

const COUNTING_METHOD = /^(times|upto|downto|each_with_index)$/;

/** `(1..max_retries).each do |attempt|`: the block is given the numbers of a range, in order. */
function walksRange(loop: Node): boolean {
  return (
    field(loop, 'method')?.text === 'each' && /^\(\s*\d+\s*\.\.\.?/.test(field(loop, 'receiver')?.text ?? '')
  );
}

function pickAttempt(counters: Set<string>): string | undefined {
  const names = [...counters];
  return names.find((name) => ATTEMPT_NAME.test(name)) ?? names[0];
}
