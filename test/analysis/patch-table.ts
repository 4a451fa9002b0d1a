import { expect, it } from 'vitest';
import type { Finding } from '../../src/analysis/finding.js';
import type { LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { applyEdits } from '../../src/suggest/edits.js';
import type { RewriteResult } from '../../src/suggest/plan.js';
import { STRATEGY_NAMES } from '../../src/suggest/strategies.js';
import type { SuggestOptions } from '../../src/suggest/types.js';
import { loadTable, runCase } from './rule-table.js';

type Rewrite = (finding: Finding, text: string, options: SuggestOptions) => RewriteResult;

/**
 * For each table: every finding of every invalid row gets a patch for every strategy, the patch changes
 * the file, and `verify` accepts the patched text (re-parse with the grammar, bracket balance, …).
 */
export function itPatchesEveryFinding(
  tables: readonly string[],
  analyzer: LanguageAnalyzer,
  rewrite: Rewrite,
  defaultFilename: string,
  verify: (original: string, patched: string) => unknown,
): void {
  for (const table of tables) {
    it(`every finding in ${table} gets a patch that re-parses, for every strategy`, async () => {
      let findings = 0;
      const cases = loadTable(table).invalid ?? [];
      for (const testCase of cases) {
        for (const finding of await runCase(testCase, analyzer, defaultFilename)) {
          findings += 1;
          // A wait written inside a helper is explained in words by `suggest`, never patched here.
          if (finding.form.kind === 'call-argument' && finding.form.computedBy) continue;
          for (const strategy of STRATEGY_NAMES) {
            const result = rewrite(finding, testCase.code, { strategy, capMs: 30_000 });
            expect(result.kind === 'plan' ? 'plan' : `${testCase.name}: ${result.reason}`).toBe('plan');
            if (result.kind !== 'plan') continue;
            const patched = applyEdits(testCase.code, result.edits);
            expect(patched).not.toBe(testCase.code);
            expect(verify(testCase.code, patched)).toEqual({ valid: true });
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual(cases.length);
    });
  }
}
