import type { Finding } from '../../analysis/finding.js';
import { reparseVerdict, type GrammarName } from '../../analysis/languages/tree-sitter/runtime.js';
import { formatDuration } from '../../simulate/duration.js';
import { applyEdits } from '../edits.js';
import { inlineCode } from '../inline-code.js';
import { refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { StrategyName, SuggestOptions } from '../types.js';

/**
 * Pieces shared by the Java, Kotlin, C# and Rust rewrites: the strategy actually written, the words
 * for it, an import line, and the re-parse every plan must pass before it is offered.
 */

/** Golden jitter needs a per-client index; decorrelated and the others are always writable. */
export function writtenStrategy(options: SuggestOptions): StrategyName {
  return options.strategy === 'golden' ? 'full' : options.strategy;
}

/** The wait's current upper bound in words. */
export function boundWords(finding: Finding): string {
  const ms = finding.delay.kind === 'fixed' ? finding.delay.ms : finding.delay.baseMs;
  return ms === undefined ? inlineCode(finding.delay.text) : formatDuration(ms);
}

export function describe(strategy: StrategyName, finding: Finding, grows: boolean): string {
  const bound = boundWords(finding);
  const window = grows
    ? `a window that doubles with ${inlineCode(finding.attemptVar ?? 'the attempt')} from ${bound}`
    : bound;
  switch (strategy) {
    case 'equal':
      return `Replace the fixed ${bound} wait with equal jitter: a random wait between half of ${window} and all of it.`;
    case 'decorrelated':
      return `Replace the fixed ${bound} wait with decorrelated jitter: a random wait between ${bound} and three times ${grows ? 'the window' : 'it'}.`;
    default:
      return `Replace the fixed ${bound} wait with full jitter: a random wait between 0 and ${window}.`;
  }
}

/**
 * An edit adding `line` after the last line matching `after` (imports, `using`, `use`), or at
 * `fallback` (the start of the file, or after the package line), unless `present` already matches.
 */
export function lineInsertion(
  text: string,
  line: string,
  after: RegExp,
  present: RegExp,
  fallback: RegExp | null = null,
): PlannedEdit | null {
  if (present.test(text)) return null;
  let offset = -1;
  const pattern = new RegExp(after.source, 'gm');
  for (let match = pattern.exec(text); match; match = pattern.exec(text))
    offset = match.index + match[0].length;
  if (offset < 0 && fallback) {
    const first = new RegExp(fallback.source, 'm').exec(text);
    if (first) offset = first.index + first[0].length;
  }
  if (offset < 0)
    return { start: 0, end: 0, newText: `${line}\n`, note: `add ${inlineCode(line)} at the top of the file` };
  const end = text.indexOf('\n', offset);
  const at = end < 0 ? text.length : end + 1;
  return {
    start: at,
    end: at,
    newText: `${end < 0 ? '\n' : ''}${line}\n`,
    note: `add ${inlineCode(line)} with the other imports`,
  };
}

/** The plan, unless the patched file has more syntax errors than the original under the same grammar. */
export function reparsed(grammar: GrammarName, fileText: string, result: RewriteResult): RewriteResult {
  if (result.kind === 'refusal') return result;
  const patched = applyEdits(fileText, result.edits);
  const verdict = reparseVerdict(grammar, fileText, patched);
  return verdict.valid ? result : refuse(result.strategy, verdict.reason, result.description);
}

/** The text at a finding's range still is what the finding saw (the file may have changed since). */
export function stillThere(fileText: string, start: number, end: number, expected: string): boolean {
  return fileText.slice(start, end) === expected;
}
