import { describe, expect, it } from 'vitest';
import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { loadTable, summarise } from './rule-table.js';
import { runTreeSitterCase } from './tree-sitter.rule-table.js';

const TABLES = [
  'fixtures/go/fixed-delay-retry.yml',
  'fixtures/go/unjittered-backoff.yml',
  'fixtures/go/libraries.yml',
  'fixtures/go/near-misses.yml',
];
const DEFAULT_FILENAME = 'internal/client/client.go';
const analyzer = new GoAnalyzer();

for (const path of TABLES) {
  const table = loadTable(path);
  describe(path, () => {
    for (const testCase of table.valid ?? []) {
      it(`valid: ${testCase.name}`, async () => {
        const findings = await runTreeSitterCase(analyzer, testCase, DEFAULT_FILENAME);
        expect(findings.map(summarise)).toEqual([]);
      });
    }
    for (const testCase of table.invalid ?? []) {
      it(`invalid: ${testCase.name}`, async () => {
        const findings = await runTreeSitterCase(analyzer, testCase, DEFAULT_FILENAME);
        const expected = (testCase.errors ?? []).map((error) => {
          const row: Record<string, unknown> = { line: error.line, rule: error.rule, kind: error.kind };
          if (error.ms !== undefined) row.ms = error.ms;
          return row;
        });
        const actual = findings.map(summarise).map((row, index) => {
          if ((testCase.errors ?? [])[index]?.ms === undefined) delete row.ms;
          return row;
        });
        expect(actual).toEqual(expected);
      });
    }
  });
}
