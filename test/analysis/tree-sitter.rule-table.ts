import { posix } from 'node:path';
import { DEFAULT_ANALYSIS_OPTIONS, type LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { skipReasonForContent, skipReasonForPath } from '../../src/analysis/file-filter.js';
import type { Finding } from '../../src/analysis/finding.js';
import type { ModuleHost } from '../../src/analysis/analyzer.js';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RuleCase } from './rule-table.js';

/**
 * Runs a rule-table case for a tree-sitter language the way a scan would: path and content filters
 * first, then the analyzer, with the case's other files readable (and listable, for Go packages).
 */
export async function runTreeSitterCase(
  analyzer: LanguageAnalyzer,
  testCase: RuleCase,
  defaultFilename: string,
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

/** A module host over an in-memory tree of files. */
export function hostOf(files: Record<string, string>): ModuleHost {
  return {
    read: async (p: string) => files[p] ?? null,
    list: async (dir: string) =>
      Object.keys(files).filter((p) => posix.dirname(p) === (dir === '' ? '.' : dir)),
  };
}
