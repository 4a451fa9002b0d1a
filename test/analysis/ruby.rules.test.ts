import { describe, expect, it } from 'vitest';
import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { loadTable, summarise } from './rule-table.js';
import { runTreeSitterCase } from './tree-sitter.rule-table.js';

const TABLES = [
  'fixtures/ruby/fixed-delay-retry.yml',
  'fixtures/ruby/unjittered-backoff.yml',
  'fixtures/ruby/near-misses.yml',
];
const DEFAULT_FILENAME = 'app/services/client.rb';
const analyzer = new RubyAnalyzer();

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
