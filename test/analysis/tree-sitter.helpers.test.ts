import { beforeAll, describe, expect, it } from 'vitest';
import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { RustAnalyzer } from '../../src/analysis/languages/rust.js';
import { loadLanguage } from '../../src/analysis/languages/tree-sitter/runtime.js';

/** `jitterHelpers`: functions whose bodies randomise a delay, judged by the body, not the name. */
describe('repository jitter helpers', () => {
  beforeAll(async () => {
    await Promise.all([
      loadLanguage('python'),
      loadLanguage('go'),
      loadLanguage('ruby'),
      loadLanguage('kotlin'),
      loadLanguage('rust'),
      loadLanguage('java'),
      loadLanguage('csharp'),
    ]);
  });

  it('Python: a function computing a jittered delay from the attempt, and a jittered sleep', () => {
    const text = [
      'import random',
      'import time',
      '',
      'def backoff_seconds(attempt, base=0.5, cap=30):',
      '    return random.uniform(0, min(cap, base * 2 ** attempt))',
      '',
      'def sleep_jittered(seconds):',
      '    time.sleep(random.uniform(seconds / 2, seconds))',
      '',
      'def shuffle_rows(rows):',
      '    random.shuffle(rows)',
      '    return rows',
      '',
      'def _private_jitter(x):',
      '    return x * random.random()',
      '',
    ].join('\n');
    expect(new PythonAnalyzer().jitterHelpers({ path: 'app/retry.py', text })).toEqual([
      { name: 'backoff_seconds', path: 'app/retry.py', takesAttempt: true, sleeps: false },
      { name: 'sleep_jittered', path: 'app/retry.py', takesAttempt: false, sleeps: true },
    ]);
  });

  it('Go: exported functions only', () => {
    const text = [
      'package backoff',
      '',
      'import (',
      '\t"math/rand"',
      '\t"time"',
      ')',
      '',
      'func FullJitter(attempt int, base time.Duration) time.Duration {',
      '\treturn time.Duration(rand.Int63n(int64(base << attempt)))',
      '}',
      '',
      'func pick(items []string) string {',
      '\treturn items[rand.Intn(len(items))]',
      '}',
      '',
    ].join('\n');
    expect(new GoAnalyzer().jitterHelpers({ path: 'internal/backoff/backoff.go', text })).toEqual([
      {
        name: 'FullJitter',
        path: 'internal/backoff/backoff.go',
        takesAttempt: true,
        sleeps: false,
        signature: {
          owner: 'backoff',
          params: [
            { name: 'attempt', type: 'int' },
            { name: 'base', type: 'time.Duration' },
          ],
          returns: 'time.Duration',
        },
      },
    ]);
  });

  it('Ruby: a method drawing rand for a delay', () => {
    const text = [
      'module Backoff',
      '  def self.delay_for(attempt)',
      '    rand * [30, 2**attempt].min',
      '  end',
      'end',
      '',
    ].join('\n');
    expect(new RubyAnalyzer().jitterHelpers({ path: 'lib/backoff.rb', text })).toEqual([
      {
        name: 'delay_for',
        path: 'lib/backoff.rb',
        takesAttempt: true,
        sleeps: false,
        signature: { owner: 'Backoff', params: [{ name: 'attempt' }] },
      },
    ]);
  });

  it('Ruby: a module function is named through its modules; an instance method has no such name', () => {
    const text = [
      'module Net',
      '  module Backoff',
      '    module_function',
      '',
      '    def delay_for(attempt, base = 0.5, cap: 30)',
      '      rand * [cap, base * 2**attempt].min',
      '    end',
      '  end',
      '',
      '  class Client',
      '    def backoff(attempt)',
      '      rand * [30, 2**attempt].min',
      '    end',
      '  end',
      'end',
      '',
    ].join('\n');
    const found = new RubyAnalyzer().jitterHelpers({ path: 'lib/net/backoff.rb', text });
    expect(found.map((h) => [h.name, h.signature])).toEqual([
      [
        'delay_for',
        {
          owner: 'Net::Backoff',
          params: [
            { name: 'attempt' },
            { name: 'base', optional: true },
            { name: 'cap', keyword: true, optional: true },
          ],
        },
      ],
      ['backoff', undefined],
    ]);
  });

  it('Rust: crate-visible functions, with the inline modules around them', () => {
    const text = [
      'use rand::Rng;',
      'use std::time::Duration;',
      '',
      'pub fn backoff(attempt: u32) -> Duration {',
      '    let ms = 100u64.saturating_mul(2u64.saturating_pow(attempt)).min(30_000);',
      '    Duration::from_millis(rand::thread_rng().gen_range(0..=ms))',
      '}',
      '',
      'fn private_backoff(attempt: u32) -> Duration {',
      '    Duration::from_millis(rand::thread_rng().gen_range(0..=100 * 2u64.pow(attempt)))',
      '}',
      '',
      'pub(crate) mod spread {',
      '    pub fn jitter(d: std::time::Duration) -> std::time::Duration {',
      '        d.mul_f64(rand::random::<f64>())',
      '    }',
      '}',
      '',
      'mod hidden {',
      '    pub fn jitter(d: std::time::Duration) -> std::time::Duration {',
      '        d.mul_f64(rand::random::<f64>())',
      '    }',
      '}',
      '',
    ].join('\n');
    const found = new RustAnalyzer().jitterHelpers({ path: 'src/retry.rs', text });
    expect(found.map((h) => [h.name, h.takesAttempt, h.signature])).toEqual([
      ['backoff', true, { owner: '', params: [{ name: 'attempt', type: 'u32' }], returns: 'Duration' }],
      [
        'jitter',
        false,
        {
          owner: 'spread',
          params: [{ name: 'd', type: 'std::time::Duration' }],
          returns: 'std::time::Duration',
        },
      ],
      ['jitter', false, undefined],
    ]);
  });

  it('Kotlin: public top-level functions randomising a delay', () => {
    const text = [
      'package com.acme.retry',
      '',
      'import kotlin.math.pow',
      'import kotlin.random.Random',
      '',
      'fun backoffMillis(attempt: Int, base: Long = 500): Long =',
      '    Random.nextLong(minOf(30_000L, (base * 2.0.pow(attempt)).toLong()) + 1)',
      '',
      'suspend fun jitteredDelay(millis: Long) {',
      '    delay(Random.nextLong(millis / 2, millis + 1))',
      '}',
      '',
      'fun shuffled(rows: List<Int>): List<Int> = rows.shuffled()',
      '',
      'private fun privateJitter(x: Long) = x * Random.nextDouble()',
      '',
    ].join('\n');
    const topLevel = { owner: '', packageName: 'com.acme.retry' };
    expect(new KotlinAnalyzer().jitterHelpers({ path: 'src/main/kotlin/Retry.kt', text })).toEqual([
      {
        name: 'backoffMillis',
        path: 'src/main/kotlin/Retry.kt',
        takesAttempt: true,
        sleeps: false,
        signature: {
          ...topLevel,
          returns: 'Long',
          params: [
            { name: 'attempt', type: 'Int' },
            { name: 'base', type: 'Long', optional: true },
          ],
        },
      },
      {
        name: 'jitteredDelay',
        path: 'src/main/kotlin/Retry.kt',
        takesAttempt: false,
        sleeps: true,
        signature: { ...topLevel, params: [{ name: 'millis', type: 'Long' }] },
      },
    ]);
  });

  it('Kotlin: members of an object or a companion, qualified; a class’s or a private object’s has no signature', () => {
    const text = [
      'package com.acme.retry',
      '',
      'import java.time.Duration',
      'import kotlin.random.Random',
      '',
      'object Backoff {',
      '    fun delayMillis(attempt: Int): Long = Random.nextLong(minOf(30_000L, 500L shl attempt) + 1)',
      '}',
      '',
      'class Retry {',
      '    companion object {',
      '        fun backoffFor(attempt: Int): Duration = Duration.ofMillis(Random.nextLong(500L shl attempt))',
      '    }',
      '    fun instanceBackoff(attempt: Int): Long = Random.nextLong(500L shl attempt)',
      '}',
      '',
      'private object Hidden {',
      '    fun backoff(attempt: Int): Long = Random.nextLong(500L shl attempt)',
      '}',
      '',
    ].join('\n');
    const found = new KotlinAnalyzer().jitterHelpers({ path: 'src/main/kotlin/Backoff.kt', text });
    expect(found.map((c) => [c.name, c.signature?.owner, c.signature?.returns])).toEqual([
      ['delayMillis', 'Backoff', 'Long'],
      ['backoffFor', 'Retry', 'java.time.Duration'],
      ['instanceBackoff', undefined, undefined],
      ['backoff', undefined, undefined],
    ]);
  });

  it('Java: static methods with the signature another file calls them by, package-private ones marked so', () => {
    const text = [
      'package com.acme.retry;',
      '',
      'import java.time.Duration;',
      'import java.util.concurrent.ThreadLocalRandom;',
      '',
      'public final class Backoff {',
      '  private Backoff() {}',
      '',
      '  public static long delayMillis(int attempt) {',
      '    long window = Math.min(30_000L, 500L << Math.min(attempt, 20));',
      '    return ThreadLocalRandom.current().nextLong(window + 1);',
      '  }',
      '',
      '  static Duration jittered(Duration d) {',
      '    return Duration.ofMillis(ThreadLocalRandom.current().nextLong(d.toMillis() + 1));',
      '  }',
      '',
      '  private static long hidden(int attempt) { return ThreadLocalRandom.current().nextLong(500L << attempt); }',
      '',
      '  public long onInstance(int attempt) { return ThreadLocalRandom.current().nextLong(500L << attempt); }',
      '',
      '  public static class Nested {',
      '    public static long backoff(int n) { return (long) (Math.random() * Math.pow(2, n)); }',
      '  }',
      '}',
      '',
    ].join('\n');
    const path = 'src/main/java/com/acme/retry/Backoff.java';
    expect(new JavaAnalyzer().jitterHelpers({ path, text })).toEqual([
      {
        name: 'delayMillis',
        path,
        takesAttempt: true,
        sleeps: false,
        signature: {
          packageName: 'com.acme.retry',
          owner: 'Backoff',
          returns: 'long',
          params: [{ name: 'attempt', type: 'int' }],
        },
      },
      {
        name: 'jittered',
        path,
        takesAttempt: false,
        sleeps: false,
        signature: {
          packageName: 'com.acme.retry',
          owner: 'Backoff',
          packageOnly: true,
          returns: 'Duration',
          params: [{ name: 'd', type: 'Duration' }],
        },
      },
      // An instance method needs an instance: no other file can call it as a helper.
      { name: 'onInstance', path, takesAttempt: true, sleeps: false },
      {
        name: 'backoff',
        path,
        takesAttempt: true,
        sleeps: false,
        signature: {
          packageName: 'com.acme.retry',
          owner: 'Backoff.Nested',
          returns: 'long',
          params: [{ name: 'n', type: 'int' }],
        },
      },
    ]);
  });

  it('C#: public static methods of public classes, with their namespace; an internal class’s has no signature', () => {
    const text = [
      'using System;',
      '',
      'namespace Acme.Retry',
      '{',
      '    public static class Backoff',
      '    {',
      '        public static TimeSpan DelayFor(int attempt, int capMs = 30000)',
      '        {',
      '            var ms = Math.Min(capMs, 500 * Math.Pow(2, attempt));',
      '            return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ms);',
      '        }',
      '',
      '        internal static int Internal(int attempt) => Random.Shared.Next(0, Math.Min(30000, 500 << attempt));',
      '    }',
      '',
      '    static class Hidden',
      '    {',
      '        public static int Backoff(int attempt) => Random.Shared.Next(0, 500 << attempt);',
      '    }',
      '}',
      '',
    ].join('\n');
    expect(new CSharpAnalyzer().jitterHelpers({ path: 'src/Retry/Backoff.cs', text })).toEqual([
      {
        name: 'DelayFor',
        path: 'src/Retry/Backoff.cs',
        takesAttempt: true,
        sleeps: false,
        signature: {
          packageName: 'Acme.Retry',
          owner: 'Backoff',
          returns: 'TimeSpan',
          params: [
            { name: 'attempt', type: 'int' },
            { name: 'capMs', type: 'int', optional: true },
          ],
        },
      },
      { name: 'Backoff', path: 'src/Retry/Backoff.cs', takesAttempt: true, sleeps: false },
    ]);
  });

  it('Python: a function that fetches with a jittered retry inside is no delay helper; a drawn local returned is', () => {
    const text = [
      'import random',
      'import time',
      'import requests',
      '',
      'def fetch_something_jittered(url, retries=3):',
      '    for attempt in range(retries):',
      '        response = requests.get(url)',
      '        if response.ok:',
      '            return response',
      '        time.sleep(random.uniform(0, 2 ** attempt))',
      '    return None',
      '',
      'def retry_delay(attempt, cap=30):',
      '    window = min(cap, 2 ** attempt)',
      '    delay = random.uniform(0, window)',
      '    return delay',
      '',
    ].join('\n');
    expect(new PythonAnalyzer().jitterHelpers({ path: 'app/net.py', text })).toEqual([
      { name: 'retry_delay', path: 'app/net.py', takesAttempt: true, sleeps: false },
    ]);
  });

  it('Go: a client call with jittered retries inside returns a response, not a delay', () => {
    const text = [
      'package client',
      '',
      'import (',
      '\t"math/rand"',
      '\t"net/http"',
      '\t"time"',
      ')',
      '',
      'func GetWithBackoff(url string) (*http.Response, error) {',
      '\tfor attempt := 0; ; attempt++ {',
      '\t\tresp, err := http.Get(url)',
      '\t\tif err == nil {',
      '\t\t\treturn resp, nil',
      '\t\t}',
      '\t\ttime.Sleep(time.Duration(rand.Int63n(int64(time.Second << attempt))))',
      '\t}',
      '}',
      '',
    ].join('\n');
    expect(new GoAnalyzer().jitterHelpers({ path: 'client/get.go', text })).toEqual([]);
  });
});
