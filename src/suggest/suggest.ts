import type { Finding, Language } from '../analysis/finding.js';
import { LineIndex, primaryBlock } from './edits.js';
import { rewriteCallArgument } from './ecmascript/call-argument.js';
import { rewriteLibraryOption } from './ecmascript/libraries.js';
import { EcmaSource } from './ecmascript/source.js';
import { inlineCode } from './inline-code.js';
import { refuse, type PlannedEdit, type RewriteResult } from './plan.js';
import { attemptCounted } from './attempt.js';
import { keepWordsTrue } from './stale-words.js';
import { JITTER_STRATEGIES } from '../simulate/strategies.js';
import type { Suggestion, SuggestionBlock, SuggestOptions, TextEdit } from './types.js';
import type { SuggestedStrategy } from '../simulate/strategies.js';
import { validatePatches, type PatchRequest } from './validate.js';
import { rewriteJava, rewriteKotlin } from './java/index.js';
import { rewriteCSharp } from './csharp/index.js';
import { rewriteRust } from './rust/index.js';
import { rewritePython } from './python/index.js';
import { rewriteGo } from './go/index.js';
import { rewriteRuby } from './ruby/index.js';

type Rewriter = (finding: Finding, fileText: string, options: SuggestOptions) => RewriteResult;

const rewriteEcmascript: Rewriter = (finding, fileText, options) => {
  const source = new EcmaSource(finding.path, fileText);
  return finding.form.kind === 'call-argument'
    ? rewriteCallArgument(finding, finding.form, source, options)
    : rewriteLibraryOption(finding, finding.form, source, options);
};

/** Languages we can patch; the others get the change in words. Add a row per language. */
const REWRITERS: Partial<Record<Language, Rewriter>> = {
  typescript: rewriteEcmascript,
  javascript: rewriteEcmascript,
  java: rewriteJava,
  kotlin: rewriteKotlin,
  csharp: rewriteCSharp,
  rust: rewriteRust,
  python: rewritePython,
  go: rewriteGo,
  ruby: rewriteRuby,
};

function inWords(options: SuggestOptions): string {
  const strategy =
    JITTER_STRATEGIES[options.strategy === 'golden' && !options.goldenIndexEnv ? 'full' : options.strategy];
  return `Randomise the wait between attempts with ${strategy.label}: ${strategy.formula}.`;
}

/** "Also add … at the top of the file." for an edit outside the suggestion block. */
function sentenceFor(edit: PlannedEdit, fileText: string): string {
  if (edit.note !== undefined) return `Also ${edit.note}.`;
  const line = new LineIndex(fileText).lineOf(edit.start);
  const old = fileText.slice(edit.start, edit.end);
  // An insertion at the start of a line is a line of its own: shown without its indentation.
  const inserted = edit.newText.endsWith('\n') ? edit.newText.trim() : edit.newText;
  return old === ''
    ? `Also insert ${inlineCode(inserted)} ${inserted === edit.newText ? 'on' : 'before'} line ${line}.`
    : `Also replace ${inlineCode(old)} on line ${line} with ${inlineCode(edit.newText)}.`;
}

function plainEdit(edit: PlannedEdit): TextEdit {
  return { start: edit.start, end: edit.end, newText: edit.newText };
}

/** The rewrite with the attempt counter checked first and the code's words kept true after. */
function rewritten(
  rewriter: Rewriter,
  original: Finding,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const { finding, note } = attemptCounted(original, fileText);
  const result = wordsKeptTrue(finding, fileText, options, rewriter(finding, fileText, options));
  return note === undefined ? result : { ...result, description: `${result.description} ${note}` };
}

function wordsKeptTrue(
  finding: Finding,
  fileText: string,
  options: SuggestOptions,
  result: RewriteResult,
): RewriteResult {
  if (result.kind === 'refusal') return result;
  const helper = options.repoHelper?.name;
  const reused = helper !== undefined && result.edits.some((edit) => edit.newText.includes(`${helper}(`));
  return keepWordsTrue(finding, fileText, result, reused);
}

/**
 * A wait whose jitter a cap swallows, or whose jitter is too small, keeps the code's own delay as the
 * bound and draws the wait within it (jitter after the clamp): the delay already grows, so the rewrite
 * must not grow it again with the attempt counter.
 */
function withinOwnDelay(finding: Finding): Finding {
  const { attemptVar: _grown, ...rest } = finding;
  return rest;
}

/**
 * What the patch of a spread rule does, in words: the rewriter's own words speak of a fixed wait, which
 * this one is not (it is random, only in lockstep).
 */
function spreadDescription(
  rule: 'clamped-jitter' | 'negligible-jitter',
  strategy: SuggestedStrategy,
): string {
  const drawn = strategy === 'library' ? 'jitter' : JITTER_STRATEGIES[strategy].label;
  return rule === 'clamped-jitter'
    ? `Apply the jitter after the clamp: draw the wait with ${drawn} within the capped delay, so that the cap bounds the random range instead of replacing it.`
    : `Draw the whole wait with ${drawn} instead of adding a sliver of randomness to it.`;
}

