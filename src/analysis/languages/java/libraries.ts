import { UNKNOWN, type DelayValue } from '../../delay.js';
import type { RetryLibrary, RuleId } from '../../finding.js';
import type { Expr } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { rangeOf } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import { argumentsOf, springPlaceholder } from './lower.js';
import { importsOf, type ImportLine } from './module.js';
import type { LibraryRetry } from './report.js';

/**
 * JVM retry libraries configured without jitter (RULES.md section 3), each read with its own defaults:
 * - Spring Retry `@Retryable`/`@Backoff`: no explicit settings wait a fixed 1000 ms; `delay` alone is
 *   fixed; `delay` with a larger `maxDelay` and no `multiplier` is uniform random; a `multiplier` is
 *   exponential unless `random = true` (BackOffPolicyBuilder).
 * - Spring Framework 7 `@Retryable` (org.springframework.resilience) and `RetryPolicy.builder()`:
 *   `delay` 1000 ms, `multiplier` 1.0, `jitter` 0 by default.
 * - Resilience4j `RetryConfig`: `waitDuration` 500 ms by default; `IntervalFunction.of…`.
 * - Spring Framework's `org.springframework.util.backoff.FixedBackOff` (Spring Kafka's error handlers):
 *   `interval` 5000 ms by default, the same every time; `maxAttempts = 0` never retries.
 * - Failsafe `RetryPolicy`: `withDelay(d)` fixed, `withBackoff(…)` exponential, `withJitter(…)` and
 *   `withDelay(min, max)` random.
 */

const SPRING_RETRY_DEFAULT_DELAY_MS = 1_000;
const SPRING_FRAMEWORK_DEFAULT_DELAY_MS = 1_000;
const RESILIENCE4J_DEFAULT_WAIT_MS = 500;
const SPRING_FIXED_PERIOD_MS = 1_000;
const SPRING_UTIL_FIXED_INTERVAL_MS = 5_000;
const SPRING_EXPONENTIAL_INITIAL_MS = 100;
const SPRING_EXPONENTIAL_MULTIPLIER = 2;
const RESILIENCE4J_DEFAULT_MULTIPLIER = 1.5;
const FRACTION = /^(0|0?\.\d+|0\.\d*|1\.0*)[dDfF]?$/;

/** Constants the libraries document, by qualified name, in milliseconds (a field initialised to one is that wait). */
const LIBRARY_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['io.github.resilience4j.retry.RetryConfig.DEFAULT_WAIT_DURATION', RESILIENCE4J_DEFAULT_WAIT_MS],
]);

export function libraryConstant(module: string, name: string): number | undefined {
  return LIBRARY_CONSTANTS.get(`${module}.${name}`);
}

/**
 * The value of the expression at `node` in milliseconds, as the value-flow engine follows it; with
 * `expr`, that expression (read out of the node's text, a Spring placeholder) in the node's scope.
 */
export type ValueOf = (node: Node, expr?: Expr) => Promise<DelayValue>;

/**
 * Where a JVM language keeps what the checks read. The libraries and their defaults are the same from
 * Java and Kotlin; only the trees differ (`new T()` against `T()`, `@Backoff(delay = 1)` against
 * `Backoff(delay = 1)`, `p.setX(v)` against `p.x = v`), so the checks read them through this.
 */
export interface JvmSyntax {
  imports(root: Node): ImportLine[];
  /** Annotations anywhere in the file. */
  annotations(root: Node): Node[];
  annotationName(annotation: Node): string;
  /** `name = value` pairs of an annotation (or of one nested in an annotation); null for anything else. */
  annotationPairs(node: Node): Map<string, Node> | null;
  /** Outermost calls of method chains (a call that is not itself the receiver of another call). */
  outerCalls(root: Node): Node[];
  chainOf(outer: Node): { root: Node; calls: ChainCall[] };
  /** The type a constructor call builds (`new RetryPolicy<>()`, `RetryPolicy<Any>()`), or null. */
  constructed(node: Node): string | null;
  /** Constructor calls anywhere in the file. */
  creations(root: Node): Node[];
  /** Whether a constructor call declares an anonymous subclass (its behaviour is then its own). */
  subclassed(creation: Node): boolean;
  /** Setter arguments on the variable a construction is stored in, by setter name (`setBackOffPeriod`). */
  setters(creation: Node): Map<string, Node>;
  /** The initialiser of the local variable `name` refers to, or null. */
  localInitializer(name: Node): Node | null;
}

