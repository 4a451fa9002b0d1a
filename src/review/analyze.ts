import type { AnalysisOptions, LanguageAnalyzer, ModuleHost } from '../analysis/analyzer.js';
import { skipReasonForContent, skipReasonForPath, type PathFilterOptions } from '../analysis/file-filter.js';
import type { Finding } from '../analysis/finding.js';
import { analyzerFor } from '../analysis/registry.js';
import type { JitterbotConfig } from '../config.js';
import type { RepoReader, SkippedFile } from '../platforms/types.js';

export interface AnalyzeRequest {
  paths: readonly string[];
  reader: RepoReader;
  ref: string;
  analyzers: readonly LanguageAnalyzer[];
  filter: PathFilterOptions;
  options: AnalysisOptions;
  /** Called after each file, for progress indicators. */
  onFile?: (done: number, total: number) => void;
}

export interface AnalyzedFile {
  path: string;
  text: string;
  findings: Finding[];
}

export interface AnalyzeResult {
  files: AnalyzedFile[];
  skipped: SkippedFile[];
}

export function filterOptionsFrom(config: JitterbotConfig, overrides: Partial<PathFilterOptions> = {}): PathFilterOptions {
  return {
    includeTests: config.include_tests,
    testPatterns: config.test_patterns,
    includeVendored: false,
    includeGenerated: false,
    include: config.paths.include,
    ignore: config.paths.ignore,
    ...overrides,
  };
}

export function analysisOptionsFrom(config: JitterbotConfig): AnalysisOptions {
  return { reportUnknown: config.report_unknown, minDelayMs: config.min_delay_ms };
}

/** The module host analysis uses to follow imports: the same reader, at the same ref. */
export function hostFor(reader: RepoReader, ref: string): ModuleHost {
  return { read: (path) => reader.read(path, ref) };
}

/**
 * Reads and analyses each supported file. A file that cannot be read, is generated, or makes an
 * analyzer fail is skipped with its reason; one bad file never stops the review.
 */
export async function analyzePaths(request: AnalyzeRequest): Promise<AnalyzeResult> {
  const host = hostFor(request.reader, request.ref);
  const files: AnalyzedFile[] = [];
  const skipped: SkippedFile[] = [];
  let done = 0;
  for (const path of request.paths) {
    done += 1;
    const analyzer = analyzerFor(request.analyzers, path);
    if (!analyzer) continue;
    const pathReason = skipReasonForPath(path, request.filter);
    if (pathReason) {
      skipped.push({ path, reason: pathReason });
      continue;
    }
    const text = await request.reader.read(path, request.ref);
    if (text === null) {
      skipped.push({ path, reason: 'could not be read (missing, binary, too large, or over the read budget)' });
      continue;
    }
    const contentReason = skipReasonForContent(text, request.filter);
    if (contentReason) {
      skipped.push({ path, reason: contentReason });
      continue;
    }
    try {
      files.push({ path, text, findings: await analyzer.analyze({ path, text }, host, request.options) });
    } catch (error) {
      skipped.push({ path, reason: `analysis failed: ${(error as Error).message}` });
    }
    request.onFile?.(done, request.paths.length);
  }
  return { files, skipped };
}
