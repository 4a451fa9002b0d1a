import type { Finding } from '../../analysis/finding.js';
import { jitterCode } from '../ecmascript/jitter-code.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';

/**
 * Ruby rewrites: the argument of `sleep` becomes a jittered one (`sleep 5` → `sleep rand * 5`, the
 * other strategies in their own shape). Ruby needs no import for `rand`; the patch is re-parsed with
 * the Ruby grammar by `validatePatch` before it is offered.
 */

const SECONDS_PER_MS = 0.001;
/** `[cap, x].min` already caps the wait. */
const CAPPED = /\]\.min\s*$/;

export function rewriteRuby(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind !== 'call-argument')
    return refuse(options.strategy, 'no Ruby library rewrites', 'Randomise the wait between attempts.');
  if (fileText.slice(form.argument.startOffset, form.argument.endOffset) !== form.argumentText) {
    return refuse(
      options.strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  }
  const code = jitterCode({
    language: 'ruby',
    delay: finding.delay,
    current: form.argumentText,
    currentIsCapped: CAPPED.test(form.argumentText),
    ...(finding.attemptVar === undefined ? {} : { attempt: finding.attemptVar }),
    unitScale: SECONDS_PER_MS,
    options,
  });
  if (!code)
    return refuse(
      options.strategy,
      'no jitter template for Ruby',
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  const unitNote =
    /\]\.min/.test(code.expression) && !CAPPED.test(form.argumentText)
      ? ` ${inlineCode(form.argumentText)} is in seconds, so the cap is written in them too.`
      : '';
  return plan(code.strategy, code.description + unitNote, {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    newText: code.expression,
  });
}
