import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { drawRange } from '../../flow/draw-range.js';
import type { Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren, some } from '../tree-sitter/syntax.js';
import { lowerOnce } from '../tree-sitter/lowering.js';
import { isRandomCall } from './module.js';

/**
 * Ruby expression syntax → the engine's expressions, in seconds (what `sleep` takes). Only syntax is
 * decided here: `@pause` is a field of the receiver, `Foo.new(…)` a constructor call, `5.seconds`
 * a duration, `rand` a random draw.
 */

/** Methods that hand back their receiver's value (conversions and rounding keep a delay's shape). */
const PASS_THROUGH = new Set(['to_i', 'to_f', 'to_r', 'round', 'ceil', 'floor', 'abs', 'freeze', 'clamp']);
const DURATION = /^(second|seconds|minute|minutes|hour|hours|millisecond|milliseconds|day|days)$/;
const MS_PER_SECOND = 1_000;

/** An expression lowered on its own (a file's facts lower through one `lowerOnce` instead). */
export function lowerRuby(node: Node): Expr {
  return lowerOnce(lowerRubyNode)(node);
}

/** One node lowered, its sub-expressions through `lower` (see `lowerOnce`). */
export function lowerRubyNode(node: Node, lower: (n: Node) => Expr): Expr {
  const line = node.startPosition.row + 1;
  switch (node.type) {
    case 'integer':
    case 'float': {
      const value = numericLiteral(node.text);
      return value === null ? { k: 'todo', what: `\`${node.text}\`` } : { k: 'num', value };
    }
    case 'parenthesized_statements': {
      const last = namedChildren(node).pop();
      return last ? lower(last) : { k: 'todo', what: 'empty' };
    }
    case 'unary': {
      const operand = field(node, 'operand');
      const operator = field(node, 'operator')?.text;
      if (!operand) return { k: 'todo', what: 'operator' };
      if (operator === '-') return { k: 'neg', inner: lower(operand) };
      return operator === '+' ? lower(operand) : { k: 'todo', what: 'operator' };
    }
    case 'binary': {
      const operator = field(node, 'operator')?.text ?? '';
      const left = field(node, 'left');
      const right = field(node, 'right');
      if (!left || !right) return { k: 'todo', what: 'operator' };
      if (operator === '||' || operator === 'or') {
        // `options[:wait] || 2`: the caller's option, or the code's own fallback.
        const keyed = optionRead(left);
        if (keyed)
          return { k: 'option', of: lower(keyed.object), key: keyed.key, fallback: lower(right), line };
        return { k: 'either', options: [lower(left), lower(right)] };
      }
      // `response && response['Retry-After']`: a guard, whose only non-nil value is its last operand.
      if (operator === '&&' || operator === 'and') return lower(right);
      const op = OPERATORS[operator];
      return op
        ? { k: 'binary', op, left: lower(left), right: lower(right) }
        : { k: 'todo', what: `operator \`${operator}\`` };
    }
    case 'conditional': {
      const a = field(node, 'consequence');
      const b = field(node, 'alternative');
      return a && b ? { k: 'either', options: [lower(a), lower(b)] } : { k: 'todo', what: 'conditional' };
    }
    case 'identifier':
      // A local named like a server hint (`retry_after`) is what the code assigns it; the engine
      // takes the name for the server's only when no value can be followed.
      if (isRandomCall(node)) return randomDraw(node, { args: [], named: [] }, lower);
      return { k: 'name', name: node.text, line };
    case 'self':
      return { k: 'self' };
    case 'instance_variable':
      return { k: 'member', object: { k: 'self' }, name: node.text.replace(/^@/, ''), line };
    case 'constant':
    case 'scope_resolution':
      return { k: 'name', name: node.text, line };
    case 'element_reference': {
      const object = field(node, 'object');
      const index = object ? node.namedChildren.find((c) => c && !c.equals(object)) : null;
      if (!object || !index) return { k: 'todo', what: 'indexed value' };
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      if (/^ENV\b/.test(object.text)) return { k: 'external', what: 'an environment variable' };
      if (object.type === 'array')
        return { k: 'table', items: namedChildren(object).map(lower), index: lower(index) };
      return { k: 'table', items: [], index: lower(index), of: lower(object) };
    }
    case 'array':
      return { k: 'table', items: namedChildren(node).map(lower) };
    case 'call':
      return lowerCall(node, lower);
    default:
      return { k: 'todo', what: `cannot evaluate ${node.type}` };
  }
}

