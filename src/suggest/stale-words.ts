import type { Finding } from '../analysis/finding.js';
import type { PlannedEdit, RewritePlan } from './plan.js';
import type { StrategyName } from './types.js';

/**
 * Keeps the code's own words true: a log message or comment next to the wait that states the old
 * delay ("Sleeping for 5 seconds", `"retry in %d ms", 5000`) is left wrong by a patch that randomises
 * the wait. When the patched wait never exceeds the old delay (full, equal or golden jitter over the
 * author's bound) the words become "up to 5 seconds", which stays true; otherwise the description says
 * which line to reword.
 */

/** Lines looked at either side of the wait, within its block. */
const REACH = 4;
/** A number or a format placeholder, then a time unit. */
const STATED =
  /(?<![\w.])(\d+(?:\.\d+)?|%[-+ #0]*\d*(?:\.\d+)?[a-z]|\{[\w.:!>]*\}|\$\{[\w.]+\}|#\{[\w.]+\})\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|mins?|minutes?)\b/gi;
/** Words that already say the wait is a bound or an estimate. */
const HEDGED = /(?:up to|at most|about|around|~|≤)\s*$/i;
/** Strategies whose patched wait never exceeds the original delay when the bound is kept. */
const BOUNDED: ReadonlySet<StrategyName | 'library'> = new Set(['full', 'equal', 'golden']);

interface Stated {
  start: number;
  end: number;
  text: string;
  line: number;
}

export function keepWordsTrue(
  finding: Finding,
  fileText: string,
  result: RewritePlan,
  reused: boolean,
): RewritePlan {
  const ms = finding.delay.kind === 'fixed' ? finding.delay.ms : undefined;
  const main = result.edits[0];
  if (ms === undefined || finding.form.kind !== 'call-argument' || !main) return result;
  const stated = statedDelays(fileText, main.start, ms, finding.form.argumentText).filter(
    (s) => !result.edits.some((edit) => edit.start < s.end && s.start < edit.end),
  );
  if (stated.length === 0) return result;
  const keepsBound = finding.attemptVar === undefined && !reused && BOUNDED.has(result.strategy);
  if (!keepsBound) {
    const lines = stated.map((s) => `line ${s.line} (“${s.text}”)`).join(', ');
    return {
      ...result,
      description: `${result.description} The words on ${lines} still state the old fixed wait; reword them for the randomised one.`,
    };
  }
  const edits: PlannedEdit[] = stated.map((s) => ({
    start: s.start,
    end: s.start,
    newText: 'up to ',
    joinsBlock: true,
    note: `say “up to ${s.text}” on line ${s.line}, where the code states the old wait`,
  }));
  return { ...result, edits: [...result.edits, ...edits] };
}

/** Delays stated in strings or comments of the wait's block that are this wait's `ms`. */
function statedDelays(text: string, waitOffset: number, ms: number, argument: string): Stated[] {
  const lines = text.split('\n');
  const starts: number[] = [];
  lines.reduce((offset, line) => (starts.push(offset), offset + line.length + 1), 0);
  const waitLine = text.slice(0, waitOffset).split('\n').length - 1;
  const indent = (line: string) => /^\s*/.exec(line)![0].length;
  const depth = indent(lines[waitLine]!);
  const found: Stated[] = [];
  for (const step of [-1, 1]) {
    for (let index = waitLine + (step < 0 ? 0 : 1), seen = 0; seen <= REACH; index += step, seen += 1) {
      const line = lines[index];
      if (line === undefined || (line.trim() !== '' && indent(line) < depth)) break;
      found.push(...statedOn(line, starts[index]!, index + 1, ms, argument));
    }
  }
  return found;
}

function statedOn(
  line: string,
  lineStart: number,
  lineNumber: number,
  ms: number,
  argument: string,
): Stated[] {
  const found: Stated[] = [];
  for (const match of line.matchAll(STATED)) {
    const [whole, amount, unit] = match as unknown as [string, string, string];
    const at = match.index;
    if (!inWords(line, at) || HEDGED.test(line.slice(0, at))) continue;
    const perUnit = /^m(?:s|sec|illisecond)/i.test(unit) ? 1 : /^m/i.test(unit) ? 60_000 : 1000;
    const literal = /^\d/.test(amount);
    // A placeholder states this wait only when the line passes the wait's argument, or its value.
    const equals = (value: string) => Math.abs(Number(value) * perUnit - ms) < 1e-6;
    const passed = [...line.slice(at + whole.length).matchAll(/(?<![\w.])\d+(?:\.\d+)?(?![\w.])/g)];
    const same = literal
      ? equals(amount)
      : mentions(line, argument) || passed.some((number) => equals(number[0]));
    if (same)
      found.push({
        start: lineStart + at,
        end: lineStart + at + whole.length,
        text: whole,
        line: lineNumber,
      });
  }
  return found;
}

/**
 * Whether `at` is in prose: a comment, or a string literal with a word before the number (a message
 * such as "retrying in 5s", not a value such as `ms("5s")` or `"PT5S"` that code parses).
 */
function inWords(line: string, at: number): boolean {
  const before = line.slice(0, at);
  if (/(?:\/\/|--|(?:^|\s)#(?!\{))/.test(before.replace(/"[^"]*"|'[^']*'/g, '""'))) return true;
  return ['"', "'", '`'].some((quote) => {
    const parts = before.split(quote);
    return parts.length % 2 === 0 && /[A-Za-z]{2,}/.test(parts[parts.length - 1]!);
  });
}

/** The line passes `argument` (a name or a number) as a whole word, e.g. to a log call. */
function mentions(line: string, argument: string): boolean {
  const text = argument.trim();
  if (!/^[\w.]+$/.test(text)) return false;
  return new RegExp(`(?<![\\w.])${text.replace(/\./g, '\\.')}(?![\\w.])`).test(line);
}
