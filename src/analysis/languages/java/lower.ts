import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { randomDraw } from '../../flow/draw-range.js';
import { clamped, type Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren, oncePerNode } from '../tree-sitter/syntax.js';

/**
 * Java expression syntax → the engine's expressions, in milliseconds for `Duration`s and in the
 * wait's own unit for plain numbers. Only syntax is decided here; which declaration a bare name means
 * (a local, a field of an enclosing class) the caller's `JavaNames` says, and what it holds the engine.
 */

export interface JavaNames {
  /** A bare identifier used as a value. */
  identifier(node: Node): Expr;
  /** The callee of an unqualified call `name(…)` at `node`. */
  ownCallee(node: Node, name: string): Expr;
}

export const NUMBER_LITERALS = new Set([
  'decimal_integer_literal',
  'hex_integer_literal',
  'octal_integer_literal',
  'binary_integer_literal',
  'decimal_floating_point_literal',
  'hex_floating_point_literal',
]);

/** Calls that draw a random number (java.util.Random, ThreadLocalRandom, SecureRandom, commons-lang). */
export const RANDOM_METHOD =
  /^(random|nextInt|nextLong|nextDouble|nextFloat|nextGaussian|nextExponential|ints|longs|doubles|randomLong|randomInt|randomDouble)$/;
