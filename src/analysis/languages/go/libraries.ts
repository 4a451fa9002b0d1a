import type { LibraryHit } from '../tree-sitter/findings.js';
import { UNKNOWN, type DelayValue } from '../../delay.js';
import { constMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, enclosing, field, namedChildren, some } from '../tree-sitter/syntax.js';
import { callArguments, qualified } from './package.js';
import { FUNCTION_TYPES } from './retry-context.js';

/**
 * Go retry libraries configured without jitter (RULES.md section 3): cenkalti/backoff,
 * avast/retry-go and hashicorp/go-retryablehttp, each read with its own defaults. The values they
 * are given are read through the value-flow engine (`Millis`).
 */

/** A library check's hit, with its nodes (copied out as snippets before the tree is freed). */
export type GoLibraryFinding = LibraryHit;

const CENKALTI = /^github\.com\/cenkalti\/backoff(\/v\d+)?$/;
const RETRY_GO = /^github\.com\/avast\/retry-go(\/v\d+)?$/;
const RETRYABLEHTTP = /^github\.com\/hashicorp\/go-retryablehttp$/;
const RESILIENCY = /^github\.com\/eapache\/go-resiliency\/retrier$/;
/** avast/retry-go: `Delay` 100 ms by default (and `MaxJitter` 100 ms). */
const RETRY_GO_DEFAULT_DELAY_MS = 100;
/** go-retryablehttp `NewClient()`: `RetryWaitMin` 1 s, doubled by `DefaultBackoff`. */
const RETRYABLEHTTP_WAIT_MIN_MS = 1_000;
/** cenkalti/backoff `ExponentialBackOff` multiplier when a literal leaves it out: `DefaultMultiplier`. */
const CENKALTI_DEFAULT_MULTIPLIER = 1.5;

/** The value of the expression at `node` in milliseconds, as the value-flow engine follows it. */
export type Millis = (node: Node) => Promise<DelayValue>;

/** Whether a file imports one of the retry libraries checked here. */
export function importsRetryLibrary(imports: ReadonlyMap<string, string>): boolean {
  return [...imports.values()].some(
    (p) => CENKALTI.test(p) || RETRY_GO.test(p) || RETRYABLEHTTP.test(p) || RESILIENCY.test(p),
  );
}

