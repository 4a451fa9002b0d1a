import { ts } from 'ts-morph';
import type { PlannedEdit } from '../plan.js';
import type { EcmaSource } from './source.js';

/** Default indentation step when an object literal gives no example to copy. */
const INDENT_STEP = '  ';

/**
 * Adds `text` (e.g. `randomize: true`) as the last property of an object literal, in the literal's
 * own style: one property per line with the same indentation and trailing-comma habit when it is
 * multi-line, `{ a, text }` when it is on one line.
 */
export function addProperty(
  source: EcmaSource,
  object: ts.ObjectLiteralExpression,
  text: string,
): PlannedEdit {
  const { lines } = source;
  const properties = object.properties;
  const open = source.start(object);
  const close = object.end - 1;
  const last = properties[properties.length - 1];
  if (last === undefined) {
    if (!source.isMultiLine(object)) return { start: open + 1, end: close, newText: ` ${text} ` };
    const indent = lines.indentation(lines.lineOf(open)) + INDENT_STEP;
    return {
      start: open + 1,
      end: close,
      newText: `\n${indent}${text}\n${lines.indentation(lines.lineOf(close))}`,
    };
  }
  const lastLine = lines.lineOf(last.end);
  const closeLine = lines.lineOf(close);
  if (!source.isMultiLine(object) || lastLine === closeLine) {
    return { start: last.end, end: last.end, newText: `, ${text}` };
  }
  const indent = lines.indentation(lines.lineOf(source.start(last)));
  const lineEnd = lines.lineContentEnd(lastLine);
  if (properties.hasTrailingComma) {
    return { start: lineEnd, end: lineEnd, newText: `\n${indent}${text},` };
  }
  // Keep a comment that follows the last property on its line: the comma goes before it.
  const rest = source.text.slice(last.end, lineEnd);
  return { start: last.end, end: lineEnd, newText: `,${rest}\n${indent}${text}` };
}

/**
 * Removes a property. A property alone on its line(s) is removed with its line, so the suggestion
 * reads as a deleted line; otherwise it is cut with its separating comma.
 */
export function removeProperty(
  source: EcmaSource,
  object: ts.ObjectLiteralExpression,
  property: ts.Node,
): PlannedEdit {
  const { lines, text } = source;
  const properties = [...object.properties];
  const index = properties.indexOf(property as ts.ObjectLiteralElementLike);
  const start = source.start(property);
  const firstLine = lines.lineOf(start);
  const afterComma = commaEnd(text, property.end);
  const lastLine = lines.lineOf(afterComma);
  const before = text.slice(lines.lineStart(firstLine), start);
  const after = text.slice(afterComma, lines.lineContentEnd(lastLine));
  if (/^\s*$/.test(before) && /^\s*(\/\/.*)?$/.test(after) && source.isMultiLine(object)) {
    return { start: lines.lineStart(firstLine), end: lines.lineEnd(lastLine), newText: '' };
  }
  const next = properties[index + 1];
  if (next !== undefined) return { start, end: source.start(next), newText: '' };
  const previous = properties[index - 1];
  if (previous !== undefined) return { start: previous.end, end: property.end, newText: '' };
  // The only property: leave an empty literal.
  return { start: source.start(object) + 1, end: object.end - 1, newText: '' };
}

/** Offset just past the comma that follows `end` (skipping spaces), or `end` when there is none. */
function commaEnd(text: string, end: number): number {
  const match = /^[ \t]*,/.exec(text.slice(end));
  return match === null ? end : end + match[0].length;
}

/** Replaces a property's value (`randomize: false` → `randomize: true`). */
export function replaceValue(
  source: EcmaSource,
  property: ts.PropertyAssignment,
  newText: string,
): PlannedEdit {
  return { start: source.start(property.initializer), end: property.initializer.end, newText };
}
