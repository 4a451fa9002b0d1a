import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { MAX_EXPRESSION_NESTING } from '../../flow/engine.js';
import { drawRange } from '../../flow/draw-range.js';
import { clamped, type Expr } from '../../flow/ir.js';
import { numericLiteral, OPERATORS, unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren, oncePerNode } from '../tree-sitter/syntax.js';

/**
 * C# expression syntax → the engine's expressions, in milliseconds (a `TimeSpan` is its
 * milliseconds, which is what `Task.Delay` and `Thread.Sleep` take either way). Only syntax and the
 * names in scope are decided here; what a name, a member or a call holds is the engine's business.
 */

/** What the front end knows about the names where a node stands. */
export interface NameScope {
  /** A local variable or parameter of the code around the node (lambdas see their method's). */
  isLocal(name: string): boolean;
  /** The declared type of a local, parameter or member, as written. */
  typeOf(name: string): string | undefined;
  /** A member of the class around the node or of a class around it: how it is read, or null. */
  member(name: string, line: number): Expr | null;
  /** The class whose receiver `this` is, when there is one. */
  receiver?: string;
  /** Inside a property's `set` accessor: the property `value` is assigned to. */
  setterOf?: string;
  /** The declared type of the variable or field a target-typed `new()` initialises. */
  targetType?: (node: Node) => string | undefined;
  /** A call's shape, read once per file. */
  shape?: (call: Node) => CallShape | null;
  /** Expressions lowered so far, by node id: a call nested in an argument is lowered once. */
  cache?: Map<number, Expr>;
}

/** Calls that draw a random number (`Random.Next`, `RandomNumberGenerator.GetInt32`), or a jitter helper. */
const RANDOM_METHOD = /^(Next|NextDouble|NextInt64|NextSingle|GetInt32|NextBytes)$|jitter/i;
const RANDOM_SOURCE = /\b(Random|RandomNumberGenerator)\b/;
const PASS_THROUGH_MATH = new Set(['Round', 'Floor', 'Ceiling', 'Abs', 'Truncate']);
const NUMBER_TYPES = /^(Convert|int|long|double|float|decimal|Int32|Int64|Double|Single|Decimal)$/;
const CONVERSIONS = /^(ToInt32|ToInt64|ToDouble|ToSingle|ToDecimal|Parse)$/;
/** Reads of configuration that the program makes at run time (`IConfiguration`, environment variables). */
const CONFIG_OBJECT = /config|settings|Environment/i;
const CONFIG_READ =
  /^(GetValue|GetSection|GetConnectionString|GetEnvironmentVariable|Get|GetRequiredSection)$/;
/** `IOptions<T>.Value`, `IOptionsMonitor<T>.CurrentValue`: the options object itself. */
const OPTIONS_WRAPPER = /^I?Options(Monitor|Snapshot)?<\s*([\w.]+)\s*>$/;
const OPTIONS_VALUE = /^(Value|CurrentValue)$/;
/** `span.TotalSeconds` and friends: the span in that unit. */
const TOTAL = /^Total(Milliseconds|Seconds|Minutes|Hours|Days)$/;
/** `new TimeSpan(…)` arguments: ticks, (h, m, s), (d, h, m, s), (d, h, m, s, ms). */
const TIMESPAN_PARTS: Record<number, number[]> = {
  3: [3_600_000, 60_000, 1_000],
  4: [86_400_000, 3_600_000, 60_000, 1_000],
  5: [86_400_000, 3_600_000, 60_000, 1_000, 1],
};
const MS_PER_TICK = 1e-4;
const TODO = (what: string): Expr => ({ k: 'todo', what });

/** The simple name of a type as written (`Acme.Config.RetryOptions` stays qualified; `Foo<T>` → `Foo`; `T?` → `T`). */
export function typeName(type: Node | null): string | undefined {
  if (!type) return undefined;
  switch (type.type) {
    case 'identifier':
    case 'qualified_name':
      return type.text;
    case 'nullable_type':
      return typeName(field(type, 'type') ?? type.namedChild(0));
    case 'generic_name': {
      const options = OPTIONS_WRAPPER.exec(type.text.replace(/\s+/g, ''));
      return options ? options[2] : type.namedChild(0)?.text;
    }
    default:
      return undefined;
  }
}

