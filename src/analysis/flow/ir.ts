import type { ArithmeticOp } from '../delay.js';
import type { Trigger } from '../finding.js';

/**
 * The intermediate form every language's front end fills from its syntax tree, and the only thing the
 * value-flow engine reads. It is deliberately small: what a delay needs, not what a compiler needs.
 * Facts are plain data (no syntax nodes), so a file's trees are freed as soon as its facts exist and
 * the facts of other files can be cached for the whole review.
 *
 * Expressions are in their own unit (the unit of the wait or option that uses them): the engine folds
 * numbers, the front end says how many milliseconds one unit is.
 */
export type Expr =
  /** `text`: how the source wrote it, when that says more than the number (`time.Second`). */
  | { k: 'num'; value: number; text?: string }
  /** A bare name: a local, a parameter, a module-level binding or an import, resolved by scope. */
  | { k: 'name'; name: string; line: number }
  /** `this` / `self` / the method's receiver. */
  | { k: 'self' }
  | { k: 'member'; object: Expr; name: string; line: number }
  | { k: 'binary'; op: ArithmeticOp; left: Expr; right: Expr }
  | { k: 'neg'; inner: Expr }
  | { k: 'minmax'; which: 'min' | 'max'; args: Expr[] }
  /** One of several values may be the one used: `a ?? b`, `a or b`, `c ? a : b`. */
  | { k: 'either'; options: Expr[] }
  | {
      k: 'call';
      callee: Expr;
      args: Expr[];
      named: [string, Expr][];
      line: number;
      spread?: boolean;
      positionalSpread?: boolean;
    }
  /**
   * A key read from an options map with the code's own fallback (`opts.fetch(:wait, 2)`,
   * `options[:wait] || 2`, `settings.get("wait", 2)`): the fallback, unless a caller sets the key.
   */
  | { k: 'option'; of?: Expr; key?: string; fallback: Expr; line: number }
  /**
   * A key read from the project's configuration (`props.getProperty("retry.delay")`,
   * `config.get('reconnectTimeout')`, a property of a Spring `@ConfigurationProperties` class): what a
   * config file of the repository sets it to. The file must be justified by the code: named in a
   * string literal of the code that holds `of` (the object the key is read from) or of this file, or
   * read by the framework's `convention`. `fallback`: the code's own default when no file sets the key.
   */
  | { k: 'setting'; key: string; of?: Expr; convention?: SettingsConvention; fallback?: Expr; line: number }
  /** A literal list of values indexed (or walked) by `index`; `of` names a list defined elsewhere. */
  | { k: 'table'; items: Expr[]; index?: Expr; of?: Expr }
  /**
   * The front end recognised a random draw (`random.uniform`, `Math.random()`, `rand.Intn`). `from`: the
   * generator object it is drawn from (`rng` of `rng.uniform(…)`), which may be seeded with a constant.
   * `via`: the call, when only its name says it draws (`with_jitter(…)`): a helper of the repository
   * whose body draws nothing is followed instead. `range`: the lowest and highest value one draw
   * gives, when the call says (see `draw-range.ts`).
   */
  | { k: 'random'; what: string; from?: Expr; via?: Extract<Expr, { k: 'call' }>; range?: [Expr, Expr] }
  /**
   * A random generator being made (`random.Random(42)`, `new Random(42)`, `rand.NewSource(1)`): `seed`
   * as written, absent when the generator seeds itself (from the clock or the OS).
   */
  | { k: 'generator'; what: string; seed?: Expr; line: number }
  /** A value the server chose (Retry-After, a rate-limit reset, an error field). */
  | { k: 'server'; what: string }
  /** Comes from outside the repository: an environment variable, user input, a value read at run time. */
  | { k: 'external'; what: string }
  /** A construct the front end does not translate: evaluates to unknown, visibly. */
  | { k: 'todo'; what: string }
  /** No value (`null`, `None`, `nil`): a `??`/`or` around it falls through to its other side. */
  | { k: 'none' };

/**
 * Frameworks that read config files of their own: Spring Boot's `application.{properties,yml,yaml}`,
 * the node `config` package's `config/default.{json,yml,yaml}`.
 */
export type SettingsConvention = 'spring' | 'node-config';

export interface ParamFact {
  name: string;
  default?: Expr;
  /** Only a `name:` argument supplies it (Ruby keyword parameters), never a position. */
  keywordOnly?: boolean;
  /** A declared type or class name, when the language states one (for `cfg.retry_wait`). */
  type?: string;
}

