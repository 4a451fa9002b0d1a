import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import type { LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { hostOf, summarise } from './rule-table.js';

/**
 * A file read for a lookup before its own turn (a mate of its package that spells a name looked up)
 * is extracted with its call sites, and its turn judges those instead of parsing it again:
 * what it reports must not depend on whether a mate's lookup read it first.
 */

const FIRST = `package app

suspend fun sync(remote: Remote) {
    var backoff = 500L
    while (true) {
        try {
            return remote.sync()
        } catch (e: TimeoutException) {
            delay(backoff)
            backoff = minOf(backoff * 2, MAX_BACKOFF)
        }
    }
}
`;

const SECOND = `package app

const val MAX_BACKOFF = 30_000L
private const val RETRY_DELAY = 2_000L

suspend fun fetch(client: HttpClient, key: String): String {
    repeat(5) {
        try {
            return client.get("/items/$key")
        } catch (e: IOException) {
            delay(RETRY_DELAY)
        }
    }
    error("gave up")
}
`;

const FIRST_JAVA = `package app;

class First {
    void sync(Remote remote) throws InterruptedException {
        long backoff = 500;
        while (true) {
            try {
                remote.sync();
                return;
            } catch (TimeoutException e) {
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, Second.MAX_BACKOFF);
            }
        }
    }
}
`;

const SECOND_JAVA = `package app;

class Second {
    static final long MAX_BACKOFF = 30_000;
    private static final long RETRY_DELAY = 2_000;

    String fetch(HttpClient client, String key) throws InterruptedException {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return client.get("/items/" + key);
            } catch (IOException e) {
                Thread.sleep(RETRY_DELAY);
            }
        }
        throw new IllegalStateException("gave up");
    }
}
`;

interface Case {
  language: string;
  analyzer: () => LanguageAnalyzer;
  first: string;
  second: string;
  texts: [string, string];
  /** The second file's finding, and the edit that doubles its delay. */
  line: number;
  edit: [string, string];
}

const CASES: Case[] = [
  {
    language: 'Kotlin',
    analyzer: () => new KotlinAnalyzer(),
    first: 'app/First.kt',
    second: 'app/Second.kt',
    texts: [FIRST, SECOND],
    line: 11,
    edit: ['RETRY_DELAY)', 'RETRY_DELAY * 2)'],
  },
  {
    language: 'Java',
    analyzer: () => new JavaAnalyzer(),
    first: 'app/First.java',
    second: 'app/Second.java',
    texts: [FIRST_JAVA, SECOND_JAVA],
    line: 12,
    edit: ['sleep(RETRY_DELAY)', 'sleep(RETRY_DELAY * 2)'],
  },
];

describe.each(CASES)('an extraction shared between a lookup and the file’s own turn ($language)', (c) => {
  const files: Record<string, string> = { [c.first]: c.texts[0], [c.second]: c.texts[1] };

  async function analyse(order: string[]) {
    const analyzer = c.analyzer();
    const host = hostOf(files);
    const found: Record<string, ReturnType<typeof summarise>[]> = {};
    for (const path of order) {
      const findings = await analyzer.analyze({ path, text: files[path]! }, host, DEFAULT_ANALYSIS_OPTIONS);
      found[path] = findings.map(summarise);
    }
    return found;
  }

  it('reports the same for a file whether a mate’s lookup read it first or not', async () => {
    // The cap on the retry path of the first file is declared in the second: the lookup reads the
    // second file then, before its own turn.
    const mateFirst = await analyse([c.first, c.second]);
    const ownFirst = await analyse([c.second, c.first]);
    expect(mateFirst[c.second]).toEqual([
      { line: c.line, rule: 'fixed-delay-retry', kind: 'fixed', ms: 2000 },
    ]);
    expect(mateFirst).toEqual(ownFirst);
  });

  it('judges a file again from its own text when the text differs from what the lookup read', async () => {
    const analyzer = c.analyzer();
    const host = hostOf(files);
    await analyzer.analyze({ path: c.first, text: files[c.first]! }, host, DEFAULT_ANALYSIS_OPTIONS);
    const edited = files[c.second]!.replace(...c.edit);
    const findings = await analyzer.analyze({ path: c.second, text: edited }, host, DEFAULT_ANALYSIS_OPTIONS);
    expect(findings.map(summarise)).toEqual([
      { line: c.line, rule: 'fixed-delay-retry', kind: 'fixed', ms: 4000 },
    ]);
  });
});
