import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS, type LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { loadLanguage } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { suggest } from '../../src/suggest/suggest.js';
import type { RepoJitterHelper, Suggestion } from '../../src/suggest/types.js';
import { installed } from './patch-corpus.js';

/**
 * Java, Kotlin and C# patches that call the repository's own jitter helper, found in its source the
 * way confirmation finds it: qualified by its class or object, imported from its package, converted to
 * what the wait takes, with an attempt counter brought in when the loop has none. Where the compiler
 * is installed, the helper and the patched file compile together.
 */

const OPTIONS = { strategy: 'full', capMs: 30_000 } as const;

/** The first helper the analyzer finds in `text`, as the review hands it to `suggest`. */
function helperIn(analyzer: LanguageAnalyzer, path: string, text: string, name?: string): RepoJitterHelper {
  const found = analyzer.jitterHelpers!({ path, text }).find((c) => name === undefined || c.name === name);
  expect(found).toBeDefined();
  const { sleeps: _sleeps, ...helper } = found!;
  return helper;
}

async function patch(
  analyzer: LanguageAnalyzer,
  path: string,
  code: string,
  repoHelper: RepoJitterHelper,
): Promise<{ suggestion: Suggestion; text: string }> {
  const [finding] = await analyzer.analyze(
    { path, text: code },
    { read: async () => null },
    DEFAULT_ANALYSIS_OPTIONS,
  );
  expect(finding).toBeDefined();
  const suggestion = suggest(finding!, code, { ...OPTIONS, repoHelper });
  expect(suggestion.valid).toBe(true);
  return { suggestion, text: applyEdits(code, suggestion.edits) };
}

