/**
 * A Kotlin tokenizer good enough to find waits, blocks and simple expressions. There is no packaged
 * WASM grammar for Kotlin, and the Java grammar does not parse it, so the Kotlin analyzer works on
 * tokens: comments and string literals (raw strings and `${…}` templates included) are skipped as
 * units, so braces and parentheses inside them never confuse the block structure.
 */

export interface Token {
  kind: 'identifier' | 'number' | 'string' | 'punct';
  text: string;
  start: number;
  end: number;
}

const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[A-Za-z0-9_]/;
const PUNCTUATION = [
  '?.',
  '?:',
  '::',
  '..',
  '->',
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '+=',
  '-=',
  '*=',
  '/=',
  '++',
  '--',
];

/** End offset of a string literal starting at `start` (handles `"""` raw strings and `${…}` templates). */
function stringEnd(text: string, start: number): number {
  const raw = text.startsWith('"""', start);
  let index = start + (raw ? 3 : 1);
  while (index < text.length) {
    if (raw && text.startsWith('"""', index)) {
      let end = index + 3;
      while (text[end] === '"') end += 1;
      return end;
    }
    const char = text[index]!;
    if (!raw && char === '\\') {
      index += 2;
      continue;
    }
    if (!raw && (char === '"' || char === '\n')) return index + 1;
    if (char === '$' && text[index + 1] === '{') {
      index = templateEnd(text, index + 2);
      continue;
    }
    index += 1;
  }
  return text.length;
}

function templateEnd(text: string, start: number): number {
  let depth = 1;
  let index = start;
  while (index < text.length && depth > 0) {
    const char = text[index]!;
    if (char === '"') {
      index = stringEnd(text, index);
      continue;
    }
    if (char === '{') depth += 1;
    if (char === '}') depth -= 1;
    index += 1;
  }
  return index;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (text.startsWith('//', index)) {
      const newline = text.indexOf('\n', index);
      index = newline < 0 ? text.length : newline;
      continue;
    }
    if (text.startsWith('/*', index)) {
      // Kotlin block comments nest.
      let depth = 0;
      do {
        if (text.startsWith('/*', index)) {
          depth += 1;
          index += 2;
        } else if (text.startsWith('*/', index)) {
          depth -= 1;
          index += 2;
        } else index += 1;
      } while (depth > 0 && index < text.length);
      continue;
    }
    if (char === '"') {
      const end = stringEnd(text, index);
      tokens.push({ kind: 'string', text: text.slice(index, end), start: index, end });
      index = end;
      continue;
    }
    if (char === "'") {
      const end = Math.min(
        text.length,
        text.indexOf("'", index + (text[index + 1] === '\\' ? 3 : 2)) + 1 || text.length,
      );
      tokens.push({ kind: 'string', text: text.slice(index, end), start: index, end });
      index = end;
      continue;
    }
    if (char === '`') {
      const end = text.indexOf('`', index + 1) + 1 || text.length;
      tokens.push({ kind: 'identifier', text: text.slice(index + 1, end - 1), start: index, end });
      index = end;
      continue;
    }
    if (IDENTIFIER_START.test(char)) {
      let end = index + 1;
      while (end < text.length && IDENTIFIER_PART.test(text[end]!)) end += 1;
      tokens.push({ kind: 'identifier', text: text.slice(index, end), start: index, end });
      index = end;
      continue;
    }
    if (/[0-9]/.test(char)) {
      const match = /^(0[xXbB][0-9a-fA-F_]+|[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?)[lLfFuU]*/.exec(
        text.slice(index, index + 64),
      );
      const end = index + (match?.[0].length ?? 1);
      tokens.push({ kind: 'number', text: text.slice(index, end), start: index, end });
      index = end;
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, index)) ?? char;
    tokens.push({ kind: 'punct', text: punct, start: index, end: index + punct.length });
    index += punct.length;
  }
  return tokens;
}

/** For each opening `(`, `[` or `{` token index, the index of its closing token (and back). */
export function matchBrackets(tokens: readonly Token[]): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const [index, token] of tokens.entries()) {
    if (token.kind !== 'punct') continue;
    if (token.text === '(' || token.text === '[' || token.text === '{') stack.push(index);
    else if (closing[token.text]) {
      // Skip unbalanced closers instead of failing: the scan is best effort on invalid code.
      const open =
        stack.length > 0 && tokens[stack[stack.length - 1]!]!.text === closing[token.text]
          ? stack.pop()
          : undefined;
      if (open !== undefined) {
        pairs.set(open, index);
        pairs.set(index, open);
      }
    }
  }
  return pairs;
}

/** True when every bracket of `text` is closed in order and no string or comment is left open. */
export function balanced(text: string): boolean {
  const tokens = tokenize(text);
  const stack: string[] = [];
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (const token of tokens) {
    if (token.kind === 'string' && !/^("""[\s\S]*"""|"([^"\\\n]|\\.)*"|'([^'\\]|\\.)+')$/.test(token.text))
      return false;
    if (token.kind !== 'punct') continue;
    if (token.text === '(' || token.text === '[' || token.text === '{') stack.push(token.text);
    else if (closing[token.text] && stack.pop() !== closing[token.text]) return false;
  }
  return stack.length === 0;
}
