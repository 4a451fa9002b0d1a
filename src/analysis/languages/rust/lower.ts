import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { MAX_EXPRESSION_NESTING } from '../../flow/engine.js';
import { drawRange } from '../../flow/draw-range.js';
import { clamped, type Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren, oncePerNode } from '../tree-sitter/syntax.js';

/**
 * Rust expression syntax → the engine's expressions, in milliseconds for `Duration`s (every Rust
 * wait takes one) and as written for plain numbers. Only syntax is decided here: what a name, a path
 * or a method means is the engine's business.
 */

export interface RustLowering {
  /** The type of the `impl` around the code: `Self` names it. */
  implType?: string;
  /** Paths used as module qualifiers (`config::RETRY_DELAY` → `config`), for the file's imports. */
  paths?: Set<string>;
  /** Calls already lowered, by node id: a chain `a.b().c()` is lowered once, not once per link. */
  calls?: Map<number, Expr>;
}

/** The rand and fastrand crates, OS randomness, and anything called jitter. */
export const RANDOM_CALL =
  /\b(rand|thread_rng|gen_range|random_range|fastrand|getrandom|OsRng|SmallRng|StdRng|random)\b|jitter/i;
/** Methods that hand back their receiver's value (conversions, unwrapping, rounding). */
const PASS_THROUGH = new Set([
  'unwrap',
  'unwrap_or_default',
  'expect',
  'into',
  'try_into',
  'clone',
  'to_owned',
  'to_string',
  'as_millis',
  'round',
  'floor',
  'ceil',
  'abs',
  'parse',
  'as_ref',
  'get',
  // Iterator adapters that keep the items (and so the iterator's type) of their receiver.
  'into_iter',
  'iter',
  'take',
  'skip',
  'cycle',
  'by_ref',
  'fuse',
  'peekable',
]);
const POWER = new Set(['pow', 'checked_pow', 'saturating_pow', 'wrapping_pow', 'powi', 'powf']);
const TIMES = new Set(['saturating_mul', 'checked_mul', 'wrapping_mul', 'mul_f64', 'mul_f32', 'mul']);
const PLUS = new Set(['saturating_add', 'checked_add', 'wrapping_add', 'add']);
const MINUS = new Set(['saturating_sub', 'checked_sub', 'wrapping_sub', 'sub']);
const SECONDS = /^as_secs(_f64|_f32)?$/;
/** `u64::from(x)`, `Duration::from(x)`, `u32::try_from(x)`: the same value in another type. */
const CONVERSION = /^(from|try_from)$/;
/** Wrappers whose payload is the value: `Some(d)`, `Ok(d)`. */
const WRAPPERS = /^(Some|Ok)$/;
const ENVIRONMENT = /(^|::)(env::var|env::var_os|var_os|dotenv::var|dotenvy::var)$/;
/** Expressions that leave instead of producing a value (a `match` arm that returns). */
const DIVERGES = new Set(['return_expression', 'break_expression', 'continue_expression']);

const todo = (what: string): Expr => ({ k: 'todo', what });

export function lowerRust(root: Node, context: RustLowering): Expr {
  // One closure for the whole expression (not one per node): nesting is counted on the way.
  let depth = 0;
  const lower = (node: Node): Expr => {
    if (depth > MAX_EXPRESSION_NESTING) return todo('expression nested too deeply');
    depth += 1;
    try {
      return lowerNode(node, context, lower);
    } finally {
      depth -= 1;
    }
  };
  return lower(root);
}

