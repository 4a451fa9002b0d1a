import { describe, expect, it } from 'vitest';
import { loadTable, runCase, summarise, type RuleCase } from './rule-table.js';

const TABLES = [
  'fixtures/typescript/fixed-delay-retry.yml',
  'fixtures/typescript/unjittered-backoff.yml',
  'fixtures/typescript/libraries.yml',
  'fixtures/typescript/near-misses.yml',
  // Held out: real code from public repositories, labelled before the detector ran on it.
  'fixtures/typescript/real-world.yml',
  'fixtures/typescript/real-world-2.yml',
  'fixtures/typescript/real-world-3.yml',
];

async function expectFindings(testCase: RuleCase): Promise<void> {
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
}

for (const path of TABLES) {
  const table = loadTable(path);
  describe(path, () => {
    for (const testCase of table.valid ?? []) {
      const test = testCase.known_gap ? it.fails : it;
      test(`valid: ${testCase.name}`, async () => {
        const findings = await runCase(testCase);
        expect(findings.map(summarise)).toEqual([]);
      });
    }
    for (const testCase of table.invalid ?? []) {
      // A known gap is asserted to still fail, so fixing it turns the test red until the mark is removed.
      const test = testCase.known_gap ? it.fails : it;
      test(`invalid: ${testCase.name}${testCase.known_gap ? ` (known gap: ${testCase.known_gap})` : ''}`, () =>
        expectFindings(testCase));
    }
  });
}