interface LibraryContext {
  imports: ImportLine[];
  value: ValueOf;
  syntax: JvmSyntax;
}

type Span = LibraryRetry['anchor'];

function span(node: Node): Span {
  return { range: rangeOf(node), text: node.text };
}

/** `.withDelay(d)` of a chain: from the method's name to its closing parenthesis, where the comment belongs. */
function optionSpan({ node: call, nameNode: name }: ChainCall): Span {
  if (!name) return span(call);
  return {
    range: {
      ...rangeOf(call),
      startLine: name.startPosition.row + 1,
      startColumn: name.startPosition.column + 1,
      startOffset: name.startIndex,
    },
    text: call.text.slice(name.startIndex - call.startIndex),
  };
}

function finding(
  library: RetryLibrary,
  delay: DelayValue,
  anchor: Node | Span,
  target: Node,
  evidence: string,
): LibraryRetry | null {
  const rule: RuleId | null =
    delay.kind === 'const' || delay.kind === 'unknown'
      ? 'fixed-delay-retry'
      : delay.kind === 'linear' || delay.kind === 'exponential' || delay.kind === 'counter'
        ? 'unjittered-backoff'
        : null;
  if (!rule) return null;
  return {
    library,
    rule,
    delay,
    anchor: 'range' in anchor ? anchor : span(anchor),
    target: span(target),
    evidence,
  };
}

/** Which `@Retryable` the file means, from its imports. */
function retryableFlavour(lines: ImportLine[]): 'spring-retry' | 'spring-framework' | null {
  for (const line of lines) {
    if (line.path.startsWith('org.springframework.retry.annotation')) return 'spring-retry';
    if (line.path.startsWith('org.springframework.resilience.annotation')) return 'spring-framework';
  }
  return null;
}

function imports(lines: ImportLine[], prefix: RegExp): boolean {
  return lines.some((line) => prefix.test(line.path));
}

/** `name = value` pairs of an annotation; a single unnamed value is `value`. */
export function annotationPairs(annotation: Node): Map<string, Node> {
  const pairs = new Map<string, Node>();
  const list = annotation.childForFieldName('arguments');
  if (!list) return pairs;
  for (const child of namedChildren(list)) {
    if (child.type === 'element_value_pair') {
      const key = child.childForFieldName('key')?.text;
      const value = child.childForFieldName('value');
      if (key && value) pairs.set(key, value);
    } else {
      pairs.set('value', child);
    }
  }
  return pairs;
}

async function number(ctx: LibraryContext, node: Node | undefined, fallback: number): Promise<DelayValue> {
  return node ? ctx.value(node) : { kind: 'const', ms: fallback };
}

/** A string literal's text, or null for any other node (a constant, a concatenation). */
function stringContent(node: Node): string | null {
  return /^"[^"\\]*"$/.test(node.text) ? node.text.slice(1, -1).trim() : null;
}

/**
 * A Spring Retry `…Expression` attribute: a number written as a string (`"1000"`), or a property
 * placeholder read from the application config or else its own default (`"${retry.delay:1000}"`).
 * SpEL (`"#{…}"`) and anything else is evaluated at run time: unknown.
 */
async function springExpression(ctx: LibraryContext, node: Node): Promise<DelayValue> {
  const text = stringContent(node);
  if (text !== null && /^-?\d+(?:\.\d+)?$/.test(text)) return { kind: 'const', ms: Number(text) };
  const setting = text === null ? null : springPlaceholder(text, node.startPosition.row + 1);
  return setting ? ctx.value(node, setting) : UNKNOWN(`\`${node.text}\` is evaluated at run time`);
}

