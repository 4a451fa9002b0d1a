import { SERVER_HINT_NAME } from '../../context.js';
import type { ArithmeticOp } from '../../delay.js';
import { randomDraw } from '../../flow/draw-range.js';
import { clamped, type Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { calleeParts, callArguments, isRandomCall, lambdaOf, unwrapCall } from './syntax.js';

/**
 * Kotlin expression syntax → the engine's expressions, in milliseconds: `delay` and `Thread.sleep`
 * take milliseconds, and a `Duration` (`5.seconds`, `Duration.ofSeconds(5)`) is lowered to the
 * milliseconds it holds, so durations and plain numbers fold together. Only syntax is decided here;
 * what a name means is the engine's business, except that a bare name of a member of the enclosing
 * class is read through the receiver (Kotlin's implicit `this`), which `receiverField` tells.
 */

export interface LowerContext {
  /** Whether a bare name read at `node` is a member of the enclosing class rather than a local. */
  receiverField(name: string, node: Node): boolean;
}

/** Members that hand back their receiver's value (conversions and rounding keep a delay's shape). */
const PASS_THROUGH = new Set([
  'toLong',
  'toInt',
  'toDouble',
  'toFloat',
  'toShort',
  'toLongOrNull',
  'toIntOrNull',
  'toDoubleOrNull',
  'roundToLong',
  'roundToInt',
  'inWholeMilliseconds',
  'toMillis',
  'toJavaDuration',
  'toKotlinDuration',
  'absoluteValue',
]);
/** `5.seconds` and friends (kotlin.time), and `Duration` factories (`Duration.ofSeconds`, `Duration.seconds`). */
const DURATION_PROPERTY = /^(nanoseconds|microseconds|milliseconds|seconds|minutes|hours|days)$/;
const DURATION_FACTORY =
  /^(of|to)?(Nanos|Micros|Millis|Seconds|Minutes|Hours|Days|nanoseconds|microseconds|milliseconds|seconds|minutes|hours|days)$/;
const ENVIRONMENT = /^(System\.getenv|System\.getProperty|getenv)$/;
const ZERO_ARGS = (node: Node) => callArguments(node).nodes.length === 0;
/** `a.times(b)`: Kotlin's operator functions, called by name. */
const OPERATOR_FUNCTIONS: Readonly<Record<string, ArithmeticOp>> = {
  times: '*',
  div: '/',
  plus: '+',
  minus: '-',
  rem: '%',
  shl: '<<',
};
const NO_VALUE = new Set(['true', 'false', 'break', 'continue']);

/**
 * An expression lowered with the names in scope where it stands, each of its parts once. Not shared
 * across a file's expressions: which names are locals changes as the walk goes.
 */
export function lowerKotlin(node: Node, context: LowerContext): Expr {
  return lowerOnce((n, lower) => lowerKotlinNode(n, context, lower))(node);
}

/** One node lowered, its sub-expressions through `lower` (see `lowerOnce`). */
function lowerKotlinNode(node: Node, context: LowerContext, lower: (n: Node) => Expr): Expr {
  const line = node.startPosition.row + 1;
  switch (node.type) {
    case 'number_literal':
    case 'float_literal':
    case 'long_literal': {
      const value = numericLiteral(node.text);
      return value === null ? { k: 'todo', what: `\`${node.text}\`` } : { k: 'num', value };
    }
    case 'string_literal': {
      // Only as a default handed to a conversion (`System.getenv("WAIT") ?: "5"`).
      const value = numericLiteral(node.text.replace(/^"|"$/g, ''));
      return value === null ? { k: 'todo', what: 'a string' } : { k: 'num', value };
    }
    case 'parenthesized_expression':
    case 'value_argument':
    case 'annotated_expression': {
      const inner = namedChildren(node).filter((c) => c.type !== 'annotation' && c.type !== 'label');
      const last = inner[inner.length - 1];
      return last ? lower(last) : { k: 'todo', what: 'empty' };
    }
    case 'as_expression': {
      const left = field(node, 'left');
      return left ? lower(left) : { k: 'todo', what: 'cast' };
    }
    case 'unary_expression': {
      const argument = field(node, 'argument');
      const operator = field(node, 'operator')?.text;
      if (!argument) return { k: 'todo', what: 'operator' };
      if (operator === '-') return { k: 'neg', inner: lower(argument) };
      if (operator === '+' || operator === '!!') return lower(argument);
      return { k: 'todo', what: 'operator' };
    }
    case 'binary_expression': {
      const operator = field(node, 'operator')?.text ?? '';
      const left = field(node, 'left');
      const right = field(node, 'right');
      if (!left || !right) return { k: 'todo', what: 'operator' };
      // `retryAfter ?: 10`: the server's hint, or the code's own fallback.
      if (operator === '?:') return either([left, right], lower);
      const op = OPERATORS[operator];
      return op
        ? { k: 'binary', op, left: lower(left), right: lower(right) }
        : { k: 'todo', what: `operator \`${operator}\`` };
    }
    case 'infix_expression': {
      const [left, verb, right] = namedChildren(node);
      if (!left || !verb || !right) return { k: 'todo', what: 'infix' };
      if (verb.text === 'shl') return { k: 'binary', op: '<<', left: lower(left), right: lower(right) };
      if (verb.text === 'shr') return { k: 'binary', op: '>>', left: lower(left), right: lower(right) };
      return { k: 'todo', what: `\`${verb.text}\`` };
    }
    case 'identifier': {
      const name = node.text;
      // No value: `waitDuration ?: config.waitDuration` with `waitDuration: Long? = null` is the other side.
      if (name === 'null') return { k: 'none' };
      if (NO_VALUE.has(name)) return { k: 'todo', what: `\`${name}\`` };
      if (context.receiverField(name, node)) return { k: 'member', object: { k: 'self' }, name, line };
      return { k: 'name', name, line };
    }
    case 'this_expression':
      return { k: 'self' };
    case 'navigation_expression':
      return lowerNavigation(node, lower, line);
    case 'index_expression': {
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      const [object, index] = namedChildren(node);
      if (!object || !index) return { k: 'todo', what: 'indexed value' };
      const of = lower(object);
      if (of.k === 'table') return { ...of, index: lower(index) };
      return { k: 'table', items: [], index: lower(index), of };
    }
    case 'if_expression': {
      const { consequence, alternative } = ifBranches(node);
      if (!consequence || !alternative) return { k: 'todo', what: 'an if without else' };
      return either([consequence, alternative], lower);
    }
    case 'block':
    case 'control_structure_body': {
      const last = namedChildren(node).pop();
      return last ? lower(last) : { k: 'todo', what: 'empty block' };
    }
    case 'when_expression': {
      const branches = namedChildren(node)
        .filter((c) => c.type === 'when_entry')
        .map((entry) => namedChildren(entry).pop())
        .filter((n): n is Node => !!n);
      return either(branches, lower);
    }
    case 'call_expression':
      // `listOf(1_000L, 2_000L, 4_000L)`: a literal list, wherever it is kept and then indexed.
      if (LIST_BUILDER.test(calleeParts(node).name))
        return { k: 'table', items: callArguments(node).nodes.map(lower) };
      return lowerCall(node, lower, line);
    default:
      return { k: 'todo', what: `cannot evaluate ${node.type}` };
  }
}

const LIST_BUILDER = /^(listOf|arrayOf|longArrayOf|intArrayOf|doubleArrayOf|mutableListOf|arrayListOf)$/;

/** What a call calls: a bare name is a function (never a value the server sent, whatever its name says). */
export function calleeExpr(callee: Node, lower: (n: Node) => Expr): Expr {
  if (callee.type !== 'identifier') return lower(callee);
  const expr = lower(callee);
  return expr.k === 'server' ? { k: 'name', name: callee.text, line: callee.startPosition.row + 1 } : expr;
}

/** The values branches can have; a branch that throws or returns has none (`else -> throw e`). */
function either(branches: readonly Node[], lower: (n: Node) => Expr): Expr {
  const options = branches.filter((branch) => !leaves(branch)).map(lower);
  if (options.length === 0) return { k: 'todo', what: 'every branch leaves' };
  return options.length === 1 ? options[0]! : { k: 'either', options };
}

function leaves(branch: Node): boolean {
  const last = branch.type === 'block' ? namedChildren(branch).pop() : branch;
  return (
    !!last &&
    (last.type === 'throw_expression' ||
      last.type === 'return_expression' ||
      (last.type === 'identifier' && (last.text === 'break' || last.text === 'continue')))
  );
}

/** The branches of `if (c) a else b`: the children after the condition, split at `else`. */
export function ifBranches(node: Node): { consequence: Node | null; alternative: Node | null } {
  let consequence: Node | null = null;
  let alternative: Node | null = null;
  let afterElse = false;
  const condition = field(node, 'condition');
  for (let index = 0; index < node.childCount; index += 1) {
    const child = node.child(index);
    if (!child) continue;
    if (child.type === 'else') afterElse = true;
    if (!child.isNamed || child.isExtra || (condition && child.equals(condition))) continue;
    if (afterElse) alternative ??= child;
    else consequence ??= child;
  }
  return { consequence, alternative };
}

function lowerNavigation(node: Node, lower: (n: Node) => Expr, line: number): Expr {
  const [object, member] = namedChildren(node);
  if (!object || !member) return { k: 'todo', what: 'member' };
  const name = member.text;
  if (SERVER_HINT_NAME.test(name)) return { k: 'server', what: node.text };
  // kotlin.time: `5.seconds`, `500.milliseconds`, `attempt.seconds`.
  if (DURATION_PROPERTY.test(name)) {
    const unit = unitMs(name)!;
    return { k: 'binary', op: '*', left: lower(object), right: { k: 'num', value: unit } };
  }
  if (PASS_THROUGH.has(name)) return lower(object);
  if (name === 'inWholeSeconds')
    return { k: 'binary', op: '/', left: lower(object), right: { k: 'num', value: 1_000 } };
  return { k: 'member', object: lower(object), name, line };
}

const SEEDED_GENERATOR = /^((kotlin\.random|java\.util)\.)?Random$/;
/** Sources that differ between processes: the default generator, the thread's, the OS's. */
const GLOBAL_SOURCE =
  /^((kotlin\.random\.)?Random(\.Default)?|ThreadLocalRandom\.current\(\)|SecureRandom\(\)|Math)$/;

function lowerCall(wrapped: Node, lower: (n: Node) => Expr, line: number): Expr {
  const node = unwrapCall(wrapped);
  const parts = calleeParts(node);
  const { callee, name, receiver, qualified } = parts;
  if (!callee) return { k: 'todo', what: 'call' };
  const { nodes, named, spread } = callArguments(node);
  // `Random(42)`, `java.util.Random(42)`: one sequence in every process; `Random.Default` seeds itself.
  if (SEEDED_GENERATOR.test(qualified) && nodes.length === 1 && named.length === 0)
    return { k: 'generator', what: node.text, seed: lower(nodes[0]!), line };
  const args = nodes.map(lower);
  if (isRandomCall(node, parts)) {
    // A draw from a generator object (`rng.nextLong(…)`): which generator decides whether it is jitter.
    const source =
      receiver && !GLOBAL_SOURCE.test(receiver.text.replace(/\s+/g, '')) ? { from: lower(receiver) } : {};
    // `(1..5).random()` and `list.random()` pick an element: only a generator's draw has a numeric range.
    const generator = qualified === 'Math.random' || (!!receiver && !/^random(OrNull)?$/.test(name));
    return generator && !spread
      ? randomDraw(qualified, name, args, source)
      : { k: 'random', what: qualified, ...source };
  }
  // A clamp (`e.retryAfterMillis.coerceAtMost(60_000L)`) is a clamp, whatever its receiver names.
  if (receiver && name === 'coerceAtLeast' && args[0])
    return { k: 'minmax', which: 'max', args: [lower(receiver), args[0]] };
  if (receiver && name === 'coerceAtMost' && args[0])
    return { k: 'minmax', which: 'min', args: [lower(receiver), args[0]] };
  if (receiver && name === 'coerceIn' && args[0] && args[1])
    return clamped(lower(receiver), args[0], args[1]);
  // A member read of the server's hint (`response.header("Retry-After")`); a helper of the code's own
  // (`retryAfterMs(response)`) is followed instead, so that its own fallback is judged.
  if (receiver && (SERVER_HINT_NAME.test(qualified) || (nodes[0] && SERVER_HINT_NAME.test(nodes[0].text))))
    return { k: 'server', what: node.text };
  if (ENVIRONMENT.test(qualified)) return { k: 'external', what: 'an environment variable' };
  // `props.getProperty("retry.delay")`, `(…, "500")`: a key of the project's config, or the code's default.
  const key = nodes[0]?.type === 'string_literal' && !nodes[0].text.includes('$') ? nodes[0].text : null;
  if (receiver && name === 'getProperty' && key) {
    const setting: Expr = { k: 'setting', key: key.slice(1, -1), of: lower(receiver), line };
    if (args.length > 1) setting.fallback = args[args.length - 1]!;
    return setting;
  }
  if (receiver && PASS_THROUGH.has(name) && ZERO_ARGS(node)) return lower(receiver);
  if (
    /^(minOf|maxOf|Math\.min|Math\.max|min|max|kotlin\.math\.min|kotlin\.math\.max)$/.test(qualified) &&
    args.length > 0
  )
    return { k: 'minmax', which: /min/i.test(name) ? 'min' : 'max', args };
  const operator = OPERATOR_FUNCTIONS[name];
  if (receiver && operator && args.length === 1)
    return { k: 'binary', op: operator, left: lower(receiver), right: args[0]! };
  if (receiver && name === 'pow' && args[0])
    return { k: 'binary', op: '**', left: lower(receiver), right: args[0] };
  if (/^(Math\.pow|pow)$/.test(qualified) && args[0] && args[1])
    return { k: 'binary', op: '**', left: args[0], right: args[1] };
  // `Duration.ofSeconds(5)`, `Duration.seconds(5)`, `TimeUnit.SECONDS.toMillis(5)`.
  if (
    receiver &&
    /^(Duration|java\.time\.Duration)$/.test(receiver.text) &&
    DURATION_FACTORY.test(name) &&
    args[0]
  )
    return { k: 'binary', op: '*', left: args[0], right: { k: 'num', value: unitMs(name) ?? 1 } };
  if (receiver && name === 'toMillis' && /^(TimeUnit\.)?[A-Z]+$/.test(receiver.text) && args[0]) {
    const unit = unitMs(receiver.text.replace(/^TimeUnit\./, ''));
    if (unit !== null) return { k: 'binary', op: '*', left: args[0], right: { k: 'num', value: unit } };
  }
  // `n.toDuration(DurationUnit.SECONDS)`
  if (receiver && name === 'toDuration' && nodes[0]) {
    const unit = unitMs(nodes[0].text.replace(/^DurationUnit\./, ''));
    if (unit !== null)
      return { k: 'binary', op: '*', left: lower(receiver), right: { k: 'num', value: unit } };
  }
  // A random draw handed to a call makes its result random too (`foo(Random.nextLong(…))`).
  const random = args.find((e) => e.k === 'random');
  if (random) return random;
  if (lambdaOf(node)) return { k: 'todo', what: `\`${name} { … }\`` };
  return {
    k: 'call',
    callee: calleeExpr(callee, lower),
    args,
    named: named.map(([key, value]) => [key, lower(value)] as [string, Expr]),
    line,
    spread,
  };
}