/** A helper named for jitter is taken at its word when it cannot be followed. */
const PASS_THROUGH_MATH = new Set(['round', 'floor', 'ceil', 'abs', 'toIntExact', 'rint']);
const PARSE_NUMBER = new Set(['parseLong', 'parseInt', 'valueOf', 'parseDouble']);
/** `Duration` accessors → factor from milliseconds. */
const DURATION_READ: Record<string, number> = {
  toMillis: 1,
  toSeconds: 0.001,
  getSeconds: 0.001,
  toNanos: 1e6,
};
const TIME_UNIT =
  /^(?:(?:java\.util\.concurrent\.)?TimeUnit\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/;
/** Reads of the process environment or system properties: outside the repository unless a default is given. */
const PROPERTY_READ = /^(System\.(getenv|getProperty)|Long\.getLong|Integer\.getInteger)$/;

/** One node lowered, its sub-expressions through `lower` (see `lowerOnce`). */
export function lowerJavaNode(node: Node, names: JavaNames, lower: (n: Node) => Expr): Expr {
  // Each read of a node's type is a call into the engine: once here.
  const type = node.type;
  if (NUMBER_LITERALS.has(type)) {
    const value = numericLiteral(node.text);
    return value === null ? { k: 'todo', what: `\`${node.text}\`` } : { k: 'num', value };
  }
  switch (type) {
    case 'string_literal': {
      // Only as a default handed to a number conversion (`Long.parseLong(props.getProperty("x", "5000"))`).
      const value = numericLiteral(node.text.replace(/^"|"$/g, ''));
      return value === null ? { k: 'todo', what: 'a string' } : { k: 'num', value };
    }
    case 'parenthesized_expression':
      return node.namedChild(0) ? lower(node.namedChild(0)!) : { k: 'todo', what: 'empty' };
    case 'cast_expression': {
      const value = field(node, 'value');
      return value ? lower(value) : { k: 'todo', what: 'cast' };
    }
    case 'unary_expression': {
      const operand = field(node, 'operand');
      const operator = field(node, 'operator')?.text;
      if (!operand) return { k: 'todo', what: 'operator' };
      if (operator === '-') return { k: 'neg', inner: lower(operand) };
      return operator === '+' ? lower(operand) : { k: 'todo', what: 'operator' };
    }
    case 'update_expression': {
      // `2 << retries++`: the stepped name's value, which the retry around it counts.
      const operand = node.namedChild(0);
      return operand ? lower(operand) : { k: 'todo', what: 'update' };
    }
    case 'binary_expression': {
      const operator = field(node, 'operator')?.text ?? '';
      const op = OPERATORS[operator === '>>>' ? '>>' : operator];
      const left = field(node, 'left');
      const right = field(node, 'right');
      if (!op || !left || !right) return { k: 'todo', what: `operator \`${operator}\`` };
      return { k: 'binary', op, left: lower(left), right: lower(right) };
    }
    case 'ternary_expression': {
      const whenTrue = field(node, 'consequence');
      const whenFalse = field(node, 'alternative');
      return whenTrue && whenFalse
        ? { k: 'either', options: [lower(whenTrue), lower(whenFalse)] }
        : { k: 'todo', what: 'conditional' };
    }
    case 'identifier':
      return names.identifier(node);
    case 'this':
    case 'super':
      return { k: 'self' };
    case 'field_access':
      return fieldAccess(node, lower);
    case 'array_access': {
      const array = field(node, 'array');
      const index = field(node, 'index');
      if (!array || !index) return { k: 'todo', what: 'array access' };
      // `DELAYS[attempt]`, `this.delays[attempt]`: a constant table of the class, looked up by its name.
      const of: Expr | null =
        array.type === 'identifier'
          ? { k: 'name', name: array.text, line: lineOf(array) }
          : array.type === 'field_access'
            ? lower(array)
            : null;
      return of?.k === 'name' || of?.k === 'member'
        ? { k: 'table', items: [], index: lower(index), of }
        : { k: 'todo', what: 'array access' };
    }
    case 'array_initializer':
      return { k: 'table', items: namedChildren(node).map(lower) };
    case 'array_creation_expression': {
      const initializer = namedChildren(node).find((c) => c.type === 'array_initializer');
      return initializer ? lower(initializer) : { k: 'todo', what: 'array' };
    }
    case 'method_invocation':
      return lowerCall(node, names, lower);
    case 'object_creation_expression': {
      const type = typeName(field(node, 'type'));
      const args = argumentsOf(node);
      // `new Random(42)` repeats one sequence in every process; `SecureRandom` ignores a seed it is given.
      if (type === 'Random' && args[0])
        return { k: 'generator', what: node.text, seed: lower(args[0]), line: lineOf(node) };
      if (/^(Random|SecureRandom)$/.test(type)) return { k: 'random', what: `new ${type}()` };
      return {
        k: 'call',
        callee: { k: 'name', name: type, line: lineOf(node) },
        args: argumentsOf(node).map(lower),
        named: [],
        line: lineOf(node),
      };
    }
    default:
      return { k: 'todo', what: `cannot evaluate ${type}` };
  }
}

function fieldAccess(node: Node, lower: (n: Node) => Expr): Expr {
  const object = field(node, 'object');
  const name = field(node, 'field')?.text ?? '';
  if (!object) return { k: 'todo', what: 'field access' };
  if (SERVER_HINT_NAME.test(name) && !/^[A-Z][A-Z0-9_]*$/.test(name)) return { k: 'server', what: node.text };
  if (/^(java\.time\.)?Duration$/.test(object.text) && name === 'ZERO') return { k: 'num', value: 0 };
  return { k: 'member', object: lower(object), name, line: lineOf(node) };
}

function lowerCall(node: Node, names: JavaNames, lower: (n: Node) => Expr): Expr {
  const parts = partsOf(node);
  const { object, name, args } = parts;
  const owner = (object?.text ?? '').replace(/\s+/g, '').replace(/^java\.(lang|time|util\.concurrent)\./, '');
  const qualified = owner === '' ? name : `${owner}.${name}`;
  if (qualified === 'Math.random') return randomDraw(qualified, name, []);
  // A draw from a generator object (`rng.nextInt(…)`): which generator decides whether it is jitter.
  if (object && RANDOM_METHOD.test(name))
    return randomDraw(qualified, name, args.map(lower), { from: lower(object) });
  if (JITTER_NAME.test(name)) {
    const via: Extract<Expr, { k: 'call' }> = {
      k: 'call',
      callee: calleeOf(node, names, lower, parts),
      args: args.map(lower),
      named: [],
      line: lineOf(node),
    };
    return { k: 'random', what: `${name}(…)`, via };
  }
  if (PROPERTY_READ.test(qualified)) {
    // `Long.getLong("retry.delay", 1000)`: the default is what runs unless someone sets the property.
    return args[1] ? lower(args[1]) : { k: 'external', what: `\`${qualified}\`` };
  }
  // `props.getProperty("retry.delay")`, `(…, "500")`: a key of the project's config, or the code's default.
  if (object && name === 'getProperty' && args[0]?.type === 'string_literal') {
    const fallback = args.length > 1 ? args[args.length - 1]! : null;
    const setting: Expr = {
      k: 'setting',
      key: args[0].text.slice(1, -1),
      of: lower(object),
      line: lineOf(node),
    };
    if (fallback && fallback.type !== 'class_literal') setting.fallback = lower(fallback);
    return setting;
  }
  // `Math.min(e.getRetryAfterMillis(), 60_000L)` clamps the hint; it names no header.
  if (owner === 'Math' || owner === 'StrictMath') {
    const math = lowerMath(name, args, lower);
    if (math) return math;
  }
  // `conn.getHeaderFieldInt("Retry-After", 10)`: the server's hint, or the code's own fallback.
  if (args[0] && SERVER_HINT_NAME.test(args[0].text)) {
    const server: Expr = { k: 'server', what: args[0].text };
    return args[1] ? { k: 'either', options: [server, lower(args[1])] } : server;
  }
  if (SERVER_HINT_NAME.test(name)) return { k: 'server', what: `${name}(…)` };
  if (owner === 'Duration') return duration(name, args, lower);
  const timeUnit = TIME_UNIT.exec(owner);
  const toUnit = /^to([A-Z]\w+)$/.exec(name);
  if (timeUnit && toUnit && args[0]) {
    const from = unitMs(timeUnit[1]!);
    const to = unitMs(toUnit[1]!);
    if (from !== null && to !== null) return times(lower(args[0]), from / to);
  }
  if (/^(Long|Integer|Double|Float)$/.test(owner) && PARSE_NUMBER.has(name) && args[0]) return lower(args[0]);
  if (object && args.length === 0 && name in DURATION_READ) return times(lower(object), DURATION_READ[name]!);
  if (object && args[0]) {
    const step = durationStep(name, lower(object), lower(args[0]));
    if (step) return step;
  }
  // `header.map(Long::parseLong).orElse(30L)`: whatever the chain yields, or the fallback.
  if (object && name === 'orElse' && args[0])
    return { k: 'either', options: [lower(object), lower(args[0])] };
  const lowered = args.map(lower);
  // `foo(random.nextInt(100))`: a random draw handed to a call makes its result random too.
  const random = lowered.find((e) => e.k === 'random');
  if (random) return random;
  return {
    k: 'call',
    callee: calleeOf(node, names, lower, parts),
    args: lowered,
    named: [],
    line: lineOf(node),
  };
}

/** What a method invocation calls: a method of the receiver or of an enclosing class, or a member of an object. */
export function calleeOf(
  node: Node,
  names: JavaNames,
  lower: (n: Node) => Expr,
  { object, name }: CallParts = partsOf(node),
): Expr {
  if (!object) return names.ownCallee(node, name);
  if (object.type === 'this' || object.type === 'super')
    return { k: 'member', object: { k: 'self' }, name, line: lineOf(node) };
  return { k: 'member', object: lower(object), name, line: lineOf(node) };
}

function lowerMath(name: string, args: Node[], lower: (n: Node) => Expr): Expr | null {
  if (PASS_THROUGH_MATH.has(name) && args[0]) return lower(args[0]);
  if ((name === 'min' || name === 'max') && args.length > 0)
    return { k: 'minmax', which: name, args: args.map(lower) };
  // Java 21 `Math.clamp(value, min, max)`.
  if (name === 'clamp' && args.length === 3) {
    const [value, lo, hi] = args.map(lower);
    return clamped(value!, lo!, hi!);
  }
  if (name === 'pow' && args[0] && args[1])
    return { k: 'binary', op: '**', left: lower(args[0]), right: lower(args[1]) };
  if ((name === 'multiplyExact' || name === 'addExact') && args[0] && args[1])
    return {
      k: 'binary',
      op: name === 'addExact' ? '+' : '*',
      left: lower(args[0]),
      right: lower(args[1]),
    };
  return null;
}

/** `Duration.ofSeconds(5)`, `Duration.of(5, ChronoUnit.SECONDS)`: in milliseconds. */
function duration(name: string, args: Node[], lower: (n: Node) => Expr): Expr {
  if (name === 'of' && args[0] && args[1]) {
    const unit = unitMs(/(\w+)$/.exec(args[1].text)?.[1] ?? '');
    return unit === null ? { k: 'todo', what: 'a duration unit' } : times(lower(args[0]), unit);
  }
  const unit = unitMs(name);
  if (unit !== null && args[0]) return times(lower(args[0]), unit);
  return { k: 'todo', what: `Duration.${name}` };
}

/** `d.multipliedBy(2)`, `d.plusSeconds(1)` on a value in milliseconds. */
function durationStep(name: string, object: Expr, arg: Expr): Expr | null {
  switch (name) {
    case 'multipliedBy':
      return { k: 'binary', op: '*', left: object, right: arg };
    case 'dividedBy':
      return { k: 'binary', op: '/', left: object, right: arg };
    case 'plusMillis':
      return { k: 'binary', op: '+', left: object, right: arg };
    case 'plusSeconds':
      return { k: 'binary', op: '+', left: object, right: times(arg, 1_000) };
    default:
      return null;
  }
}

function times(expr: Expr, factor: number): Expr {
  return factor === 1 ? expr : { k: 'binary', op: '*', left: expr, right: { k: 'num', value: factor } };
}

/**
 * A method invocation's receiver, name and arguments: read from the tree once per call node, for
 * every check of the call (the walk records it, and lowers it again as a value). Not to be mutated.
 */
export interface CallParts {
  object: Node | null;
  name: string;
  args: Node[];
}

export const partsOf = oncePerNode((call: Node): CallParts => ({
  object: field(call, 'object'),
  name: field(call, 'name')?.text ?? '',
  args: argumentsOf(call),
}));

/** The argument expressions of a call or constructor call (comments excluded). */
export function argumentsOf(call: Node): Node[] {
  const list = field(call, 'arguments');
  return list ? namedChildren(list) : [];
}

/** `Foo`, `a.b.Foo`, `Foo<T>` → `Foo`. */
export function typeName(type: Node | null): string {
  if (!type) return '';
  return type.text.replace(/<.*$/s, '').replace(/\[\]/g, '').replace(/^.*\./, '').trim();
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

const PLACEHOLDER = /^\$\{([^:}]*)(?::([^}]*))?\}$/;

/**
 * A Spring property placeholder (`${retry.delay:5000}`, `${retry.delay}`): the key of Spring Boot's
 * application config, or else the code's own default after the colon; null for anything else.
 */
export function springPlaceholder(text: string, line: number): Expr | null {
  const match = PLACEHOLDER.exec(text);
  if (!match) return null;
  const setting: Expr = { k: 'setting', key: match[1]!.trim(), convention: 'spring', line };
  const given = match[2]?.trim();
  if (given !== undefined && given !== '' && Number.isFinite(Number(given)))
    setting.fallback = { k: 'num', value: Number(given) };
  return setting;
}