function lowerNode(node: Node, context: RustLowering, lower: (n: Node) => Expr): Expr {
  switch (node.type) {
    case 'integer_literal':
    case 'float_literal': {
      const value = numericLiteral(node.text);
      return value === null ? todo(`\`${node.text}\``) : { k: 'num', value };
    }
    case 'string_literal': {
      // Only as a default read as a number (`env::var("X").unwrap_or("5".into()).parse()`).
      const value = numericLiteral(node.text.replace(/^"|"$/g, ''));
      return value === null ? todo('a string') : { k: 'num', value };
    }
    case 'parenthesized_expression':
    case 'expression_statement':
    case 'try_expression':
    case 'await_expression':
      return node.namedChild(0) ? lower(node.namedChild(0)!) : todo('empty');
    case 'type_cast_expression':
    case 'reference_expression': {
      const value = field(node, 'value');
      return value ? lower(value) : todo(node.type);
    }
    case 'unary_expression': {
      const operand = node.namedChild(0);
      const operator = node.child(0)?.type;
      if (!operand) return todo('operator');
      if (operator === '-') return { k: 'neg', inner: lower(operand) };
      return operator === '*' ? lower(operand) : todo('operator');
    }
    case 'binary_expression': {
      const op = OPERATORS[field(node, 'operator')?.text ?? ''];
      const left = field(node, 'left');
      const right = field(node, 'right');
      if (!op || !left || !right) return todo(`operator in \`${node.text.slice(0, 40)}\``);
      return { k: 'binary', op, left: lower(left), right: lower(right) };
    }
    case 'block':
      return tail(node, lower);
    case 'if_expression': {
      const options: Expr[] = [];
      for (let branch: Node | null = node; branch;) {
        const consequence = field(branch, 'consequence');
        if (consequence) options.push(lower(consequence));
        const alternative: Node | null = field(branch, 'alternative')?.namedChild(0) ?? null;
        if (alternative?.type === 'if_expression') branch = alternative;
        else {
          if (alternative) options.push(lower(alternative));
          branch = null;
        }
      }
      return options.length > 0 ? { k: 'either', options } : todo('if');
    }
    case 'match_expression': {
      const body = field(node, 'body');
      const options = (body ? namedChildren(body) : [])
        .map((arm) => field(arm, 'value'))
        .filter((value): value is Node => !!value && !DIVERGES.has(value.type) && !diverges(value))
        .map(lower);
      return options.length > 0 ? { k: 'either', options } : todo('match');
    }
    case 'self':
      return { k: 'self' };
    case 'identifier':
      return { k: 'name', name: node.text, line: node.startPosition.row + 1 };
    case 'field_expression': {
      const value = field(node, 'value');
      const name = field(node, 'field')?.text ?? '';
      if (!value) return todo('field');
      if (SERVER_HINT_NAME.test(name)) return { k: 'server', what: node.text };
      return { k: 'member', object: lower(value), name, line: node.startPosition.row + 1 };
    }
    case 'scoped_identifier':
      return path(node, context);
    case 'index_expression': {
      const [value, index] = namedChildren(node);
      if (!value || !index) return todo('index');
      if (value.type === 'array_expression')
        return { k: 'table', items: namedChildren(value).map(lower), index: lower(index) };
      return { k: 'table', items: [], index: lower(index), of: lower(value) };
    }
    case 'array_expression':
      return { k: 'table', items: namedChildren(node).map(lower) };
    case 'struct_expression':
      return structLiteral(node, context, lower);
    case 'call_expression': {
      let expr = context.calls?.get(node.id);
      if (!expr) {
        expr = lowerCall(node, context, lower);
        context.calls?.set(node.id, expr);
      }
      return expr;
    }
    default:
      return todo(`cannot evaluate ${node.type}`);
  }
}

/** The value a block ends with: its last expression without a semicolon. */
function tail(block: Node, lower: (n: Node) => Expr): Expr {
  const last = tailOf(block);
  return last ? lower(last) : todo('a block without a value');
}

export function tailOf(block: Node): Node | null {
  const last = block.namedChild(block.namedChildCount - 1);
  if (!last) return null;
  if (last.type === 'expression_statement')
    return last.child(last.childCount - 1)?.type === ';' ? null : last.namedChild(0);
  if (last.type === 'let_declaration' || last.type.endsWith('_item') || last.type === 'empty_statement')
    return null;
  return last;
}

/** A block that ends by leaving (`{ warn!(…); return … }`) gives no value to the `match` around it. */
function diverges(value: Node): boolean {
  if (value.type !== 'block') return false;
  const last = value.namedChild(value.namedChildCount - 1);
  const inner = last?.type === 'expression_statement' ? last.namedChild(0) : last;
  return (
    !!inner &&
    (DIVERGES.has(inner.type) ||
      (inner.type === 'macro_invocation' && /^(panic|unreachable|bail|todo)!/.test(inner.text)))
  );
}

/** `Self::PAUSE` is a member of the receiver's type; `config::RETRY_DELAY` a member of a module. */
function path(node: Node, context: RustLowering): Expr {
  const qualifier = field(node, 'path');
  const name = field(node, 'name')?.text ?? '';
  const line = node.startPosition.row + 1;
  if (!qualifier) return { k: 'name', name, line };
  const text = qualifier.text.replace(/\s+/g, '');
  if (text === 'Self') return { k: 'member', object: { k: 'self' }, name, line };
  if (/^(std::)?(u|i|f)(8|16|32|64|128|size)$|(^|::)Duration$/.test(text)) {
    if (name === 'ZERO') return { k: 'num', value: 0 };
    return todo(`\`${node.text}\``);
  }
  context.paths?.add(text);
  return { k: 'member', object: { k: 'name', name: text, line }, name, line };
}

