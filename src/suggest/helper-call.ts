import type { Finding } from '../analysis/finding.js';
import { countsUp } from './attempt.js';
import { inlineCode } from './inline-code.js';
import {
  counterNote,
  introducedCounter,
  type CounterSyntax,
  type IntroducedCounter,
} from './loop-counter.js';
import { plan, type PlannedEdit, type RewritePlan } from './plan.js';
import type { RepoJitterHelper, SuggestOptions } from './types.js';

/**
 * Calling the repository's own jitter helper in place of a wait, the parts every language shares:
 * what the call passes (the attempt, the wait's delay, its base and the cap, as the helper's
 * declaration asks) and the words of the patch. Each language writes the reference and the types.
 */

/** Parameters after the first that a backoff helper may declare: where the window starts, and its cap. */
const BASE_PARAM = /^(base|initial|min|delay|interval|unit|step)/i;
const CAP_PARAM = /^(cap|max|limit|ceil)/i;

/** The wait being replaced: the delay argument's range and text. */
export interface WaitArgument {
  start: number;
  end: number;
  text: string;
}

/** The values a call of the helper is given, as the patched language writes them. */
export interface HelperValues {
  /** The attempt, for a helper that takes one; the wait's own delay, for one that jitters a delay. */
  first: string;
  /** Where the wait's window starts, for a `base` parameter; absent when the wait does not say. */
  base?: string;
  /** The configured cap, for a `cap`/`max` parameter. */
  cap: string;
}

/**
 * The arguments of a call of the repository's helper in place of a wait, adapted to its declared
 * parameters: the attempt (or the delay) first, then a base and a cap when it requires them; a
 * parameter a call may leave out ends the list. Null when a required parameter is none of these,
 * or a keyword one: the patch then keeps its own expression.
 */
export function helperArguments(helper: RepoJitterHelper, values: HelperValues): string[] | null {
  const params = helper.signature?.params ?? [];
  if (params.length === 0) return null;
  const args = [values.first];
  for (const param of params.slice(1)) {
    if (param.optional) break;
    if (param.keyword) return null;
    if (BASE_PARAM.test(param.name) && values.base !== undefined) args.push(values.base);
    else if (CAP_PARAM.test(param.name)) args.push(values.cap);
    else return null;
  }
  return args;
}

/**
 * The attempt a helper that takes one is called with: the loop's own counter when the file visibly
 * counts it up, else one the patch brings (`counter`); null when there is neither. A counter the
 * analysis picked that nothing increments (a loop's bound, `for i := range retries`) is not used.
 */
export function helperAttempt(
  finding: Finding,
  fileText: string,
  argument: WaitArgument,
  syntax: CounterSyntax,
): { name: string; counter: IntroducedCounter | null } | null {
  const own = finding.attemptVar;
  if (own !== undefined && countsUp(fileText, own)) return { name: own, counter: null };
  const counter = introducedCounter(syntax, fileText, argument.start);
  return counter ? { name: counter.name, counter } : null;
}

/** The wait's base for a `base` parameter: the fixed delay itself, or where a growing one starts. */
export function helperBase(finding: Finding, argument: WaitArgument, fromMs: (ms: number) => string) {
  if (finding.delay.kind === 'fixed') return argument.text;
  return finding.delay.baseMs === undefined ? undefined : fromMs(finding.delay.baseMs);
}

/** The patch: the wait's argument becomes `call`, with the edits it needs and the counter it brings. */
export function helperPlan(
  options: SuggestOptions,
  argument: WaitArgument,
  call: string,
  syntax: CounterSyntax,
  counter: IntroducedCounter | null,
  ...edits: PlannedEdit[]
): RewritePlan {
  const helper = options.repoHelper!;
  const note = counter ? counterNote(syntax, counter) : '';
  return plan(
    options.strategy,
    `Wait ${inlineCode(call)} instead of ${inlineCode(argument.text)}: the repository already has a jitter helper, ${inlineCode(helper.name)} in ${inlineCode(helper.path)}.${note}`,
    { start: argument.start, end: argument.end, newText: call },
    ...edits,
    ...(counter ? counter.edits : []),
  );
}
