import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { STRATEGIES } from '../../src/config.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { suggest } from '../../src/suggest/suggest.js';
import { loadTable } from './rule-table.js';
import { runCase } from './rule-table.js';
import { describePatchRows } from './patch-table.js';

/**
 * Every finding on the Python, Go and Ruby rule tables gets a patch for every strategy, the patch
 * re-parses with the language's grammar (`validatePatch`), and the patched file no longer has the
 * finding it fixed.
 */

const LANGUAGES: { name: string; analyzer: LanguageAnalyzer; filename: string; tables: string[] }[] = [
  {
    name: 'python',
    analyzer: new PythonAnalyzer(),
    filename: 'app/service.py',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries'],
  },
  {
    name: 'go',
    analyzer: new GoAnalyzer(),
    filename: 'internal/client/client.go',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries'],
  },
  {
    name: 'ruby',
    analyzer: new RubyAnalyzer(),
    filename: 'app/services/client.rb',
    tables: ['fixed-delay-retry', 'unjittered-backoff', 'libraries'],
  },
];

const OPTIONS = { capMs: 30_000, goldenIndexEnv: 'POD_INDEX' };

for (const language of LANGUAGES) {
  for (const table of language.tables) {
    const path = `fixtures/${language.name}/${table}.yml`;
    describe(`patches for ${path}`, () => {
      for (const testCase of loadTable(path).invalid ?? []) {
        it(testCase.name, async () => {
          const findings = await runCase(testCase, language.analyzer, language.filename);
          expect(findings.length).toBeGreaterThan(0);
          for (const finding of findings) {
            for (const strategy of STRATEGIES) {
              const suggestion = suggest(finding, testCase.code, { ...OPTIONS, strategy });
              expect(suggestion.valid ? 'valid' : `${strategy}: ${suggestion.invalidReason}`).toBe('valid');
            }
            const full = suggest(finding, testCase.code, { ...OPTIONS, strategy: 'full' });
            const patched = applyEdits(testCase.code, full.edits);
            const after = await runCase({ ...testCase, code: patched }, language.analyzer, language.filename);
            expect(after.map((f) => f.message)).not.toContain(finding.message);
            expect(after.length).toBeLessThan(findings.length);
          }
        });
      }
    });
  }
}

for (const language of LANGUAGES) {
  if (existsSync(new URL(`../../fixtures/${language.name}/patches.yml`, import.meta.url)))
    describePatchRows(`fixtures/${language.name}/patches.yml`, language.analyzer, language.filename);
}

describe('patches that reuse the repository’s jitter helper', () => {
  it('Python: calls the helper with the attempt and imports it', async () => {
    const code = [
      'import time',
      '',
      '',
      'def fetch(client):',
      '    for attempt in range(5):',
      '        try:',
      '            return client.get()',
      '        except ConnectionError:',
      '            time.sleep(2)',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'helper', code }, new PythonAnalyzer(), 'app/clients/orders.py');
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: { name: 'backoff_seconds', path: 'app/retry.py', takesAttempt: true },
    });
    expect(suggestion.valid).toBe(true);
    expect(suggestion.primary?.newLines).toBe('            time.sleep(backoff_seconds(attempt))');
    expect(applyEdits(code, suggestion.edits)).toContain(
      'import time\nfrom app.retry import backoff_seconds\n',
    );
  });

  it('Python: brings an attempt counter when the helper takes one and the loop counts nothing', async () => {
    const code = [
      'import time',
      '',
      '',
      'def consume(stream):',
      '    while True:',
      '        try:',
      '            return stream.read()',
      '        except ThrottledError:',
      '            time.sleep(5)',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'counter', code }, new PythonAnalyzer(), 'app/consumer.py');
    expect(finding!.attemptVar).toBeUndefined();
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: { name: 'backoff_seconds', path: 'app/retry.py', takesAttempt: true },
    });
    expect(suggestion.valid).toBe(true);
    expect(applyEdits(code, suggestion.edits)).toBe(
      [
        'import time',
        'from app.retry import backoff_seconds',
        '',
        '',
        'def consume(stream):',
        '    attempt = 0',
        '    while True:',
        '        try:',
        '            return stream.read()',
        '        except ThrottledError:',
        '            attempt += 1',
        '            time.sleep(backoff_seconds(attempt))',
        '',
      ].join('\n'),
    );
    expect(suggestion.description).toMatch(/counts them: `attempt = 0` before the loop/);
  });

  it('Python: names the counter it brings so as not to clash with a name the function uses', async () => {
    const looped = [
      'import time',
      '',
      '',
      'def consume(stream, log):',
      '    while True:',
      '        try:',
      '            return stream.read()',
      '        except ThrottledError:',
      '            log.warning("attempt failed")',
      '            time.sleep(5)',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'named', code: looped }, new PythonAnalyzer(), 'app/consumer.py');
    const helper = { name: 'backoff_seconds', path: 'app/retry.py', takesAttempt: true };
    const named = suggest(finding!, looped, { ...OPTIONS, strategy: 'full', repoHelper: helper });
    expect(applyEdits(looped, named.edits)).toContain('    retry_attempt = 0\n    while True:');
    expect(named.primary?.newLines).toBe(
      '            retry_attempt += 1\n            time.sleep(backoff_seconds(retry_attempt))',
    );
  });

  it('Python: ignores a helper written in another language', async () => {
    const code =
      'import time\n\n\ndef f():\n    while True:\n        try:\n            return g()\n        except OSError:\n            time.sleep(1)\n';
    const [finding] = await runCase({ name: 'ts helper', code }, new PythonAnalyzer(), 'app/f.py');
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: { name: 'fullJitter', path: 'src/lib/backoff.ts', takesAttempt: true },
    });
    expect(suggestion.primary?.newLines).toBe('            time.sleep(random.uniform(0, 1))');
  });
});
