import type { SuggestionBlock, TextEdit } from './types.js';

/** Edits sorted by position; insertions at the same offset keep their given order. */
export function sortEdits(edits: readonly TextEdit[]): TextEdit[] {
  return edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => a.edit.start - b.edit.start || a.edit.end - b.edit.end || a.index - b.index)
    .map(({ edit }) => edit);
}

/** The first pair of edits that replace overlapping text, or null. Two insertions may share an offset. */
export function findOverlap(edits: readonly TextEdit[]): [TextEdit, TextEdit] | null {
  const sorted = sortEdits(edits);
  for (let i = 1; i < sorted.length; i += 1) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.start < previous.end) return [previous, current];
  }
  return null;
}

/** Applies non-overlapping edits to `text`; throws on overlap or out-of-range offsets (a bug in the rewrite). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  if (findOverlap(edits) !== null) throw new Error('applyEdits: overlapping edits');
  let result = '';
  let cursor = 0;
  for (const edit of sortEdits(edits)) {
    if (edit.start < cursor || edit.end < edit.start || edit.end > text.length) {
      throw new Error(`applyEdits: edit [${edit.start}, ${edit.end}) is out of range`);
    }
    result += text.slice(cursor, edit.start) + edit.newText;
    cursor = edit.end;
  }
  return result + text.slice(cursor);
}

/** 1-based line lookups over a text, computed once. */
export class LineIndex {
  private readonly starts: number[];

  constructor(private readonly text: string) {
    this.starts = [0];
    for (let i = 0; i < text.length; i += 1) {
      if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  /** The 1-based line holding `offset` (an offset at a line's end belongs to that line). */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.starts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  }

  lineStart(line: number): number {
    return this.starts[line - 1] ?? this.text.length;
  }

  /** Offset just past the line's content, before its `\n` (and a `\r` preceding it). */
  lineContentEnd(line: number): number {
    const next = this.starts[line];
    if (next === undefined) return this.text.length;
    return this.text.charCodeAt(next - 2) === 13 ? next - 2 : next - 1;
  }

  /** Offset of the next line's start, or the text's end on the last line. */
  lineEnd(line: number): number {
    return this.starts[line] ?? this.text.length;
  }

  lineText(line: number): string {
    return this.text.slice(this.lineStart(line), this.lineContentEnd(line));
  }

  /** Leading spaces and tabs of a line. */
  indentation(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))![0];
  }
}

export interface BlockSplit {
  block: SuggestionBlock;
  /** Edits applied inside the block. */
  inside: TextEdit[];
  /** Edits elsewhere in the file, to be described in words. */
  outside: TextEdit[];
}

/**
 * The contiguous lines a one-click suggestion replaces: the lines of `main`, widened to every edit
 * that touches them or asks to join, with those edits applied. Other edits stay outside and are described in words.
 */
export function primaryBlock(
  text: string,
  edits: readonly (TextEdit & { joinsBlock?: boolean })[],
  main: TextEdit,
): BlockSplit {
  const lines = new LineIndex(text);
  // An edit ending exactly at a line start (a removed line with its newline) ends on the line before.
  const lastLineOf = (edit: TextEdit): number => {
    const line = lines.lineOf(edit.end);
    return edit.end > edit.start && edit.end === lines.lineStart(line) ? line - 1 : line;
  };
  let startLine = lines.lineOf(main.start);
  let endLine = Math.max(startLine, lastLineOf(main));
  const inside = new Set<TextEdit>([main]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const edit of edits) {
      if (inside.has(edit)) continue;
      const first = lines.lineOf(edit.start);
      const last = Math.max(first, lastLineOf(edit));
      if ((last >= startLine && first <= endLine) || edit.joinsBlock) {
        inside.add(edit);
        startLine = Math.min(startLine, first);
        endLine = Math.max(endLine, last);
        grew = true;
      }
    }
  }
  const blockStart = lines.lineStart(startLine);
  const local = [...inside].map((edit) => ({
    start: edit.start - blockStart,
    end: edit.end - blockStart,
    newText: edit.newText,
  }));
  const replaced = applyEdits(text.slice(blockStart, lines.lineEnd(endLine)), local);
  return {
    block: { startLine, endLine, newLines: replaced.replace(/\r?\n$/, '').replace(/\r\n/g, '\n') },
    inside: edits.filter((edit) => inside.has(edit)),
    outside: edits.filter((edit) => !inside.has(edit)),
  };
}