/** Whether a declared type is an options wrapper (`IOptions<T>`) whose `.Value` is the options object. */
export function isOptionsWrapper(type: string | undefined): boolean {
  return !!type && OPTIONS_WRAPPER.test(type.replace(/\s+/g, ''));
}

/** A call as its syntax shows it, read from the tree once (every read crosses into WASM). */
export interface CallShape {
  callee: Node;
  /** `identifier`, `generic_name`, `member_access_expression`, … */
  calleeType: string;
  /** The method name it invokes: `Delay` for `Task.Delay(…)`, `GetValue` for `config?.GetValue<int>(…)`. */
  name: string;
  /** The object it is called on (`Task` in `Task.Delay`), or null for a bare call. */
  object: Node | null;
  objectText: string;
  positional: Node[];
  named: [string, Node][];
  line: number;
}

function simpleName(name: Node): string {
  return name.type === 'generic_name' ? (name.namedChild(0)?.text ?? '') : name.text;
}

export function callShape(call: Node): CallShape | null {
  const callee = field(call, 'function');
  if (!callee) return null;
  const calleeType = callee.type;
  let name = '';
  let object: Node | null = null;
  if (calleeType === 'identifier' || calleeType === 'generic_name') name = simpleName(callee);
  else if (calleeType === 'member_access_expression') {
    object = field(callee, 'expression');
    const nameNode = field(callee, 'name');
    name = nameNode ? simpleName(nameNode) : '';
  } else if (calleeType === 'conditional_access_expression') {
    object = field(callee, 'condition');
    const binding = namedChildren(callee).find((c) => c.type === 'member_binding_expression');
    const nameNode = binding ? field(binding, 'name') : null;
    name = nameNode ? simpleName(nameNode) : '';
  }
  return {
    callee,
    calleeType,
    name,
    object,
    objectText: object?.text ?? '',
    ...callArguments(call),
    line: call.startPosition.row + 1,
  };
}

/**
 * Positional and named arguments of a call (`ref`/`out` keep their expression), read once per call
 * node (the walk, the lowering and the library checks each ask). Not to be mutated.
 */
export const callArguments = oncePerNode((call: Node): { positional: Node[]; named: [string, Node][] } => {
  const list = field(call, 'arguments') ?? namedChildren(call).find((c) => c.type === 'argument_list');
  const positional: Node[] = [];
  const named: [string, Node][] = [];
  for (const argument of list ? namedChildren(list) : []) {
    const count = argument.namedChildCount;
    const value = count > 0 ? argument.namedChild(count - 1) : null;
    if (!value) continue;
    const name = count > 1 ? field(argument, 'name') : null;
    if (name) named.push([name.text, value]);
    else positional.push(value);
  }
  return { positional, named };
});

/** Whether a call draws a random number, by its own name and object. */
export function isRandomCall(shape: CallShape): boolean {
  return RANDOM_METHOD.test(shape.name) || RANDOM_SOURCE.test(shape.objectText);
}

/** `this`/`base` (or nothing): a call of the class's own code. */
export function isOwnCall(shape: CallShape): boolean {
  return !shape.object || /^(this|base)$/.test(shape.objectText);
}

export function lowerCSharp(node: Node, scope: NameScope, depth = 0): Expr {
  const cached = scope.cache?.get(node.id);
  if (cached) return cached;
  const expr = lowerNode(node, scope, depth);
  scope.cache?.set(node.id, expr);
  return expr;
}

