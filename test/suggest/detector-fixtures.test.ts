import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';
import { STRATEGY_NAMES } from '../../src/simulate/strategies.js';
import { suggest } from '../../src/suggest/suggest.js';

interface RuleCase {
  name: string;
  filename?: string;
  files?: Record<string, string>;
  code: string;
}

/** The detector's own rule tables: every invalid case must get a patch that re-parses and type-checks. */
const TABLES = ['fixed-delay-retry', 'unjittered-backoff', 'libraries'];

describe('suggestions for every finding in the detector fixtures', () => {
  for (const table of TABLES) {
    const cases = (
      parse(readFileSync(new URL(`../../fixtures/typescript/${table}.yml`, import.meta.url), 'utf8')) as {
        invalid: RuleCase[];
      }
    ).invalid;
    it(`${table}: ${cases.length} cases, every strategy`, async () => {
      const analyzer = new TypeScriptAnalyzer();
      let findings = 0;
      for (const rule of cases) {
        const path = rule.filename ?? 'src/case.ts';
        const files: Record<string, string> = { ...rule.files, [path]: rule.code };
        const host = { read: async (file: string) => files[file] ?? null };
        for (const finding of await analyzer.analyze(
          { path, text: rule.code },
          host,
          DEFAULT_ANALYSIS_OPTIONS,
        )) {
          findings += 1;
          for (const strategy of STRATEGY_NAMES) {
            const suggestion = suggest(finding, rule.code, {
              strategy,
              capMs: 30_000,
              goldenIndexEnv: 'POD_ORDINAL',
            });
            expect(
              suggestion.valid ? 'valid' : `${rule.name} (${strategy}): ${suggestion.invalidReason}`,
            ).toBe('valid');
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual(cases.length);
    });
  }
});