function structLiteral(node: Node, context: RustLowering, lower: (n: Node) => Expr): Expr {
  const typeNode = field(node, 'name');
  const written = typeNode?.text.replace(/\s+/g, '').replace(/<.*$/, '') ?? '';
  const type = written === 'Self' ? (context.implType ?? 'Self') : written.replace(/^.*::/, '');
  const named: [string, Expr][] = [];
  const body = field(node, 'body');
  for (const item of body ? namedChildren(body) : []) {
    if (item.type === 'field_initializer') {
      const name = field(item, 'field')?.text;
      const value = field(item, 'value');
      if (name && value) named.push([name, lower(value)]);
    } else if (item.type === 'shorthand_field_initializer') {
      const name = item.namedChild(0);
      if (name) named.push([name.text, lower(name)]);
    }
  }
  return {
    k: 'call',
    callee: { k: 'name', name: type, line: node.startPosition.row + 1 },
    args: [],
    named,
    line: node.startPosition.row + 1,
  };
}

/** The function a call names, without turbofish type arguments (`x.parse::<u64>()`). */
export function calleeOf(call: Node): Node | null {
  const callee = field(call, 'function');
  return callee?.type === 'generic_function' ? field(callee, 'function') : callee;
}

/** The last name of a callee: `retry` for `utils::retry`, `fetch` for `self.fetch`. */
export function calleeNameOf(callee: Node): string {
  if (callee.type === 'field_expression') return field(callee, 'field')?.text ?? '';
  if (callee.type === 'scoped_identifier') return field(callee, 'name')?.text ?? '';
  return callee.text;
}

/** A call's arguments, read once per call node (the walk and the lowering both ask). Not to be mutated. */
export const argumentsOf = oncePerNode((call: Node): Node[] => {
  const list = field(call, 'arguments');
  return list ? namedChildren(list) : [];
});

function lowerCall(node: Node, context: RustLowering, lower: (n: Node) => Expr): Expr {
  const callee = calleeOf(node);
  if (!callee) return todo('call');
  const args = argumentsOf(node);
  if (callee.type === 'field_expression') return method(node, callee, args, lower);
  const calleeText = callee.text.replace(/\s+/g, '');
  const line = node.startPosition.row + 1;
  if (SEEDED_GENERATOR.test(calleeText) && args[0])
    return { k: 'generator', what: node.text, seed: lower(args[0]), line };
  if (RANDOM_CALL.test(calleeText)) return draw(calleeText, null, node, lower(callee), args, lower);
  if (ENVIRONMENT.test(calleeText)) return { k: 'external', what: 'an environment variable' };
  if (SERVER_HINT_NAME.test(calleeText)) return { k: 'server', what: calleeText };
  const name = calleeNameOf(callee);
  if (WRAPPERS.test(calleeText) && args[0]) return lower(args[0]);
  if (callee.type === 'scoped_identifier') {
    const qualifier = field(callee, 'path')?.text.replace(/\s+/g, '') ?? '';
    if (/(^|::)Duration$/.test(qualifier)) return duration(name, args, lower);
    if (CONVERSION.test(name) && args[0] && /^(std::)?(u|i|f)(8|16|32|64|128|size)$/.test(qualifier))
      return lower(args[0]);
  }
  const lowered = args.map(lower);
  // A random draw handed to a call makes its result random too (`Duration::from_millis(jitter(…))`).
  const random = lowered.find((e) => e.k === 'random');
  if (random) return random;
  return { k: 'call', callee: lower(callee), args: lowered, named: [], line };
}

/** Generators seeded by their argument: `StdRng::seed_from_u64(7)`, `fastrand::Rng::with_seed(7)`. */
const SEEDED_GENERATOR = /(^|::)\w*Rng(::<[^>]*>)?::(seed_from_u64|with_seed)$/;

/**
 * A random draw: from the generator it is a method of (`self.rng.gen_range(…)`), with the range it
 * falls in; a call only its name makes a draw (`jitter(d)`) keeps the call, to be followed.
 */
function draw(
  what: string,
  receiver: Node | null,
  node: Node,
  callee: Expr,
  args: Node[],
  lower: (n: Node) => Expr,
): Expr {
  const drawn: Extract<Expr, { k: 'random' }> = { k: 'random', what };
  const range = rustRange(what, args, lower);
  if (range) drawn.range = range;
  if (receiver) drawn.from = lower(receiver);
  if (JITTER_NAME.test(what))
    drawn.via = { k: 'call', callee, args: args.map(lower), named: [], line: node.startPosition.row + 1 };
  return drawn;
}

