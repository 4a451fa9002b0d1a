import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { drawRange } from '../../flow/draw-range.js';
import type { Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import {
  keywordArguments,
  positionalArguments,
  qualifiedCallee,
  RANDOM_CALL,
  type PyImport,
  spreadsArguments,
} from './module.js';

/**
 * Python expression syntax → the engine's expressions. Only syntax is decided here: what a name,
 * a call or an attribute means is the engine's business.
 */

/** Calls that hand back their argument's value (rounding and conversions do not change a delay's shape). */
const PASS_THROUGH = new Set([
  'int',
  'float',
  'round',
  'abs',
  'math.ceil',
  'math.floor',
  'math.trunc',
  'Decimal',
  'decimal.Decimal',
]);
const ENVIRONMENT = /^os\.(environ|getenv)|\.environ\b|getenv/;
/** `os.environ.get("X", default)`, `os.getenv("X", default)`: the default is what runs without the variable. */
const ENVIRONMENT_GET = /^os\.(environ\.get|getenv)$|\.environ\.get$|(^|\.)getenv$/;
/** `timedelta` keyword → seconds per unit. */
const TIMEDELTA_SECONDS: Record<string, number> = {
  weeks: 604_800,
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  seconds: 1,
  milliseconds: 0.001,
  microseconds: 0.000_001,
};
const TIMEDELTA_ORDER = ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'];
const CALL = new Set(['call']);
const RECEIVERS = new Set(['self', 'cls']);

/** An expression lowered on its own (a file's facts lower through one `lowerOnce` instead). */
export function lowerPython(node: Node, imports: ReadonlyMap<string, PyImport>): Expr {
  return lowerOnce((n, lower) => lowerPythonNode(n, imports, lower))(node);
}

/** One node lowered, its sub-expressions through `lower` (see `lowerOnce`). */
export function lowerPythonNode(
  node: Node,
  imports: ReadonlyMap<string, PyImport>,
  lower: (n: Node) => Expr,
): Expr {
  switch (node.type) {
    case 'integer':
    case 'float': {
      const value = numericLiteral(node.text.replace(/[jJ]$/, ''));
      return value === null ? { k: 'todo', what: `\`${node.text}\`` } : { k: 'num', value };
    }
    case 'string': {
      // Only as a default handed to a number conversion (`float(os.getenv("WAIT", "5"))`).
      const value = numericLiteral(node.text.replace(/^[rbuf]*['"]{1,3}|['"]{1,3}$/gi, ''));
      return value === null ? { k: 'todo', what: 'a string' } : { k: 'num', value };
    }
    case 'parenthesized_expression':
    case 'expression_statement':
      return node.namedChild(0) ? lower(node.namedChild(0)!) : { k: 'todo', what: 'empty' };
    case 'unary_operator': {
      const argument = field(node, 'argument');
      if (!argument) return { k: 'todo', what: 'operator' };
      const operator = field(node, 'operator')?.text;
      if (operator === '-') return { k: 'neg', inner: lower(argument) };
      return operator === '+' ? lower(argument) : { k: 'todo', what: 'operator' };
    }
    case 'binary_operator': {
      const op = OPERATORS[field(node, 'operator')?.text ?? ''];
      const left = field(node, 'left');
      const right = field(node, 'right');
      if (!op || !left || !right) return { k: 'todo', what: `operator in \`${node.text.slice(0, 40)}\`` };
      return { k: 'binary', op, left: lower(left), right: lower(right) };
    }
    case 'boolean_operator': {
      // `delay or 5`: either may be the value.
      const left = field(node, 'left');
      const right = field(node, 'right');
      return left && right
        ? { k: 'either', options: [lower(left), lower(right)] }
        : { k: 'todo', what: 'boolean' };
    }
    case 'conditional_expression': {
      const [whenTrue, , whenFalse] = namedChildren(node);
      return whenTrue && whenFalse
        ? { k: 'either', options: [lower(whenTrue), lower(whenFalse)] }
        : { k: 'todo', what: 'conditional' };
    }
    case 'identifier':
      return RECEIVERS.has(node.text)
        ? { k: 'self' }
        : { k: 'name', name: node.text, line: node.startPosition.row + 1 };
    case 'attribute': {
      const text = node.text;
      if (ENVIRONMENT.test(text)) return { k: 'external', what: 'an environment variable' };
      if (SERVER_HINT_NAME.test(text)) return { k: 'server', what: text };
      const object = field(node, 'object');
      const name = field(node, 'attribute')?.text ?? '';
      if (!object) return { k: 'todo', what: 'attribute' };
      return { k: 'member', object: lower(object), name, line: node.startPosition.row + 1 };
    }
    case 'subscript': {
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      if (ENVIRONMENT.test(node.text)) return { k: 'external', what: 'an environment variable' };
      const value = field(node, 'value');
      const subscript = field(node, 'subscript');
      if (!value || !subscript) return { k: 'todo', what: 'subscript' };
      const index = lower(subscript);
      if (value.type === 'list' || value.type === 'tuple')
        return { k: 'table', items: namedChildren(value).map(lower), index };
      return { k: 'table', items: [], index, of: lower(value) };
    }
    case 'list':
    case 'tuple':
      return { k: 'table', items: namedChildren(node).map(lower) };
    case 'call':
      return lowerCall(node, imports, lower);
    default:
      return { k: 'todo', what: `cannot evaluate ${node.type}` };
  }
}

/** The text of a plain string literal (no f-string parts), or undefined. */
function stringValue(node: Node): string | undefined {
  if (node.type !== 'string' || namedChildren(node).some((c) => c.type === 'interpolation')) return undefined;
  const content = namedChildren(node).find((c) => c.type === 'string_content');
  return content?.text ?? '';
}

function lowerCall(node: Node, imports: ReadonlyMap<string, PyImport>, lower: (n: Node) => Expr): Expr {
  const callee = field(node, 'function');
  if (!callee) return { k: 'todo', what: 'call' };
  const name = qualifiedCallee(callee, imports);
  const args = positionalArguments(node);
  if (GENERATOR.test(name)) {
    const seed = args[0] ?? keywordArguments(node).get('seed')?.value;
    return {
      k: 'generator',
      what: node.text,
      line: node.startPosition.row + 1,
      ...(seed ? { seed: lower(seed) } : {}),
    };
  }
  if (RANDOM_CALL.test(name)) return randomDraw(node, callee, name, lower);
  // `headers.get("Retry-After", 30)`: the server's hint, or the code's own fallback when it sends none.
  if (
    callee.type === 'attribute' &&
    field(callee, 'attribute')?.text === 'get' &&
    args[1] &&
    SERVER_HINT_NAME.test(args[0]?.text ?? '')
  )
    return { k: 'either', options: [{ k: 'server', what: args[0]!.text }, lower(args[1])] };
  if (PASS_THROUGH.has(name) && args[0]) return lower(args[0]);
  // `settings.get("retry_wait", 5)`, `getattr(settings, "RETRY_WAIT", 5)`: the value set elsewhere, or the code's fallback.
  if (
    callee.type === 'attribute' &&
    field(callee, 'attribute')?.text === 'get' &&
    args.length === 2 &&
    !ENVIRONMENT.test(name)
  ) {
    const object = field(callee, 'object')!;
    return {
      k: 'option',
      of: lower(object),
      key: stringValue(args[0]!),
      fallback: lower(args[1]!),
      line: node.startPosition.row + 1,
    };
  }
  if (name === 'getattr' && args.length === 3)
    return {
      k: 'option',
      of: lower(args[0]!),
      key: stringValue(args[1]!),
      fallback: lower(args[2]!),
      line: node.startPosition.row + 1,
    };
  if ((name === 'min' || name === 'max') && args.length > 0)
    return { k: 'minmax', which: name, args: args.map(lower) };
  if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
  if (ENVIRONMENT_GET.test(name) && args[1]) return lower(args[1]);
  if (ENVIRONMENT.test(name)) return { k: 'external', what: 'an environment variable' };
  if ((name === 'pow' || name === 'math.pow') && args[0] && args[1])
    return { k: 'binary', op: '**', left: lower(args[0]), right: lower(args[1]) };
  if (/(^|\.)timedelta$/.test(name)) return timedelta(node, lower);
  // `timedelta(seconds=5).total_seconds()`
  if (callee.type === 'attribute' && field(callee, 'attribute')?.text === 'total_seconds') {
    const object = field(callee, 'object');
    return object ? lower(object) : { k: 'todo', what: 'total_seconds' };
  }
  const lowered = args.map(lower);
  const keywords: [string, Expr][] = [...keywordArguments(node)].map(([keyword, { value }]) => [
    keyword,
    lower(value),
  ]);
  // `int(foo(random.random()))`: a random draw handed to a call makes its result random too.
  const random = [...lowered, ...keywords.map(([, e]) => e)].find((e) => e.k === 'random');
  if (random) return random;
  const spread = spreadsArguments(node);
  return {
    k: 'call',
    callee: lower(callee),
    args: lowered,
    named: keywords,
    line: node.startPosition.row + 1,
    spread,
  };
}

/**
 * Generators seeded by their first argument (none: from the OS): `random.Random(42)`,
 * `numpy.random.default_rng(7)`, `numpy.random.RandomState(0)`. `SystemRandom` ignores its seed.
 */
const GENERATOR = /(^|\.)(random\.Random|RandomState|default_rng)$/;

/**
 * A random draw, with the range it falls in: from the generator object or module it is a method of
 * (`self._rng.uniform(…)`, `random.uniform(…)`); a call only its name makes a draw (`with_jitter(…)`)
 * keeps the call.
 */
function randomDraw(node: Node, callee: Node, name: string, lower: (n: Node) => Expr): Expr {
  const object = callee.type === 'attribute' ? field(callee, 'object') : null;
  const args = positionalArguments(node).map(lower);
  const draw: Extract<Expr, { k: 'random' }> = { k: 'random', what: name };
  const range = drawRange(name, args);
  if (range) draw.range = range;
  // The module itself (`random.uniform`) is a source too: `random.seed(0)` may have seeded it.
  if (object && !/^(secrets|(np|numpy)\.random)$/.test(object.text)) draw.from = lower(object);
  if (JITTER_NAME.test(name)) {
    const named: [string, Expr][] = [...keywordArguments(node)].map(([k, { value }]) => [k, lower(value)]);
    draw.via = {
      k: 'call',
      callee: lower(callee),
      args,
      named,
      line: node.startPosition.row + 1,
    };
  }
  return draw;
}

/** `timedelta(seconds=5)`, `timedelta(0, 5)`: in seconds, the unit Python sleeps take. */
function timedelta(node: Node, lower: (n: Node) => Expr): Expr {
  let total: Expr = { k: 'num', value: 0 };
  const add = (value: Expr, seconds: number) => {
    total = {
      k: 'binary',
      op: '+',
      left: total,
      right: { k: 'binary', op: '*', left: value, right: { k: 'num', value: seconds } },
    };
  };
  for (const [index, arg] of positionalArguments(node).entries()) {
    const unit = TIMEDELTA_ORDER[index];
    if (!unit) return { k: 'todo', what: 'timedelta' };
    add(lower(arg), TIMEDELTA_SECONDS[unit]!);
  }
  for (const [keyword, { value }] of keywordArguments(node)) {
    const seconds = TIMEDELTA_SECONDS[keyword];
    if (seconds === undefined) return { k: 'todo', what: `timedelta ${keyword}` };
    add(lower(value), seconds);
  }
  return total;
}

/** Random draws anywhere in an expression (not following calls). */
export function containsRandom(node: Node, imports: ReadonlyMap<string, PyImport>): boolean {
  const calls =
    node.type === 'call' ? [node, ...descendantsOfTypes(node, CALL)] : descendantsOfTypes(node, CALL);
  return calls.some((call) => {
    const callee = field(call, 'function');
    return !!callee && RANDOM_CALL.test(qualifiedCallee(callee, imports));
  });
}
