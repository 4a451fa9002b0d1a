import { inlineCode, longestBacktickRun } from '../suggest/inline-code.js';

export { inlineCode } from '../suggest/inline-code.js';

/** GitHub rejects comment bodies over 65,536 characters; stay well under (GitLab allows 1,000,000). */
export const MAX_BODY_CHARS = 60_000;

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => HTML_ENTITIES[char]!);
}

/**
 * Plain text (a path, a config value, words from code) made inert in Markdown: HTML is escaped,
 * Markdown punctuation is backslash-escaped, newlines become spaces, and `@name` gets a zero-width
 * space after the `@` so nobody is mentioned by a string that came from a repository.
 */
export function escapeText(text: string): string {
  return escapeHtml(text.replace(/\r?\n\s*/g, ' '))
    .replace(/[\\`*_[\]#|~]/g, (char) => `\\${char}`)
    .replace(/@(?=[\w-])/g, '@\u200b');
}

/**
 * Text written by the analysis for people, where `code spans` are meant as code: the spans are kept
 * (re-fenced so they cannot break out) and everything between them is escaped as plain text.
 */
export function escapeProse(text: string): string {
  const span = /(`+)([\s\S]*?[^`])\1(?!`)/g;
  let result = '';
  let cursor = 0;
  for (const match of text.matchAll(span)) {
    result += escapeText(text.slice(cursor, match.index)) + inlineCode(match[2]!.replace(/^ (.*) $/, '$1'));
    cursor = match.index + match[0].length;
  }
  return result + escapeText(text.slice(cursor));
}

/** A fenced code block whose fence is longer than any backtick run in the content (at least three). */
export function codeFence(content: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(content) + 1));
  return `${fence}${info}\n${content}\n${fence}`;
}

/** A table cell: pipes escaped (also inside code, which GFM tables require), newlines flattened. */
export function tableCell(markdown: string): string {
  return markdown.replace(/\r?\n/g, ' ').replace(/(?<!\\)\|/g, '\\|');
}

/** A code span inside a table cell. */
export function tableCode(text: string): string {
  return tableCell(inlineCode(text));
}

/** A collapsed section; the blank line after `<summary>` lets Markdown render inside it. */
export function details(summary: string, body: string): string {
  return `<details>\n<summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** A URL safe inside `[text](url)`: only http(s), with spaces and parentheses encoded. */
export function safeUrl(url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  return url.replace(/[\s()<>]/g, (char) => encodeURIComponent(char));
}