function lowerNode(node: Node, scope: NameScope, depth: number): Expr {
  if (depth > MAX_EXPRESSION_NESTING) return TODO('expression nested too deeply');
  const lower = (n: Node): Expr => lowerCSharp(n, scope, depth + 1);
  switch (node.type) {
    case 'integer_literal':
    case 'real_literal': {
      const value = numericLiteral(node.text);
      return value === null ? TODO(`\`${node.text}\``) : { k: 'num', value };
    }
    case 'null_literal':
      return { k: 'none' };
    case 'string_literal': {
      // Only as the text handed to a number parse (`int.Parse("5")`).
      const value = numericLiteral(node.text.replace(/^@?"|"$/g, ''));
      return value === null ? TODO('a string') : { k: 'num', value };
    }
    case 'parenthesized_expression':
    case 'checked_expression':
    case 'await_expression':
    case 'postfix_unary_expression':
      return node.namedChild(0) ? lower(node.namedChild(0)!) : TODO('empty');
    case 'cast_expression': {
      const value = field(node, 'value');
      return value ? lower(value) : TODO('cast');
    }
    case 'prefix_unary_expression': {
      const operand = node.namedChild(0);
      if (!operand) return TODO('operator');
      if (node.text.startsWith('-') && !node.text.startsWith('--'))
        return { k: 'neg', inner: lower(operand) };
      return /^(\+|\+\+|--)/.test(node.text) ? lower(operand) : TODO('operator');
    }
    case 'binary_expression':
      return binary(node, lower);
    case 'conditional_expression': {
      const whenTrue = field(node, 'consequence');
      const whenFalse = field(node, 'alternative');
      return whenTrue && whenFalse
        ? { k: 'either', options: [lower(whenTrue), lower(whenFalse)] }
        : TODO('conditional');
    }
    case 'switch_expression': {
      const arms = namedChildren(node).filter((c) => c.type === 'switch_expression_arm');
      const values = arms.map((arm) => namedChildren(arm).pop()).filter((v): v is Node => !!v);
      return values.length > 0 ? { k: 'either', options: values.map(lower) } : TODO('switch');
    }
    case 'identifier':
      return identifier(node, scope, false);
    case 'this_expression':
    case 'this':
      return { k: 'self' };
    case 'member_access_expression':
      return member(node, scope, lower);
    case 'conditional_access_expression': {
      // `a?.b`: `b` of `a` when `a` is there.
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      const object = field(node, 'condition');
      const binding = namedChildren(node).find((c) => c.type === 'member_binding_expression');
      const name = binding ? field(binding, 'name') : null;
      if (!object || !name) return TODO('conditional access');
      return { k: 'member', object: lower(object), name: simpleName(name), line: lineOf(node) };
    }
    case 'element_access_expression': {
      if (SERVER_HINT_NAME.test(node.text)) return { k: 'server', what: node.text };
      const object = field(node, 'expression');
      if (object && CONFIG_OBJECT.test(object.text)) return { k: 'external', what: 'a configuration value' };
      const index = field(node, 'subscript')?.namedChild(0)?.namedChild(0);
      if (!object || !index) return TODO('an element');
      return { k: 'table', items: [], index: lower(index), of: lower(object) };
    }
    case 'implicit_array_creation_expression':
    case 'array_creation_expression':
    case 'collection_expression':
    case 'element_binding_expression':
    case 'initializer_expression': {
      const initializer =
        node.type === 'implicit_array_creation_expression' || node.type === 'array_creation_expression'
          ? namedChildren(node).find((c) => c.type === 'initializer_expression')
          : node;
      const items = initializer
        ? namedChildren(initializer).map((item) => (item.type === 'argument' ? item.namedChild(0) : item))
        : [];
      return { k: 'table', items: items.filter((i): i is Node => !!i).map(lower) };
    }
    case 'invocation_expression':
      return invocation(node, scope, lower);
    case 'object_creation_expression':
      return creation(node, typeName(field(node, 'type')), lower);
    case 'implicit_object_creation_expression': {
      const type = scope.targetType?.(node);
      return type ? creation(node, type, lower) : TODO('a target-typed `new()`');
    }
    default:
      return TODO(`cannot evaluate ${node.type}`);
  }
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

function binary(node: Node, lower: (n: Node) => Expr): Expr {
  const left = field(node, 'left');
  const right = field(node, 'right');
  const operator = field(node, 'operator')?.text ?? '';
  if (!left || !right) return TODO('operator');
  if (operator === '??') {
    // `config.GetValue<int?>("Delay") ?? 5`: without the setting, the program's own default.
    const first = lower(left);
    return first.k === 'external' ? lower(right) : { k: 'either', options: [first, lower(right)] };
  }
  const op = OPERATORS[operator];
  if (!op || operator === '**' || operator === '//') return TODO(`operator \`${operator}\``);
  return { k: 'binary', op, left: lower(left), right: lower(right) };
}

/**
 * A bare name: a local or parameter, a member of this class (or of a class around it), or a type.
 * `asObject`: the name is the object of a member access (`Settings` in `Settings.Delay`).
 */
function identifier(node: Node, scope: NameScope, asObject: boolean, text?: string): Expr {
  const name = text ?? node.text;
  const line = lineOf(node);
  if (name === 'value' && scope.setterOf && !scope.isLocal(name))
    return { k: 'member', object: { k: 'self' }, name: scope.setterOf, line };
  if (scope.isLocal(name)) return { k: 'name', name, line };
  const member = scope.member(name, line);
  if (member) return member;
  // In a class, a name that is no local is a member, if not of this class then of a base class; before
  // a dot, a capitalised one is a type (an inherited field is `_x` or lowercase by convention).
  if (scope.receiver && !(asObject && /^[A-Z]/.test(name)))
    return { k: 'member', object: { k: 'self' }, name, line };
  return { k: 'name', name, line };
}

function member(node: Node, scope: NameScope, lower: (n: Node) => Expr): Expr {
  const text = node.text;
  const object = field(node, 'expression');
  const nameNode = field(node, 'name');
  const name = nameNode ? simpleName(nameNode) : '';
  const line = lineOf(node);
  if (!object || name === '') return TODO('member');
  if (SERVER_HINT_NAME.test(text)) return { k: 'server', what: text };
  const total = TOTAL.exec(name);
  if (total) {
    const unit = unitMs(total[1]!) ?? 1;
    return unit === 1
      ? lower(object)
      : { k: 'binary', op: '/', left: lower(object), right: { k: 'num', value: unit } };
  }
  const objectText = object.text;
  if (objectText === 'TimeSpan' && name === 'Zero') return { k: 'num', value: 0 };
  if (name === 'Shared' && RANDOM_SOURCE.test(objectText)) return { k: 'random', what: text };
  if (OPTIONS_VALUE.test(name) && isOptionsWrapper(wrapperType(object, objectText, scope)))
    return lower(object);
  return { k: 'member', object: objectOf(object, objectText, scope, lower), name, line };
}

/** The object of a member access or call: the receiver, a name (local, member or type), or an expression. */
function objectOf(object: Node, text: string, scope: NameScope, lower: (n: Node) => Expr): Expr {
  if (text === 'this' || text === 'base') return { k: 'self' };
  return /^[A-Za-z_]\w*$/.test(text) ? identifier(object, scope, true, text) : lower(object);
}

/** The declared type of `x` or `this.x`, for `x.Value`. */
function wrapperType(object: Node, text: string, scope: NameScope): string | undefined {
  if (/^[A-Za-z_]\w*$/.test(text)) return scope.typeOf(text);
  if (
    object.type === 'member_access_expression' &&
    /^(this|base)$/.test(field(object, 'expression')?.text ?? '')
  )
    return scope.typeOf(field(object, 'name')?.text ?? '');
  return undefined;
}

/** A receiver that is a `TimeSpan` by its syntax: built by `TimeSpan.FromX(…)`, possibly through `.Add(…)` calls. */
const SPAN_BUILT = /^TimeSpan\.From\w+\(/;

function invocation(node: Node, scope: NameScope, lower: (n: Node) => Expr): Expr {
  const shape = scope.shape ? scope.shape(node) : callShape(node);
  if (!shape) return TODO('call');
  const { name, positional, named } = shape;
  const owner = shape.objectText.replace(/^System\./, '');
  if (isRandomCall(shape)) return randomDraw(shape, scope, lower);
  if (SERVER_HINT_NAME.test(name) || SERVER_HINT_NAME.test(owner)) return { k: 'server', what: name };
  // `configuration.GetValue("Delay", 5)`: the default is what runs without the setting.
  if (name === 'GetValue' && positional[1]) return lower(positional[1]);
  if (CONFIG_READ.test(name) && (name === 'GetEnvironmentVariable' || CONFIG_OBJECT.test(owner)))
    return { k: 'external', what: 'a configuration value' };
  if (owner === 'TimeSpan' && positional[0]) {
    const unit = unitMs(name);
    if (unit === null) return TODO(`TimeSpan.${name}`);
    const value = lower(positional[0]);
    return unit === 1 ? value : { k: 'binary', op: '*', left: value, right: { k: 'num', value: unit } };
  }
  if (owner === 'Math' || owner === 'MathF') {
    if (PASS_THROUGH_MATH.has(name) && positional[0]) return lower(positional[0]);
    if (name === 'Pow' && positional[0] && positional[1])
      return { k: 'binary', op: '**', left: lower(positional[0]), right: lower(positional[1]) };
    if ((name === 'Min' || name === 'Max') && positional.length > 0)
      return { k: 'minmax', which: name === 'Min' ? 'min' : 'max', args: positional.map(lower) };
    if (name === 'Clamp' && positional.length === 3) {
      const [value, lo, hi] = positional.map(lower);
      return clamped(value!, lo!, hi!);
    }
  }
  if (NUMBER_TYPES.test(owner) && CONVERSIONS.test(name) && positional[0]) return lower(positional[0]);
  // `TimeSpan.FromMinutes(1).Add(TimeSpan.FromSeconds(16))`: a TimeSpan's own arithmetic.
  if (
    (name === 'Add' || name === 'Subtract') &&
    shape.object &&
    positional.length === 1 &&
    SPAN_BUILT.test(owner)
  )
    return {
      k: 'binary',
      op: name === 'Add' ? '+' : '-',
      left: lower(shape.object),
      right: lower(positional[0]!),
    };
  const args = positional.map(lower);
  const keywords: [string, Expr][] = named.map(([keyword, value]) => [keyword, lower(value)]);
  // A random draw handed to a call makes its result random too.
  const random = [...args, ...keywords.map(([, e]) => e)].find((e) => e.k === 'random');
  if (random) return random;
  return { k: 'call', callee: calleeExpr(shape, scope, lower), args, named: keywords, line: shape.line };
}

/**
 * A random draw, with the range it falls in: from the generator object it is a method of
 * (`_random.Next(…)`), unless that is a
 * shared source (`Random.Shared`, `RandomNumberGenerator`); a call only its name makes a draw
 * (`WithJitter(delay)`) keeps the call, to be followed.
 */
function randomDraw(shape: CallShape, scope: NameScope, lower: (n: Node) => Expr): Expr {
  const { name, object, objectText, positional, named, line } = shape;
  const draw: Extract<Expr, { k: 'random' }> = {
    k: 'random',
    what: `${objectText.replace(/^System\./, '')}.${name}`,
  };
  const args = positional.map(lower);
  const range = drawRange(name, args);
  if (range) draw.range = range;
  if (object && !RANDOM_SOURCE.test(objectText)) draw.from = objectOf(object, objectText, scope, lower);
  if (JITTER_NAME.test(name))
    draw.via = {
      k: 'call',
      callee: calleeExpr(shape, scope, lower),
      args,
      named: named.map(([keyword, value]) => [keyword, lower(value)]),
      line,
    };
  return draw;
}

/** What a call invokes: a bare name is a method of this class unless it is a local (a delegate, a top-level function). */
export function calleeExpr(shape: CallShape, scope: NameScope, lower: (n: Node) => Expr): Expr {
  const { name, object, line } = shape;
  if (shape.calleeType === 'identifier' || shape.calleeType === 'generic_name') {
    if (scope.isLocal(name) || !scope.receiver) return { k: 'name', name, line };
    return scope.member(name, line) ?? { k: 'member', object: { k: 'self' }, name, line };
  }
  if (object) return { k: 'member', object: objectOf(object, shape.objectText, scope, lower), name, line };
  return lower(shape.callee);
}

/** `new T(…)`: a `TimeSpan` is its milliseconds; anything else is a constructor call. */
function creation(node: Node, type: string | undefined, lower: (n: Node) => Expr): Expr {
  if (!type) return TODO('an object');
  const { positional, named } = callArguments(node);
  const simple = type.slice(type.lastIndexOf('.') + 1);
  if (simple === 'TimeSpan') {
    if (positional.length === 1)
      return { k: 'binary', op: '*', left: lower(positional[0]!), right: { k: 'num', value: MS_PER_TICK } };
    const parts = TIMESPAN_PARTS[positional.length];
    if (!parts) return TODO('TimeSpan');
    return positional
      .map((arg, index): Expr => ({
        k: 'binary',
        op: '*',
        left: lower(arg),
        right: { k: 'num', value: parts[index]! },
      }))
      .reduce((sum, part) => ({ k: 'binary', op: '+', left: sum, right: part }));
  }
  // `new Random(42)` repeats one sequence in every process; `new Random()` seeds itself.
  if (simple === 'Random') {
    const seed = positional[0] ? { seed: lower(positional[0]) } : {};
    return { k: 'generator', what: node.text, line: lineOf(node), ...seed };
  }
  if (RANDOM_SOURCE.test(simple)) return TODO('a random generator');
  return {
    k: 'call',
    callee: { k: 'name', name: type, line: lineOf(node) },
    args: positional.map(lower),
    named: named.map(([keyword, value]) => [keyword, lower(value)]),
    line: lineOf(node),
  };
}
