import type { Finding, WaitForm } from '../../analysis/finding.js';
import { withLoadedTree } from '../../analysis/languages/tree-sitter/runtime.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { StrategyName, SuggestOptions } from '../types.js';
import { atom } from '../c-expressions.js';
import { describe, lineInsertion, reparsed, stillThere, writtenStrategy } from '../java/patch-kit.js';
import { rustHelperCall } from './repo-helper.js';
import { tryhardRewrite } from './tryhard.js';

/**
 * Rust rewrites. A sleep's `Duration` is scaled by a random factor from `rand`, only when the crate
 * already depends on it (the review reads Cargo.toml through its reader into the project facts; the
 * API differs between rand 0.8 `thread_rng().gen_range` and 0.9
 * `rng().random_range`, both needing `use rand::Rng;`). Otherwise the change is given in words.
 * Crates: tokio-retry `.map(jitter)`, backon `.with_jitter()`, backoff's randomised `ExponentialBackoff`,
 * tryhard's strategies as a jittered `custom_backoff` closure.
 */

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;
type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

const RANGES: Record<string, string> = { full: '0.0..=1.0', equal: '0.5..=1.0', decorrelated: '1.0..=3.0' };
const BACKOFF_RANDOMIZATION = '0.5';
const USE_LINE = /^use\s[^;]+;[^\n]*$/;
/** A file's leading `//!` docs and `#![…]` attributes, which must stay before any `use`. */
const INNER_ATTRIBUTES = /^(?:(?:\/\/![^\n]*|#!\[[^\n]*\])\n)*(?:\/\/![^\n]*|#!\[[^\n]*\])$/;

/** The crate's `rand` version; '' when it cannot be read, null when the crate has no `rand`. */
function randVersion(options: SuggestOptions): string | null {
  const rand = options.project?.rand;
  return rand === undefined ? null : (rand.version ?? '');
}

const UNIT_FACTORS: Record<string, [string, string]> = {
  full: ['0.0', '1.0'],
  equal: ['0.5', '0.5'],
  decorrelated: ['1.0', '2.0'],
};
/** What to add when the crate has no `rand`: the current release, whose API the words then use. */
const RAND_REQUIREMENT = 'rand = "0.9"';

/**
 * The factor in the API of the crate's `rand`: 0.9 renamed `thread_rng().gen_range` to
 * `rng().random_range` (both through the `Rng` trait). With a version we cannot read (a workspace
 * requirement without a number, a git dependency) `rand::random`, which both releases have, and no
 * trait import.
 */
function randomFactor(version: string, strategy: StrategyName): { factor: string; usesRng: boolean } {
  const [major, minor] = version.split('.').map(Number);
  if (version === '' || major === undefined || Number.isNaN(major)) {
    const [low, span] = UNIT_FACTORS[strategy] ?? UNIT_FACTORS.full!;
    const draw = 'rand::random::<f64>()';
    return { factor: low === '0.0' ? draw : `(${low} + ${span} * ${draw})`, usesRng: false };
  }
  const range = RANGES[strategy] ?? RANGES.full!;
  const modern = major > 0 || (minor ?? 0) >= 9;
  return {
    factor: modern ? `rand::rng().random_range(${range})` : `rand::thread_rng().gen_range(${range})`,
    usesRng: true,
  };
}

/** `use rand::Rng;` unless the trait is already in scope (`use rand::Rng`, `rand::{…, Rng}`, `rand::prelude::*`). */
function rngImport(fileText: string): PlannedEdit | null {
  return lineInsertion(
    fileText,
    'use rand::Rng;',
    USE_LINE,
    /^\s*use\s+rand::(?:Rng\b|prelude::\*|\{[^}]*\bRng\b)/m,
    INNER_ATTRIBUTES,
  );
}

/** Whether `offset` lies in the body of a `macro_rules!` (null tree: the grammar is not loaded, so no). */
function insideMacroRules(fileText: string, offset: number): boolean {
  return (
    withLoadedTree('rust', fileText, (tree) => {
      for (let node = tree.rootNode.descendantForIndex(offset); node; node = node.parent)
        if (node.type === 'macro_definition') return true;
      return false;
    }) ?? false
  );
}

function callArgument(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const strategy = writtenStrategy(options);
  const version = randVersion(options);
  const words = `Scale ${inlineCode(form.argumentText)} by a random factor, e.g. ${inlineCode(`${atom(form.argumentText)}.mul_f64(rand::random::<f64>())`)}.`;
  if (version === null)
    return refuse(
      strategy,
      'the crate does not depend on `rand`',
      `Add ${inlineCode(RAND_REQUIREMENT)} to the \`[dependencies]\` of Cargo.toml, then ${words[0]!.toLowerCase()}${words.slice(1)}`,
    );
  if (!stillThere(fileText, form.argument.startOffset, form.argument.endOffset, form.argumentText)) {
    return refuse(strategy, 'the delay argument is not where the finding says (the file changed)', words);
  }
  const grows = finding.delay.kind === 'fixed' && finding.attemptVar !== undefined;
  const base = atom(form.argumentText);
  const window = grows
    ? `${base}.saturating_mul(2u32.saturating_pow(${finding.attemptVar} as u32)).min(std::time::Duration::from_millis(${options.capMs}))`
    : base;
  // In a macro's body, paths resolve where the macro is invoked, where `Rng` may not be in scope.
  const { factor, usesRng } = randomFactor(
    insideMacroRules(fileText, form.argument.startOffset) ? '' : version,
    strategy,
  );
  const edit: PlannedEdit = {
    start: form.argument.startOffset,
    end: form.argument.endOffset,
    newText: `${window}.mul_f64(${factor})`,
  };
  const trait = usesRng ? rngImport(fileText) : null;
  return plan(strategy, describe(strategy, finding, grows), edit, ...(trait ? [trait] : []));
}

function library(form: LibraryForm, fileText: string): RewriteResult {
  const start = form.target.startOffset;
  const end = form.target.endOffset;
  switch (form.library) {
    case 'tokio-retry': {
      const edits: PlannedEdit[] = [{ start: end, end, newText: '.map(jitter)' }];
      const imported = lineInsertion(
        fileText,
        'use tokio_retry::strategy::jitter;',
        USE_LINE,
        /\bjitter\b[^;\n]*;|strategy::\*/,
      );
      if (imported) edits.push(imported);
      return plan(
        'library',
        "Add `.map(jitter)`: tokio-retry then draws each wait at random up to the strategy's delay (full jitter).",
        ...edits,
      );
    }
    case 'backon':
      return plan('library', 'Add `.with_jitter()`: backon then adds a random share of each delay.', {
        start: end,
        end,
        newText: '.with_jitter()',
      });
    case 'backoff-rs': {
      const constant = /^(?:[\w:]*::)?Constant::new\s*\(([\s\S]*)\)$/.exec(form.targetText);
      // Otherwise the target is a randomization factor that folds to zero (`0.0`, or a constant such
      // as `DEFAULT_RANDOMIZATION`): the crate's own default puts the jitter back.
      if (!constant)
        return plan(
          'library',
          `Keep the backoff crate's default randomization (\`${BACKOFF_RANDOMIZATION}\`): each wait is drawn from ±50% of the interval.`,
          { start, end, newText: BACKOFF_RANDOMIZATION },
        );
      return plan(
        'library',
        "Use the backoff crate's `ExponentialBackoff`, randomised by default (factor 0.5), starting from the same interval.",
        {
          start,
          end,
          newText: `backoff::ExponentialBackoffBuilder::new().with_initial_interval(${constant[1]!.trim()}).build()`,
        },
      );
    }
    default:
      return refuse('library', `${form.library} is not a Rust crate`, `Turn on ${form.library}'s jitter.`);
  }
}

export function rewriteRust(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind === 'call-argument') {
    const argument = {
      start: form.argument.startOffset,
      end: form.argument.endOffset,
      text: form.argumentText,
    };
    // A macro's body may be expanded in another crate, where `crate::` names that one.
    const reused =
      stillThere(fileText, argument.start, argument.end, argument.text) &&
      !insideMacroRules(fileText, argument.start)
        ? rustHelperCall(finding, argument, fileText, options)
        : null;
    return reparsed('rust', fileText, reused ?? callArgument(finding, form, fileText, options));
  }
  if (!stillThere(fileText, form.target.startOffset, form.target.endOffset, form.targetText)) {
    return refuse(
      'library',
      'the library options are not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  }
  if (form.library === 'tryhard') {
    const version = randVersion(options);
    const strategy = writtenStrategy(options);
    const factor = version === null ? null : (written: StrategyName) => randomFactor(version, written).factor;
    const result = tryhardRewrite(finding, form, factor, strategy, options.capMs);
    const trait = version !== null && randomFactor(version, strategy).usesRng ? rngImport(fileText) : null;
    return reparsed(
      'rust',
      fileText,
      result.kind === 'plan' && trait ? { ...result, edits: [...result.edits, trait] } : result,
    );
  }
  return reparsed('rust', fileText, library(form, fileText));
}
