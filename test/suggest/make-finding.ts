import {
  fingerprintOf,
  type Delay,
  type Finding,
  type Language,
  type RetryLibrary,
  type SourceRange,
  type WaitForm,
} from '../../src/analysis/finding.js';

/** The range of the `occurrence`-th appearance of `snippet` in `text` (1-based lines and columns). */
export function rangeOf(text: string, snippet: string, occurrence = 0): SourceRange {
  let start = -1;
  for (let i = 0; i <= occurrence; i += 1) {
    start = text.indexOf(snippet, start + 1);
    if (start < 0) throw new Error(`snippet not found: ${snippet}`);
  }
  const end = start + snippet.length;
  const position = (offset: number) => {
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    return { line, column: offset - before.lastIndexOf('\n') };
  };
  const from = position(start);
  const to = position(end);
  return {
    startLine: from.line,
    startColumn: from.column,
    endLine: to.line,
    endColumn: to.column,
    startOffset: start,
    endOffset: end,
  };
}

function languageOf(path: string): Language {
  return /\.[cm]?jsx?$/.test(path) ? 'javascript' : 'typescript';
}

interface Common {
  path: string;
  code: string;
  delay: Delay;
  attemptVar?: string;
}

function finding(common: Common, form: WaitForm, range: SourceRange): Finding {
  const rule = common.delay.kind === 'fixed' ? 'fixed-delay-retry' : 'unjittered-backoff';
  return {
    rule,
    level: rule === 'fixed-delay-retry' ? 'warning' : 'note',
    language: languageOf(common.path),
    path: common.path,
    range,
    delay: common.delay,
    trigger: { kind: 'exception' },
    form,
    ...(common.attemptVar === undefined ? {} : { attemptVar: common.attemptVar }),
    evidence: ['the wait is in a `catch` block inside a `for` loop'],
    confidence: 'high',
    message: 'Retry waits a fixed delay',
    fingerprint: fingerprintOf(rule, common.path, common.code.slice(range.startOffset, range.endOffset)),
  };
}

/** A finding on a sleep-like call whose argument is `argument` (the `occurrence`-th match). */
export function callFinding(
  common: Common & {
    argument: string;
    call?: Extract<WaitForm, { kind: 'call-argument' }>['call'];
    occurrence?: number;
  },
): Finding {
  const argument = rangeOf(common.code, common.argument, common.occurrence ?? 0);
  return finding(
    common,
    { kind: 'call-argument', call: common.call ?? 'sleep-helper', argument, argumentText: common.argument },
    argument,
  );
}

/** A finding on a retry library's options: `target` is the object literal or call to rewrite. */
export function libraryFinding(common: Common & { library: RetryLibrary; target: string }): Finding {
  const target = rangeOf(common.code, common.target);
  return finding(
    common,
    { kind: 'library-option', library: common.library, target, targetText: common.target },
    target,
  );
}