/**
 * The rewrite a finding's rule calls for. A server hint must never be shortened, so no jitter drawn
 * below it is offered: the fix adds a bounded positive jitter on top, whose size is the author's call.
 */
function ruleRewrite(
  rewriter: Rewriter,
  finding: Finding,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  if (finding.rule === 'clamped-server-hint')
    return refuse(
      options.strategy,
      "a server hint must not be shortened, and how much to add on top of it is the service's call",
      `Add a bounded positive jitter on top of the clamped hint (${inlineCode(`${finding.form.kind === 'call-argument' ? finding.form.argumentText : 'hint'} + random() * spread`)}, with spread a fraction of the cap): clients the server told to wait longer than the cap then no longer retry in the same instant, and none retries before the hint.`,
    );
  if (finding.rule !== 'clamped-jitter' && finding.rule !== 'negligible-jitter')
    return rewritten(rewriter, finding, fileText, options);
  // The words are set before the notes about the code's own words and the attempt counter are added.
  const rule = finding.rule;
  const described: Rewriter = (own, text, opts) => {
    const result = rewriter(own, text, opts);
    return result.kind === 'plan'
      ? { ...result, description: spreadDescription(rule, result.strategy) }
      : result;
  };
  return rewritten(described, withinOwnDelay(finding), fileText, options);
}

/**
 * No patch at the wait for `fake-jitter`: the wait already draws, and what is wrong is where the draw
 * comes from — a generator seeded with a constant, or a jitter helper that draws nothing — which may
 * be in another file and shared by code that wants it repeatable (tests, simulations). The message
 * names that place.
 */
function fakeJitterRefusal(finding: Finding, options: SuggestOptions): RewriteResult | null {
  if (finding.rule !== 'fake-jitter') return null;
  return refuse(
    options.strategy,
    'the jitter is fixed where it is drawn from (the seeded generator or the helper), not at this wait',
    finding.message,
  );
}

/** A finding whose patch is wanted: the text of its file and how to write the patch. */
export interface SuggestRequest {
  finding: Finding;
  fileText: string;
  options: SuggestOptions;
}

/** A patch written and waiting for its verdict. */
interface Draft {
  base: Omit<Suggestion, 'valid' | 'primary' | 'invalidReason'>;
  primary: SuggestionBlock;
  check: PatchRequest;
}

/**
 * The jitter patch for one finding: minimal edits in the author's formatting, the contiguous block a
 * platform suggestion replaces, sentences for edits elsewhere, and a verdict from re-parsing and
 * type-checking the patched file. An invalid suggestion still explains the change in words.
 */
export function suggest(finding: Finding, fileText: string, options: SuggestOptions): Suggestion {
  return suggestEach([{ finding, fileText, options }])[0]!;
}

/** `suggest` for each request, with the patches validated together (one type-check program for many). */
export function suggestEach(requests: readonly SuggestRequest[]): Suggestion[] {
  const drafts = requests.map(({ finding, fileText, options }) => draft(finding, fileText, options));
  const written = drafts.filter((d): d is Draft => 'check' in d);
  const verdicts = new Map(
    validatePatches(written.map((d) => d.check)).map((verdict, index) => [written[index]!, verdict]),
  );
  return drafts.map((d) => {
    if (!('check' in d)) return d;
    const verdict = verdicts.get(d)!;
    return verdict.valid
      ? { ...d.base, valid: true, primary: d.primary }
      : { ...d.base, valid: false, invalidReason: verdict.reason, primary: d.primary };
  });
}

function draft(finding: Finding, fileText: string, options: SuggestOptions): Suggestion | Draft {
  const rewriter = REWRITERS[finding.language];
  const computedBy = finding.form.kind === 'call-argument' ? finding.form.computedBy : undefined;
  const result =
    fakeJitterRefusal(finding, options) ??
    (computedBy
      ? refuse(
          options.strategy,
          `the wait is computed inside ${computedBy.name} (${computedBy.path})`,
          `Add jitter inside ${inlineCode(computedBy.name)} (${inlineCode(computedBy.path)}), which computes this wait: ${inWords(options)}`,
        )
      : rewriter === undefined
        ? refuse(options.strategy, `patches for ${finding.language} are not written yet`, inWords(options))
        : ruleRewrite(rewriter, finding, fileText, options));
  if (result.kind === 'refusal') {
    return {
      strategy: result.strategy,
      edits: [],
      extra: [],
      description: result.description,
      valid: false,
      invalidReason: result.reason,
      primary: null,
    };
  }
  const edits = result.edits.map(plainEdit);
  const main = result.edits[0];
  if (main === undefined) throw new Error('suggest: a rewrite plan without edits');
  const split = primaryBlock(fileText, result.edits, main);
  const extra = split.outside.map((edit) => sentenceFor(edit, fileText));
  return {
    base: { strategy: result.strategy, edits, extra, description: result.description },
    primary: split.block,
    check: {
      path: finding.path,
      language: finding.language,
      original: fileText,
      edits,
      checking: options.project?.typescript,
    },
  };
}
