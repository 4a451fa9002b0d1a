import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { CSharpAnalyzer } from '../../src/analysis/languages/csharp.js';
import { reparseVerdict } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { rewriteCSharp } from '../../src/suggest/csharp/index.js';
import { STRATEGY_NAMES } from '../../src/suggest/strategies.js';
import { loadTable } from './rule-table.js';

const TABLES = ['fixtures/csharp/retries.yml', 'fixtures/csharp/polly.yml'];
const DEFAULT_PATH = 'src/Acme/Client.cs';

describe('csharp patches', () => {
  for (const table of TABLES) {
    it(`every finding in ${table} gets a patch that re-parses, for every strategy`, async () => {
      let findings = 0;
      for (const testCase of loadTable(table).invalid ?? []) {
        const path = testCase.filename ?? DEFAULT_PATH;
        const files: Record<string, string> = { ...testCase.files, [path]: testCase.code };
        const found = await new CSharpAnalyzer().analyze(
          { path, text: testCase.code },
          { read: async (p) => files[p] ?? null },
          DEFAULT_ANALYSIS_OPTIONS,
        );
        for (const finding of found) {
          findings += 1;
          for (const strategy of STRATEGY_NAMES) {
            const result = rewriteCSharp(finding, testCase.code, { strategy, capMs: 30_000 });
            expect(result.kind === 'plan' ? 'plan' : `${testCase.name}: ${result.reason}`).toBe('plan');
            if (result.kind !== 'plan') continue;
            const patched = applyEdits(testCase.code, result.edits);
            expect(patched).not.toBe(testCase.code);
            expect(reparseVerdict('csharp', testCase.code, patched)).toEqual({ valid: true });
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual((loadTable(table).invalid ?? []).length);
    });
  }
});
