import { RULE_LEVEL, type Language, type RuleId } from './finding.js';

/**
 * Inline suppressions: a comment `jitterbot-ignore-next-line <reason>` silences the line after the
 * comment, `jitterbot-ignore-line <reason>` the line it is on. Rule ids right after the marker
 * (`jitterbot-ignore-line unjittered-backoff -- reason`, several separated by commas) limit it to
 * those rules, as ESLint's `eslint-disable-line rule` does. The marker counts only inside a comment,
 * so a string that happens to contain it (a test message, this module's own constants) does not
 * suppress anything. The scan is a small lexer, not a parser: it knows each language's comments and
 * strings well enough to tell the two apart, and nothing more.
 */

const MARKER = /jitterbot-ignore-(next-line|line)(?![\w-])/g;
// Separators people put between the marker and the reason: `-- why`, `: why`, `— why`.
const REASON_PREFIX = /^[\s:\-–—]+/;
const RULE_ID = Object.keys(RULE_LEVEL).join('|');
const RULE_LIST = new RegExp(`^\\s*((?:${RULE_ID})(?:\\s*,\\s*(?:${RULE_ID}))*)(?![\\w-])`);

/** What one line's marker silences: every rule, or the rules it names. */
export interface Suppression {
  reason: string;
  /** Absent: every rule. */
  rules?: RuleId[];
}

/** Whether a line's suppression (if any) silences `rule`. */
export function silences(suppression: Suppression | undefined, rule: RuleId): boolean {
  return suppression !== undefined && (suppression.rules === undefined || suppression.rules.includes(rule));
}

interface StringSyntax {
  open: string;
  close: string;
  /** May span lines; otherwise an opener with no closer on its line is not a string (Rust `'a`, apostrophes). */
  multiline: boolean;
  escapes: boolean;
}

interface CommentSyntax {
  line: readonly string[];
  block: readonly (readonly [string, string])[];
  /** Longest openers first, so `"""` is tried before `"`. */
  strings: readonly StringSyntax[];
}

const quoted = (open: string, multiline: boolean, escapes = true): StringSyntax => ({
  open,
  close: open,
  multiline,
  escapes,
});

const C_BLOCK = [['/*', '*/']] as const;
const DOUBLE = quoted('"', false);
const SINGLE = quoted("'", false);

const SYNTAX = {
  // Template literals span lines; `${…}` inside them is rare enough in a line holding a marker to ignore.
  javascript: { line: ['//'], block: C_BLOCK, strings: [quoted('`', true), DOUBLE, SINGLE] },
  // Raw strings (backquotes) span lines and have no escapes.
  go: { line: ['//'], block: C_BLOCK, strings: [quoted('`', true, false), DOUBLE, SINGLE] },
  // Java text blocks, Kotlin raw strings and C# raw literals open with `"""`.
  jvm: { line: ['//'], block: C_BLOCK, strings: [quoted('"""', true, false), DOUBLE, SINGLE] },
  // Rust string literals may span lines; `'` is a char or a lifetime.
  rust: { line: ['//'], block: C_BLOCK, strings: [quoted('"', true), SINGLE] },
  python: { line: ['#'], block: [], strings: [quoted('"""', true), quoted("'''", true), DOUBLE, SINGLE] },
  ruby: { line: ['#'], block: [], strings: [quoted('"', true), quoted("'", true)] },
  // Unknown language: every syntax at once, which only errs towards finding a comment where a rarer
  // language construct was meant (`#` of a JS private field) — harmless unless a marker follows it.
  any: {
    line: ['//', '#'],
    block: C_BLOCK,
    strings: [quoted('"""', true), quoted("'''", true), quoted('`', true), DOUBLE, SINGLE],
  },
} satisfies Record<string, CommentSyntax>;

