import { describe, expect, it } from 'vitest';
import { loadTable, runCase, summarise } from './rule-table.js';

const TABLES = [
  'fixtures/typescript/fixed-delay-retry.yml',
  'fixtures/typescript/unjittered-backoff.yml',
  'fixtures/typescript/libraries.yml',
  'fixtures/typescript/near-misses.yml', 'fixtures/typescript/real-world.yml',
];

for (const path of TABLES) {
  const table = loadTable(path);
  describe(path, () => {
    for (const testCase of table.valid ?? []) {
      it(`valid: ${testCase.name}`, async () => {
        const findings = await runCase(testCase);
        expect(findings.map(summarise)).toEqual([]);
      });
    }
    for (const testCase of table.invalid ?? []) {
      it(`invalid: ${testCase.name}`, async () => {
        const findings = await runCase(testCase);
        const expected = (testCase.errors ?? []).map((error) => {
          const row: Record<string, unknown> = { line: error.line, rule: error.rule, kind: error.kind };
          if (error.ms !== undefined) row.ms = error.ms;
          return row;
        });
        const actual = findings.map(summarise).map((row, index) => {
          // `ms` is only asserted where the table states it.
          if ((testCase.errors ?? [])[index]?.ms === undefined) delete row.ms;
          return row;
        });
        expect(actual).toEqual(expected);
      });
    }
  });
}
