import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS, type LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { skipReasonForContent, skipReasonForPath } from '../../src/analysis/file-filter.js';
import { JavaAnalyzer } from '../../src/analysis/languages/java.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { loadTable, summarise, type RuleCase } from './rule-table.js';

const TABLES = ['fixtures/java/retries.yml', 'fixtures/java/libraries.yml', 'fixtures/java/near-misses.yml'];

/** Runs a case as a scan would: the path and content filters first, then the analyzer. */
async function runTableCase(analyzer: LanguageAnalyzer, testCase: RuleCase, defaultPath: string) {
  const path = testCase.filename ?? defaultPath;
  const filter = {
    includeTests: false,
    testPatterns: DEFAULT_CONFIG.test_patterns,
    includeVendored: false,
    includeGenerated: false,
    include: [],
    ignore: [],
  };
  if (skipReasonForPath(path, filter) || skipReasonForContent(testCase.code, filter)) return [];
  const files: Record<string, string> = { ...testCase.files, [path]: testCase.code };
  return analyzer.analyze(
    { path, text: testCase.code },
    { read: async (p) => files[p] ?? null },
    DEFAULT_ANALYSIS_OPTIONS,
  );
}

function describeTables(tables: readonly string[], analyzer: LanguageAnalyzer, defaultPath: string): void {
  for (const path of tables) {
    const table = loadTable(path);
    describe(path, () => {
      for (const testCase of table.valid ?? []) {
        it(`valid: ${testCase.name}`, async () => {
          expect((await runTableCase(analyzer, testCase, defaultPath)).map(summarise)).toEqual([]);
        });
      }
      for (const testCase of table.invalid ?? []) {
        it(`invalid: ${testCase.name}`, async () => {
          const expected = (testCase.errors ?? []).map((error) => ({ ...error }));
          const actual = (await runTableCase(analyzer, testCase, defaultPath))
            .map(summarise)
            .map((row, index) => {
              // `ms` is only asserted where the table states it.
              if ((testCase.errors ?? [])[index]?.ms === undefined) delete row.ms;
              return row;
            });
          expect(actual).toEqual(expected);
        });
      }
    });
  }
}

describeTables(TABLES, new JavaAnalyzer(), 'src/main/java/com/acme/Client.java');