const SYNTAX_OF: Record<Language, CommentSyntax> = {
  typescript: SYNTAX.javascript,
  javascript: SYNTAX.javascript,
  go: SYNTAX.go,
  java: SYNTAX.jvm,
  kotlin: SYNTAX.jvm,
  csharp: SYNTAX.jvm,
  rust: SYNTAX.rust,
  python: SYNTAX.python,
  ruby: SYNTAX.ruby,
};

/** 1-based lines suppressed in `text`, each with its reason ('' when none was written) and rules. */
export function suppressedLines(text: string, language?: Language): Map<number, Suppression> {
  const syntax = language ? SYNTAX_OF[language] : SYNTAX.any;
  const lines = new LineIndex(text);
  const suppressed = new Map<number, Suppression>();
  const suppress = (line: number, found: Suppression): void => {
    const earlier = suppressed.get(line);
    if (!earlier) suppressed.set(line, found);
    // The first reason stays; rules add up, and a marker naming none silences them all.
    else if (earlier.rules && found.rules) earlier.rules = [...new Set([...earlier.rules, ...found.rules])];
    else delete earlier.rules;
  };
  for (const comment of comments(text, syntax)) {
    const endLine = lines.lineOf(comment.end);
    for (const match of comment.text.matchAll(MARKER)) {
      const at = comment.start + match.index;
      const afterMarker = comment.text.slice(match.index + match[0].length).split('\n')[0] ?? '';
      const named = RULE_LIST.exec(afterMarker);
      const reason = afterMarker
        .slice(named?.[0].length ?? 0)
        .replace(REASON_PREFIX, '')
        .trim();
      const found: Suppression = named
        ? { reason, rules: named[1]!.split(',').map((rule) => rule.trim() as RuleId) }
        : { reason };
      // A next-line marker in a block comment spanning lines refers to the line after the comment.
      if (match[1] === 'next-line') suppress(endLine + 1, found);
      else suppress(lines.lineOf(at), found);
    }
  }
  return suppressed;
}

interface Comment {
  /** Offset of the comment's content (after the opener). */
  start: number;
  /** Offset just past the content (before the closer or the line break). */
  end: number;
  text: string;
}

/** The comments of `text`, skipping strings. */
function comments(text: string, syntax: CommentSyntax): Comment[] {
  const found: Comment[] = [];
  let index = 0;
  scan: while (index < text.length) {
    for (const opener of syntax.line) {
      if (text.startsWith(opener, index)) {
        const start = index + opener.length;
        const end = endOfLine(text, start);
        found.push({ start, end, text: text.slice(start, end) });
        index = end;
        continue scan;
      }
    }
    for (const [open, close] of syntax.block) {
      if (text.startsWith(open, index)) {
        const start = index + open.length;
        const closeAt = text.indexOf(close, start);
        const end = closeAt === -1 ? text.length : closeAt;
        found.push({ start, end, text: text.slice(start, end) });
        index = closeAt === -1 ? text.length : closeAt + close.length;
        continue scan;
      }
    }
    for (const string of syntax.strings) {
      if (text.startsWith(string.open, index)) {
        const close = closingQuote(text, index + string.open.length, string);
        if (close === -1) break;
        index = close + string.close.length;
        continue scan;
      }
    }
    index += 1;
  }
  return found;
}

/** Offset of the quote closing a string whose content starts at `from`, or -1 when it is not a string. */
function closingQuote(text: string, from: number, string: StringSyntax): number {
  const limit = string.multiline ? text.length : endOfLine(text, from);
  for (let index = from; index < limit; index += 1) {
    if (string.escapes && text[index] === '\\') {
      index += 1;
      continue;
    }
    if (text.startsWith(string.close, index)) return index;
  }
  // An unterminated multi-line string runs to the end of the file, as the language would read it.
  return string.multiline ? text.length : -1;
}

function endOfLine(text: string, from: number): number {
  const newline = text.indexOf('\n', from);
  return newline === -1 ? text.length : newline;
}

/** Offset → 1-based line, by binary search over line starts. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
      this.starts.push(index + 1);
    }
  }

  lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.starts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}
