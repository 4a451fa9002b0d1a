/**
 * One measurement in its own process, so peak RSS belongs to it alone. Prints one JSON line.
 *   measure.ts parse  <root> [--vendored]  read every file a scan would analyse and parse it (TypeScript or tree-sitter)
 *   measure.ts detect <root> [--vendored]  the same files through the detector (findings, cross-file resolution)
 *   measure.ts review <root> [--vendored]  the whole review pipeline: detector, confirmation, validated patches, rendering
 */
import { ts } from 'ts-morph';
import type { LanguageAnalyzer } from '../src/analysis/analyzer.js';
import { scriptKindOf } from '../src/analysis/languages/ts/modules.js';
import { GRAMMAR_OF_LANGUAGE, withTree } from '../src/analysis/languages/tree-sitter/runtime.js';
import { createAnalyzers } from '../src/analysis/registry.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { WORKTREE_REF } from '../src/platforms/local/reader.js';
import { LocalReviewTarget } from '../src/platforms/local/target.js';
import { analysisOptionsFrom, analyzePaths, filterOptionsFrom } from '../src/review/analyze.js';
import { runReview } from '../src/review/pipeline.js';

const [mode, root, ...flags] = process.argv.slice(2);
const vendored = flags.includes('--vendored');
const BUDGET = {
  maxFiles: 1_000_000,
  maxBytes: 8 * 1024 ** 3,
  maxFileBytes: 1024 * 1024,
  maxListed: 1_000_000,
};

/**
 * The baseline: the same files, the same reads, only parsed — TypeScript's `createSourceFile`, or the
 * language's tree-sitter grammar.
 */
const parseOnly: LanguageAnalyzer[] = createAnalyzers().map(({ language, extensions }) => {
  const grammar = GRAMMAR_OF_LANGUAGE[language];
  return {
    language,
    extensions,
    async analyze(file) {
      if (grammar) await withTree(grammar, file.text, (tree) => tree.rootNode.childCount);
      else ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, scriptKindOf(file.path));
      return [];
    },
  };
});

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  // What starting Node and loading jitterbot cost, so a report can also show the work alone.
  const atStart = process.cpuUsage();
  const target = await LocalReviewTarget.open({ root: root!, budget: BUDGET });
  const config = vendored ? { ...DEFAULT_CONFIG, include_tests: true } : DEFAULT_CONFIG;
  let files: number;
  let findings: number;
  if (mode === 'review') {
    const outcome = await runReview(target, target.reader, {
      blastRadius: false,
      includeVendored: vendored,
      includeGenerated: vendored,
      overrides: vendored ? { include_tests: true } : {},
    });
    files = outcome.analysedFiles ?? 0;
    findings = outcome.toPost.length + outcome.unchanged.length;
  } else {
    const result = await analyzePaths({
      paths: await target.reader.list(WORKTREE_REF),
      reader: target.reader,
      ref: WORKTREE_REF,
      analyzers: mode === 'parse' ? parseOnly : createAnalyzers(),
      filter: filterOptionsFrom(config, { includeVendored: vendored, includeGenerated: vendored }),
      options: analysisOptionsFrom(config),
    });
    files = result.analysed;
    findings = result.files.reduce((sum, file) => sum + file.findings.length, 0);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const startCpuSeconds = (atStart.user + atStart.system) / 1e6;
  const bytes = target.reader.report().bytesRead;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({ mode, files, bytes, findings, seconds, cpuSeconds, startCpuSeconds, peakRssMb }),
  );
}

await main();
