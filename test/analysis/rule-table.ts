import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_ANALYSIS_OPTIONS } from '../../src/analysis/analyzer.js';
import { skipReasonForContent, skipReasonForPath } from '../../src/analysis/file-filter.js';
import type { Finding } from '../../src/analysis/finding.js';
import { TypeScriptAnalyzer } from '../../src/analysis/languages/typescript.js';
import { DEFAULT_CONFIG } from '../../src/config.js';

/** One row of a rule table, in the spirit of ESLint's RuleTester. */
export interface RuleCase {
  name: string;
  filename?: string;
  code: string;
  files?: Record<string, string>;
  errors?: { line: number; rule: string; kind: string; ms?: number }[];
  /** A real case the detector is known to get wrong, and why: the test asserts it still does, so a fix shows. */
  known_gap?: string;
}

export interface RuleTable {
  valid?: RuleCase[];
  invalid?: RuleCase[];
}

export function loadTable(path: string): RuleTable {
  return parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')) as RuleTable;
}

export const DEFAULT_FILENAME = 'src/example.ts';

/** Runs a case the way a scan would: path and content filters first, then the analyzer. */
export async function runCase(testCase: RuleCase): Promise<Finding[]> {
  const path = testCase.filename ?? DEFAULT_FILENAME;
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
  const host = { read: async (p: string) => files[p] ?? null };
  return new TypeScriptAnalyzer().analyze({ path, text: testCase.code }, host, DEFAULT_ANALYSIS_OPTIONS);
}

/** What a finding looks like in a table row, for readable failure diffs. */
export function summarise(finding: Finding): { line: number; rule: string; kind: string; ms?: number } {
  const row: { line: number; rule: string; kind: string; ms?: number } = {
    line: finding.range.startLine,
    rule: finding.rule,
    kind: finding.delay.kind,
  };
  if (finding.delay.kind === 'fixed' && finding.delay.ms !== undefined) row.ms = finding.delay.ms;
  return row;
}