export async function findLibraryRetries(
  root: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding[]> {
  if (!importsRetryLibrary(imports)) return [];
  const found: GoLibraryFinding[] = [];
  const push = (finding: GoLibraryFinding | null) => {
    if (finding) found.push(finding);
  };
  for (const node of descendantsOfTypes(
    root,
    new Set(['call_expression', 'composite_literal', 'assignment_statement']),
  )) {
    if (node.type === 'call_expression') {
      const callee = field(node, 'function');
      const name = callee ? qualified(callee, imports) : '';
      const pkg = name.slice(0, name.lastIndexOf('.'));
      const member = name.slice(name.lastIndexOf('.') + 1);
      if (CENKALTI.test(pkg)) push(await cenkaltiCall(node, member, ms));
      else if (RETRY_GO.test(pkg) && member === 'DelayType') push(await retryGoDelayType(node, imports, ms));
      else if (RETRY_GO.test(pkg) && member === 'MaxJitter') push(await retryGoMaxJitter(node, imports, ms));
      else if (RETRYABLEHTTP.test(pkg) && member === 'NewClient')
        push(await retryablehttpClient(node, imports, ms));
      else if (RESILIENCY.test(pkg) && member === 'New') push(await resiliencyRetrier(node, imports, ms));
    } else if (node.type === 'composite_literal') {
      push(await cenkaltiLiteral(node, imports, ms));
    } else {
      push(await randomizationAssignment(node, ms));
    }
  }
  return found;
}

// -------------------------------------------------------------------------------- cenkalti/backoff

async function cenkaltiCall(call: Node, member: string, ms: Millis): Promise<GoLibraryFinding | null> {
  const args = callArguments(call);
  if (member === 'NewConstantBackOff' && args[0]) {
    const value = await ms(args[0]);
    return {
      library: 'cenkalti-backoff',
      value,
      anchor: call,
      target: call,
      evidence: `\`backoff.NewConstantBackOff(${args[0].text})\` waits the same interval before every retry`,
    };
  }
  if (member === 'WithRandomizationFactor' && args[0]) {
    const factor = await ms(args[0]);
    if (factor.kind !== 'const' || factor.ms !== 0) return null;
    return {
      library: 'cenkalti-backoff',
      value: { kind: 'exponential', factor: CENKALTI_DEFAULT_MULTIPLIER },
      anchor: call,
      target: args[0],
      evidence: '`WithRandomizationFactor(0)` turns off the randomization of the exponential backoff',
    };
  }
  return null;
}

/** `&backoff.ExponentialBackOff{…}`: `RandomizationFactor` left out is zero, which is no jitter at all. */
async function cenkaltiLiteral(
  literal: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding | null> {
  const type = field(literal, 'type');
  if (!type || type.type !== 'qualified_type') return null;
  const pkg = imports.get(field(type, 'package')?.text ?? '');
  const name = field(type, 'name')?.text;
  if (!pkg || !CENKALTI.test(pkg)) return null;
  const body = field(literal, 'body');
  const elements = body ? namedChildren(body).filter((e) => e.type === 'keyed_element') : [];
  const keyed = new Map(elements.map((e) => [keyOf(e), e]));
  if (name === 'ConstantBackOff') {
    // `&backoff.ConstantBackOff{Interval: d}`: the same interval every time (zero when left out).
    const interval = keyed.get('Interval');
    const value = interval && valueOf(interval) ? await ms(valueOf(interval)!) : constMs(0);
    // A rewrite replaces the whole `&backoff.ConstantBackOff{…}` (a value literal has no such rewrite).
    const whole = literal.parent?.type === 'unary_expression' ? literal.parent : literal;
    return {
      library: 'cenkalti-backoff',
      value,
      anchor: literal,
      target: whole,
      evidence: 'a `ConstantBackOff` literal waits the same `Interval` before every retry',
    };
  }
  if (name !== 'ExponentialBackOff') return null;
  const randomization = keyed.get('RandomizationFactor');
  if (randomization) {
    const value = valueOf(randomization);
    const factor = value ? await ms(value) : UNKNOWN('factor');
    if (factor.kind !== 'const' || factor.ms !== 0) return null;
  }
  const initial = keyed.get('InitialInterval');
  const base = initial && valueOf(initial) ? await ms(valueOf(initial)!) : UNKNOWN('initial interval');
  const value: DelayValue = {
    kind: 'exponential',
    baseMs: base.kind === 'const' ? base.ms : undefined,
    factor: CENKALTI_DEFAULT_MULTIPLIER,
  };
  return {
    library: 'cenkalti-backoff',
    value,
    anchor: randomization ?? literal,
    target: randomization ?? literal,
    evidence: randomization
      ? '`RandomizationFactor: 0` turns off the randomization of the exponential backoff'
      : 'an `ExponentialBackOff` literal without `RandomizationFactor` has a factor of zero (no jitter); `NewExponentialBackOff()` sets 0.5',
  };
}

/** `b.RandomizationFactor = 0` after `NewExponentialBackOff()`. */
async function randomizationAssignment(assignment: Node, ms: Millis): Promise<GoLibraryFinding | null> {
  const left = field(assignment, 'left')?.namedChild(0);
  const right = field(assignment, 'right')?.namedChild(0);
  if (left?.type !== 'selector_expression' || field(left, 'field')?.text !== 'RandomizationFactor' || !right)
    return null;
  const factor = await ms(right);
  if (factor.kind !== 'const' || factor.ms !== 0) return null;
  return {
    library: 'cenkalti-backoff',
    value: { kind: 'exponential', factor: CENKALTI_DEFAULT_MULTIPLIER },
    anchor: assignment,
    target: right,
    evidence: '`RandomizationFactor = 0` turns off the randomization of the exponential backoff',
  };
}

function keyOf(element: Node): string {
  return field(element, 'key')?.text ?? '';
}

function valueOf(element: Node): Node | null {
  const value = field(element, 'value');
  return value?.type === 'literal_element' ? value.namedChild(0) : value;
}

// ------------------------------------------------------------------------------------- retry-go

/** The other options next to one: the call's argument list, or the `[]retry.Option{…}` literal. */
function siblingOptions(option: Node): Node[] {
  const parent = option.parent;
  if (!parent) return [];
  if (parent.type === 'argument_list') return namedChildren(parent);
  if (parent.type === 'literal_element' && parent.parent?.type === 'literal_value') {
    return namedChildren(parent.parent).map((element) => element.namedChild(0) ?? element);
  }
  return [];
}

function optionNamed(options: Node[], member: string, imports: ReadonlyMap<string, string>): Node | null {
  return (
    options.find((option) => {
      if (option.type !== 'call_expression') return false;
      const callee = field(option, 'function');
      const name = callee ? qualified(callee, imports) : '';
      return RETRY_GO.test(name.slice(0, name.lastIndexOf('.'))) && name.endsWith(`.${member}`);
    }) ?? null
  );
}

async function retryGoBase(
  options: Node[],
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<DelayValue> {
  const delay = optionNamed(options, 'Delay', imports);
  const arg = delay ? field(delay, 'arguments')?.namedChild(0) : null;
  return arg ? ms(arg) : constMs(RETRY_GO_DEFAULT_DELAY_MS);
}

async function retryGoDelayType(
  call: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding | null> {
  const arg = field(call, 'arguments')?.namedChild(0);
  if (!arg) return null;
  const name = qualified(arg, imports);
  const member = name.slice(name.lastIndexOf('.') + 1);
  const options = siblingOptions(call);
  const base = await retryGoBase(options, imports, ms);
  if (member === 'FixedDelay') {
    return {
      library: 'retry-go',
      value: base,
      anchor: call,
      target: arg,
      evidence: '`retry.DelayType(retry.FixedDelay)` waits the same `Delay` before every attempt',
    };
  }
  if (member === 'BackOffDelay') {
    const value: DelayValue = {
      kind: 'exponential',
      baseMs: base.kind === 'const' ? base.ms : undefined,
      factor: 2,
    };
    return {
      library: 'retry-go',
      value,
      anchor: call,
      target: arg,
      evidence: '`retry.DelayType(retry.BackOffDelay)` doubles the delay without the default `RandomDelay`',
    };
  }
  return null;
}

/** `retry.MaxJitter(0)` with the default delay type leaves `BackOffDelay` alone. */
async function retryGoMaxJitter(
  call: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding | null> {
  const arg = field(call, 'arguments')?.namedChild(0);
  if (!arg) return null;
  const options = siblingOptions(call);
  if (optionNamed(options, 'DelayType', imports)) return null;
  const jitter = await ms(arg);
  if (jitter.kind !== 'const' || jitter.ms !== 0) return null;
  const base = await retryGoBase(options, imports, ms);
  const value: DelayValue = {
    kind: 'exponential',
    baseMs: base.kind === 'const' ? base.ms : undefined,
    factor: 2,
  };
  return {
    library: 'retry-go',
    value,
    anchor: call,
    target: arg,
    evidence:
      '`retry.MaxJitter(0)` removes the random part of the default `CombineDelay(BackOffDelay, RandomDelay)`',
  };
}

// ---------------------------------------------------------------------------- go-retryablehttp

/**
 * `retryablehttp.NewClient()` backs off with `DefaultBackoff` (exponential, no jitter) unless the
 * same function sets `client.Backoff` to a jittered one.
 */
async function retryablehttpClient(
  call: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding | null> {
  const statement = call.parent?.parent;
  if (
    !statement ||
    (statement.type !== 'short_var_declaration' &&
      statement.type !== 'assignment_statement' &&
      statement.type !== 'var_spec')
  )
    return null;
  const variable = (
    statement.type === 'var_spec' ? field(statement, 'name') : field(statement, 'left')?.namedChild(0)
  )?.text;
  if (!variable) return null;
  const scope = enclosing(call, FUNCTION_TYPES) ?? call.tree.rootNode;
  let backoff: Node | null = null;
  some(scope, (node) => {
    if (node.type === 'assignment_statement' && field(node, 'left')?.text === `${variable}.Backoff`)
      backoff = field(node, 'right')?.namedChild(0) ?? null;
    return false;
  });
  if (backoff) {
    const chosen: Node = backoff;
    if (chosen.type === 'func_literal') return customBackoff(chosen, ms);
    if (!/\.DefaultBackoff$/.test(qualified(chosen, imports))) return null;
    const value: DelayValue = { kind: 'exponential', baseMs: RETRYABLEHTTP_WAIT_MIN_MS, factor: 2 };
    return {
      library: 'go-retryablehttp',
      value,
      anchor: chosen.parent!.parent!,
      target: chosen,
      evidence: '`DefaultBackoff` doubles `RetryWaitMin` on every attempt without jitter',
    };
  }
  const value: DelayValue = { kind: 'exponential', baseMs: RETRYABLEHTTP_WAIT_MIN_MS, factor: 2 };
  return {
    library: 'go-retryablehttp',
    value,
    anchor: call,
    target: statement,
    evidence:
      '`retryablehttp.NewClient()` backs off with `DefaultBackoff` (`RetryWaitMin` × 2ⁿ, no jitter) unless `Backoff` is set',
  };
}

/** `client.Backoff = func(min, max time.Duration, n int, resp *http.Response) time.Duration { return 2 * time.Second }`. */
async function customBackoff(fn: Node, ms: Millis): Promise<GoLibraryFinding | null> {
  const returns = descendantsOfTypes(fn, new Set(['return_statement']));
  const only = returns.length === 1 ? returns[0]!.namedChild(0)?.namedChild(0) : null;
  if (!only) return null;
  const value = await ms(only);
  if (value.kind !== 'const') return null;
  return {
    library: 'go-retryablehttp',
    value,
    anchor: fn,
    target: fn,
    evidence: 'the custom `Backoff` returns the same duration for every attempt',
  };
}

// -------------------------------------------------------------------------- eapache/go-resiliency

/**
 * `retrier.New(retrier.ConstantBackoff(n, d), class)` waits `d` each time and `ExponentialBackoff(n,
 * d)` doubles it; the retrier adds no jitter unless `SetJitter` is called on it (0 by default).
 */
async function resiliencyRetrier(
  call: Node,
  imports: ReadonlyMap<string, string>,
  ms: Millis,
): Promise<GoLibraryFinding | null> {
  const backoff = callArguments(call)[0];
  const callee = backoff?.type === 'call_expression' ? field(backoff, 'function') : null;
  const name = callee ? qualified(callee, imports) : '';
  const kind = /\.(ConstantBackoff|ExponentialBackoff|LimitedExponentialBackoff)$/.exec(name)?.[1];
  const amount = backoff ? callArguments(backoff)[1] : undefined;
  if (!backoff || !kind || !amount || !RESILIENCY.test(name.slice(0, name.lastIndexOf('.')))) return null;
  const statement = call.parent?.parent;
  const assigned =
    statement?.type === 'short_var_declaration' || statement?.type === 'assignment_statement'
      ? field(statement, 'left')?.namedChild(0)?.text
      : undefined;
  if (assigned) {
    const scope = enclosing(call, FUNCTION_TYPES) ?? call.tree.rootNode;
    let jitter: Node | null = null;
    some(scope, (node) => {
      if (node.type !== 'call_expression' || jitter) return false;
      if (field(node, 'function')?.text === `${assigned}.SetJitter`) jitter = callArguments(node)[0] ?? null;
      return false;
    });
    if (jitter) {
      const factor = await ms(jitter);
      // `SetJitter` ignores values outside 0–1; anything else in range spreads the clients.
      if (factor.kind !== 'const' || factor.ms !== 0) return null;
    }
  }
  const base = await ms(amount);
  const value: DelayValue =
    kind === 'ConstantBackoff'
      ? base
      : { kind: 'exponential', baseMs: base.kind === 'const' ? base.ms : undefined, factor: 2 };
  return {
    library: 'go-resiliency',
    value,
    anchor: backoff,
    target: assigned && statement ? statement : call,
    evidence:
      kind === 'ConstantBackoff'
        ? '`retrier.ConstantBackoff` waits the same amount before every retry, and the retrier adds no jitter without `SetJitter`'
        : `\`retrier.${kind}\` doubles the wait, and the retrier adds no jitter without \`SetJitter\``,
  };
}
