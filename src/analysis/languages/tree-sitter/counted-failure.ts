import type { Node } from './runtime.js';
import { ancestorPath, lineOf } from './syntax.js';
import type { RetryEvidence } from '../java/report.js';

/**
 * A retry whose loop is the caller: a function that counts its failures in state that outlives the
 * call (`pod_state.errors += 1`, `self.failures += 1`), gives up past a bound, and otherwise waits
 * and returns to be run again (a state machine's error state, a supervisor's restart hook). The
 * count is the evidence: it says each call is the next attempt after a failure. Read through field
 * names every tree-sitter grammar here shares (`condition`, `consequence`, `alternative`), so one
 * walk serves each language.
 */

/**
 * A count of failed attempts, by how its last name ends (`errors`, `failureCount`, `consecutive_failures`,
 * `reconnectAttempts`, `retries`).
 */
const FAILURE_WORDS =
  '(errors?|error_?count|failures?|failure_?count|fails|retries|retry_?count|attempts|restarts|reconnects)';
const FAILURE_COUNT = new RegExp(`${FAILURE_WORDS}$`, 'i');
/**
 * Some failure count stepped somewhere in a text (`errors += 1`, `++this.failures`, `retries =
 * retries + 1`): a function without one counts no failures, whatever the code around a wait in it.
 */
