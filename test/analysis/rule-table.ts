import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_ANALYSIS_OPTIONS,
  type LanguageAnalyzer,
  type ModuleHost,
} from '../../src/analysis/analyzer.js';
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
  /**
   * Which way of writing a retry (or a near-miss) the row is, for per-form figures in `npm run eval`:
   * `literal`, `parameter-default`, `all-callers-constant`, `field-constructor`, `config-default`, …
   * (the vocabulary is listed in docs/evaluation.md).
   */
  form?: string;
}

export interface RuleTable {
  valid?: RuleCase[];
  invalid?: RuleCase[];
}

export function loadTable(path: string): RuleTable {
  return parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')) as RuleTable;
}

export const DEFAULT_FILENAME = 'src/example.ts';

/** A module host over an in-memory tree of files (listable, for languages whose packages span a directory). */
export function hostOf(files: Record<string, string>): ModuleHost {
  return {
    read: async (p: string) => files[p] ?? null,
    list: async (dir: string) =>
      Object.keys(files).filter((p) => posix.dirname(p) === (dir === '' ? '.' : dir)),
    files: async () => Object.keys(files),
  };
}

/** Runs a case the way a scan would: path and content filters first, then the analyzer. */
export async function runCase(
  testCase: RuleCase,
  analyzer: LanguageAnalyzer = new TypeScriptAnalyzer(),
  defaultFilename = DEFAULT_FILENAME,
): Promise<Finding[]> {
  const path = testCase.filename ?? defaultFilename;
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
  return analyzer.analyze({ path, text: testCase.code }, hostOf(files), DEFAULT_ANALYSIS_OPTIONS);
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

async function expectFindings(
  testCase: RuleCase,
  analyzer: LanguageAnalyzer,
  defaultFilename: string,
): Promise<void> {
  const findings = await runCase(testCase, analyzer, defaultFilename);
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

/** One `describe` per table, one test per row: valid rows must stay quiet, invalid rows report exactly their errors. */
export function describeRuleTables(
  tables: readonly string[],
  analyzer: LanguageAnalyzer = new TypeScriptAnalyzer(),
  defaultFilename = DEFAULT_FILENAME,
): void {
  for (const path of tables) {
    const table = loadTable(path);
    describe(path, () => {
      for (const testCase of [...(table.valid ?? []), ...(table.invalid ?? [])]) {
        const kind = testCase.errors?.length ? 'invalid' : 'valid';
        // A known gap is asserted to still fail, so fixing it turns the test red until the mark is removed.
        const test = testCase.known_gap ? it.fails : it;
        const label = `${kind}: ${testCase.name}${testCase.known_gap ? ` (known gap: ${testCase.known_gap})` : ''}`;
        test(label, () => expectFindings(testCase, analyzer, defaultFilename));
      }
    });
  }
}

/**
 * The held-out tables of a language: real code from public repositories, labelled before the
 * detector ran on it (`fixtures/<language>/real-world*.yml`).
 */
export function realWorldTables(language: string): string[] {
  const dir = new URL(`../../fixtures/${language}/`, import.meta.url);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /^real-world.*\.yml$/.test(name))
    .sort()
    .map((name) => `fixtures/${language}/${name}`);
}