/** Compiler errors for the files together (empty: they compile), or null when the compiler is missing. */
function compileErrors(command: 'javac' | 'mcs', files: Record<string, string>): string | null {
  if (!installed(command)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'jitterbot-helper-'));
  try {
    const paths = Object.entries(files).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const args =
      command === 'javac'
        ? ['-d', join(dir, 'out'), ...paths]
        : ['-target:library', `-out:${join(dir, 'out.dll')}`, ...paths];
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return result.status === 0 ? '' : `${result.stdout}${result.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await Promise.all([loadLanguage('java'), loadLanguage('kotlin'), loadLanguage('csharp')]);
});

const JAVA_HELPER_PATH = 'src/main/java/com/acme/retry/Backoff.java';
const JAVA_HELPER = [
  'package com.acme.retry;',
  '',
  'import java.time.Duration;',
  'import java.util.concurrent.ThreadLocalRandom;',
  '',
  'public final class Backoff {',
  '  private Backoff() {}',
  '',
  '  public static long delayMillis(int attempt) {',
  '    long window = Math.min(30_000L, 500L << Math.min(attempt, 16));',
  '    return ThreadLocalRandom.current().nextLong(window + 1);',
  '  }',
  '',
  '  public static long backoff(int attempt, long baseMillis, long maxMillis) {',
  '    return ThreadLocalRandom.current().nextLong(Math.min(maxMillis, baseMillis << Math.min(attempt, 16)) + 1);',
  '  }',
  '',
  '  static Duration jittered(Duration delay) {',
  '    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(delay.toMillis() + 1));',
  '  }',
  '}',
  '',
].join('\n');

describe('Java: the repository’s jitter helper', () => {
  it('waits `Backoff.delayMillis(attempt)` with the loop’s counter, imported from its package', async () => {
    const code = [
      'package com.acme.orders;',
      '',
      'import java.io.IOException;',
      '',
      'class OrdersClient {',
      '  void fetch() throws Exception {',
      '    for (int attempt = 0; attempt < 5; attempt++) {',
      '      try {',
      '        call();',
      '        return;',
      '      } catch (IOException e) {',
      '        Thread.sleep(2000);',
      '      }',
      '    }',
      '  }',
      '',
      '  void call() throws IOException {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'delayMillis');
    const { suggestion, text } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/orders/OrdersClient.java',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).toBe('        Thread.sleep(Backoff.delayMillis(attempt));');
    expect(text).toContain('import java.io.IOException;\nimport com.acme.retry.Backoff;\n');
    expect(suggestion.description).toContain('`delayMillis` in `src/main/java/com/acme/retry/Backoff.java`');
    expect(compileErrors('javac', { 'Backoff.java': JAVA_HELPER, 'OrdersClient.java': text })).toBeFalsy();
  });

  it('brings `int attempt` when the loop counts nothing; the same package needs no import', async () => {
    const code = [
      'package com.acme.retry;',
      '',
      'import java.time.Duration;',
      '',
      'class StreamReader {',
      '  static final Duration PAUSE = Duration.ofSeconds(5);',
      '',
      '  void consume() throws Exception {',
      '    while (true) {',
      '      try {',
      '        read();',
      '        return;',
      '      } catch (IllegalStateException e) {',
      '        Thread.sleep(PAUSE.toMillis());',
      '      }',
      '    }',
      '  }',
      '',
      '  void read() {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'delayMillis');
    const { suggestion, text } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/retry/StreamReader.java',
      code,
      helper,
    );
    // Same package: no import.
    expect(text).not.toContain('import com.acme.retry.Backoff;');
    expect(text).toContain('    int attempt = 0;\n    while (true) {');
    expect(suggestion.primary?.newLines).toBe(
      '        attempt++;\n        Thread.sleep(Backoff.delayMillis(attempt));',
    );
    expect(suggestion.description).toMatch(/counts them: `int attempt = 0;` before the loop/);
    expect(compileErrors('javac', { 'Backoff.java': JAVA_HELPER, 'StreamReader.java': text })).toBeFalsy();
  });

  it('starts the count again after an attempt that works, in a loop that goes on after success', async () => {
    const code = [
      'package com.acme.retry;',
      '',
      'class Consumer {',
      '  void consume() throws Exception {',
      '    while (true) {',
      '      try {',
      '        handle(poll());',
      '      } catch (IllegalStateException e) {',
      '        Thread.sleep(5000);',
      '      }',
      '    }',
      '  }',
      '',
      '  String poll() { return ""; }',
      '  void handle(String records) {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'delayMillis');
    const { suggestion, text } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/retry/Consumer.java',
      code,
      helper,
    );
    expect(text).toContain(
      [
        '    int attempt = 0;',
        '    while (true) {',
        '      try {',
        '        handle(poll());',
        '        attempt = 0;',
        '      } catch (IllegalStateException e) {',
        '        attempt++;',
        '        Thread.sleep(Backoff.delayMillis(attempt));',
      ].join('\n'),
    );
    expect(suggestion.description).toContain('and `attempt = 0;` again once an attempt works');
    expect(compileErrors('javac', { 'Backoff.java': JAVA_HELPER, 'Consumer.java': text })).toBeFalsy();
  });

  it('fills a base and a cap parameter: the wait’s own delay and the configured cap', async () => {
    const code = [
      'package com.acme.orders;',
      '',
      'class Poller {',
      '  static final long RETRY_DELAY_MS = 1500;',
      '',
      '  void run() throws Exception {',
      '    for (int tries = 0; tries < 4; tries++) {',
      '      try {',
      '        poll();',
      '        return;',
      '      } catch (IllegalStateException e) {',
      '        Thread.sleep(RETRY_DELAY_MS);',
      '      }',
      '    }',
      '  }',
      '',
      '  void poll() {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'backoff');
    const { suggestion, text } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/orders/Poller.java',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).toBe(
      '        Thread.sleep(Backoff.backoff(tries, RETRY_DELAY_MS, 30000L));',
    );
    expect(compileErrors('javac', { 'Backoff.java': JAVA_HELPER, 'Poller.java': text })).toBeFalsy();
  });

  it('keeps the ordinary patch for a package-private helper of another package', async () => {
    const code =
      'package com.acme.orders;\n\nimport java.time.Duration;\n\nclass C {\n  void f() throws Exception {\n    while (true) {\n      try { g(); return; } catch (RuntimeException e) { Thread.sleep(Duration.ofSeconds(2)); }\n    }\n  }\n  void g() {}\n}\n';
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'jittered');
    expect(helper.signature?.packageOnly).toBe(true);
    const { suggestion } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/orders/C.java',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).not.toContain('jittered');
    expect(suggestion.primary?.newLines).toContain('ThreadLocalRandom');
  });

  it('keeps the ordinary patch where the wait’s unit is not known (seconds)', async () => {
    const code =
      'package com.acme.orders;\n\nimport java.util.concurrent.TimeUnit;\n\nclass C {\n  void f() throws Exception {\n    for (int attempt = 0; attempt < 3; attempt++) {\n      try { g(); return; } catch (RuntimeException e) { TimeUnit.SECONDS.sleep(2); }\n    }\n  }\n  void g() {}\n}\n';
    const helper = helperIn(new JavaAnalyzer(), JAVA_HELPER_PATH, JAVA_HELPER, 'delayMillis');
    const { suggestion } = await patch(
      new JavaAnalyzer(),
      'src/main/java/com/acme/orders/C.java',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).not.toContain('delayMillis');
  });
});

const KOTLIN_HELPER_PATH = 'src/main/kotlin/com/acme/retry/Backoff.kt';
const KOTLIN_HELPER = [
  'package com.acme.retry',
  '',
  'import kotlin.random.Random',
  '',
  'object Backoff {',
  '    fun delayMillis(attempt: Int): Long = Random.nextLong(minOf(30_000L, 500L shl minOf(attempt, 16)) + 1)',
  '}',
  '',
  'fun jitterMillis(millis: Long): Long = Random.nextLong(millis / 2, millis + 1)',
  '',
].join('\n');

describe('Kotlin: the repository’s jitter helper', () => {
  it('waits an object’s member with the loop’s counter, imported from its package', async () => {
    const code = [
      'package com.acme.orders',
      '',
      'import java.io.IOException',
      '',
      'class OrdersClient {',
      '    fun fetch() {',
      '        for (attempt in 0 until 5) {',
      '            try {',
      '                call()',
      '                return',
      '            } catch (e: IOException) {',
      '                Thread.sleep(2000)',
      '            }',
      '        }',
      '    }',
      '',
      '    private fun call() {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new KotlinAnalyzer(), KOTLIN_HELPER_PATH, KOTLIN_HELPER, 'delayMillis');
    const { suggestion, text } = await patch(
      new KotlinAnalyzer(),
      'src/main/kotlin/com/acme/orders/OrdersClient.kt',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).toBe('                Thread.sleep(Backoff.delayMillis(attempt))');
    expect(text).toContain('import java.io.IOException\nimport com.acme.retry.Backoff\n');
  });

  it('brings `var attempt` and converts the milliseconds to the `Duration` that `delay` takes', async () => {
    const code = [
      'package com.acme.orders',
      '',
      'import kotlinx.coroutines.delay',
      'import kotlin.time.Duration.Companion.seconds',
      '',
      'class StreamReader {',
      '    suspend fun consume() {',
      '        while (true) {',
      '            try {',
      '                read()',
      '                return',
      '            } catch (e: IllegalStateException) {',
      '                delay(5.seconds)',
      '            }',
      '        }',
      '    }',
      '',
      '    private fun read() {}',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new KotlinAnalyzer(), KOTLIN_HELPER_PATH, KOTLIN_HELPER, 'delayMillis');
    const { suggestion, text } = await patch(
      new KotlinAnalyzer(),
      'src/main/kotlin/com/acme/orders/StreamReader.kt',
      code,
      helper,
    );
    expect(text).toContain('        var attempt = 0\n        while (true) {');
    expect(suggestion.primary?.newLines).toBe(
      '                attempt++\n                delay(Backoff.delayMillis(attempt).milliseconds)',
    );
    expect(text).toContain(
      'import com.acme.retry.Backoff\nimport kotlin.time.Duration.Companion.milliseconds\n',
    );
  });

  it('converts an `Int` counter for a helper that takes a `Long` attempt', async () => {
    const helperText = KOTLIN_HELPER.replace('delayMillis(attempt: Int)', 'delayMillis(attempt: Long)');
    const helper = helperIn(new KotlinAnalyzer(), KOTLIN_HELPER_PATH, helperText, 'delayMillis');
    const code =
      'package com.acme.retry\n\nclass C {\n    fun f() {\n        for (retry in 1..3) {\n            try {\n                g()\n                return\n            } catch (e: RuntimeException) {\n                Thread.sleep(1500L)\n            }\n        }\n    }\n\n    private fun g() {}\n}\n';
    const { suggestion } = await patch(new KotlinAnalyzer(), 'src/main/kotlin/C.kt', code, helper);
    expect(suggestion.primary?.newLines).toBe(
      '                Thread.sleep(Backoff.delayMillis(retry.toLong()))',
    );
  });

  it('calls a top-level helper that jitters the delay it is given, by its imported name', async () => {
    const code =
      'package com.acme.orders\n\nclass C {\n    fun f() {\n        while (true) {\n            try {\n                g()\n                return\n            } catch (e: RuntimeException) {\n                Thread.sleep(1500L)\n            }\n        }\n    }\n\n    private fun g() {}\n}\n';
    const helper = helperIn(new KotlinAnalyzer(), KOTLIN_HELPER_PATH, KOTLIN_HELPER, 'jitterMillis');
    const { suggestion, text } = await patch(new KotlinAnalyzer(), 'src/main/kotlin/C.kt', code, helper);
    expect(suggestion.primary?.newLines).toBe('                Thread.sleep(jitterMillis(1500L))');
    expect(text).toContain('package com.acme.orders\nimport com.acme.retry.jitterMillis\n');
  });

  it('keeps the ordinary patch when the helper is not reachable (an internal function)', async () => {
    const internal = KOTLIN_HELPER.replace('fun jitterMillis', 'internal fun jitterMillis');
    expect(
      new KotlinAnalyzer().jitterHelpers!({ path: KOTLIN_HELPER_PATH, text: internal }).map((c) => c.name),
    ).toEqual(['delayMillis']);
    // A helper in the default package cannot be imported into a package.
    const unpackaged = helperIn(
      new KotlinAnalyzer(),
      'Backoff.kt',
      KOTLIN_HELPER.replace('package com.acme.retry\n', ''),
      'delayMillis',
    );
    const code =
      'package com.acme.orders\n\nclass C {\n    fun f() {\n        for (attempt in 0 until 3) {\n            try {\n                g()\n                return\n            } catch (e: RuntimeException) {\n                Thread.sleep(1500L)\n            }\n        }\n    }\n\n    private fun g() {}\n}\n';
    const { suggestion } = await patch(new KotlinAnalyzer(), 'src/main/kotlin/C.kt', code, unpackaged);
    expect(suggestion.primary?.newLines).toContain('Random.nextLong');
  });
});

const CSHARP_HELPER_PATH = 'src/Acme.Retry/Backoff.cs';
const CSHARP_HELPER = [
  'using System;',
  '',
  'namespace Acme.Retry',
  '{',
  '    public static class Backoff',
  '    {',
  '        public static TimeSpan DelayFor(int attempt)',
  '        {',
  '            var ms = Math.Min(30000, 500 * Math.Pow(2, Math.Min(attempt, 16)));',
  '            return TimeSpan.FromMilliseconds(new Random(Guid.NewGuid().GetHashCode()).NextDouble() * ms);',
  '        }',
  '',
  '        public static int Jittered(int delayMs, int capMs, int floorMs)',
  '        {',
  '            return new Random(Guid.NewGuid().GetHashCode()).Next(floorMs, Math.Min(capMs, delayMs) + 1);',
  '        }',
  '    }',
  '}',
  '',
].join('\n');

describe('C#: the repository’s jitter helper', () => {
  it('waits `Backoff.DelayFor(attempt)` in milliseconds, with `using` its namespace', async () => {
    const code = [
      'using System;',
      'using System.Threading.Tasks;',
      '',
      'namespace Acme.Orders',
      '{',
      '    public class OrdersClient',
      '    {',
      '        public async Task Fetch()',
      '        {',
      '            for (var attempt = 0; attempt < 5; attempt++)',
      '            {',
      '                try { await Call(); return; }',
      '                catch (InvalidOperationException) { await Task.Delay(2000); }',
      '            }',
      '        }',
      '',
      '        private Task Call() => Task.CompletedTask;',
      '    }',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new CSharpAnalyzer(), CSHARP_HELPER_PATH, CSHARP_HELPER, 'DelayFor');
    const { suggestion, text } = await patch(
      new CSharpAnalyzer(),
      'src/Acme.Orders/OrdersClient.cs',
      code,
      helper,
    );
    expect(suggestion.primary?.newLines).toBe(
      '                catch (InvalidOperationException) { await Task.Delay((int)Backoff.DelayFor(attempt).TotalMilliseconds); }',
    );
    expect(text).toContain('using System.Threading.Tasks;\nusing Acme.Retry;\n');
    expect(compileErrors('mcs', { 'Backoff.cs': CSHARP_HELPER, 'OrdersClient.cs': text })).toBeFalsy();
  });

  it('brings `var attempt` and passes the `TimeSpan` as is; no `using` inside a nested namespace', async () => {
    const code = [
      'using System;',
      'using System.Threading;',
      '',
      'namespace Acme.Retry.Streams',
      '{',
      '    public class StreamReader',
      '    {',
      '        public void Consume()',
      '        {',
      '            while (true)',
      '            {',
      '                try',
      '                {',
      '                    Read();',
      '                    return;',
      '                }',
      '                catch (TimeoutException)',
      '                {',
      '                    Thread.Sleep(TimeSpan.FromSeconds(5));',
      '                }',
      '            }',
      '        }',
      '',
      '        private void Read() {}',
      '    }',
      '}',
      '',
    ].join('\n');
    const helper = helperIn(new CSharpAnalyzer(), CSHARP_HELPER_PATH, CSHARP_HELPER, 'DelayFor');
    const { suggestion, text } = await patch(
      new CSharpAnalyzer(),
      'src/Acme.Retry/StreamReader.cs',
      code,
      helper,
    );
    expect(text).not.toContain('using Acme.Retry;');
    expect(text).toContain('            var attempt = 0;\n            while (true)');
    expect(suggestion.primary?.newLines).toBe(
      '                    attempt++;\n                    Thread.Sleep(Backoff.DelayFor(attempt));',
    );
    expect(compileErrors('mcs', { 'Backoff.cs': CSHARP_HELPER, 'StreamReader.cs': text })).toBeFalsy();
  });

  it('keeps the ordinary patch for a helper that needs more than the delay, or an internal one', async () => {
    const code =
      'using System;\nusing System.Threading.Tasks;\n\nclass C\n{\n    async Task F()\n    {\n        while (true)\n        {\n            try { await G(); return; }\n            catch (InvalidOperationException) { await Task.Delay(1500); }\n        }\n    }\n\n    Task G() => Task.CompletedTask;\n}\n';
    const helper = helperIn(new CSharpAnalyzer(), CSHARP_HELPER_PATH, CSHARP_HELPER, 'Jittered');
    // `floorMs` is neither a cap nor (for a helper that jitters a given delay) a base the patch can fill.
    expect(helper.signature?.params.map((p) => p.name)).toEqual(['delayMs', 'capMs', 'floorMs']);
    const { suggestion } = await patch(new CSharpAnalyzer(), 'src/C.cs', code, helper);
    expect(suggestion.primary?.newLines).not.toContain('Jittered');
    // A number in seconds is not the milliseconds the wait takes.
    const inSeconds = {
      ...helper,
      name: 'BackoffSeconds',
      signature: { ...helper.signature!, returns: 'double' },
    };
    const { suggestion: seconds } = await patch(new CSharpAnalyzer(), 'src/C.cs', code, inSeconds);
    expect(seconds.primary?.newLines).not.toContain('BackoffSeconds');
    const internal = CSHARP_HELPER.replace('public static class', 'internal static class');
    const unnamed = new CSharpAnalyzer().jitterHelpers!({ path: CSHARP_HELPER_PATH, text: internal });
    expect(unnamed.map((c) => [c.name, c.signature])).toEqual([
      ['DelayFor', undefined],
      ['Jittered', undefined],
    ]);
    const { suggestion: plain } = await patch(new CSharpAnalyzer(), 'src/C.cs', code, unnamed[0]!);
    expect(plain.primary?.newLines).not.toContain('DelayFor');
  });
});
