import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { KotlinAnalyzer } from '../../src/analysis/languages/kotlin.js';
import { reparseVerdict } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { rewriteKotlin } from '../../src/suggest/java/index.js';
import { STRATEGY_NAMES } from '../../src/simulate/strategies.js';
import { describePatchRows } from './patch-table.js';
import { loadTable } from './rule-table.js';

const TABLES = ['fixtures/kotlin/retries.yml'];
const DEFAULT_PATH = 'src/main/kotlin/com/acme/Client.kt';

describe('kotlin patches', () => {
  for (const table of TABLES) {
    it(`every finding in ${table} gets a patch that re-parses, for every strategy`, async () => {
      let findings = 0;
      for (const testCase of loadTable(table).invalid ?? []) {
        const path = testCase.filename ?? DEFAULT_PATH;
        const files: Record<string, string> = { ...testCase.files, [path]: testCase.code };
        const found = await new KotlinAnalyzer().analyze(
          { path, text: testCase.code },
          { read: async (p) => files[p] ?? null },
          DEFAULT_ANALYSIS_OPTIONS,
        );
        for (const finding of found) {
          findings += 1;
          for (const strategy of STRATEGY_NAMES) {
            const result = rewriteKotlin(finding, testCase.code, { strategy, capMs: 30_000 });
            expect(result.kind === 'plan' ? 'plan' : `${testCase.name}: ${result.reason}`).toBe('plan');
            if (result.kind !== 'plan') continue;
            const patched = applyEdits(testCase.code, result.edits);
            expect(patched).not.toBe(testCase.code);
            expect(reparseVerdict('kotlin', testCase.code, patched)).toEqual({ valid: true });
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual((loadTable(table).invalid ?? []).length);
    });
  }

  it('library findings in fixtures/kotlin/libraries.yml are reported with the library switch to turn on, not a patch', async () => {
    let findings = 0;
    for (const testCase of loadTable('fixtures/kotlin/libraries.yml').invalid ?? []) {
      const found = await new KotlinAnalyzer().analyze(
        { path: DEFAULT_PATH, text: testCase.code },
        { read: async (p) => (p === DEFAULT_PATH ? testCase.code : null) },
        DEFAULT_ANALYSIS_OPTIONS,
      );
      for (const finding of found) {
        findings += 1;
        expect(finding.form.kind).toBe('library-option');
        const result = rewriteKotlin(finding, testCase.code, { strategy: 'full', capMs: 30_000 });
        expect(result.kind).toBe('refusal');
        if (result.kind === 'refusal') expect(result.description).toMatch(/jitter/);
      }
    }
    expect(findings).toBeGreaterThan(0);
  });
});

describePatchRows('fixtures/kotlin/patches.yml', new KotlinAnalyzer(), DEFAULT_PATH);