export interface FunctionFact {
  /** Index in `FileFacts.functions`. */
  id: number;
  name: string;
  /** The class (struct, record, object) the function is a method or constructor of. */
  className?: string;
  /** The function it is nested in. */
  parent?: number;
  /** The type an extension function extends (Kotlin `fun Flow<T>.retryWith(…)`): values of it call it as a method. */
  receiverType?: string;
  /**
   * Its first parameter is the receiver of a method-style call (C# `Retry(this Task task, …)`):
   * `task.Retry(5, 200)` passes `task` to it, then the arguments; `Extensions.Retry(task, 5, 200)` as written.
   */
  extension?: boolean;
  line: number;
  endLine: number;
  /** Receiver (`self`, `this`) excluded. */
  params: ParamFact[];
  returns: Expr[];
  /** The body draws a random number (judged by its calls, not its name). */
  random: boolean;
  /** Calling it waits its parameter #param: a sleep helper. */
  sleeps?: { param: number; unitMs: number };
  /**
   * Calling it waits a delay of its own, no parameter of it (`void pause() { Thread.sleep(PAUSE_MS); }`):
   * a pause helper, the delay in its own scope.
   */
  pauses?: { delay: Expr; unitMs: number };
  isConstructor: boolean;
  /** Its body makes a connection (`bootstrap.connect(host, port)`): calling it again reconnects. */
  connects?: boolean;
  /** Declared without a body (an interface or abstract method): a call of it runs an override. */
  abstract?: boolean;
  /** Declared as overriding a method of a base (`@Override`, `override`). */
  overrides?: boolean;
  /** It calls itself. */
  recursive: boolean;
  /** Names its assignments rebind in an enclosing function (Python's `nonlocal`). */
  enclosingNames?: string[];
}

/** A function as a front end first meets it: its body's facts are filled in as the walk goes. */
export function newFunction(
  id: number,
  name: string,
  lines: { line: number; endLine: number },
  owner: { className?: string; parent?: number; isConstructor: boolean },
): FunctionFact {
  const fn: FunctionFact = {
    id,
    name,
    line: lines.line,
    endLine: lines.endLine,
    params: [],
    returns: [],
    random: false,
    isConstructor: owner.isConstructor,
    recursive: false,
  };
  if (owner.className !== undefined) fn.className = owner.className;
  if (owner.parent !== undefined) fn.parent = owner.parent;
  return fn;
}

export type AssignTarget =
  | { kind: 'name'; name: string }
  /** A field of the enclosing class (`self.x`, `this.x`, a class-body attribute, a struct field default). */
  | { kind: 'field'; className: string; name: string }
  /** `obj.x = …` with `obj` not the receiver: a setter from outside, or a config being filled in. */
  | { kind: 'member'; object: Expr; name: string };

export interface AssignmentFact {
  target: AssignTarget;
  /** `for x in [...]` binds `x` to each element: `'each'`. */
  op: '=' | '+=' | '-=' | '*=' | '/=' | '**=' | '<<=' | 'each' | 'other';
  value: Expr;
  /** The enclosing function; undefined at module or class level. */
  fn?: number;
  line: number;
}

/**
 * The assignment operators of every language, as the engine models them: an update (`+=`, `*=`, …)
 * or a plain store (`=`, Go `:=`, and the fallbacks `??=`/`||=`, which store when nothing is set).
 * A language never writes another's operators, so one table serves all; anything else is `other`.
 */
const ASSIGNMENT_OPS: Readonly<Record<string, AssignmentFact['op']>> = {
  '=': '=',
  ':=': '=',
  '??=': '=',
  '||=': '=',
  '+=': '+=',
  '-=': '-=',
  '*=': '*=',
  '/=': '/=',
  '//=': '/=',
  '**=': '**=',
  '<<=': '<<=',
};

export function assignmentOp(operator: string): AssignmentFact['op'] {
  return ASSIGNMENT_OPS[operator] ?? 'other';
}

/** Why a call or a wait runs only after a failure, and what makes the work run again. */
export interface RetryFrame {
  trigger: Trigger;
  /** Attempt counters in scope. */
  counters: string[];
  attemptVar?: string;
  /** What the attempt counter stays below (`range(5)`, `attempt < MAX_TRIES`): how many attempts run. */
  limit?: Expr;
  evidence: string[];
}

/** That a call runs only after a failure, and the words that say why (`waits in an except clause`). */
export interface FailurePath {
  trigger: Trigger;
  evidence: string;
  /**
   * Where the attempt that failed runs: the lines of the `try` body or of the tested condition, and
   * the names the condition tests (`err` of `err != nil`, `res` of `res.is_ok()`), which the calls
   * assigning them make.
   */
  attempt?: { from: number; to: number; names: string[] };
  /** The line where the code after the call leaves its function unconditionally (a `return`, a `raise`). */
  exitsAt?: number;
}

export interface CallFact {
  callee: Expr;
  /** Positional arguments, in order. */
  args: Expr[];
  named: [string, Expr][];
  /** The last name of the callee (`retry` for `utils.retry(…)`), for the call-site index. */
  calleeName: string;
  fn?: number;
  line: number;
  /** Splat arguments (`*args`, `**kwargs`, `...rest`): positions cannot be trusted. */
  spread: boolean;
  /** Every splat is positional (Ruby `*errors`): it cannot supply a keyword-only parameter. */
  positionalSpread?: boolean;
  /** Set when the call sits where a retry would wait: on a failure path, with the work repeated. */
  retry?: RetryFrame;
  /** Set when the call sits in a loop of its function (it runs again and again). */
  repeats?: boolean;
  /** Set when the call runs only after a failure (an `except`/`rescue`, an error branch), repeated or not. */
  failure?: FailurePath;
}

