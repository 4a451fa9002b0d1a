import { UNKNOWN, type DelayValue } from '../../delay.js';
import type { Node } from '../tree-sitter/runtime.js';
import { rangeOf } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import type { LibraryRetry } from '../java/report.js';
import { argumentsOf, type RustEnv, type RustEvaluator, type RustFile } from './evaluate.js';

/**
 * Rust retry crates configured without jitter (RULES.md section 3):
 * - tokio-retry: `FixedInterval` is fixed, `ExponentialBackoff`/`FibonacciBackoff` grow; both are
 *   jittered only by `.map(jitter)`.
 * - backon: `ConstantBuilder` (1 s by default) and `ExponentialBuilder` (1 s, factor 2) have jitter
 *   off until `.with_jitter()`.
 * - backoff: `backoff::Constant` is fixed; `ExponentialBackoff` is randomised (factor 0.5 by default)
 *   unless `randomization_factor` is set to 0.
 */

const BACKON_DEFAULT_DELAY_MS = 1_000;
const BACKON_DEFAULT_FACTOR = 2;

/** A constructor call and the method calls chained on it (`X::new(a).b().c()`), outermost last. */
function chainAbove(call: Node): { outer: Node; methods: { name: string; args: Node[]; node: Node }[] } {
  const methods: { name: string; args: Node[]; node: Node }[] = [];
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
  library: LibraryRetry['library'],
  delay: DelayValue,
  anchor: Node,
  target: Node,
  evidence: string,
): LibraryRetry | null {
  const rule =
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
    anchor: { range: rangeOf(anchor), text: anchor.text },
    target: { range: rangeOf(target), text: target.text },
    evidence,
  };
}

function uses(file: RustFile, crate: RegExp): boolean {
  return (
    descendantsOfTypes(
      file.tree.rootNode,
      new Set(['use_declaration', 'extern_crate_declaration', 'scoped_identifier', 'scoped_type_identifier']),
      new Set(['function_item']),
    ).some((node) => crate.test(node.text)) || crate.test(file.tree.rootNode.text)
  );
}

export async function findCrateRetries(
  file: RustFile,
  evaluator: RustEvaluator,
  env: () => RustEnv,
): Promise<LibraryRetry[]> {
  const root = file.tree.rootNode;
  const tokioRetry = uses(file, /\btokio_retry2?\b/);
  const backon = uses(file, /\bbackon\b/);
  const backoffCrate = uses(file, /\bbackoff::/);
  if (!tokioRetry && !backon && !backoffCrate) return [];
  const found: (LibraryRetry | null)[] = [];
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
      const base = args[0] ? await evaluator.evaluate(args[0], env()) : UNKNOWN('no argument');
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
          ? await evaluator.evaluate(delay.args[0], env())
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
          ? await evaluator.evaluate(min.args[0], env())
          : { kind: 'const' as const, ms: BACKON_DEFAULT_DELAY_MS };
        const growth = factor?.args[0]
          ? await evaluator.evaluate(factor.args[0], env())
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
      const value = await evaluator.evaluate(args[0], env());
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
      if (factor?.args[0] && /^0(\.0*)?(_?f64)?$/.test(factor.args[0].text)) {
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
      if (field && value && /^0(\.0*)?(_?f64)?$/.test(value.text)) {
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
  return found.filter((f): f is LibraryRetry => f !== null);
}