async function springRetry(ctx: LibraryContext, retryable: Node): Promise<LibraryRetry | null> {
  const backoff = ctx.syntax.annotationPairs(retryable)?.get('backoff');
  if (!backoff) {
    return finding(
      'spring-retry',
      { kind: 'const', ms: SPRING_RETRY_DEFAULT_DELAY_MS },
      retryable,
      retryable,
      '`@Retryable` without `backoff` waits a fixed 1000 ms (Spring Retry `@Backoff` defaults)',
    );
  }
  const pairs = ctx.syntax.annotationPairs(backoff);
  if (!pairs) return null;
  // Each attribute may be given as a string instead (`delayExpression = "${retry.delay:1000}"`), which wins.
  const attribute = (name: string, fallback: number): Promise<DelayValue> => {
    const expression = pairs.get(`${name}Expression`);
    return expression ? springExpression(ctx, expression) : number(ctx, pairs.get(name), fallback);
  };
  const delay =
    pairs.has('delay') || pairs.has('delayExpression')
      ? await attribute('delay', 0)
      : await number(ctx, pairs.get('value'), SPRING_RETRY_DEFAULT_DELAY_MS);
  const maxDelay = await attribute('maxDelay', 0);
  const multiplier = await attribute('multiplier', 0);
  const randomExpression = pairs.get('randomExpression');
  const random = randomExpression
    ? stringContent(randomExpression) !== 'false'
    : pairs.get('random')?.text === 'true';
  if (multiplier.kind !== 'const' || delay.kind !== 'const') return null;
  if (multiplier.ms > 0) {
    if (random) return null;
    return finding(
      'spring-retry',
      { kind: 'exponential', baseMs: delay.ms, factor: multiplier.ms },
      retryable,
      retryable,
      `\`@Backoff\` with \`multiplier = ${multiplier.ms}\` and without \`random = true\` grows exponentially without jitter`,
    );
  }
  if (maxDelay.kind === 'const' && maxDelay.ms > delay.ms) return null;
  if (maxDelay.kind !== 'const') return null;
  return finding(
    'spring-retry',
    delay,
    retryable,
    retryable,
    `\`@Backoff\` without \`multiplier\` or a larger \`maxDelay\` waits a fixed ${delay.ms} ms`,
  );
}

async function springFramework(ctx: LibraryContext, retryable: Node): Promise<LibraryRetry | null> {
  const pairs = ctx.syntax.annotationPairs(retryable);
  if (!pairs) return null;
  if (pairs.has('jitterString') || pairs.has('delayString') || pairs.has('multiplierString')) return null;
  const jitter = await number(ctx, pairs.get('jitter'), 0);
  if (jitter.kind !== 'const' || jitter.ms > 0) return null;
  const unit = pairs.get('timeUnit') ? unitOfTimeUnit(pairs.get('timeUnit')!.text) : 1;
  if (unit === null) return null;
  const raw = await number(ctx, pairs.get('delay'), SPRING_FRAMEWORK_DEFAULT_DELAY_MS);
  const multiplier = await number(ctx, pairs.get('multiplier'), 1);
  if (raw.kind !== 'const' || multiplier.kind !== 'const') return null;
  const delayMs = raw.ms * unit;
  if (multiplier.ms > 1) {
    return finding(
      'spring-framework',
      { kind: 'exponential', baseMs: delayMs, factor: multiplier.ms },
      retryable,
      retryable,
      `\`@Retryable\` with \`multiplier = ${multiplier.ms}\` and no \`jitter\` grows exponentially without jitter`,
    );
  }
  return finding(
    'spring-framework',
    { kind: 'const', ms: delayMs },
    retryable,
    retryable,
    `\`@Retryable\` without \`jitter\` waits a fixed ${delayMs} ms (Spring Framework defaults: delay 1000 ms, multiplier 1.0, jitter 0)`,
  );
}

