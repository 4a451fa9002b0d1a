import type { SuggestedStrategy, TextEdit } from './types.js';

/** An edit with the words to describe it when it falls outside the suggestion block. */
export interface PlannedEdit extends TextEdit {
  /** A sentence fragment such as "add `import { timer } from 'rxjs'` at the top of the file". */
  note?: string;
  /** Part of the one-click suggestion even on another line (a log message next to the wait). */
  joinsBlock?: boolean;
}

/** What a rewrite intends: the first edit is the main one, the suggestion block is built around it. */
export interface RewritePlan {
  kind: 'plan';
  strategy: SuggestedStrategy;
  edits: PlannedEdit[];
  description: string;
}

/** A rewrite that cannot be written as a patch; the description still tells the reviewer what to do. */
export interface RewriteRefusal {
  kind: 'refusal';
  strategy: SuggestedStrategy;
  reason: string;
  description: string;
}

export type RewriteResult = RewritePlan | RewriteRefusal;

export function plan(strategy: SuggestedStrategy, description: string, ...edits: PlannedEdit[]): RewritePlan {
  return { kind: 'plan', strategy, edits, description };
}

/** A line of its own inserted before the line holding `offset`, indented like that line. */
export function lineBefore(text: string, offset: number, code: string): PlannedEdit {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(start))![0];
  return { start, end: start, newText: `${indent}${code}\n` };
}

/**
 * A line of its own inserted after the line where the statement spanning `start`–`end` ends, indented
 * like the statement's first line; null when nothing follows that line.
 */
export function lineAfter(text: string, start: number, end: number, code: string): PlannedEdit | null {
  const lineEnd = text.indexOf('\n', end);
  if (lineEnd < 0) return null;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  return { start: lineEnd + 1, end: lineEnd + 1, newText: `${indent}${code}\n` };
}

export function refuse(strategy: SuggestedStrategy, reason: string, description: string): RewriteRefusal {
  return { kind: 'refusal', strategy, reason, description };
}
