import type { Node } from '../tree-sitter/runtime.js';
import {
  attemptOf,
  clip,
  descendantsOfTypes,
  lineOf,
  namedChildren,
  oncePerNode,
  some,
} from '../tree-sitter/syntax.js';
import { isErrorCondition, isOverload, isSuccessCondition, type ConditionWords } from '../java/conditions.js';
import type { ContextGrammar, FailurePath } from '../java/retry-context.js';
import type { RetryFrame } from '../../flow/ir.js';

/**
 * The retry-context grammar of Rust: failures are `Err(_) =>` match arms, `if let Err(e) = …`,
 * `while let Err(e) = …`, `if result.is_err()` and status checks; a success exit is a
 * `match … { Ok(v) => return … }` or `if res.is_ok() { break }` before the wait in the loop body.
 */

const RUST_FUNCTIONS = new Set(['function_item', 'closure_expression', 'async_block']);
const LOOPS = ['loop_expression', 'while_expression', 'for_expression'];
const EXITS = new Set(['return_expression', 'break_expression']);

const WORDS: ConditionWords = {
  error: /\bis_err\b|!\s*[\w.]*(is_success|is_ok)\b|\bis_(server|client)_error\b/,
  success: /\bis_ok\b|\bis_success\b/,
};

const ERR_PATTERN = /^\s*(Some\s*\(\s*)?(\w+::)*Err\b/;
/**
 * Errors that say "no data yet" rather than "it failed": a non-blocking read (`WouldBlock`), an empty
 * channel (`TryRecvError::Empty`), a read timeout (`RecvTimeoutError::Timeout`, tokio's `Elapsed`).
 * A loop that waits on them is polling (RULES.md section 1).
 */
const NO_DATA = /\bWouldBlock\b|\bEmpty\b|RecvTimeoutError::Timeout|\bElapsed\b/;
const OK_PATTERN = /^\s*(Some\s*\(\s*)?(\w+::)*Ok\b/;

function patternText(node: Node | null): string {
  return node?.text ?? '';
}

/** An expression (or block, or statement) that leaves the loop. */
function leaves(node: Node | null): boolean {
  if (!node) return false;
  if (EXITS.has(node.type)) return true;
  if (node.type === 'expression_statement') return leaves(node.namedChild(0));
  if (node.type === 'block') return namedChildren(node).some((statement) => leaves(statement));
  return false;
}

/** The attempt a `match` tests: its scrutinee (`match op() { … }`, `match res { … }`). */
function matchedAttempt(match: Node | null | undefined): FailurePath['attempt'] {
  const value = match?.type === 'match_expression' ? match.childForFieldName('value') : null;
  return value ? attemptOf(value, value, value) : undefined;
}

/** The attempt an `if` tests: the value of `if let Err(e) = send()`, or the condition (`res.is_ok()`). */
function testedAttempt(condition: Node): FailurePath['attempt'] {
  const tested = condition.type === 'let_condition' ? condition.childForFieldName('value') : condition;
  return tested ? attemptOf(tested, tested, tested) : undefined;
}

function withAttempt(path: FailurePath, attempt: FailurePath['attempt']): FailurePath {
  return attempt ? { ...path, attempt } : path;
}

function armFailure(arm: Node): FailurePath | null {
  const path = armPath(arm);
  return path && withAttempt(path, matchedAttempt(arm.parent?.parent));
}

function armPath(arm: Node): FailurePath | null {
  const pattern = arm.childForFieldName('pattern');
  const text = patternText(pattern);
  if (NO_DATA.test(text)) return null;
  if (ERR_PATTERN.test(text)) {
    const overload = isOverload(arm.text);
    return {
      trigger: { kind: 'exception', detail: overload ?? clip(text, 40) },
      evidence: `waits in the \`${clip(text, 40)}\` arm of a \`match\` (line ${lineOf(arm)})`,
    };
  }
  const overload =
    isOverload(text) ?? (/^\s*(408|429|5\d\d)(\s*\|\s*\d+)*\s*$/.test(text) ? text.trim() : null);
  if (overload) {
    return {
      trigger: { kind: 'status', detail: overload },
      evidence: `waits in the \`${clip(text, 40)}\` arm of a \`match\` (line ${lineOf(arm)})`,
    };
  }
  // `Ok(v) => return v, _ => { sleep }`: the catch-all arm of a match on a result is the failure.
  if (/^\s*_\s*$/.test(text)) {
    const block = arm.parent;
    const hasOkExit = block
      ? namedChildren(block).some(
          (other) =>
            OK_PATTERN.test(patternText(other.childForFieldName('pattern'))) &&
            leaves(other.childForFieldName('value')),
        )
      : false;
    if (hasOkExit)
      return {
        trigger: { kind: 'exception' },
        evidence: `waits in the \`_\` arm after an \`Ok\` arm that returns (line ${lineOf(arm)})`,
      };
  }
  return null;
}

function ifFailure(node: Node, child: Node): FailurePath | null {
  const condition = node.childForFieldName('condition');
  const path = condition ? ifPath(node, condition, child) : null;
  return path && withAttempt(path, testedAttempt(condition!));
}

function ifPath(node: Node, condition: Node, child: Node): FailurePath | null {
  const consequence = node.childForFieldName('consequence');
  const alternative = node.childForFieldName('alternative');
  const inThen = consequence?.equals(child) ?? false;
  const inElse = alternative?.equals(child) ?? false;
  if (!inThen && !inElse) return null;
  if (condition.type === 'let_condition') {
    const pattern = patternText(condition.childForFieldName('pattern'));
    if ((inThen && ERR_PATTERN.test(pattern)) || (inElse && OK_PATTERN.test(pattern))) {
      return {
        trigger: { kind: 'exception' },
        evidence: `waits when \`${clip(condition.text)}\` ${inThen ? 'matches' : 'does not match'} (line ${lineOf(node)})`,
      };
    }
    // `if let StatusCode::TOO_MANY_REQUESTS = res.status()`: the server said it is overloaded.
    const overload = inThen ? isOverload(pattern) : null;
    if (overload)
      return {
        trigger: { kind: 'status', detail: overload },
        evidence: `waits when \`${clip(condition.text)}\` matches (line ${lineOf(node)})`,
      };
    return null;
  }
  const text = condition.text;
  if ((inThen && isErrorCondition(text, WORDS)) || (inElse && isSuccessCondition(text, WORDS))) {
    return {
      trigger: {
        kind: /status|\b[45]\d\d\b|success/.test(text) ? 'status' : 'exception',
        detail: clip(text),
      },
      evidence: `waits when \`${clip(text)}\` ${inThen ? 'holds' : 'fails'} (line ${lineOf(node)})`,
    };
  }
  return null;
}

/** The expression a statement is (`match …;`) or binds (`let x = match … ;`). */
function statementExpression(statement: Node): Node | null {
  return statement.type === 'expression_statement'
    ? statement.namedChild(0)
    : statement.type === 'let_declaration'
      ? statement.childForFieldName('value')
      : null;
}

function successExit(statement: Node): FailurePath | null {
  const expression = statementExpression(statement);
  const path = expression ? exitPath(statement, expression) : null;
  if (!path || !expression) return path;
  const condition = expression.type === 'if_expression' ? expression.childForFieldName('condition') : null;
  return withAttempt(path, condition ? testedAttempt(condition) : matchedAttempt(expression));
}

function exitPath(statement: Node, expression: Node): FailurePath | null {
  if (expression.type === 'match_expression') {
    const block = expression.childForFieldName('body');
    const arms = block ? namedChildren(block).filter((arm) => arm.type === 'match_arm') : [];
    if (arms.some((arm) => NO_DATA.test(patternText(arm.childForFieldName('pattern'))))) return null;
    const ok = arms.find(
      (arm) =>
        OK_PATTERN.test(patternText(arm.childForFieldName('pattern'))) &&
        leaves(arm.childForFieldName('value')),
    );
    if (ok)
      return {
        trigger: { kind: 'exception' },
        evidence: `waits after a \`match\` whose \`Ok\` arm leaves the loop (line ${lineOf(statement)})`,
      };
  }
  if (expression.type === 'if_expression' && leaves(expression.childForFieldName('consequence'))) {
    const condition = expression.childForFieldName('condition');
    const text = condition?.text ?? '';
    const okLet =
      condition?.type === 'let_condition' &&
      OK_PATTERN.test(patternText(condition.childForFieldName('pattern')));
    if (okLet || (condition?.type !== 'let_condition' && isSuccessCondition(text, WORDS))) {
      return {
        trigger: { kind: 'status', detail: clip(text) },
        evidence: `waits only after \`${clip(text)}\` failed (line ${lineOf(statement)})`,
      };
    }
  }
  return null;
}

/** Calls whose failure says "nothing yet" (an empty channel, no data to read, a held lock): polling. */
const NO_DATA_CALL =
  /\b(try_recv|recv|recv_timeout|read\w*|poll\w*|try_lock|lock|try_read|try_write|peek)\s*\(/;

/** `while connect(addr).await.is_err()`, `while !send().is_ok()`: each pass follows a failed call. */
function failedCall(condition: Node): boolean {
  let test = condition;
  let negated = false;
  if (test.type === 'unary_expression' && test.text.startsWith('!')) {
    test = test.namedChild(0) ?? test;
    negated = true;
  }
  if (test.type !== 'call_expression') return false;
  const callee = test.childForFieldName('function');
  const method = callee?.type === 'field_expression' ? callee.childForFieldName('field')?.text : null;
  const receiver = callee?.childForFieldName('value');
  if (!receiver || method !== (negated ? 'is_ok' : 'is_err')) return false;
  return /\(/.test(receiver.text) && !NO_DATA_CALL.test(receiver.text);
}

export const RUST_GRAMMAR: ContextGrammar = {
  functions: RUST_FUNCTIONS,
  loops: new Set(LOOPS),
  blocks: new Set(['block']),
  failureAt: (ancestor, child) => {
    if (ancestor.type === 'match_arm' && ancestor.childForFieldName('value')?.equals(child))
      return armFailure(ancestor);
    if (ancestor.type === 'if_expression') return ifFailure(ancestor, child);
    if (ancestor.type === 'while_expression' && ancestor.childForFieldName('body')?.equals(child)) {
      const condition = ancestor.childForFieldName('condition');
      if (
        condition?.type === 'let_condition' &&
        ERR_PATTERN.test(patternText(condition.childForFieldName('pattern')))
      ) {
        return {
          trigger: { kind: 'exception' },
          evidence: `waits while \`${clip(condition.text)}\` (line ${lineOf(ancestor)})`,
        };
      }
      if (condition && failedCall(condition))
        return {
          trigger: { kind: 'exception' },
          evidence: `waits while \`${clip(condition.text)}\`, and the loop makes the call again (line ${lineOf(ancestor)})`,
        };
    }
    return null;
  },
  successExit,
  givesUp: (statement) => {
    const expression = statement.type === 'expression_statement' ? statement.namedChild(0) : statement;
    if (!expression) return false;
    if (expression.type === 'return_expression' && /^return\s+Err\b/.test(expression.text)) return true;
    return expression.type === 'macro_invocation' && /^(panic|bail|unreachable)!/.test(expression.text);
  },
  loopVariables: (loop) => {
    if (loop.type !== 'for_expression') return [];
    const pattern = loop.childForFieldName('pattern');
    const value = loop.childForFieldName('value');
    return pattern?.type === 'identifier' && value?.type === 'range_expression' ? [pattern.text] : [];
  },
  steppedNames: oncePerNode((node) =>
    descendantsOfTypes(node, new Set(['compound_assignment_expr']))
      .filter(
        (step) =>
          /^[+-]=$/.test(step.childForFieldName('operator')?.text ?? '') &&
          step.childForFieldName('right')?.text === '1',
      )
      .map((step) => step.childForFieldName('left')?.text ?? '')
      .filter((name) => /^\w+$/.test(name)),
  ),
  functionName: (fn) => (fn.type === 'function_item' ? (fn.childForFieldName('name')?.text ?? null) : null),
  callsName: (fn, name) =>
    some(fn, (node) => {
      if (node.type !== 'call_expression') return false;
      const callee = node.childForFieldName('function');
      if (!callee) return false;
      if (callee.type === 'identifier') return callee.text === name;
      if (callee.type === 'field_expression')
        return (
          callee.childForFieldName('value')?.text === 'self' &&
          callee.childForFieldName('field')?.text === name
        );
      return (
        callee.type === 'scoped_identifier' &&
        /^Self$/.test(callee.childForFieldName('path')?.text ?? '') &&
        callee.childForFieldName('name')?.text === name
      );
    }),
  parameterNames: (fn) => {
    const parameters = fn.childForFieldName('parameters');
    return parameters
      ? descendantsOfTypes(parameters, new Set(['parameter']))
          .map((p) => p.childForFieldName('pattern')?.text ?? '')
          .filter((n) => /^\w+$/.test(n))
      : [];
  },
  loopWord: (loop) =>
    loop.type === 'loop_expression'
      ? 'a `loop`'
      : loop.type === 'while_expression'
        ? 'a `while` loop'
        : 'a `for` loop',
};

/** `Ok(stream)`, `Ok(_)`: an attempt that produced a value (not `Ok(true)`, a state being polled). */
const OK_VALUE = /^\s*(\w+::)*Ok\s*\(\s*(_|(?!(true|false)\b)[a-z_]\w*)\s*\)\s*$/;

/**
 * A wait at the top of a loop body, before the attempt that leaves the loop when it succeeds
 * (`loop { sleep(d); match connect() { Ok(s) => return s, Err(_) => continue } }`): the pause before
 * each retried attempt. The attempt must produce a value on success and fail with an error that is
 * not "no data yet" (that loop is polling).
 */
export function pauseBeforeAttempt(wait: Node): { loop: Node; path: FailurePath } | null {
  let statement = wait;
  for (let up = wait.parent; up; statement = up, up = up.parent) {
    if (RUST_FUNCTIONS.has(up.type) || LOOPS.includes(up.type)) return null;
    if (up.type !== 'block') continue;
    const loop = up.parent;
    if (!loop || !LOOPS.includes(loop.type)) return null;
    for (const next of namedChildren(up)) {
      if (next.startIndex < statement.endIndex) continue;
      const expression =
        next.type === 'expression_statement'
          ? next.namedChild(0)
          : next.type === 'let_declaration'
            ? next.childForFieldName('value')
            : null;
      if (expression?.type !== 'match_expression') continue;
      const block = expression.childForFieldName('body');
      const arms = block ? namedChildren(block).filter((arm) => arm.type === 'match_arm') : [];
      const patterns = arms.map((arm) => patternText(arm.childForFieldName('pattern')));
      if (patterns.some((pattern) => NO_DATA.test(pattern))) return null;
      const succeeds = arms.some(
        (arm, index) => OK_VALUE.test(patterns[index]!) && leaves(arm.childForFieldName('value')),
      );
      if (succeeds && patterns.some((pattern) => ERR_PATTERN.test(pattern)))
        return {
          loop,
          path: {
            trigger: { kind: 'exception' },
            evidence: `waits before an attempt whose \`Ok\` arm leaves the loop (line ${lineOf(next)})`,
          },
        };
    }
    return null;
  }
  return null;
}

/**
 * tower's `retry::Policy::retry` is called with each result and returns the future tower awaits before
 * it sends the request again: a wait it returns on a failure path (`!response.status().is_success()`)
 * is the pause between attempts, with no loop in sight (RULES.md section 1, a retry library's own hook).
 */
export function retryHookWait(wait: Node, failure: FailurePath | null): RetryFrame | null {
  if (!failure) return null;
  let fn: Node | null = null;
  for (let up = wait.parent; up; up = up.parent) {
    if (RUST_FUNCTIONS.has(up.type)) {
      fn = up;
      break;
    }
  }
  if (fn?.type !== 'function_item' || fn.childForFieldName('name')?.text !== 'retry') return null;
  const impl = fn.parent?.parent;
  const policy = impl?.type === 'impl_item' ? (impl.childForFieldName('trait')?.text ?? '') : '';
  if (!/^(tower::)?(retry::)?Policy\b/.test(policy) || !/\btower::/.test(wait.tree.rootNode.text))
    return null;
  return {
    trigger: failure.trigger,
    counters: [],
    evidence: [
      failure.evidence,
      `returned from \`retry\` of a tower \`${clip(policy, 40)}\` (line ${lineOf(fn)}): tower waits it, then sends the request again`,
    ],
  };
}