function unitOfTimeUnit(text: string): number | null {
  const match = /(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/.exec(text);
  if (!match) return null;
  const table: Record<string, number> = {
    NANOSECONDS: 1e-6,
    MICROSECONDS: 1e-3,
    MILLISECONDS: 1,
    SECONDS: 1_000,
    MINUTES: 60_000,
    HOURS: 3_600_000,
    DAYS: 86_400_000,
  };
  return table[match[1]!] ?? null;
}

export interface ChainCall {
  name: string;
  args: Node[];
  node: Node;
  /** The method's name in the call, where an option's comment starts. */
  nameNode: Node | null;
}

/** `a.b().c(x).d()` from its outermost call: the innermost receiver and the calls in order. */
export function chainOf(outer: Node): { root: Node; calls: ChainCall[] } {
  const calls: ChainCall[] = [];
  let node: Node = outer;
  while (node.type === 'method_invocation') {
    const nameNode = node.childForFieldName('name');
    calls.unshift({ name: nameNode?.text ?? '', args: argumentsOf(node), node, nameNode });
    const object = node.childForFieldName('object');
    if (!object) break;
    node = object;
  }
  return { root: node, calls };
}

/** The class a chain starts from, with its package dropped (`io.github.resilience4j.retry.RetryConfig`). */
function className(root: Node): string {
  return root.text.replace(/\s+/g, '').replace(/^([a-z_]\w*\.)+(?=[A-Z])/, '');
}

/** Outermost calls of method chains (a call that is not itself the receiver of another call). */
function outerCalls(root: Node): Node[] {
  return descendantsOfTypes(root, new Set(['method_invocation'])).filter((call) => {
    const parent = call.parent;
    return !(parent?.type === 'method_invocation' && parent.childForFieldName('object')?.equals(call));
  });
}

async function intervalFunction(ctx: LibraryContext, node: Node, depth = 0): Promise<DelayValue | null> {
  if (node.type === 'identifier' && depth < 2) {
    const value = ctx.syntax.localInitializer(node);
    return value ? intervalFunction(ctx, value, depth + 1) : null;
  }
  const { root, calls } = ctx.syntax.chainOf(node);
  if (calls.length !== 1 || !/IntervalFunction$/.test(root.text)) return null;
  const { name, args } = calls[0]!;
  const evaluate = (arg: Node | undefined, fallback: number): Promise<DelayValue> =>
    number(ctx, arg, fallback);
  switch (name) {
    case 'ofDefaults':
      return { kind: 'const', ms: RESILIENCE4J_DEFAULT_WAIT_MS };
    case 'of':
      return args.length === 1
        ? evaluate(args[0], RESILIENCE4J_DEFAULT_WAIT_MS)
        : UNKNOWN('custom backoff function');
    case 'ofExponentialBackoff': {
      const base = await evaluate(args[0], RESILIENCE4J_DEFAULT_WAIT_MS);
      const factor = await evaluate(args[1], RESILIENCE4J_DEFAULT_MULTIPLIER);
      return {
        kind: 'exponential',
        ...(base.kind === 'const' ? { baseMs: base.ms } : {}),
        ...(factor.kind === 'const' ? { factor: factor.ms } : {}),
      };
    }
    case 'ofRandomized':
    case 'ofExponentialRandomBackoff': {
      // A randomization factor of 0 turns the randomness off.
      // ofExponentialRandomBackoff's third argument is the factor when it is a fraction (else the max interval).
      const third = args[2];
      const factorArg =
        name === 'ofRandomized' ? args[1] : third && FRACTION.test(third.text) ? third : undefined;
      const factor = factorArg ? await evaluate(factorArg, 0.5) : null;
      if (factor?.kind === 'const' && factor.ms === 0) {
        return name === 'ofRandomized'
          ? evaluate(args[0], RESILIENCE4J_DEFAULT_WAIT_MS)
          : { kind: 'exponential' };
      }
      return { kind: 'random' };
    }
    default:
      return null;
  }
}

async function resilience4j(ctx: LibraryContext, outer: Node): Promise<LibraryRetry | null> {
  const { root, calls } = ctx.syntax.chainOf(outer);
  const first = calls[0];
  const type = className(root);
  if (type !== 'RetryConfig' && type !== 'Retry') return null;
  if (first?.name === 'ofDefaults') {
    return finding(
      'resilience4j',
      { kind: 'const', ms: RESILIENCE4J_DEFAULT_WAIT_MS },
      outer,
      outer,
      'Resilience4j `ofDefaults()` waits a fixed 500 ms between attempts',
    );
  }
  if (type !== 'RetryConfig' || first?.name !== 'custom' || !builtOrHandedOut(outer, calls)) return null;
  if (calls.some((c) => c.name === 'intervalBiFunction')) return null;
  // `maxAttempts` counts the first call: at most one attempt never waits.
  const attempts = calls.find((c) => c.name === 'maxAttempts')?.args[0];
  const count = attempts ? await ctx.value(attempts) : null;
  if (count?.kind === 'const' && count.ms <= 1) return null;
  const interval = calls.find((c) => c.name === 'intervalFunction');
  if (interval?.args[0]) {
    const value = await intervalFunction(ctx, interval.args[0]);
    if (!value) return null;
    return finding(
      'resilience4j',
      value,
      interval.args[0],
      outer,
      value.kind === 'exponential'
        ? '`IntervalFunction.ofExponentialBackoff` grows without randomness'
        : '`IntervalFunction.of` waits the same interval every time',
    );
  }
  const wait = calls.find((c) => c.name === 'waitDuration');
  const value = wait?.args[0]
    ? await ctx.value(wait.args[0])
    : { kind: 'const' as const, ms: RESILIENCE4J_DEFAULT_WAIT_MS };
  return finding(
    'resilience4j',
    value,
    wait ? optionSpan(wait) : outer,
    outer,
    wait
      ? '`waitDuration` without an interval function waits the same time between attempts'
      : 'a `RetryConfig` without `waitDuration` waits the default fixed 500 ms',
  );
}

/**
 * A `RetryConfig.custom()…` chain ends in `build()`, or is returned as a builder for callers to build
 * (`return RetryConfig.<T>custom().waitDuration(d);`) — then only when it chooses the wait itself, since
 * a caller may still set one.
 */
function builtOrHandedOut(outer: Node, calls: readonly ChainCall[]): boolean {
  if (calls[calls.length - 1]?.name === 'build') return true;
  return (
    outer.parent?.type === 'return_statement' &&
    calls.some((c) => c.name === 'waitDuration' || c.name === 'intervalFunction')
  );
}

async function failsafe(ctx: LibraryContext, outer: Node): Promise<LibraryRetry | null> {
  const { root, calls } = ctx.syntax.chainOf(outer);
  const isBuilder = className(root) === 'RetryPolicy' && calls[0]?.name === 'builder';
  const isV2 = /RetryPolicy/.test(ctx.syntax.constructed(root) ?? '');
  if (!isBuilder && !isV2) return null;
  if (
    calls.some(
      (c) =>
        c.name === 'withJitter' ||
        c.name === 'withDelayFn' ||
        c.name === 'withDelayFnOn' ||
        c.name === 'withDelayFnWhen',
    )
  )
    return null;
  let last: ChainCall | undefined;
  for (const call of calls) if (call.name === 'withDelay' || call.name === 'withBackoff') last = call;
  if (!last) return null;
  if (last.name === 'withDelay') {
    if (last.args.length !== 1) return null; // withDelay(min, max[, unit]) is random
    const value = await ctx.value(last.args[0]!);
    return finding(
      'failsafe',
      value,
      optionSpan(last),
      outer,
      '`withDelay(d)` without `withJitter` waits the same delay between attempts',
    );
  }
  const base = last.args[0] ? await ctx.value(last.args[0]) : UNKNOWN('backoff');
  const unit = last.args.length >= 3 ? unitOfChrono(last.args[2]!.text) : 1;
  return finding(
    'failsafe',
    { kind: 'exponential', ...(base.kind === 'const' && unit !== null ? { baseMs: base.ms * unit } : {}) },
    optionSpan(last),
    outer,
    '`withBackoff(…)` without `withJitter` grows exponentially without jitter',
  );
}

function unitOfChrono(text: string): number | null {
  const match = /(NANOS|MICROS|MILLIS|SECONDS|MINUTES|HOURS|DAYS)$/.exec(text);
  const table: Record<string, number> = {
    NANOS: 1e-6,
    MICROS: 1e-3,
    MILLIS: 1,
    SECONDS: 1_000,
    MINUTES: 60_000,
    HOURS: 3_600_000,
    DAYS: 86_400_000,
  };
  return match ? (table[match[1]!] ?? null) : null;
}

async function springRetryTemplate(ctx: LibraryContext, outer: Node): Promise<LibraryRetry | null> {
  const { root, calls } = ctx.syntax.chainOf(outer);
  if (className(root) !== 'RetryTemplate' || calls[0]?.name !== 'builder') return null;
  const fixed = calls.find((c) => c.name === 'fixedBackoff');
  if (fixed?.args[0]) {
    const value = await ctx.value(fixed.args[0]);
    return finding(
      'spring-retry',
      value,
      optionSpan(fixed),
      outer,
      '`RetryTemplate.builder().fixedBackoff(…)` waits the same delay between attempts',
    );
  }
  const exponential = calls.find((c) => c.name === 'exponentialBackoff');
  if (exponential && exponential.args.length >= 3 && exponential.args[3]?.text !== 'true') {
    const base = await ctx.value(exponential.args[0]!);
    return finding(
      'spring-retry',
      { kind: 'exponential', ...(base.kind === 'const' ? { baseMs: base.ms } : {}) },
      optionSpan(exponential),
      outer,
      '`exponentialBackoff(…)` without `withRandom = true` grows exponentially without jitter',
    );
  }
  return null;
}

async function springPolicyBuilder(ctx: LibraryContext, outer: Node): Promise<LibraryRetry | null> {
  const { root, calls } = ctx.syntax.chainOf(outer);
  if (className(root) !== 'RetryPolicy') return null;
  const first = calls[0]?.name;
  if (first === 'withDefaults' || first === 'withMaxRetries') {
    return finding(
      'spring-framework',
      { kind: 'const', ms: SPRING_FRAMEWORK_DEFAULT_DELAY_MS },
      outer,
      outer,
      `\`RetryPolicy.${first}(…)\` waits a fixed 1000 ms between attempts`,
    );
  }
  if (first !== 'builder' || calls[calls.length - 1]?.name !== 'build') return null;
  if (calls.some((c) => c.name === 'jitter' || c.name === 'backOff')) return null;
  const delay = calls.find((c) => c.name === 'delay');
  const multiplier = calls.find((c) => c.name === 'multiplier');
  const value = delay?.args[0]
    ? await ctx.value(delay.args[0])
    : { kind: 'const' as const, ms: SPRING_FRAMEWORK_DEFAULT_DELAY_MS };
  const factor = multiplier?.args[0]
    ? await ctx.value(multiplier.args[0])
    : { kind: 'const' as const, ms: 1 };
  if (factor.kind === 'const' && factor.ms > 1) {
    return finding(
      'spring-framework',
      { kind: 'exponential', ...(value.kind === 'const' ? { baseMs: value.ms } : {}), factor: factor.ms },
      optionSpan(multiplier!),
      outer,
      '`RetryPolicy.builder()` with a `multiplier` and no `jitter` grows exponentially without jitter',
    );
  }
  return finding(
    'spring-framework',
    value,
    delay ? optionSpan(delay) : outer,
    outer,
    '`RetryPolicy.builder()` without `jitter` waits the same delay between attempts',
  );
}

export async function findLibraryRetries(
  root: Node,
  value: ValueOf,
  syntax: JvmSyntax = JAVA_SYNTAX,
): Promise<LibraryRetry[]> {
  const lines = syntax.imports(root);
  const ctx: LibraryContext = { imports: lines, value, syntax };
  const found: (LibraryRetry | null)[] = [];
  const flavour = retryableFlavour(lines);
  if (flavour) {
    for (const annotation of syntax.annotations(root)) {
      if (syntax.annotationName(annotation) !== 'Retryable') continue;
      found.push(
        flavour === 'spring-retry'
          ? await springRetry(ctx, annotation)
          : await springFramework(ctx, annotation),
      );
    }
  }
  const usesResilience4j = imports(lines, /^io\.github\.resilience4j\.(retry|core)/);
  const usesFailsafe = imports(lines, /^(dev\.failsafe|net\.jodah\.failsafe)/);
  const usesSpringRetry = imports(lines, /^org\.springframework\.retry/);
  const usesSpringCore = imports(lines, /^org\.springframework\.core\.retry/);
  const usesSpringBackOff = imports(lines, /^org\.springframework\.util\.backoff/);
  if (!usesResilience4j && !usesFailsafe && !usesSpringRetry && !usesSpringCore && !usesSpringBackOff)
    return found.filter((f): f is LibraryRetry => f !== null);
  if (usesSpringRetry)
    for (const creation of syntax.creations(root)) found.push(await springBackOffPolicy(ctx, creation));
  if (usesSpringBackOff)
    for (const creation of syntax.creations(root)) found.push(await springFixedBackOff(ctx, creation));
  for (const outer of syntax.outerCalls(root)) {
    if (usesResilience4j) found.push(await resilience4j(ctx, outer));
    if (usesFailsafe) found.push(await failsafe(ctx, outer));
    if (usesSpringRetry) found.push(await springRetryTemplate(ctx, outer));
    if (usesSpringCore) found.push(await springPolicyBuilder(ctx, outer));
  }
  return found.filter((f): f is LibraryRetry => f !== null);
}

/**
 * Spring Retry's `ExponentialBackOffPolicy` and `FixedBackOffPolicy` configured through setters on the
 * variable holding them (`policy.setInitialInterval(200)`). Defaults from spring-retry: initial
 * interval 100 ms, multiplier 2 (values at or below 1 are taken as 1: a fixed wait), fixed period
 * 1000 ms. Their `…Random…` variants are jittered.
 */
async function springBackOffPolicy(ctx: LibraryContext, creation: Node): Promise<LibraryRetry | null> {
  const type = (ctx.syntax.constructed(creation) ?? '').replace(/<.*$/s, '').replace(/^.*\./, '');
  if (type !== 'ExponentialBackOffPolicy' && type !== 'FixedBackOffPolicy') return null;
  if (ctx.syntax.subclassed(creation)) return null;
  const setters = ctx.syntax.setters(creation);
  if (type === 'FixedBackOffPolicy') {
    const period = await number(ctx, setters.get('setBackOffPeriod'), SPRING_FIXED_PERIOD_MS);
    return finding(
      'spring-retry',
      period,
      creation,
      creation,
      '`FixedBackOffPolicy` waits the same period between attempts',
    );
  }
  const initial = await number(ctx, setters.get('setInitialInterval'), SPRING_EXPONENTIAL_INITIAL_MS);
  const multiplier = await number(ctx, setters.get('setMultiplier'), SPRING_EXPONENTIAL_MULTIPLIER);
  if (multiplier.kind !== 'const') return null;
  if (multiplier.ms <= 1)
    return finding(
      'spring-retry',
      initial,
      creation,
      creation,
      '`ExponentialBackOffPolicy` with a multiplier of at most 1 waits its initial interval every time',
    );
  return finding(
    'spring-retry',
    {
      kind: 'exponential',
      ...(initial.kind === 'const' ? { baseMs: initial.ms } : {}),
      factor: multiplier.ms,
    },
    creation,
    creation,
    '`ExponentialBackOffPolicy` grows without jitter (`ExponentialRandomBackOffPolicy` picks each wait at random)',
  );
}

/** The initialiser of the local variable `name` refers to, declared earlier in an enclosing block. */
function localInitializer(name: Node): Node | null {
  for (let scope = name.parent; scope; scope = scope.parent) {
    if (scope.type !== 'block') continue;
    for (const statement of namedChildren(scope)) {
      if (statement.startIndex >= name.startIndex) break;
      if (statement.type !== 'local_variable_declaration') continue;
      for (const declarator of namedChildren(statement))
        if (declarator.childForFieldName('name')?.text === name.text)
          return declarator.childForFieldName('value');
    }
  }
  return null;
}

/** Setter arguments on the variable a `new T()` is stored in, within its block (`policy.setX(v)`). */
function javaSetters(creation: Node): Map<string, Node> {
  const holder =
    creation.parent?.type === 'variable_declarator'
      ? creation.parent.childForFieldName('name')?.text
      : creation.parent?.type === 'assignment_expression'
        ? creation.parent.childForFieldName('left')?.text
        : undefined;
  const setters = new Map<string, Node>();
  let scope: Node | null = creation.parent;
  while (scope && scope.type !== 'block') scope = scope.parent;
  if (holder && scope) {
    for (const call of descendantsOfTypes(scope, new Set(['method_invocation']))) {
      const [arg] = argumentsOf(call);
      if (call.childForFieldName('object')?.text === holder && arg)
        setters.set(call.childForFieldName('name')?.text ?? '', arg);
    }
  }
  return setters;
}

const JAVA_SYNTAX: JvmSyntax = {
  imports: importsOf,
  annotations: (root) => descendantsOfTypes(root, new Set(['annotation', 'marker_annotation'])),
  annotationName: (annotation) => (annotation.childForFieldName('name')?.text ?? '').replace(/^.*\./, ''),
  annotationPairs: (node) =>
    node.type === 'annotation' || node.type === 'marker_annotation' ? annotationPairs(node) : null,
  outerCalls,
  chainOf,
  constructed: (node) =>
    node.type === 'object_creation_expression' ? (node.childForFieldName('type')?.text ?? null) : null,
  creations: (root) => descendantsOfTypes(root, new Set(['object_creation_expression'])),
  subclassed: (creation) => namedChildren(creation).some((c) => c.type === 'class_body'),
  setters: javaSetters,
  localInitializer,
};

/**
 * `new FixedBackOff(interval, maxAttempts)` from `org.springframework.util.backoff` (what Spring Kafka's
 * error handlers take): the same interval every time, 5000 ms by default, settable afterwards with
 * `setInterval`. No attempts (`maxAttempts` 0) means no wait at all.
 */
async function springFixedBackOff(ctx: LibraryContext, creation: Node): Promise<LibraryRetry | null> {
  const type = (ctx.syntax.constructed(creation) ?? '').replace(/^.*\./, '');
  if (type !== 'FixedBackOff' || ctx.syntax.subclassed(creation)) return null;
  const args = constructorArguments(creation);
  if (!args) return null;
  const [intervalArg, attemptsArg] = args;
  const setters = ctx.syntax.setters(creation);
  const attempts = attemptsArg ?? setters.get('setMaxAttempts');
  const count = attempts ? await ctx.value(attempts) : null;
  if (count?.kind === 'const' && count.ms <= 0) return null;
  const interval = await number(
    ctx,
    setters.get('setInterval') ?? intervalArg,
    SPRING_UTIL_FIXED_INTERVAL_MS,
  );
  return finding(
    'spring-framework',
    interval,
    creation,
    creation,
    '`FixedBackOff` waits the same interval between attempts (`ExponentialBackOff` with `jitter` varies it)',
  );
}

/**
 * The positional arguments of a constructor call in either language's tree (`new T(a, b)`, `T(a, b)`);
 * null when an argument is named (`T(interval = a)`), whose position then says nothing.
 */
function constructorArguments(creation: Node): Node[] | null {
  const list = namedChildren(creation).find(
    (c) => c.type === 'argument_list' || c.type === 'value_arguments',
  );
  if (!list) return [];
  const args = namedChildren(list).filter((arg) => arg.type !== 'comment');
  if (args.some((arg) => arg.type === 'value_argument' && arg.children.some((c) => c?.type === '=')))
    return null;
  return args.map((arg) => (arg.type === 'value_argument' ? arg.namedChild(arg.namedChildCount - 1)! : arg));
}