export interface ClassFact {
  name: string;
  line: number;
  bases: string[];
  /**
   * Fields that the generated constructor takes in order (a dataclass, an attrs or pydantic model, a
   * Kotlin primary constructor, a record): constructor calls set them.
   */
  recordFields?: string[];
  /**
   * An object literal (a JavaScript `{…}`): a property it does not list is absent rather than set
   * elsewhere, and the objects spread or assigned into it (`{ ...DEFAULTS, ...opts }`) supply the rest.
   */
  literal?: { fn?: number; spreads: Expr[] };
  /**
   * The framework binds the class's fields to config keys under `prefix` (Spring Boot
   * `@ConfigurationProperties(prefix = "app.retry")`): `cfg.waitDuration` reads `app.retry.waitDuration`.
   */
  settings?: { prefix: string; convention: SettingsConvention };
  /** Declared types of fields, by field name (a Go struct, a typed Java or C# field): `cfg.retryWait` of a field `cfg Config`. */
  fieldTypes?: Record<string, string>;
}

export interface ImportFact {
  /** The name bound in this file. */
  local: string;
  /** The module as written (`.settings`, `app.config`, `./retry`, a Go import path). */
  module: string;
  /** The imported member; absent when the module itself is bound. */
  name?: string;
}

export interface FileFacts {
  path: string;
  /** The package the file declares, in languages where files of one directory share names (Go, Java, Kotlin). */
  packageName?: string;
  imports: ImportFact[];
  functions: FunctionFact[];
  classes: ClassFact[];
  assignments: AssignmentFact[];
  calls: CallFact[];
}

/** The innermost function of a file around a line (undefined: module level). */
export function functionAt(facts: FileFacts, line: number): FunctionFact | undefined {
  let found: FunctionFact | undefined;
  for (const fn of facts.functions)
    if (fn.line <= line && line <= fn.endLine && (!found || fn.line >= found.line)) found = fn;
  return found;
}

/** Whether an expression or any expression inside it passes `test`. */
export function contains(expr: Expr, test: (e: Expr) => boolean): boolean {
  if (test(expr)) return true;
  const inside = (e: Expr) => contains(e, test);
  switch (expr.k) {
    case 'member':
      return inside(expr.object);
    case 'binary':
      return inside(expr.left) || inside(expr.right);
    case 'neg':
      return inside(expr.inner);
    case 'minmax':
      return expr.args.some(inside);
    case 'either':
      return expr.options.some(inside);
    case 'call':
      return inside(expr.callee) || expr.args.some(inside) || expr.named.some(([, a]) => inside(a));
    case 'table':
      return expr.items.some(inside) || (!!expr.index && inside(expr.index));
    case 'option':
      return (!!expr.of && inside(expr.of)) || inside(expr.fallback);
    case 'random':
      return !!expr.range && expr.range.some(inside);
    case 'setting':
      return (!!expr.of && inside(expr.of)) || (!!expr.fallback && inside(expr.fallback));
    case 'generator':
      return !!expr.seed && inside(expr.seed);
    default:
      return false;
  }
}

/** `clamp(value, lo, hi)`, Kotlin `coerceIn`, C# `Math.Clamp`: the value held between two bounds. */
export function clamped(value: Expr, lo: Expr, hi: Expr): Expr {
  return { k: 'minmax', which: 'min', args: [{ k: 'minmax', which: 'max', args: [value, lo] }, hi] };
}

/** Whether an expression mentions a name anywhere (for self-referencing updates). */
export function mentions(expr: Expr, name: string): boolean {
  return contains(expr, (e) => e.k === 'name' && e.name === name);
}

/** Source-like text of an expression, for evidence. */
export function show(expr: Expr): string {
  switch (expr.k) {
    case 'num':
      return expr.text ?? String(expr.value);
    case 'name':
      return expr.name;
    case 'self':
      return 'self';
    case 'member':
      return `${show(expr.object)}.${expr.name}`;
    case 'binary':
      return `${show(expr.left)} ${expr.op} ${show(expr.right)}`;
    case 'neg':
      return `-${show(expr.inner)}`;
    case 'minmax':
      return `${expr.which}(${expr.args.map(show).join(', ')})`;
    case 'either':
      return expr.options.map(show).join(' | ');
    case 'call':
      return `${show(expr.callee)}(…)`;
    case 'table':
      return `[${expr.items.map(show).join(', ')}]`;
    case 'none':
      return 'null';
    case 'option':
      return `${expr.of ? `${show(expr.of)}[${expr.key ?? '…'}]` : (expr.key ?? '…')} or ${show(expr.fallback)}`;
    case 'setting':
      return `${expr.of ? `${show(expr.of)}[${expr.key}]` : expr.key}${expr.fallback ? ` or ${show(expr.fallback)}` : ''}`;
    default:
      return expr.what;
  }
}