function lowerCall(node: Node, lower: (n: Node) => Expr): Expr {
  const line = node.startPosition.row + 1;
  const method = field(node, 'method')?.text ?? '';
  const receiver = field(node, 'receiver');
  // `[base * 2**n + rand, cap].min`: a clamp, whose bounds are followed one by one.
  if (receiver?.type === 'array' && (method === 'min' || method === 'max'))
    return { k: 'minmax', which: method, args: namedChildren(receiver).map(lower) };
  const { args, named, spread, positionalSpread } = rubyArguments(node, lower);
  // `Random.new(42)` repeats one sequence in every process; `Random.new` seeds itself.
  if (receiver?.text === 'Random' && method === 'new')
    return { k: 'generator', what: node.text, line, ...(args[0] ? { seed: args[0] } : {}) };
  let draw: Node | null = null;
  // Every draw's method or name holds one of these words: without one, the subtree (a whole block,
  // for a call with one) is not walked.
  if (DRAW_WORD.test(node.text))
    some(node, (n) => {
      if (n.type === 'call' || n.type === 'identifier' ? isRandomCall(n) || isGeneratorDraw(n) : false)
        draw = n;
      return draw !== null;
    });
  if (draw) return randomDraw(draw, draw === node ? { args, named } : null, lower);
  if (receiver && /^ENV$/.test(receiver.text)) {
    // `ENV.fetch("RETRY_WAIT", 5)`: without the variable, the default runs.
    return method === 'fetch' && args[1] ? args[1] : { k: 'external', what: 'an environment variable' };
  }
  // `opts.fetch(:wait, 2)`, and a settings DSL's `fetch(:retry_delay, 5)`.
  const listed = field(node, 'arguments');
  const key = method === 'fetch' && listed ? symbolOrString(listed.namedChild(0)) : undefined;
  if (key !== undefined && args[1] && !SERVER_HINT_NAME.test(key))
    return receiver
      ? { k: 'option', of: lower(receiver), key, fallback: args[1], line }
      : { k: 'option', key, fallback: args[1], line };
  if (SERVER_HINT_NAME.test(node.text) && !(receiver && PASS_THROUGH.has(method)))
    return { k: 'server', what: node.text };
  // ActiveSupport durations: `5.seconds`, `500.milliseconds` — in seconds, what `sleep` takes.
  const unit = unitMs(method);
  if (receiver && unit !== null && args.length === 0 && DURATION.test(method))
    return { k: 'binary', op: '*', left: lower(receiver), right: { k: 'num', value: unit / MS_PER_SECOND } };
  if (receiver && PASS_THROUGH.has(method)) return lower(receiver);
  if (!receiver && (method === 'Integer' || method === 'Float') && args[0]) return args[0];
  return { k: 'call', callee: rubyCallee(node, lower), args, named, line, spread, positionalSpread };
}

/**
 * The name the shared random source goes by in the facts (Ruby's own name for it before 3.2):
 * `srand(42)` assigns it a seeded generator, and `rand` draws from it.
 */
export const SHARED_SOURCE = 'Random::DEFAULT';

/** `@rng.rand(…)`, `generator.random_number`: a draw from a generator object, seeded however it was made. */
function isGeneratorDraw(node: Node): boolean {
  return (
    node.type === 'call' && !!field(node, 'receiver') && RUBY_DRAW.test(field(node, 'method')?.text ?? '')
  );
}

/**
 * A random draw: from the generator object it is a method of (`@rng.rand`), unless that is a class
 * (`Random.rand`, `SecureRandom.random_number`). When the draw is the whole expression (`whole`: its
 * arguments), it carries the range one draw falls in, and a call only its name makes a draw
 * (`with_jitter(2)`) keeps the call, to be followed.
 */
function randomDraw(
  node: Node,
  whole: Pick<Extract<Expr, { k: 'call' }>, 'args' | 'named'> | null,
  lower: (n: Node) => Expr,
): Expr {
  const draw: Extract<Expr, { k: 'random' }> = { k: 'random', what: node.text };
  const range = whole && rubyRange(node, lower);
  if (range) draw.range = range;
  const receiver = node.type === 'call' ? field(node, 'receiver') : null;
  const shared = !receiver || /^(Random|Kernel)$/.test(receiver.text);
  // `rand`, `Random.rand`: the process's shared source, which `srand(42)` may have seeded.
  if (shared && RUBY_DRAW.test(node.type === 'call' ? (field(node, 'method')?.text ?? '') : node.text))
    draw.from = { k: 'name', name: SHARED_SOURCE, line: node.startPosition.row + 1 };
  else if (receiver && receiver.text !== 'SecureRandom') draw.from = lower(receiver);
  if (node.type !== 'call') return draw;
  if (whole && JITTER_NAME.test(field(node, 'method')?.text ?? ''))
    draw.via = { k: 'call', callee: rubyCallee(node, lower), ...whole, line: node.startPosition.row + 1 };
  return draw;
}