const SOME_COUNT_STEPPED = new RegExp(
  `${FAILURE_WORDS}\\s*(\\+=|\\+\\+|=)|\\+\\+\\s*[\\w.@]*?${FAILURE_WORDS}\\b`,
  'i',
);
/** Failed logins are slowed down on purpose, per user: a penalty, not a retry. */
const PENALTY = /login|password|passcode|auth|signin|pin/i;
/** `a.b.count`, `self.count`, `this.count`, `@count`: state kept outside the call, by its syntax. */
const KEPT = /^(?:@\w+|[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)$/;
const COMPARISON = /^(<|<=|>|>=)$/;

/** Per tree: whether its file steps some failure count at all (most files do not: no call of theirs is asked further). */
const FILE_STEPS_COUNT = new WeakMap<object, boolean>();

export function countedFailure(wait: Node, functions: ReadonlySet<string>): RetryEvidence | null {
  let fileSteps = FILE_STEPS_COUNT.get(wait.tree);
  if (fileSteps === undefined)
    FILE_STEPS_COUNT.set(wait.tree, (fileSteps = SOME_COUNT_STEPPED.test(wait.tree.rootNode.text)));
  if (!fileSteps) return null;
  const path = ancestorPath(wait);
  const at = path.findIndex((node) => functions.has(node.type));
  if (at < 0 || !SOME_COUNT_STEPPED.test(path[at]!.text)) return null;
  const fn = path[at]!;
  for (let index = 0; index < at; index += 1) {
    const node = path[index]!;
    const child = index === 0 ? wait : path[index - 1]!;
    const guard = branchGuard(node, child) ?? earlierGuard(child);
    if (!guard) continue;
    const stepped = steppedBefore(fn, guard.at.startIndex, guard.bound.count);
    if (stepped === null) return null;
    const { count, limit } = guard.bound;
    return {
      trigger: { kind: 'unknown', detail: count },
      counters: new Set([count]),
      evidence: [
        `counts failed attempts in \`${count}\` (line ${stepped}) and waits while it is under \`${limit}\` (line ${lineOf(guard.at)})`,
        `the count outlives the call: each call after a failure is the next attempt`,
      ],
    };
  }
  return null;
}

type Bound = NonNullable<ReturnType<typeof boundOf>>;

/** `errors > 3 → give up, else wait` or `errors < 3 → wait`: the branch holding the wait runs while under the bound. */
function branchGuard(node: Node, child: Node): { at: Node; bound: Bound } | null {
  const condition = node.childForFieldName('condition');
  if (!condition || child.equals(condition)) return null;
  const bound = boundOf(condition);
  if (!bound) return null;
  const inConsequence = consequenceOf(node, condition)?.equals(child) ?? false;
  return inConsequence === bound.whileUnderInConsequence ? { at: node, bound } : null;
}

/** `if errors > 3 { return … }` earlier in the block: past it, the count is under the bound. */
function earlierGuard(statement: Node): { at: Node; bound: Bound } | null {
  for (let before = statement.previousNamedSibling; before; before = before.previousNamedSibling) {
    const node = before.type === 'expression_statement' ? (before.namedChild(0) ?? before) : before;
    const condition = node.childForFieldName('condition');
    const consequence = condition && consequenceOf(node, condition);
    if (!condition || !consequence || alternativeOf(node, condition, consequence)) continue;
    const bound = boundOf(condition);
    if (bound && !bound.whileUnderInConsequence && LEAVES.test(consequence.text)) return { at: node, bound };
  }
  return null;
}

/**
 * The branch taken when the condition holds: the `consequence` field, a modifier's `body` (Ruby's
 * `raise … if count > 3`), or the first child after the condition (Kotlin names neither branch).
 */
function consequenceOf(node: Node, condition: Node): Node | null {
  const named = node.childForFieldName('consequence') ?? node.childForFieldName('body');
  if (named) return named;
  const after = node.namedChildren.filter((child) => child && child.startIndex >= condition.endIndex);
  return after[0] ?? null;
}

function alternativeOf(node: Node, condition: Node, consequence: Node): Node | null {
  const named = node.childForFieldName('alternative');
  if (named) return named;
  return (
    node.namedChildren.find(
      (child) => child && child.startIndex >= consequence.endIndex && !child.equals(condition),
    ) ?? null
  );
}

/** A branch that gives up: nothing after it in the function runs. */
const LEAVES = /(^|[^\w])(return|raise|throw|panic!|bail!)([^\w]|$)/;

/** `count > N` (wait in the else branch), `N <= count`, `count < N` (wait in the then branch). */
function boundOf(condition: Node): { count: string; limit: string; whileUnderInConsequence: boolean } | null {
  let comparison = condition;
  while (comparison.type === 'parenthesized_expression' && comparison.namedChildCount === 1)
    comparison = comparison.namedChild(0)!;
  if (comparison.childCount !== 3) return null;
  const [left, operator, right] = [comparison.child(0)!, comparison.child(1)!, comparison.child(2)!];
  if (operator.isNamed || !COMPARISON.test(operator.type)) return null;
  const below = operator.type.startsWith('<');
  for (const [count, limit, countOnLeft] of [
    [left, right, true],
    [right, left, false],
  ] as const) {
    const text = count.text;
    const last = text.replace(/^.*[.@]/, '').replace(/^(m_|_)/, '');
    if (!/^@?[A-Za-z_][\w.]*$/.test(text) || !FAILURE_COUNT.test(last) || PENALTY.test(last)) continue;
    if (!/^[\w.]+$/.test(limit.text)) continue;
    return { count: text, limit: limit.text, whileUnderInConsequence: below === countOnLeft };
  }
  return null;
}

/** The line where `count` is stepped by one before `before` in the function, or null. */
function steppedBefore(fn: Node, before: number, count: string): number | null {
  const name = count.replace(/[.$@]/g, (c) => `\\${c}`);
  const step = new RegExp(
    `(?<![\\w.])${name}\\s*(?:\\+=\\s*1\\b|\\+\\+)|\\+\\+\\s*${name}\\b|(?<![\\w.])${name}\\s*=\\s*${name}\\s*\\+\\s*1\\b`,
  );
  const text = fn.text.slice(0, before - fn.startIndex);
  const found = step.exec(text);
  if (!found || (!KEPT.test(count) && declares(text.slice(0, found.index), name))) return null;
  return fn.startPosition.row + 1 + (text.slice(0, found.index).match(/\n/g)?.length ?? 0);
}

/**
 * Whether the function declares a bare name itself before stepping it (`int errors = 0`, `let mut
 * errors`, a parameter `errors: u32`): then it is the call's own count, not a field's.
 */
function declares(text: string, name: string): boolean {
  return new RegExp(`(?<![\\w.])${name}\\s*(?:=(?!=)|:=|:(?!:))|(?:\\w\\s+|[(,]\\s*)${name}\\s*[,)=;:]`).test(
    text,
  );
}
