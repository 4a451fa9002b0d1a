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

  const goDelay = {
    name: 'Delay',
    path: 'internal/backoff/backoff.go',
    takesAttempt: true,
    signature: {
      owner: 'backoff',
      params: [
        { name: 'attempt', type: 'int' },
        { name: 'base', type: 'time.Duration' },
        { name: 'max', type: 'time.Duration' },
      ],
      returns: 'time.Duration',
    },
  };
  const goProject = { goVersion: '1.22', goModule: { path: 'github.com/acme/shop', dir: '' } };

  it('Go: calls the helper of another package with the attempt, base and cap, and imports it', async () => {
    const code = [
      'package orders',
      '',
      'import (',
      '\t"errors"',
      '\t"time"',
      '',
      '\t"github.com/acme/shop/internal/store"',
      ')',
      '',
      'func Fetch(s *store.Store) error {',
      '\tfor attempt := 0; attempt < 5; attempt++ {',
      '\t\tif err := s.Get(); err == nil {',
      '\t\t\treturn nil',
      '\t\t}',
      '\t\ttime.Sleep(2 * time.Second)',
      '\t}',
      '\treturn errors.New("gave up")',
      '}',
      '',
    ].join('\n');
    const [finding] = await runCase(
      { name: 'go helper', code },
      new GoAnalyzer(),
      'internal/orders/fetch.go',
    );
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: goDelay,
      project: goProject,
    });
    expect(suggestion.valid).toBe(true);
    expect(suggestion.primary?.newLines).toBe(
      '\t\ttime.Sleep(backoff.Delay(attempt, 2*time.Second, 30*time.Second))',
    );
    expect(applyEdits(code, suggestion.edits)).toContain(
      '\t"github.com/acme/shop/internal/backoff"\n\t"github.com/acme/shop/internal/store"\n)',
    );
  });

  it('Go: brings a counter for a helper that takes the attempt; same package needs no import', async () => {
    const code = [
      'package backoff',
      '',
      'import "time"',
      '',
      'func Consume(s Stream) {',
      '\tfor {',
      '\t\tif err := s.Read(); err != nil {',
      '\t\t\ttime.Sleep(5 * time.Second)',
      '\t\t\tcontinue',
      '\t\t}',
      '\t\treturn',
      '\t}',
      '}',
      '',
    ].join('\n');
    const [finding] = await runCase(
      { name: 'go counter', code },
      new GoAnalyzer(),
      'internal/backoff/consume.go',
    );
    expect(finding!.attemptVar).toBeUndefined();
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: { ...goDelay, signature: { ...goDelay.signature, params: [{ name: 'n', type: 'uint' }] } },
      project: goProject,
    });
    expect(suggestion.valid).toBe(true);
    expect(applyEdits(code, suggestion.edits)).toBe(
      [
        'package backoff',
        '',
        'import "time"',
        '',
        'func Consume(s Stream) {',
        '\tattempt := 0',
        '\tfor {',
        '\t\tif err := s.Read(); err != nil {',
        '\t\t\tattempt++',
        '\t\t\ttime.Sleep(Delay(uint(attempt)))',
        '\t\t\tcontinue',
        '\t\t}',
        '\t\treturn',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
    expect(suggestion.description).toMatch(/counts them: `attempt := 0` before the loop, `attempt\+\+`/);
  });

  it("Go: the loop's bound is not the attempt; the range variable is, converted to the helper's int", async () => {
    const code = [
      'package orders',
      '',
      'import "time"',
      '',
      'func Send(get func() error, retries uint) error {',
      '\tvar err error',
      '\tfor i := range retries {',
      '\t\tif err = get(); err == nil {',
      '\t\t\treturn nil',
      '\t\t}',
      '\t\tlog.Printf("try %d failed", i)',
      '\t\ttime.Sleep(time.Second)',
      '\t}',
      '\treturn err',
      '}',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'go bound', code }, new GoAnalyzer(), 'internal/orders/send.go');
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: goDelay,
      project: goProject,
    });
    expect(finding!.attemptVar).toBe('i');
    expect(suggestion.primary?.newLines).toBe(
      '\t\ttime.Sleep(backoff.Delay(int(i), time.Second, 30*time.Second))',
    );
    expect(applyEdits(code, suggestion.edits)).not.toContain('attempt');
  });

  it("Go: a module in a subdirectory; a package the file already imports is named by the file's alias", async () => {
    const code = [
      'package orders',
      '',
      'import (',
      '\t"time"',
      '',
      '\tshop "example.com/shop"',
      ')',
      '',
      'func Fetch(s shop.Store) error {',
      '\tfor attempt := 0; attempt < 5; attempt++ {',
      '\t\tif err := s.Get(); err == nil {',
      '\t\t\treturn nil',
      '\t\t}',
      '\t\ttime.Sleep(2 * time.Second)',
      '\t}',
      '\treturn nil',
      '}',
      '',
    ].join('\n');
    const path = 'services/shop/internal/orders/fetch.go';
    const [finding] = await runCase({ name: 'go alias', code }, new GoAnalyzer(), path);
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper: { ...goDelay, path: 'services/shop/backoff.go' },
      project: { goVersion: '1.22', goModule: { path: 'example.com/shop', dir: 'services/shop' } },
    });
    expect(suggestion.primary?.newLines).toBe(
      '\t\ttime.Sleep(shop.Delay(attempt, 2*time.Second, 30*time.Second))',
    );
    expect(suggestion.edits).toHaveLength(1);
  });

  it('Go: keeps its own patch when the helper cannot be imported or does not return a Duration', async () => {
    const code = [
      'package orders',
      '',
      'import "time"',
      '',
      'func Consume(s Stream) {',
      '\tfor {',
      '\t\tif err := s.Read(); err != nil {',
      '\t\t\ttime.Sleep(5 * time.Second)',
      '\t\t\tcontinue',
      '\t\t}',
      '\t\treturn',
      '\t}',
      '}',
      '',
    ].join('\n');
    const [finding] = await runCase(
      { name: 'go near miss', code },
      new GoAnalyzer(),
      'cmd/orders/consume.go',
    );
    const plain = suggest(finding!, code, { ...OPTIONS, strategy: 'full', project: goProject });
    expect(plain.primary?.newLines).toBe('\t\t\ttime.Sleep(rand.N(5 * time.Second))');
    const nearMisses = [
      // Under another tree's internal/: Go refuses the import.
      { repoHelper: { ...goDelay, path: 'pkg/billing/internal/backoff/backoff.go' }, project: goProject },
      // Not exported from its package.
      { repoHelper: { ...goDelay, name: 'delay' }, project: goProject },
      // Seconds as a float: no Duration to sleep.
      {
        repoHelper: { ...goDelay, signature: { ...goDelay.signature, returns: 'float64' } },
        project: goProject,
      },
      // The finding's file is in a module of its own, nested in the repository.
      {
        repoHelper: goDelay,
        project: { ...goProject, goModule: { path: 'example.com/orders', dir: 'cmd/orders' } },
      },
    ];
    for (const { repoHelper, project } of nearMisses) {
      const suggestion = suggest(finding!, code, { ...OPTIONS, strategy: 'full', repoHelper, project });
      expect(suggestion.primary?.newLines).toBe(plain.primary?.newLines);
    }
  });

  const rubyDelay = {
    name: 'delay_for',
    path: 'lib/net/backoff.rb',
    takesAttempt: true,
    signature: { owner: 'Net::Backoff', params: [{ name: 'attempt' }, { name: 'base', optional: true }] },
  };

  it('Ruby: calls a module function through its module, and requires its file', async () => {
    const code = [
      '# frozen_string_literal: true',
      '',
      "require 'json'",
      '',
      'class OrdersClient',
      '  def fetch',
      '    attempts = 0',
      '    begin',
      '      attempts += 1',
      "      get('/orders')",
      '    rescue Timeout::Error',
      '      sleep 2',
      '      retry if attempts < 5',
      '    end',
      '  end',
      'end',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'rb helper', code }, new RubyAnalyzer(), 'app/clients/orders.rb');
    const suggestion = suggest(finding!, code, { ...OPTIONS, strategy: 'full', repoHelper: rubyDelay });
    expect(suggestion.valid).toBe(true);
    expect(suggestion.primary?.newLines).toBe('      sleep Net::Backoff.delay_for(attempts)');
    expect(applyEdits(code, suggestion.edits)).toContain(
      "require 'json'\nrequire_relative '../../lib/net/backoff'\n\nclass OrdersClient",
    );
  });

  it('Ruby: brings a counter into a `loop do`; a file that already requires the helper gets no require', async () => {
    const code = [
      "require 'net/backoff'",
      '',
      'class Consumer',
      '  def run',
      '    loop do',
      '      return @stream.read',
      '    rescue ThrottledError',
      '      sleep 5',
      '    end',
      '  end',
      'end',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'rb counter', code }, new RubyAnalyzer(), 'app/consumer.rb');
    expect(finding!.attemptVar).toBeUndefined();
    const suggestion = suggest(finding!, code, { ...OPTIONS, strategy: 'full', repoHelper: rubyDelay });
    expect(suggestion.valid).toBe(true);
    expect(applyEdits(code, suggestion.edits)).toBe(
      [
        "require 'net/backoff'",
        '',
        'class Consumer',
        '  def run',
        '    attempt = 0',
        '    loop do',
        '      return @stream.read',
        '    rescue ThrottledError',
        '      attempt += 1',
        '      sleep Net::Backoff.delay_for(attempt)',
        '    end',
        '  end',
        'end',
        '',
      ].join('\n'),
    );
  });

  it('Ruby: a `begin` that retries from its rescue gets the counter before it', async () => {
    const code = [
      'class Uploader',
      '  def push(file)',
      '    begin',
      '      @bucket.put(file)',
      '    rescue Aws::S3::Errors::SlowDown',
      '      sleep 1',
      '      retry',
      '    end',
      '  end',
      'end',
      '',
    ].join('\n');
    const [finding] = await runCase({ name: 'rb begin', code }, new RubyAnalyzer(), 'app/uploader.rb');
    expect(finding!.attemptVar).toBeUndefined();
    const suggestion = suggest(finding!, code, { ...OPTIONS, strategy: 'full', repoHelper: rubyDelay });
    expect(applyEdits(code, suggestion.edits)).toContain(
      '    attempt = 0\n    begin\n      @bucket.put(file)\n    rescue Aws::S3::Errors::SlowDown\n      attempt += 1\n      sleep Net::Backoff.delay_for(attempt)\n      retry\n',
    );
  });

  it('Ruby: in a Rails application, a helper under app/ is loaded by name and gets no require', async () => {
    const code =
      'class Sync\n  def run\n    loop do\n      return pull\n    rescue IOError\n      sleep 2\n    end\n  end\nend\n';
    const [finding] = await runCase({ name: 'rails', code }, new RubyAnalyzer(), 'app/jobs/sync.rb');
    const repoHelper = { ...rubyDelay, path: 'app/lib/net/backoff.rb' };
    const suggestion = suggest(finding!, code, {
      ...OPTIONS,
      strategy: 'full',
      repoHelper,
      project: { rails: { root: '' } },
    });
    expect(suggestion.valid).toBe(true);
    expect(suggestion.primary?.newLines).toBe(
      '      attempt += 1\n      sleep Net::Backoff.delay_for(attempt)',
    );
    expect(applyEdits(code, suggestion.edits)).not.toContain('require');
  });

  it('Ruby: keeps its own patch for a helper that is an instance method or needs an argument it cannot give', async () => {
    const code = 'def f\n  loop do\n    return g\n  rescue IOError\n    sleep 1\n  end\nend\n';
    const [finding] = await runCase({ name: 'rb near miss', code }, new RubyAnalyzer(), 'app/f.rb');
    const plain = suggest(finding!, code, { ...OPTIONS, strategy: 'full' }).primary?.newLines;
    const { signature: _none, ...instanceMethod } = rubyDelay;
    const jitterFactor = {
      ...rubyDelay,
      signature: { owner: 'Net::Backoff', params: [{ name: 'attempt' }, { name: 'factor' }] },
    };
    for (const repoHelper of [instanceMethod, jitterFactor]) {
      expect(suggest(finding!, code, { ...OPTIONS, strategy: 'full', repoHelper }).primary?.newLines).toBe(
        plain,
      );
    }
    expect(plain).not.toContain('Backoff');
  });
});