/** The text of a `:symbol` or `"string"` key. */
function symbolOrString(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'simple_symbol') return node.text.slice(1);
  if (node.type === 'string' && !namedChildren(node).some((c) => c.type === 'interpolation'))
    return node.text.slice(1, -1);
  return undefined;
}

/**
 * `opts[:wait]`, `opts.delete(:wait)`, `opts.fetch(:wait)`: an options map read by a literal key (not
 * the environment, not a server hint).
 */
function optionRead(node: Node): { object: Node; key: string } | null {
  let object: Node | null;
  let key: string | undefined;
  if (node.type === 'element_reference') {
    object = field(node, 'object');
    key = symbolOrString(object ? node.namedChildren.find((c) => c && !c.equals(object!)) : null);
  } else if (node.type === 'call' && /^(delete|fetch|\[\])$/.test(field(node, 'method')?.text ?? '')) {
    object = field(node, 'receiver');
    const args = field(node, 'arguments');
    key = args?.namedChildCount === 1 ? symbolOrString(args.namedChild(0)) : undefined;
  } else return null;
  if (!object || key === undefined || /^ENV\b/.test(object.text) || SERVER_HINT_NAME.test(key)) return null;
  return { object, key };
}

/** What a call calls: `Client.new(…)` constructs a `Client` (a class name called as a constructor). */
export function rubyCallee(call: Node, lower: (n: Node) => Expr): Expr {
  const line = call.startPosition.row + 1;
  const method = field(call, 'method')?.text ?? '';
  const receiver = field(call, 'receiver');
  if (method === 'new' && (receiver?.type === 'constant' || receiver?.type === 'scope_resolution'))
    return { k: 'name', name: receiver.text, line };
  return receiver
    ? { k: 'member', object: lower(receiver), name: method, line }
    : { k: 'name', name: method, line };
}

/** Positional arguments, `key: value` pairs as named ones, and whether a splat makes positions unreliable. */
export function rubyArguments(
  call: Node,
  lower: (n: Node) => Expr,
): {
  args: Expr[];
  named: [string, Expr][];
  spread: boolean;
  positionalSpread: boolean;
  nodes: Node[];
  namedNodes: [string, Node][];
} {
  const list = field(call, 'arguments');
  const args: Expr[] = [];
  const named: [string, Expr][] = [];
  const nodes: Node[] = [];
  const namedNodes: [string, Node][] = [];
  let spread = false;
  // Ruby 3 keeps `*args` positional: only `**opts` can supply a keyword argument.
  let positionalSpread = true;
  for (const arg of list ? namedChildren(list) : []) {
    if (arg.type === 'block_argument') continue;
    if (arg.type === 'splat_argument' || arg.type === 'hash_splat_argument') {
      spread = true;
      if (arg.type === 'hash_splat_argument') positionalSpread = false;
      continue;
    }
    if (arg.type === 'pair') {
      const key = field(arg, 'key');
      const value = field(arg, 'value');
      const name = key?.text.replace(/^:|:$/g, '');
      if (name && value) {
        named.push([name, lower(value)]);
        namedNodes.push([name, value]);
      }
      continue;
    }
    args.push(lower(arg));
    nodes.push(arg);
  }
  return { args, named, spread, positionalSpread: spread && positionalSpread, nodes, namedNodes };
}

const RUBY_DRAW = /^(rand|random_number)$/;
/** What the name of every draw `isRandomCall` or `isGeneratorDraw` knows contains. */
const DRAW_WORD = /rand|sample|shuffle|jitter/;

/** `rand`, `rand(n)`, `rand(a..b)`, `Random.rand(n)`, `SecureRandom.random_number(n)`: the range of one draw. */
function rubyRange(node: Node, lower: (n: Node) => Expr): [Expr, Expr] | undefined {
  if (node.type !== 'call') return RUBY_DRAW.test(node.text) ? drawRange('rand', []) : undefined;
  const listed = field(node, 'arguments');
  const args = listed ? namedChildren(listed) : [];
  const only = args.length === 1 ? args[0]! : null;
  if (only?.type === 'range' || only?.type === 'parenthesized_statements') {
    const ends = namedChildren(only.type === 'range' ? only : (namedChildren(only)[0] ?? only));
    return ends.length === 2 ? [lower(ends[0]!), lower(ends[1]!)] : undefined;
  }
  // `sample`, `shuffle` and the like draw from a collection, not a number range.
  return RUBY_DRAW.test(field(node, 'method')?.text ?? '') ? drawRange('rand', args.map(lower)) : undefined;
}
