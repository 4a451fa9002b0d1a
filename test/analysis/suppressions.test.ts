import { describe, expect, it } from 'vitest';
import type { Language } from '../../src/analysis/finding.js';
import { silences, suppressedLines } from '../../src/analysis/suppressions.js';

/** Source text from lines, so each case reads top to bottom with its line numbers obvious. */
const source = (...rows: string[]): string => rows.join('\n');

interface Case {
  name: string;
  language?: Language;
  code: string;
  expected: [number, string][];
}

const cases: Case[] = [
  {
    name: 'TS: next-line and same-line markers with reasons',
    language: 'typescript',
    code: source(
      'for (;;) {',
      '  // jitterbot-ignore-next-line -- polling a job, not a retry',
      '  await sleep(1000);',
      '  await sleep(2000); // jitterbot-ignore-line: paced on purpose',
      '}',
    ),
    expected: [
      [3, 'polling a job, not a retry'],
      [4, 'paced on purpose'],
    ],
  },
  {
    name: 'TS: block comments, single-line and spanning lines',
    language: 'typescript',
    code: source(
      '/* jitterbot-ignore-next-line reviewed */',
      'await sleep(1000);',
      'await sleep(1000); /* jitterbot-ignore-line inline */ more();',
      '/**',
      ' * jitterbot-ignore-next-line spans',
      ' */',
      'await sleep(5);',
    ),
    expected: [
      [2, 'reviewed'],
      [3, 'inline'],
      [7, 'spans'],
    ],
  },
  {
    name: 'TS: markers inside strings and template literals do not count',
    language: 'typescript',
    code: source(
      'const a = "// jitterbot-ignore-next-line";',
      "const b = 'jitterbot-ignore-line';",
      'const c = `',
      '  // jitterbot-ignore-next-line',
      '`;',
      'const url = "http://example.com"; // jitterbot-ignore-line after a string',
    ),
    expected: [[6, 'after a string']],
  },
  {
    name: 'TS: no reason, and look-alike words',
    language: 'typescript',
    code: source(
      'await sleep(1); // jitterbot-ignore-line',
      '// jitterbot-ignore-lines is not a marker',
      '// jitterbot-ignore-next-line-please is not either',
      'await sleep(2);',
    ),
    expected: [[1, '']],
  },
  {
    name: 'Python: # comments; // is floor division; strings and docstrings do not count',
    language: 'python',
    code: source(
      'while True:',
      '    try:',
      '        call()',
      '    except Exception:',
      '        # jitterbot-ignore-next-line: server asks for this pace',
      '        time.sleep(5)',
      '        time.sleep(n // 2)  # jitterbot-ignore-line halved',
      '        log("# jitterbot-ignore-line")',
      '        """',
      '        # jitterbot-ignore-next-line',
      '        """',
      '        time.sleep(1)',
    ),
    expected: [
      [6, 'server asks for this pace'],
      [7, 'halved'],
    ],
  },
  {
    name: 'Go: raw strings span lines',
    language: 'go',
    code: source(
      'msg := `',
      '// jitterbot-ignore-next-line',
      '`',
      '// jitterbot-ignore-next-line backoff is on the server',
      'time.Sleep(2 * time.Second)',
    ),
    expected: [[5, 'backoff is on the server']],
  },
  {
    name: 'Rust: a lifetime quote does not open a string',
    language: 'rust',
    code: source("fn f<'a>(x: &'a str) -> &'a str { // jitterbot-ignore-line lifetimes", '}'),
    expected: [[1, 'lifetimes']],
  },
  {
    name: 'Ruby: # comments, not inside strings',
    language: 'ruby',
    code: source('sleep 5 # jitterbot-ignore-line fixed on purpose', 'puts "# jitterbot-ignore-line"'),
    expected: [[1, 'fixed on purpose']],
  },
  {
    name: 'Java: text blocks do not count, comments do',
    language: 'java',
    code: source(
      'String s = """',
      '  // jitterbot-ignore-next-line',
      '  """;',
      'Thread.sleep(1000); // jitterbot-ignore-line legacy',
    ),
    expected: [[4, 'legacy']],
  },
  {
    name: 'C#: a char literal holding a double quote',
    language: 'csharp',
    code: source("var q = '\"'; // jitterbot-ignore-line char", 'Thread.Sleep(1);'),
    expected: [[1, 'char']],
  },
  {
    name: 'unknown language: every comment syntax',
    code: source('# jitterbot-ignore-next-line one', 'x', '// jitterbot-ignore-next-line two', 'y'),
    expected: [
      [2, 'one'],
      [4, 'two'],
    ],
  },
  {
    name: 'CRLF line endings',
    language: 'typescript',
    code: '// jitterbot-ignore-next-line crlf\r\nawait sleep(1);\r\n',
    expected: [[2, 'crlf']],
  },
  {
    name: 'the first marker for a line wins',
    language: 'typescript',
    code: source('// jitterbot-ignore-next-line first', 'x(); // jitterbot-ignore-line second'),
    expected: [[2, 'first']],
  },
];

describe('suppressedLines', () => {
  it.each(cases)('$name', ({ code, language, expected }) => {
    expect([...suppressedLines(code, language)].map(([line, { reason }]) => [line, reason])).toEqual(
      expected,
    );
  });

  it('limits a marker to the rules named right after it', () => {
    const code = source(
      '// jitterbot-ignore-next-line unjittered-backoff -- capped on purpose',
      'await sleep(delay);',
      'await sleep(5000); // jitterbot-ignore-line fixed-delay-retry, unjittered-backoff: both',
      'await sleep(1); // jitterbot-ignore-line fixed-delay-retryx typo is a reason',
    );
    const found = suppressedLines(code, 'typescript');
    expect(found.get(2)).toEqual({ reason: 'capped on purpose', rules: ['unjittered-backoff'] });
    expect(silences(found.get(2), 'unjittered-backoff')).toBe(true);
    expect(silences(found.get(2), 'fixed-delay-retry')).toBe(false);
    expect(found.get(3)).toEqual({ reason: 'both', rules: ['fixed-delay-retry', 'unjittered-backoff'] });
    expect(found.get(4)).toEqual({ reason: 'fixed-delay-retryx typo is a reason' });
    expect(silences(found.get(4), 'fixed-delay-retry')).toBe(true);
  });

  it('in TS syntax, `#` starts nothing', () => {
    expect([...suppressedLines('this.#x = 1; # jitterbot-ignore-line', 'typescript')]).toEqual([]);
  });
});
