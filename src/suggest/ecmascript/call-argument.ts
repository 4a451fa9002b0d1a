import { ts } from 'ts-morph';
import type { Finding, WaitForm } from '../../analysis/finding.js';
import { normaliseCode } from '../../analysis/finding.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';
import { formatNumber, jitterCode } from './jitter-code.js';
import { counterNote } from '../loop-counter.js';
import { ECMASCRIPT_COUNTER_WORDS, introducedCounter } from './counter.js';
import { helperImport } from './repo-helper.js';
import { calleeName, numericValue, unwrap, type EcmaSource } from './source.js';

/** A sleep helper taking seconds: its literal is a thousandth of the evaluated milliseconds. */
const SECONDS_PER_MS = 0.001;

type CallArgumentForm = Extract<WaitForm, { kind: 'call-argument' }>;

/** True for `Math.min(…)`: the delay is already capped and needs no second cap. */
export function isCappedExpression(node: ts.Expression): boolean {
  const inner = unwrap(node);
  return (
    ts.isCallExpression(inner) &&
    ts.isPropertyAccessExpression(inner.expression) &&
    ts.isIdentifier(inner.expression.expression) &&
    inner.expression.expression.text === 'Math' &&
    calleeName(inner) === 'min'
  );
}

/**
 * Units of the delay argument per millisecond. `setTimeout` always takes milliseconds; a sleep helper
 * may take seconds, which shows when its literal argument differs from the evaluated delay.
 */
export function unitScale(finding: Finding, argument: ts.Expression, call: CallArgumentForm['call']): number {
  if (call !== 'sleep-helper') return 1;
  const literal = numericValue(argument);
  const ms = finding.delay.kind === 'fixed' ? finding.delay.ms : finding.delay.baseMs;
  if (literal === undefined || ms === undefined || ms <= 0 || finding.delay.kind !== 'fixed') return 1;
  return literal / ms;
}

/**
 * `sleep(N)`, `new Promise((r) => setTimeout(r, N))`, `await setTimeout(N)` from timers/promises and
 * `setTimeout(() => retry(), N)`: the delay argument is replaced by a jittered one (or a call to the
 * repository's own helper).
 */
export function rewriteCallArgument(
  finding: Finding,
  form: CallArgumentForm,
  source: EcmaSource,
  options: SuggestOptions,
): RewriteResult {
  const node = source.nodeAt(form.argument.startOffset, form.argument.endOffset);
  const strategy = options.strategy;
  if (
    node === undefined ||
    !ts.isExpression(node) ||
    normaliseCode(source.textOf(node)) !== normaliseCode(form.argumentText)
  ) {
    return refuse(
      strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise the delay ${inlineCode(form.argumentText)}, for example with full jitter.`,
    );
  }
  const argument: PlannedEdit = {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    newText: '',
  };
  const helper = options.repoHelper;
  // A helper that takes the attempt, in a loop that counts nothing: the patch brings the counter.
  const counter =
    helper?.takesAttempt && finding.attemptVar === undefined ? introducedCounter(source, node) : null;
  const attempt = finding.attemptVar ?? counter?.name;
  if (helper !== undefined && (!helper.takesAttempt || attempt !== undefined)) {
    const call = `${helper.name}(${helper.takesAttempt ? attempt : form.argumentText})`;
    const edits: PlannedEdit[] = [{ ...argument, newText: call }];
    const importEdit = helperImport(source, helper);
    if (importEdit !== undefined) edits.push(importEdit);
    if (counter) edits.push(...counter.edits);
    const counted = counter ? counterNote(ECMASCRIPT_COUNTER_WORDS, counter) : '';
    return plan(
      strategy,
      `Wait ${inlineCode(call)} instead of ${inlineCode(form.argumentText)}: the repository already has a jitter helper, ${inlineCode(helper.name)} in ${inlineCode(helper.path)}.${counted}`,
      ...edits,
    );
  }
  const scale = unitScale(finding, node, form.call);
  const code = jitterCode({
    language: finding.language,
    delay: finding.delay,
    current: form.argumentText,
    currentIsCapped: isCappedExpression(node),
    ...(finding.attemptVar === undefined ? {} : { attempt: finding.attemptVar }),
    unitScale: scale,
    options,
  });
  if (code === null) {
    return refuse(
      strategy,
      `no jitter template for ${finding.language}`,
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  }
  const unit = scale === SECONDS_PER_MS ? 'seconds' : `units of ${formatNumber(1 / scale)} ms`;
  const unitNote =
    scale === 1 ? '' : ` ${inlineCode(form.argumentText)} is in ${unit}, so the cap is written in them too.`;
  return plan(code.strategy, code.description + unitNote, { ...argument, newText: code.expression });
}
