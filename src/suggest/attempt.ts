import type { Finding } from '../analysis/finding.js';

/**
 * Guards the attempt counter a patch grows its window with. A counter that counts down (`retries--`,
 * `remaining -= 1`) would shrink the window with every attempt; without the bound it counts down from
 * the patch cannot write `max - remaining`, so it keeps the fixed bound and jitters that, and says why.
 * So does a Python counter that may be unbound at the wait.
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

/**
 * Whether a Python local is bound before the wait on every path: a parameter of the enclosing
 * function, a `for` target, or an assignment before the wait in the wait's block or a block that
 * encloses it (never in a sibling branch's deeper body). A counter first assigned in a sibling branch (`if new: n = 0` / `else: n += 1; sleep`)
 * raises `UnboundLocalError` when the patch reads it. Errs towards "not bound": the patch then keeps
 * the fixed bound, which is always correct.
 */
export function boundBeforeInPython(fileText: string, waitOffset: number, name: string): boolean {
  if (name.includes('.')) return true; // an attribute is never an unbound local
  const lines = fileText.slice(0, waitOffset).split('\n');
  let depth = /^\s*/.exec(lines[lines.length - 1]!)![0].length;
  const n = escape(name);
  const binds = new RegExp(
    `^\\s*(?:for\\s+[^:]*(?<![\\w.])${n}(?![\\w.])[^:]*\\bin\\b|(?:[\\w.]+\\s*,\\s*)*${n}\\s*(?:,\\s*[\\w.]+\\s*)*(?::[^=]+)?=(?!=))`,
  );
  for (let index = lines.length - 2; index >= 0; index -= 1) {
    const line = lines[index]!;
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    // Only statements that run before the wait on every path: earlier ones of each enclosing block.
    const indent = /^\s*/.exec(line)![0].length;
    if (indent > depth) continue;
    depth = indent;
    if (binds.test(line)) return true;
    if (/^\s*(?:async\s+)?def\s/.test(line)) {
      const signature = lines
        .slice(index)
        .join('\n')
        .split(/\)\s*(?:->[^:]*)?:/)[0]!;
      return new RegExp(`(?<![\\w.])${n}(?![\\w.])`).test(signature);
    }
  }
  return false;
}

/** The finding without its attempt counter when that counter cannot be used, and the sentence saying why. */
export function attemptCounted(finding: Finding, fileText: string): { finding: Finding; note?: string } {
  const name = finding.attemptVar;
  if (name === undefined) return { finding };
  const { attemptVar: _dropped, ...rest } = finding;
  if (countsDown(fileText, name))
    return {
      finding: rest,
      note: `\`${name}\` counts down, so a window grown with it would shrink; the patch keeps the fixed bound.`,
    };
  const wait = finding.form.kind === 'call-argument' ? finding.form.argument.startOffset : undefined;
  if (finding.language === 'python' && wait !== undefined && !boundBeforeInPython(fileText, wait, name))
    return {
      finding: rest,
      note: `\`${name}\` is not assigned on every path to the wait, so the patch keeps the fixed bound.`,
    };
  return { finding };
}

/**
 * Whether the file visibly counts `name` up by one: `name++`, `name += 1`, `name = name + 1`, or
 * binds it as a loop's variable (`for name := …`, `for name in …`, `for (name in …)`, a block's
 * `|name|`, Kotlin's `repeat(n) { name ->`). A counter
 * the analysis picked but nothing increments (a loop's bound, `for i := range retries`) is no
 * attempt to hand a helper; the patch then counts the attempts itself.
 */
export function countsUp(fileText: string, name: string): boolean {
  const n = escape(name);
  const increment = new RegExp(
    `(?<![\\w.])${n}\\s*(?:\\+\\+|\\+=\\s*1\\b)|\\+\\+\\s*${n}(?![\\w.])|(?<![\\w.])${n}\\s*=\\s*${n}\\s*\\+\\s*1\\b`,
  );
  const loopVariable = new RegExp(
    `\\bfor\\s*\\(?\\s*(?:_\\s*,\\s*)?(?:(?:val|var|let|mut)\\s+)?${n}\\s*(?::=|\\bin\\b)|\\|[^|\\n]*(?<![\\w.])${n}(?![\\w.])[^|\\n]*\\||\\brepeat\\s*\\([^)]*\\)\\s*\\{\\s*${n}\\s*->`,
  );
  return increment.test(fileText) || loopVariable.test(fileText);
}