/** `Duration::from_secs(5)` and friends, in milliseconds. */
function duration(name: string, args: Node[], lower: (n: Node) => Expr): Expr {
  // A literal is folded here, so evidence reads `2000` (ms) rather than `2 * 1000`.
  const times = (value: Expr, factor: number): Expr =>
    factor === 1
      ? value
      : value.k === 'num'
        ? { k: 'num', value: Number((value.value * factor).toPrecision(12)) }
        : { k: 'binary', op: '*', left: value, right: { k: 'num', value: factor } };
  if (name === 'new' && args[0]) {
    const seconds = times(lower(args[0]), 1_000);
    return args[1] ? { k: 'binary', op: '+', left: seconds, right: times(lower(args[1]), 1e-6) } : seconds;
  }
  if (name === 'from' && args[0]) return lower(args[0]);
  const unit = unitMs(name.replace(/_f(32|64)$/, ''));
  if (unit === null || !args[0]) return todo(`Duration::${name}`);
  return times(lower(args[0]), unit);
}

/** `receiver.method(args)`: arithmetic methods fold, conversions pass the value through. */
function method(node: Node, callee: Node, args: Node[], lower: (n: Node) => Expr): Expr {
  const receiverNode = field(callee, 'value');
  const name = field(callee, 'field')?.text ?? '';
  const line = node.startPosition.row + 1;
  if (!receiverNode) return todo('method');
  if (RANDOM_CALL.test(name))
    return draw(
      name,
      receiverNode,
      node,
      { k: 'member', object: lower(receiverNode), name, line },
      args,
      lower,
    );
  // `headers.get("Retry-After")`: the server's hint.
  if (args.some((a) => a.type === 'string_literal' && SERVER_HINT_NAME.test(a.text)))
    return { k: 'server', what: node.text.slice(0, 60) };
  const receiver = lower(receiverNode);
  const arg = args[0] ? lower(args[0]) : null;
  if (name === 'unwrap_or' || name === 'unwrap_or_else') {
    const fallback = args[0]?.type === 'closure_expression' ? field(args[0], 'body') : args[0];
    if (!fallback) return receiver;
    // A variable that is not set runs with the code's own default; a server hint is judged by it.
    const own = lower(fallback);
    return receiver.k === 'external' ? own : { k: 'either', options: [receiver, own] };
  }
  // Whatever is computed from a random draw, a server's hint or the environment stays that.
  if (receiver.k === 'random' || receiver.k === 'server' || receiver.k === 'external') return receiver;
  if (PASS_THROUGH.has(name) && !(name === 'get' && args.length > 0)) return receiver;
  if (SECONDS.test(name)) return { k: 'binary', op: '/', left: receiver, right: { k: 'num', value: 1_000 } };
  if (arg?.k === 'random') return arg;
  if (POWER.has(name) && arg) return { k: 'binary', op: '**', left: receiver, right: arg };
  if (TIMES.has(name) && arg) return { k: 'binary', op: '*', left: receiver, right: arg };
  if (PLUS.has(name)) return arg ? { k: 'binary', op: '+', left: receiver, right: arg } : receiver;
  if (MINUS.has(name)) return arg ? { k: 'binary', op: '-', left: receiver, right: arg } : receiver;
  if ((name === 'min' || name === 'max') && arg) return { k: 'minmax', which: name, args: [receiver, arg] };
  if (name === 'clamp' && arg && args[1]) return clamped(receiver, arg, lower(args[1]));
  return {
    k: 'call',
    callee: { k: 'member', object: receiver, name, line },
    args: args.map(lower),
    named: [],
    line,
  };
}

/**
 * The range of a draw of the `rand` crates: `gen_range(a..b)` / `random_range(a..=b)` between the
 * range's ends, `rand::random::<f64>()` (and `fastrand::f64()`) a unit draw; undefined for anything else.
 */
function rustRange(what: string, args: Node[], lower: (n: Node) => Expr): [Expr, Expr] | undefined {
  const range = args.length === 1 && args[0]!.type === 'range_expression' ? namedChildren(args[0]!) : [];
  if (/(gen|random)_range$/.test(what) && range.length === 2) return [lower(range[0]!), lower(range[1]!)];
  if (/(^|::)(random::<f(32|64)>|f(32|64))$/.test(what) && args.length === 0) return drawRange('random', []);
  return undefined;
}
