import { UNKNOWN, type DelayValue } from '../../delay.js';
import type { RetryLibrary } from '../../finding.js';
import { snippet, tailSnippet, type LibraryDraftInput } from '../tree-sitter/findings.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import { argumentsOf } from './lower.js';

/**
 * Rust retry crates configured without jitter (RULES.md section 3):
 * - tokio-retry: `FixedInterval` is fixed, `ExponentialBackoff`/`FibonacciBackoff` grow; both are
 *   jittered only by `.map(jitter)`.
 * - backon: `ConstantBuilder` (1 s by default) and `ExponentialBuilder` (1 s, factor 2) have jitter
 *   off until `.with_jitter()`.
 * - backoff: `backoff::Constant` is fixed; `ExponentialBackoff` is randomised (factor 0.5 by default)
 *   unless `randomization_factor` is set to 0.
 * - tryhard: `.fixed_backoff(d)`, `.linear_backoff(d)` (`d * attempt`) and `.exponential_backoff(d)`
 *   (doubling) have no jitter option at all; only a `.custom_backoff(…)` closure can add it.
 */

const BACKON_DEFAULT_DELAY_MS = 1_000;

/** The value of an expression of the file as the engine follows it, in milliseconds for a `Duration`. */
export type ValueOf = (node: Node) => Promise<DelayValue>;
const BACKON_DEFAULT_FACTOR = 2;

interface MethodCall {
  name: string;
  args: Node[];
  node: Node;
}

/** A constructor call and the method calls chained on it (`X::new(a).b().c()`), outermost last. */
function chainAbove(call: Node): { outer: Node; methods: MethodCall[] } {
  const methods: MethodCall[] = [];
  let outer = call;
  for (;;) {
    const field = outer.parent;
    const next = field?.parent;
    if (
      field?.type !== 'field_expression' ||
      next?.type !== 'call_expression' ||
      !field.childForFieldName('value')?.equals(outer)
    )
      break;
    methods.push({ name: field.childForFieldName('field')?.text ?? '', args: argumentsOf(next), node: next });
    outer = next;
  }
  return { outer, methods };
}

function retry(
  library: RetryLibrary,
  value: DelayValue,
  anchor: Node,
  target: Node,
  evidence: string,
): LibraryDraftInput {
  return { library, value, anchor: snippet(anchor), target: snippet(target), evidence: [evidence] };
}

/** `0.0`, `0_f64`, or a constant that folds to zero: the backoff crate's jitter turned off. */
async function isZero(node: Node, valueOf: ValueOf): Promise<boolean> {
  const value = await valueOf(node);
  return value.kind === 'const' && value.ms === 0;
}

/** tryhard's built-in strategies, as a method on `retry_fn(…)` or `RetryFutureConfig::new(…)`. */
const TRYHARD_STRATEGIES: Record<string, string> = {
  fixed_backoff: 'waits the same delay every time',
  linear_backoff: 'grows by the same delay every attempt, without randomness',
  exponential_backoff: 'doubles without randomness',
};

/** Evidence that the rewrite reads: each wait is capped by tryhard's `.max_delay(d)`, applied after the strategy. */
export const TRYHARD_CAP_EVIDENCE = 'tryhard caps each wait with `.max_delay`:';

/**
 * The method calls a call is chained on, innermost first, and the call the chain starts from:
 * `.retries(3)` and `tryhard::retry_fn(f)` below `tryhard::retry_fn(f).retries(3).fixed_backoff(d)`.
 */
function chainBelow(call: Node): { root: Node; methods: MethodCall[] } {
  const methods: MethodCall[] = [];
  let current = call;
  for (;;) {
    const callee = current.childForFieldName('function');
    const receiver = callee?.type === 'field_expression' ? callee.childForFieldName('value') : null;
    if (receiver?.type !== 'call_expression') break;
    const field = receiver.childForFieldName('function');
    if (field?.type === 'field_expression')
      methods.push({
        name: field.childForFieldName('field')?.text ?? '',
        args: argumentsOf(receiver),
        node: receiver,
      });
    current = receiver;
  }
  return { root: current, methods };
}

async function tryhardRetry(call: Node, valueOf: ValueOf): Promise<LibraryDraftInput | null> {
  const callee = call.childForFieldName('function');
  const method = callee?.type === 'field_expression' ? (callee.childForFieldName('field')?.text ?? '') : '';
  const behaviour = TRYHARD_STRATEGIES[method];
  const argument = argumentsOf(call)[0];
  if (!behaviour || !argument) return null;
  const below = chainBelow(call);
  const start = below.root.childForFieldName('function')?.text ?? '';
  if (!/(^|::)(retry_fn|RetryFutureConfig::new)$/.test(start)) return null;
  const base = await valueOf(argument);
  const baseMs = base.kind === 'const' ? { baseMs: base.ms } : {};
  const value: DelayValue =
    method === 'fixed_backoff'
      ? base
      : method === 'linear_backoff'
        ? { kind: 'linear', ...baseMs }
        : { kind: 'exponential', ...baseMs, factor: 2 };
  // The comment and the rewrite cover `exponential_backoff(d)`, not the chain before it.
  const strategy = tailSnippet(callee!.childForFieldName('field')!, call);
  const cap = [...chainAbove(call).methods, ...below.methods].find((m) => m.name === 'max_delay');
  return {
    library: 'tryhard',
    value,
    anchor: strategy,
    target: strategy,
    evidence: [
      `tryhard \`.${method}(…)\` ${behaviour}: tryhard has no jitter option`,
      ...(cap?.args[0] ? [`${TRYHARD_CAP_EVIDENCE} \`${cap.args[0].text}\``] : []),
    ],
  };
}

