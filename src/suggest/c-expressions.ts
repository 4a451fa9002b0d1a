/**
 * Expression text helpers shared by the C-family rewrites (Java, Kotlin, C#, Rust): enough lexing to
 * wrap an operand or find a closing parenthesis, without a parser.
 */

/** `x` when it is a name, number or call; `(x)` otherwise. */
export function atom(expression: string): string {
  const text = expression.trim();
  if (/^[\w.]+$/.test(text)) return text;
  const call = /^[\w.:]+\(/.exec(text);
  return call && matchingParen(text, call[0].length - 1) === text.length - 1 ? text : `(${text})`;
}

/** Index of the `)` matching the `(` at `open`, skipping string literals; -1 when unbalanced. */
export function matchingParen(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    const char = text[index];
    if (char === '"') {
      index = text.indexOf('"', index + 1);
      if (index < 0) return -1;
      continue;
    }
    if (char === '(') depth += 1;
    if (char === ')' && --depth === 0) return index;
  }
  return -1;
}
