import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { drawRange } from '../../flow/draw-range.js';
import type { Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { callArguments, isRandomCall, NS_PER_MS, qualified } from './package.js';

/**
 * Go expression syntax → the engine's expressions, in nanoseconds (a `time.Duration`'s unit). Only
 * syntax is decided here: the method's receiver is `self`, a struct literal is a call of its type
 * with its fields as named arguments, `time.Second` is a number, `rand.*` a random draw.
 */

export interface GoLowering {
  /** Local name → import path. */
  imports: ReadonlyMap<string, string>;
  /** The receiver of the method the expression is in (`c` in `func (c *Client) Do()`). */
  receiver?: string;
}

/** Conversions and rounding hand back their argument's value (a delay keeps its shape). */
const CONVERSIONS =
  /^(time\.Duration|float64|float32|int|int64|int32|uint|uint64|uint32|math\.(Round|Ceil|Floor|Trunc|Abs))$/;
const ENVIRONMENT = /^(os\.(Getenv|LookupEnv)|github\.com\/spf13\/viper\.|flag\.)/;
const PREDECLARED = new Set(['nil', 'true', 'false', 'iota']);
/** Methods of a `*rand.Rand` generator (`rng := rand.New(src)`): draws whatever the variable is called. */
const GENERATOR_DRAW =
  /^(Intn|Int63n|Int31n|IntN|Int64N|Int32N|UintN|Uint64N|Uint32N|NormFloat64|ExpFloat64|Perm)$/;
/** `Float64()` is a draw only on something named like a generator (`big.Float` has one too). */
const GENERATOR_NAME = /^(rng|rnd|rand|random|r|gen|generator|source|src)$|(Rng|Rand|Random)$/;
const ITEM_TYPES = new Set(['slice_type', 'array_type', 'implicit_length_array_type']);

/** An expression lowered on its own (a file's facts lower through one `lowerOnce` instead). */
export function lowerGo(node: Node, at: GoLowering): Expr {
  return lowerOnce((n, lower) => lowerGoNode(n, at, lower))(node);
}

/** One node lowered, its sub-expressions through `lower` (see `lowerOnce`). */
export function lowerGoNode(node: Node, at: GoLowering, lower: (n: Node) => Expr): Expr {
  const line = node.startPosition.row + 1;
  switch (node.type) {
    case 'int_literal':
    case 'float_literal': {
      const value = numericLiteral(node.text);
      return value === null ? { k: 'todo', what: `\`${node.text}\`` } : { k: 'num', value };
    }
    case 'parenthesized_expression':
    case 'literal_element':
      return node.namedChild(0) ? lower(node.namedChild(0)!) : { k: 'todo', what: 'empty' };
    case 'unary_expression': {
      const operand = field(node, 'operand');
      const operator = field(node, 'operator')?.text;
      if (!operand) return { k: 'todo', what: 'operator' };
      if (operator === '-') return { k: 'neg', inner: lower(operand) };
      // `&Config{…}` is the literal; `*p` reads what it points at.
      if (operator === '+' || operator === '&' || operator === '*') return lower(operand);
      return { k: 'todo', what: `operator \`${operator ?? ''}\`` };
    }
    case 'binary_expression': {
      const operator = field(node, 'operator')?.text ?? '';
      const left = field(node, 'left');
      const right = field(node, 'right');
      const op = operator === '//' ? undefined : OPERATORS[operator];
      if (!op || !left || !right) return { k: 'todo', what: `operator \`${operator}\`` };
      return { k: 'binary', op, left: lower(left), right: lower(right) };
    }
    case 'interpreted_string_literal':
    case 'raw_string_literal':
      // Only as the text a parser reads (`strconv.Atoi("5")`, `time.ParseDuration("5s")`).
      return durationText(node.text.slice(1, -1));
    case 'identifier':
      if (node.text === at.receiver) return { k: 'self' };
      if (PREDECLARED.has(node.text)) return { k: 'todo', what: node.text };
      return { k: 'name', name: node.text, line };
    case 'selector_expression':
      return selector(node, at, lower);
    case 'index_expression': {
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      const operand = field(node, 'operand');
      const index = field(node, 'index');
      if (!operand || !index) return { k: 'todo', what: 'index' };
      const list = lower(operand);
      if (list.k === 'table') return { ...list, index: lower(index) };
      return list.k === 'name' ? { k: 'table', items: [], index: lower(index), of: list } : list;
    }
    case 'composite_literal':
      return literal(node, at, lower);
    case 'call_expression':
      return call(node, at, lower);
    default:
      return { k: 'todo', what: `cannot evaluate ${node.type}` };
  }
}

function selector(node: Node, at: GoLowering, lower: (n: Node) => Expr, callee = false): Expr {
  const text = node.text;
  // A method named for the hint (`c.retryAfter(resp)`) is followed like any helper.
  if (!callee && SERVER_HINT_NAME.test(text)) return { k: 'server', what: text };
  const name = qualified(node, at.imports);
  const time = /^time\.(\w+)$/.exec(name);
  if (time) {
    const ms = unitMs(time[1]!);
    return ms === null ? { k: 'todo', what: `\`${text}\`` } : { k: 'num', value: ms * NS_PER_MS, text };
  }
  if (ENVIRONMENT.test(name)) return { k: 'external', what: 'an environment variable or flag' };
  const operand = field(node, 'operand');
  if (!operand) return { k: 'todo', what: 'selector' };
  return {
    k: 'member',
    object: lower(operand),
    name: field(node, 'field')?.text ?? '',
    line: node.startPosition.row + 1,
  };
}

/** `Config{RetryWait: d}` → `Config(RetryWait=d)`; `[]time.Duration{a, b}` → a table. */
function literal(node: Node, at: GoLowering, lower: (n: Node) => Expr): Expr {
  const type = field(node, 'type');
  const body = field(node, 'body');
  const elements = body ? namedChildren(body).filter((e) => e.type !== 'comment') : [];
  if (!type) return { k: 'todo', what: 'literal' };
  if (ITEM_TYPES.has(type.type))
    return { k: 'table', items: elements.filter((e) => e.type !== 'keyed_element').map(lower) };
  const callee = typeName(type, at);
  if (!callee) return { k: 'todo', what: `a \`${type.type}\` literal` };
  const args: Expr[] = [];
  const named: [string, Expr][] = [];
  for (const element of elements) {
    if (element.type !== 'keyed_element') {
      args.push(lower(element));
      continue;
    }
    const key = field(element, 'key');
    const value = field(element, 'value');
    if (key && value) named.push([key.text, lower(value)]);
  }
  return { k: 'call', callee, args, named, line: node.startPosition.row + 1 };
}

/** A named type as a callee: `Config`, `pkg.Config`, `Config[T]`. */
export function typeName(type: Node, at: GoLowering): Expr | null {
  const line = type.startPosition.row + 1;
  if (type.type === 'type_identifier') return { k: 'name', name: type.text, line };
  if (type.type === 'generic_type') {
    const inner = field(type, 'type');
    return inner ? typeName(inner, at) : null;
  }
  if (type.type === 'qualified_type') {
    const pkg = field(type, 'package')?.text ?? '';
    const name = field(type, 'name')?.text ?? '';
    if (!at.imports.has(pkg)) return null;
    return { k: 'member', object: { k: 'name', name: pkg, line }, name, line };
  }
  return null;
}

function isGeneratorDraw(callee: Node): boolean {
  if (callee.type !== 'selector_expression') return false;
  const method = field(callee, 'field')?.text ?? '';
  const operand = field(callee, 'operand');
  const owner =
    operand?.type === 'selector_expression' ? (field(operand, 'field')?.text ?? '') : (operand?.text ?? '');
  return GENERATOR_DRAW.test(method) || (/^Float(64|32)$/.test(method) && GENERATOR_NAME.test(owner));
}

/** Sources seeded by their arguments: `rand.NewSource(1)`, v2's `rand.NewPCG(1, 2)` and `rand.NewChaCha8(seed)`. */
const SEEDED_SOURCE =
  /^(math\/rand|math\/rand\/v2|golang\.org\/x\/exp\/rand)\.(NewSource|NewPCG|NewChaCha8)$/;
const GENERATOR_FROM_SOURCE = /^(math\/rand|math\/rand\/v2|golang\.org\/x\/exp\/rand)\.New$/;

/** A generator being made: a seeded source, or `rand.New(src)`, which draws from its source. */
function generatorOf(node: Node, callee: Node, at: GoLowering, lower: (n: Node) => Expr): Expr | null {
  const name = qualified(callee, at.imports);
  const args = callArguments(node);
  if (GENERATOR_FROM_SOURCE.test(name) && args[0]) return lower(args[0]);
  if (!SEEDED_SOURCE.test(name) || args.length === 0) return null;
  // Every seed word must be a constant for the sequence to be one every process shares.
  const seed = args.map(lower).reduce((left, right): Expr => ({ k: 'binary', op: '+', left, right }));
  return { k: 'generator', what: node.text, seed, line: node.startPosition.row + 1 };
}

/**
 * A random draw, with the range it falls in: from the generator it is a method of (`c.rng.Intn(…)`),
 * unless that is the package (`rand.Intn`); a call only its name makes a draw (`jitter(d)`) keeps the
 * call to follow.
 */
function randomDraw(node: Node, callee: Node, at: GoLowering, lower: (n: Node) => Expr): Expr {
  const draw: Extract<Expr, { k: 'random' }> = { k: 'random', what: callee.text };
  const args = callArguments(node).map(lower);
  const range = drawRange(callee.text, args);
  if (range) draw.range = range;
  const operand = callee.type === 'selector_expression' ? field(callee, 'operand') : null;
  if (operand && !(operand.type === 'identifier' && at.imports.has(operand.text))) draw.from = lower(operand);
  const own = callee.type === 'selector_expression' ? (field(callee, 'field')?.text ?? '') : callee.text;
  if (JITTER_NAME.test(own))
    draw.via = {
      k: 'call',
      callee: lowerCallee(callee, at, lower),
      args,
      named: [],
      line: node.startPosition.row + 1,
    };
  return draw;
}

/** The callee of a call: a method named like a server hint is still a method to follow. */
export function lowerCallee(callee: Node, at: GoLowering, lower: (n: Node) => Expr): Expr {
  return callee.type === 'selector_expression' ? selector(callee, at, lower, true) : lower(callee);
}

function call(node: Node, at: GoLowering, lower: (n: Node) => Expr): Expr {
  const callee = field(node, 'function');
  if (!callee) return { k: 'todo', what: 'call' };
  const generator = generatorOf(node, callee, at, lower);
  if (generator) return generator;
  if (isRandomCall(callee, at.imports) || isGeneratorDraw(callee)) return randomDraw(node, callee, at, lower);
  const name = qualified(callee, at.imports);
  const args = callArguments(node);
  // A clamp of the server's hint (`min(rl.RetryAfter, maxWait)`) is a clamp, whatever it mentions.
  if (/^(min|max|math\.(Min|Max))$/.test(name) && args.length > 0)
    return { k: 'minmax', which: /min/i.test(name) ? 'min' : 'max', args: args.map(lower) };
  // `h.Get("Retry-After")` reads the server's hint; `retryAfter(resp)` is a helper to follow (it may
  // fall back to a wait of its own).
  const own = callee.type === 'selector_expression' ? field(callee, 'field')?.text : callee.text;
  if (SERVER_HINT_NAME.test(node.text) && !SERVER_HINT_NAME.test(own ?? ''))
    return { k: 'server', what: callee.text };
  if (ENVIRONMENT.test(name)) return { k: 'external', what: 'an environment variable or flag' };
  if (CONVERSIONS.test(name) && args[0]) return lower(args[0]);
  if (name === 'math.Pow' && args[0] && args[1])
    return { k: 'binary', op: '**', left: lower(args[0]), right: lower(args[1]) };
  const lowered = args.map(lower);
  // A random draw handed to a call (`time.Duration(f(rand.Int63()))`) makes its result random too.
  const random = lowered.find((e) => e.k === 'random');
  if (random) return random;
  return {
    k: 'call',
    callee: callee.type === 'selector_expression' ? selector(callee, at, lower, true) : lower(callee),
    args: lowered,
    named: [],
    line: node.startPosition.row + 1,
    spread: args.some((a) => a.type === 'variadic_argument'),
  };
}

/** `"5"` → 5; `"1m30s"` → nanoseconds; anything else cannot be evaluated. */
function durationText(text: string): Expr {
  const number = numericLiteral(text);
  if (number !== null) return { k: 'num', value: number };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return { k: 'todo', what: 'a string' };
  const ns = parts.reduce((sum, [, value, unit]) => sum + Number(value) * unitMs(unit!)! * NS_PER_MS, 0);
  return { k: 'num', value: ns, text: JSON.stringify(text) };
}