export async function findCrateRetries(root: Node, valueOf: ValueOf): Promise<LibraryDraftInput[]> {
  const text = root.text;
  const found: LibraryDraftInput[] = [];
  if (/\btryhard\b/.test(text)) {
    for (const call of descendantsOfTypes(root, new Set(['call_expression']))) {
      const hit = await tryhardRetry(call, valueOf);
      if (hit) found.push(hit);
    }
  }
  const tokioRetry = /\btokio_retry2?\b/.test(text);
  const backon = /\bbackon\b/.test(text);
  const backoffCrate = /\bbackoff::/.test(text);
  if (!tokioRetry && !backon && !backoffCrate) return found;
  for (const call of descendantsOfTypes(root, new Set(['call_expression']))) {
    const callee = call.childForFieldName('function');
    if (callee?.type !== 'scoped_identifier') continue;
    const type = callee.childForFieldName('path')?.text.replace(/^.*::/, '') ?? '';
    const constructor = callee.childForFieldName('name')?.text ?? '';
    const args = argumentsOf(call);
    const { methods } = chainAbove(call);
    const named = (name: string) => methods.find((m) => m.name === name);
    if (
      tokioRetry &&
      /^(FixedInterval|ExponentialBackoff|FibonacciBackoff)$/.test(type) &&
      /^(from_millis|new)$/.test(constructor)
    ) {
      if (methods.some((m) => m.name === 'map' && /jitter/.test(m.args[0]?.text ?? ''))) continue;
      const base = args[0] ? await valueOf(args[0]) : UNKNOWN('no argument');
      const ms =
        constructor === 'from_millis' && base.kind === 'const' ? base : constructor === 'new' ? base : base;
      const value: DelayValue =
        type === 'FixedInterval'
          ? ms
          : { kind: 'exponential', ...(ms.kind === 'const' ? { baseMs: ms.ms } : {}) };
      found.push(
        retry(
          'tokio-retry',
          value,
          call,
          call,
          `tokio-retry \`${type}\` without \`.map(jitter)\` ${type === 'FixedInterval' ? 'waits the same delay every time' : 'grows without randomness'}`,
        ),
      );
      continue;
    }
    if (
      backon &&
      /^(ConstantBuilder|ExponentialBuilder|FibonacciBuilder)$/.test(type) &&
      /^(default|new)$/.test(constructor)
    ) {
      if (named('with_jitter')) continue;
      if (type === 'ConstantBuilder') {
        const delay = named('with_delay');
        const value = delay?.args[0]
          ? await valueOf(delay.args[0])
          : { kind: 'const' as const, ms: BACKON_DEFAULT_DELAY_MS };
        found.push(
          retry(
            'backon',
            value,
            delay?.node ?? call,
            call,
            'backon `ConstantBuilder` without `.with_jitter()` waits the same delay every time',
          ),
        );
      } else {
        const min = named('with_min_delay');
        const factor = named('with_factor');
        const base = min?.args[0]
          ? await valueOf(min.args[0])
          : { kind: 'const' as const, ms: BACKON_DEFAULT_DELAY_MS };
        const growth = factor?.args[0]
          ? await valueOf(factor.args[0])
          : { kind: 'const' as const, ms: BACKON_DEFAULT_FACTOR };
        const value: DelayValue =
          growth.kind === 'const' && growth.ms === 1
            ? base
            : {
                kind: 'exponential',
                ...(base.kind === 'const' ? { baseMs: base.ms } : {}),
                ...(growth.kind === 'const' ? { factor: growth.ms } : {}),
              };
        found.push(
          retry(
            'backon',
            value,
            call,
            call,
            `backon \`${type}\` without \`.with_jitter()\` grows without randomness`,
          ),
        );
      }
      continue;
    }
    if (backoffCrate && type === 'Constant' && constructor === 'new' && args[0]) {
      const value = await valueOf(args[0]);
      found.push(
        retry(
          'backoff-rs',
          value,
          call,
          call,
          '`backoff::backoff::Constant` waits the same delay every time',
        ),
      );
      continue;
    }
    if (backoffCrate && type === 'ExponentialBackoffBuilder' && constructor === 'new') {
      const factor = named('with_randomization_factor');
      if (factor?.args[0] && (await isZero(factor.args[0], valueOf))) {
        found.push(
          retry(
            'backoff-rs',
            { kind: 'exponential' },
            factor.node,
            factor.args[0],
            "`with_randomization_factor(0.0)` turns off the backoff crate's jitter",
          ),
        );
      }
    }
  }
  if (backoffCrate) {
    for (const literal of descendantsOfTypes(root, new Set(['struct_expression']))) {
      if (!/ExponentialBackoff$/.test(literal.childForFieldName('name')?.text ?? '')) continue;
      const body = literal.childForFieldName('body');
      const field = body
        ? namedChildren(body).find(
            (f) =>
              f.type === 'field_initializer' && f.childForFieldName('field')?.text === 'randomization_factor',
          )
        : undefined;
      const value = field?.childForFieldName('value');
      if (field && value && (await isZero(value, valueOf))) {
        found.push(
          retry(
            'backoff-rs',
            { kind: 'exponential' },
            field,
            value,
            "`randomization_factor: 0.0` turns off the backoff crate's jitter",
          ),
        );
      }
    }
  }
  return found;
}
