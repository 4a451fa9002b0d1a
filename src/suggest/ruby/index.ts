import type { Finding, WaitForm } from '../../analysis/finding.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { field, namedChildren, nodeSpanning } from '../../analysis/languages/tree-sitter/syntax.js';
import { jitterCode } from '../ecmascript/jitter-code.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';
import { FARADAY_INTERVAL_RANDOMNESS } from '../../simulate/libraries/ruby.js';
import { rubyHelperCall } from './repo-helper.js';

/**
 * Ruby rewrites: the argument of `sleep` becomes a jittered one (`sleep 5` → `sleep rand * 5`, the
 * other strategies in their own shape); faraday-retry's options gain `interval_randomness`. Ruby needs no import for `rand`; the patch is re-parsed with
 * the Ruby grammar by `validatePatch` before it is offered.
 */

const SECONDS_PER_MS = 0.001;
/** `[cap, x].min` already caps the wait. */
const CAPPED = /\]\.min\s*$/;

export function rewriteRuby(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind === 'library-option') return faradayRetry(form, fileText);
  if (fileText.slice(form.argument.startOffset, form.argument.endOffset) !== form.argumentText) {
    return refuse(
      options.strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise the delay ${inlineCode(form.argumentText)}.`,
    );
  }
  const argument = {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    text: form.argumentText,
  };
  const reused = rubyHelperCall(finding, argument, fileText, options);
  if (reused) return reused;
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
    start: argument.start,
    end: argument.end,
    newText: code.expression,
  });
}

type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

/** Sets `interval_randomness` among the middleware's options: in place when it is 0, else as their first. */
function faradayRetry(form: LibraryForm, fileText: string): RewriteResult {
  const option = `interval_randomness: ${FARADAY_INTERVAL_RANDOMNESS}`;
  const description = `Set \`${option}\`: faraday-retry then adds a random 0–${FARADAY_INTERVAL_RANDOMNESS * 100} % of \`interval\` to every wait, so clients that failed together retry apart.`;
  const edit =
    form.library === 'faraday-retry'
      ? withLoadedTree('ruby', fileText, (tree) => {
          const holder = nodeSpanning(tree.rootNode, form.target.startOffset, form.target.endOffset);
          return holder && holder.text === form.targetText ? randomnessEdit(holder, fileText, option) : null;
        })
      : null;
  if (!edit) return refuse('library', 'the retry options are not where the finding says', description);
  return plan('library', description, edit);
}

function randomnessEdit(holder: Node, fileText: string, option: string): PlannedEdit | null {
  const list = holder.type === 'hash' ? holder : field(holder, 'arguments');
  const pairs = list ? namedChildren(list).filter((n) => n.type === 'pair') : [];
  const present = pairs.find((p) => /^:?interval_randomness:?$/.test(field(p, 'key')?.text ?? ''));
  const value = present ? field(present, 'value') : null;
  if (value)
    return { start: value.startIndex, end: value.endIndex, newText: `${FARADAY_INTERVAL_RANDOMNESS}` };
  const first = pairs[0];
  if (!first) return null;
  // One option per line keeps its indentation; options on one line stay on it.
  const lineStart = fileText.lastIndexOf('\n', first.startIndex - 1) + 1;
  const indent = fileText.slice(lineStart, first.startIndex);
  const newText = /^\s*$/.test(indent) ? `${option},\n${indent}` : `${option}, `;
  return { start: first.startIndex, end: first.startIndex, newText };
}
