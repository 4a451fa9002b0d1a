/** The longest run of backticks in `text` (0 when there is none). */
export function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/**
 * A Markdown code span that shows `text` literally, whatever it contains: the fence is one backtick
 * longer than any run inside, padded with spaces when the text starts or ends with a backtick, and
 * newlines become spaces (a code span is one line).
 */
export function inlineCode(text: string): string {
  const flat = text.replace(/\r?\n\s*/g, ' ');
  const fence = '`'.repeat(longestBacktickRun(flat) + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || /^ .* $/.test(flat) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
