import type { Finding } from '../analysis/finding.js';

/**
 * Guards the attempt counter a patch grows its window with. A counter that counts down (`retries--`,
 * `remaining -= 1`) would shrink the window with every attempt; without the bound it counts down from
 * the patch cannot write `max - remaining`, so it keeps the fixed bound and jitters that, and says why.
 */

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the file decrements `name` anywhere (a coarse test that errs towards keeping the bound). */
export function countsDown(fileText: string, name: string): boolean {
  const n = escape(name);
  const decrement = new RegExp(
    `(?<![\\w.])${n}\\s*(?:--|-=\\s*1\\b)|--\\s*${n}(?![\\w.])|(?<![\\w.])${n}\\s*=\\s*${n}\\s*-\\s*1\\b`,
  );
  return decrement.test(fileText);
}

/** The finding without its attempt counter when that counter counts down, and the sentence saying so. */
export function attemptCounted(finding: Finding, fileText: string): { finding: Finding; note?: string } {
  const name = finding.attemptVar;
  if (name === undefined || !countsDown(fileText, name)) return { finding };
  const { attemptVar: _dropped, ...rest } = finding;
  return {
    finding: rest,
    note: `\`${name}\` counts down, so a window grown with it would shrink; the patch keeps the fixed bound.`,
  };
}
