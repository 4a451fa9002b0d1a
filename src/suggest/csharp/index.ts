import type { Finding, WaitForm } from '../../analysis/finding.js';
import { inlineCode } from '../inline-code.js';
import { lineBefore, plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import { hasRandomShared } from '../project.js';
import type { StrategyName, SuggestOptions } from '../types.js';
import { describe, reparsed, stillThere, writtenStrategy } from '../java/patch-kit.js';
import { atom, matchingParen } from '../c-expressions.js';
import { helperPlan } from '../java/repo-helper.js';
import { CSHARP_HELPER, csharpWait } from './repo-helper.js';

/**
 * C# rewrites: a random factor in place of a fixed `Task.Delay`/`Thread.Sleep` argument, and
 * for Polly v8 `UseJitter = true`; v7 sleep providers are multiplied by a random factor, and
 * Polly.Contrib.WaitAndRetry's unjittered backoffs become `Backoff.DecorrelatedJitterBackoffV2`.
 */

/**
 * The random source a patch may call. `Random.Shared` is thread-safe but .NET 6+, so it is written only
 * when every target framework of the project has it. Elsewhere a fresh `Random` per draw: a shared
 * `new Random()` is not thread-safe, and on .NET Framework a default seed is the tick count, so
 * replicas started together would draw the same "random" waits; a GUID seed avoids both and exists on
 * every target. A retry wait draws rarely, so the allocation does not matter.
 */
function randomSource(options: SuggestOptions): string {
  return hasRandomShared(options.project?.dotnetTargets)
    ? 'Random.Shared'
    : 'new Random(Guid.NewGuid().GetHashCode())';
}

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;
type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

const FACTORS: Record<string, [string, string]> = {
  full: ['0', '1'],
  equal: ['0.5', '0.5'],
  decorrelated: ['1', '2'],
};

/** `low + random · span` as a factor in [low, low + span). */
function factor(strategy: StrategyName, options: SuggestOptions): string {
  const [low, span] = FACTORS[strategy] ?? FACTORS.full!;
  const draw = `${randomSource(options)}.NextDouble()`;
  return low === '0' ? draw : `(${low} + ${span} * ${draw})`;
}

/**
 * A `TimeSpan` times a random factor. `TimeSpan * double` exists from .NET Core 2.0, so with any older
 * (or unknown) target the product goes through milliseconds, which every framework has.
 */
function scaledTimeSpan(
  span: string,
  milliseconds: string,
  factorText: string,
  options: SuggestOptions,
): string {
  return hasRandomShared(options.project?.dotnetTargets)
    ? `${span} * ${factorText}`
    : `TimeSpan.FromMilliseconds(${milliseconds} * ${factorText})`;
}

/** `scaledTimeSpan` for a TimeSpan expression written as is. */
function randomisedSpan(span: string, strategy: StrategyName, options: SuggestOptions): string {
  const value = atom(span);
  return scaledTimeSpan(value, `${value}.TotalMilliseconds`, factor(strategy, options), options);
}

function isTimeSpan(argument: string, fileText: string): boolean {
  if (/TimeSpan/.test(argument)) return true;
  const name = /^[A-Za-z_]\w*$/.exec(argument.trim())?.[0];
  return name !== undefined && new RegExp(`\\bTimeSpan\\s+${name}\\b`).test(fileText);
}

function callArgument(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const strategy = writtenStrategy(options);
  if (!stillThere(fileText, form.argument.startOffset, form.argument.endOffset, form.argumentText)) {
    return refuse(
      strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise ${inlineCode(form.argumentText)}.`,
    );
  }
  // In C#, only Unity's coroutine waits (`WaitForSeconds`, or a helper waiting one) take seconds.
  if (form.unitMs === 1000) return unityWait(finding, form, options);
  const timeSpan = form.duration === true || isTimeSpan(form.argumentText, fileText);
  const reused = helperPlan(
    finding,
    form,
    fileText,
    options,
    CSHARP_HELPER,
    csharpWait(form, fileText, timeSpan),
  );
  if (reused) return reused;
  const b = atom(form.argumentText);
  const grows = finding.delay.kind === 'fixed' && finding.attemptVar !== undefined;
  let replacement: string;
  if (timeSpan) {
    const windowMs = `Math.Min(${options.capMs}, ${b}.TotalMilliseconds * Math.Pow(2, ${finding.attemptVar}))`;
    replacement = grows
      ? scaledTimeSpan(`TimeSpan.FromMilliseconds(${windowMs})`, windowMs, factor(strategy, options), options)
      : randomisedSpan(b, strategy, options);
  } else {
    const window = grows ? `Math.Min(${options.capMs}, ${b} * Math.Pow(2, ${finding.attemptVar}))` : b;
    replacement =
      strategy === 'full' && !grows
        ? `${randomSource(options)}.Next(0, ${b} + 1)`
        : `(int)(${window} * ${factor(strategy, options)})`;
  }
  const edit: PlannedEdit = {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    newText: replacement,
  };
  return plan(strategy, describe(strategy, finding, grows), edit);
}

const UNITY_RANGE: Partial<Record<StrategyName, [string, string]>> = {
  equal: ['0.5f', '1f'],
  decorrelated: ['1f', '3f'],
};

/**
 * Unity draws with `UnityEngine.Random.Range(float, float)` and waits seconds, so the window and the
 * cap are seconds too (`System.Random.Shared` does not exist in Unity's .NET profile). Written fully
 * qualified: a file with `using System;` has two `Random`s.
 */
function unityWait(finding: Finding, form: CallForm, options: SuggestOptions): RewriteResult {
  const strategy = writtenStrategy(options);
  const b = atom(form.argumentText);
  const grows = finding.delay.kind === 'fixed' && finding.attemptVar !== undefined;
  const capSeconds = `${Number((options.capMs / 1000).toFixed(3))}f`;
  const window = grows
    ? `UnityEngine.Mathf.Min(${capSeconds}, ${b} * UnityEngine.Mathf.Pow(2, ${finding.attemptVar}))`
    : b;
  const range = UNITY_RANGE[strategy];
  const replacement = range
    ? `${atom(window)} * UnityEngine.Random.Range(${range[0]}, ${range[1]})`
    : `UnityEngine.Random.Range(0f, ${window})`;
  return plan(strategy, describe(strategy, finding, grows), {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    newText: replacement,
  });
}

function polly(
  finding: Finding,
  form: LibraryForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const text = form.targetText;
  const start = form.target.startOffset;
  if (/^new\s/.test(text)) {
    const description =
      'Set `UseJitter = true`: Polly then spreads constant and linear delays by ±25% and uses decorrelated jitter for exponential ones.';
    const off = /UseJitter\s*=\s*false/.exec(text);
    if (off)
      return plan('library', description, {
        start: start + off.index,
        end: start + off.index + off[0].length,
        newText: 'UseJitter = true',
      });
    const brace = text.lastIndexOf('}');
    if (brace >= 0 && text.includes('{')) {
      const before = text.slice(0, brace).trimEnd();
      const bare = before.endsWith('{') || before.endsWith(',');
      return plan('library', description, {
        start: start + before.length,
        end: start + before.length,
        newText: bare ? ' UseJitter = true' : ', UseJitter = true',
      });
    }
    return plan('library', description, {
      start: start + text.length,
      end: start + text.length,
      newText: ' { UseJitter = true }',
    });
  }
  const contrib = /^Backoff\.(ConstantBackoff|LinearBackoff|ExponentialBackoff)\s*\(/.exec(text);
  if (contrib) {
    const close = matchingParen(fileText, start + contrib[0].length - 1);
    const args =
      close < 0
        ? []
        : fileText
            .slice(start + contrib[0].length, close)
            .split(',')
            .map((a) => a.trim());
    if (close < 0 || args.length < 2)
      return refuse('library', 'unexpected Backoff arguments', 'Use `Backoff.DecorrelatedJitterBackoffV2`.');
    return plan(
      'library',
      'Use `Backoff.DecorrelatedJitterBackoffV2` from Polly.Contrib.WaitAndRetry: exponential growth with decorrelated jitter.',
      { start, end: close + 1, newText: `Backoff.DecorrelatedJitterBackoffV2(${args[0]}, ${args[1]})` },
    );
  }
  const lambda = /^(\([^)]*\)|\w+)\s*=>\s*/.exec(text);
  if (lambda) {
    const body = text.slice(lambda[0].length);
    const strategy = writtenStrategy(options);
    return plan(strategy, describe(strategy, finding, false), {
      start: start + lambda[0].length,
      end: start + text.length,
      newText: randomisedSpan(body, strategy, options),
    });
  }
  return (
    scaledList(finding, form, options) ??
    refuse(
      'library',
      'this Polly configuration is not rewritten automatically',
      'Use `Backoff.DecorrelatedJitterBackoffV2` (Polly.Contrib.WaitAndRetry) or Polly v8 with `UseJitter = true`.',
    )
  );
}

/** A list of durations: each client draws its own factors once, which already spreads the clients. */
function scaledList(finding: Finding, form: LibraryForm, options: SuggestOptions): RewriteResult | null {
  const text = form.targetText;
  const open = text.indexOf('{');
  if (!/^new\b[^{]*\[\s*\]\s*\{/.test(text) || !text.endsWith('}')) return null;
  const strategy = writtenStrategy(options);
  const items = splitTopLevel(text.slice(open + 1, -1));
  const scaled = items.map((item) => randomisedSpan(item, strategy, options)).join(', ');
  return plan(
    strategy,
    `Scale each duration by a random factor (${describe(strategy, finding, false).replace(/^Replace the fixed .*? wait with /, '')})`,
    {
      start: form.target.startOffset + open,
      end: form.target.startOffset + text.length,
      newText: `{ ${scaled} }`,
    },
  );
}

/**
 * SignalR has no jitter switch: the delay `NextRetryDelay` returns, or each delay of the list given to
 * `WithAutomaticReconnect`, is scaled by a random factor.
 */
function signalr(finding: Finding, form: LibraryForm, options: SuggestOptions): RewriteResult {
  const list = scaledList(finding, form, options);
  if (list) return list;
  const strategy = writtenStrategy(options);
  return plan(strategy, describe(strategy, finding, false), {
    start: form.target.startOffset,
    end: form.target.endOffset,
    newText: randomisedSpan(form.targetText, strategy, options),
  });
}

/** Comma-separated items of a list, ignoring commas nested in calls. */
function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of list) {
    if (char === '(' || char === '{' || char === '[') depth += 1;
    if (char === ')' || char === '}' || char === ']') depth -= 1;
    if (char === ',' && depth === 0) {
      items.push(current.trim());
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') items.push(current.trim());
  return items;
}

const USING_DIRECTIVE = /^[ \t]*using\s+(?:static\s+)?(?:\w+\s*=\s*)?[\w.]+(?:<[^;\n]*>)?\s*;/m;
const SYSTEM_USING = /^[ \t]*(?:global\s+)?using\s+System\s*;/m;
const SYSTEM_NAMES = /(?<!UnityEngine\.)\b(?:Random|Math|Guid|TimeSpan)\b/;

/**
 * The plan with `using System;` first among the file's `using`s when the patch names `Random`, `Math`,
 * `Guid` or `TimeSpan` and the file has `using` directives but not that one. A file with none takes
 * its names from the project's global usings (the SDK's implicit ones include System): left alone.
 */
function withSystemUsing(fileText: string, result: RewriteResult): RewriteResult {
  if (result.kind === 'refusal' || !result.edits.some((edit) => SYSTEM_NAMES.test(edit.newText)))
    return result;
  const first = USING_DIRECTIVE.exec(fileText);
  if (!first || SYSTEM_USING.test(fileText)) return result;
  const edit = lineBefore(fileText, first.index + first[0].search(/\S/), 'using System;');
  return {
    ...result,
    edits: [...result.edits, { ...edit, note: 'add `using System;` with the other usings' }],
  };
}

export function rewriteCSharp(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const patched = withSystemUsing(fileText, planCSharp(finding, fileText, options));
  return patched.kind === 'plan' ? reparsed('csharp', fileText, patched) : patched;
}

function planCSharp(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind === 'call-argument') return callArgument(finding, form, fileText, options);
  if (!stillThere(fileText, form.target.startOffset, form.target.endOffset, form.targetText)) {
    return refuse(
      'library',
      'the library options are not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  }
  if (form.library === 'signalr') return signalr(finding, form, options);
  if (form.library !== 'polly')
    return refuse('library', `${form.library} is not a .NET library`, `Turn on ${form.library}'s jitter.`);
  return polly(finding, form, fileText, options);
}
