import { posix } from 'node:path';
import {
  UnanalysableFile,
  type AnalysisOptions,
  type LanguageAnalyzer,
  type ModuleHost,
} from '../analysis/analyzer.js';
import { skipReasonForContent, skipReasonForPath, type PathFilterOptions } from '../analysis/file-filter.js';
import type { Finding } from '../analysis/finding.js';
import { analyzerFor } from '../analysis/registry.js';
import type { JitterbotConfig } from '../config.js';
import type { RepoReader, SkippedFile } from '../platforms/types.js';

/** Files read ahead of the one being analysed. */
const READ_AHEAD = 16;
const DONE: Promise<null> = Promise.resolve(null);

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
  /** Files with at least one finding (texts of the rest are not kept: a tree can be large). */
  files: AnalyzedFile[];
  /** How many files were analysed in all. */
  analysed: number;
  skipped: SkippedFile[];
}

export function filterOptionsFrom(
  config: JitterbotConfig,
  overrides: Partial<PathFilterOptions> = {},
): PathFilterOptions {
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
  return {
    reportUnknown: config.report_unknown,
    minDelayMs: config.min_delay_ms,
    negligibleSpread: config.negligible_jitter,
  };
}

/** The module host analysis uses to follow imports: the same reader, at the same ref. */
export function hostFor(reader: RepoReader, ref: string): ModuleHost {
  let listing: Promise<string[]> | null = null;
  let byDirectory: Promise<Map<string, string[]>> | null = null;
  const index = async (): Promise<Map<string, string[]>> => {
    const directories = new Map<string, string[]>();
    listing ??= reader.list(ref).catch(() => [] as string[]);
    for (const path of await listing) {
      const dir = posix.dirname(path);
      const files = directories.get(dir);
      if (files) files.push(path);
      else directories.set(dir, [path]);
    }
    return directories;
  };
  return {
    read: (path) => reader.read(path, ref),
    files() {
      listing ??= reader.list(ref).catch(() => [] as string[]);
      return listing;
    },
    async list(dir) {
      byDirectory ??= index();
      return (await byDirectory).get(dir === '' ? '.' : dir) ?? [];
    },
  };
}

/**
 * Reads and analyses each supported file. A file that cannot be read, is generated, or makes an
 * analyzer fail is skipped with its reason; one bad file never stops the review.
 */
export async function analyzePaths(request: AnalyzeRequest): Promise<AnalyzeResult> {
  const host = hostFor(request.reader, request.ref);
  const files: AnalyzedFile[] = [];
  const skipped: SkippedFile[] = [];
  let analysed = 0;
  const queue: { path: string; analyzer: LanguageAnalyzer }[] = [];
  for (const path of request.paths) {
    const analyzer = analyzerFor(request.analyzers, path);
    if (!analyzer) continue;
    const reason = skipReasonForPath(path, request.filter);
    if (reason) skipped.push({ path, reason });
    else queue.push({ path, analyzer });
  }
  // Reads run ahead of analysis so the CPU never waits on the disk or the network.
  const reads: Promise<string | null>[] = [];
  const readAhead = (index: number) => {
    while (reads.length < Math.min(queue.length, index + READ_AHEAD)) {
      const next = queue[reads.length]!;
      reads.push(request.reader.read(next.path, request.ref));
    }
  };
  for (const [index, { path, analyzer }] of queue.entries()) {
    readAhead(index);
    const text = await reads[index]!;
    reads[index] = DONE;
    request.onFile?.(index + 1, queue.length);
    if (text === null) {
      skipped.push({
        path,
        reason: 'could not be read (missing, binary, too large, or over the read budget)',
      });
      continue;
    }
    const contentReason = skipReasonForContent(text, request.filter);
    if (contentReason) {
      skipped.push({ path, reason: contentReason });
      continue;
    }
    try {
      const findings = await analyzer.analyze({ path, text }, host, request.options);
      analysed += 1;
      if (findings.length > 0) files.push({ path, text, findings });
    } catch (error) {
      const reason =
        error instanceof UnanalysableFile ? error.message : `analysis failed: ${(error as Error).message}`;
      skipped.push({ path, reason });
    }
  }
  return { files, analysed, skipped };
}
