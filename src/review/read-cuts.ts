import { inlineCode } from '../suggest/inline-code.js';

/**
 * Files the review wanted to read but its read budget refused (the file or byte budget ran out): a
 * delay defined in one of them was not followed, so a finding that depends on it may be missing. The
 * summary says so, rather than reporting a confident "no retries" over a repository it did not read.
 */
export interface ReadRefusal {
  path: string;
  reason: string;
}

/** Files named in the note; the rest are counted. */
const MAX_NAMED = 5;

/**
 * Refusals because a budget ran out (not a file too large or binary, which the file itself decides),
 * of files the repository has: module resolution also asks for candidates that do not exist
 * (`config.tsx`, `config/index.ts`), and those were never there to read.
 */
export async function budgetCuts(
  refused: readonly ReadRefusal[],
  listing: () => Promise<readonly string[]>,
): Promise<ReadRefusal[]> {
  const cut = refused.filter((refusal) => /budget/.test(refusal.reason));
  if (cut.length === 0) return [];
  const present = new Set(await listing().catch(() => cut.map((refusal) => refusal.path)));
  // A path asked for twice was refused twice: it is one file not read.
  const byPath = new Map(cut.filter((refusal) => present.has(refusal.path)).map((r) => [r.path, r]));
  return [...byPath.values()];
}

/** The summary's note on what the budget cut, or '' when nothing was cut. */
export function readCutNote(cuts: readonly ReadRefusal[]): string {
  if (cuts.length === 0) return '';
  const named = cuts
    .slice(0, MAX_NAMED)
    .map((cut) => inlineCode(cut.path))
    .join(', ');
  const more = cuts.length > MAX_NAMED ? `, and ${cuts.length - MAX_NAMED} more` : '';
  const files =
    cuts.length === 1 ? '1 file of the repository was' : `${cuts.length} files of the repository were`;
  return `⚠️ **The read budget ran out**: ${files} not read (${named}${more}), so a delay defined there was not followed and a finding that depends on it may be missing.`;
}
