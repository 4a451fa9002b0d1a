import type { PublishedFinding } from '../types.js';
import { SUMMARY_MARKER, withoutFingerprintMarker } from './markers.js';

/** GitLab refuses notes longer than 1 000 000 characters; stay clear of it with room for the notice. */
export const MAX_NOTE_CHARS = 999_000;

/** A finding GitLab would not anchor on the diff; it is reported in the summary instead. */
export interface UnplacedFinding {
  published: PublishedFinding;
  /** GitLab's own words, e.g. `Note {:line_code=>["can't be blank", …]}`. */
  reason: string;
}

/**
 * Fences that only mean something on a diff line: `suggestion` or `suggestion:-0+N`, opened with three
 * or more backticks (the renderer lengthens the fence when the code itself holds backticks).
 */
const SUGGESTION_FENCE = /^([ \t]*)(`{3,})suggestion(?::-\d+\+\d+)?[ \t]*$/gm;

/**
 * The summary note: the pipeline's summary, the marker, and the findings GitLab refused to place. Those
 * keep their text, lose their fingerprint (so they are not mistaken for an inline discussion next run),
 * and their suggestion becomes a plain code block, as it cannot be applied outside the diff.
 */
export function summaryNoteBody(
  summary: string,
  unplaced: readonly UnplacedFinding[],
  /** Closing paragraph (the review's cost in API calls). */
  footer?: string,
): string {
  const parts = [summary.includes(SUMMARY_MARKER) ? summary : `${SUMMARY_MARKER}\n${summary}`];
  if (unplaced.length > 0) {
    parts.push('### Findings that could not be placed on the diff');
    for (const { published } of unplaced) {
      const { path, range } = published.finding;
      const lines = published.suggestionLines;
      const where = lines ? `lines ${lines.start}–${lines.end}` : `line ${range.startLine}`;
      const body = withoutFingerprintMarker(published.body).replace(SUGGESTION_FENCE, '$1$2').trim();
      parts.push(`**\`${path}\`, ${where}**${lines ? ' (suggested replacement below)' : ''}\n\n${body}`);
    }
  }
  if (footer) parts.push(footer);
  const text = parts.join('\n\n');
  if (text.length <= MAX_NOTE_CHARS) return text;
  return `${text.slice(0, MAX_NOTE_CHARS)}\n\n…(truncated: the summary exceeded GitLab's note size limit)`;
}
