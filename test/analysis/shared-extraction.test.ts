import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { hostOf, summarise } from './rule-table.js';

/**
 * A file read for a lookup before its own turn (a package's files, indexed at the first name looked
 * up in it) is extracted with its call sites, and its turn judges those instead of parsing it again:
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
            backoff = minOf(backoff * 2, 30_000L)
        }
    }
}
`;

const SECOND = `package app

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

const FILES = { 'app/First.kt': FIRST, 'app/Second.kt': SECOND };

async function analyse(order: (keyof typeof FILES)[]) {
  const analyzer = new KotlinAnalyzer();
  const host = hostOf(FILES);
  const found: Record<string, ReturnType<typeof summarise>[]> = {};
  for (const path of order) {
    const findings = await analyzer.analyze({ path, text: FILES[path] }, host, DEFAULT_ANALYSIS_OPTIONS);
    found[path] = findings.map(summarise);
  }
  return found;
}

describe('an extraction shared between a lookup and the file’s own turn', () => {
  it('reports the same for a file whether a mate’s lookup read it first or not', async () => {
    // `minOf(…)` on the retry path of the first file is looked up in the package: the second file is
    // read then, before its own turn.
    const mateFirst = await analyse(['app/First.kt', 'app/Second.kt']);
    const ownFirst = await analyse(['app/Second.kt', 'app/First.kt']);
    expect(mateFirst['app/Second.kt']).toEqual([
      { line: 10, rule: 'fixed-delay-retry', kind: 'fixed', ms: 2000 },
    ]);
    expect(mateFirst).toEqual(ownFirst);
  });

  it('judges a file again from its own text when the text differs from what the lookup read', async () => {
    const analyzer = new KotlinAnalyzer();
    const host = hostOf(FILES);
    await analyzer.analyze({ path: 'app/First.kt', text: FIRST }, host, DEFAULT_ANALYSIS_OPTIONS);
    const edited = SECOND.replace('RETRY_DELAY)', 'RETRY_DELAY * 2)');
    const findings = await analyzer.analyze(
      { path: 'app/Second.kt', text: edited },
      host,
      DEFAULT_ANALYSIS_OPTIONS,
    );
    expect(findings.map(summarise)).toEqual([
      { line: 10, rule: 'fixed-delay-retry', kind: 'fixed', ms: 4000 },
    ]);
  });
});
