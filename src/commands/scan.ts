import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { JitterbotConfig, StrategyName } from '../config.js';
import { GitError, runGit } from '../platforms/local/git.js';
import { LocalReviewTarget } from '../platforms/local/target.js';
import type { ReadBudget } from '../platforms/bounded-reader.js';
import type { PublishedFinding, ReviewOutcome } from '../platforms/types.js';
import { runReview } from '../review/pipeline.js';
import { BASELINE_PATH, baselineText } from '../review/baseline.js';
import { toCodeQuality } from '../review/code-quality.js';
import { toSarif, type SarifEntry } from '../review/sarif.js';
import { patchVerdict } from '../review/patch-verdict.js';
import { renderSkipped, renderText, renderTotals, type TextEntry } from '../review/text.js';

export interface ScanFlags {
  format: 'text' | 'json' | 'sarif' | 'codequality';
  failOn: 'warning' | 'note' | 'never';
  base?: string;
  includeUncommitted: boolean;
  includeTests: boolean;
  includeVendored: boolean;
  includeGenerated: boolean;
  strategy?: StrategyName;
  minDelay?: number;
  reportUnknown?: boolean;
  color: boolean;
  verbose: boolean;
  /** Record today's findings in `.jitterbot-baseline.json` at the scanned root, instead of reporting them. */
  writeBaseline?: boolean;
}

export interface ScanIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** A whole-tree scan reads every source file once; the review budget of a pull request would cut it short. */
const SCAN_BUDGET: ReadBudget = {
  maxFiles: 500_000,
  maxBytes: 4 * 1024 * 1024 * 1024,
  maxFileBytes: 1024 * 1024,
  maxListed: 500_000,
};
/** Show a progress bar only for scans that take longer than this, and only on a terminal. */
const PROGRESS_AFTER_MS = 700;

/** `jitterbot scan`: returns the exit code (0 clean, 1 findings at or above --fail-on, 2 error). */
export async function scanCommand(
  path: string,
  flags: ScanFlags,
  meta: { version: string },
  io: ScanIo = process,
): Promise<number> {
  if (flags.writeBaseline && flags.base !== undefined) {
    io.stderr.write('jitterbot: --write-baseline records a whole-tree scan; leave out --base\n');
    return 2;
  }
  let target: LocalReviewTarget;
  try {
    target = await LocalReviewTarget.open({
      root: path,
      baseRef: flags.base,
      includeUncommitted: flags.includeUncommitted,
      budget: SCAN_BUDGET,
    });
  } catch (error) {
    io.stderr.write(`jitterbot: ${(error as Error).message}\n`);
    return 2;
  }
  const progress = progressReporter(io);
  let outcome: ReviewOutcome;
  try {
    outcome = await runReview(target, target.reader, {
      overrides: overridesFrom(flags),
      blastRadius: flags.base !== undefined,
      includeVendored: flags.includeVendored,
      includeGenerated: flags.includeGenerated,
      onFile: progress.update,
      baseline: !flags.writeBaseline,
    });
  } catch (error) {
    progress.stop();
    const message =
      error instanceof GitError
        ? error.message
        : `internal error: ${(error as Error).stack ?? String(error)}`;
    io.stderr.write(`jitterbot: ${message}\n`);
    return 2;
  }
  progress.stop();
  for (const message of outcome.configErrors)
    io.stderr.write(`jitterbot: ${message} (ignored; its default applies)\n`);
  if (flags.verbose && outcome.skipped.length > 0) io.stderr.write(`${renderSkipped(outcome.skipped)}\n`);
  if (outcome.baselined) {
    io.stderr.write(`jitterbot: ${outcome.baselined} finding(s) recorded in ${BASELINE_PATH} not reported\n`);
  }

  const diffMode = flags.base !== undefined;
  const current = [...outcome.toPost, ...outcome.unchanged];
  if (flags.writeBaseline) {
    const file = join(resolve(path), BASELINE_PATH);
    await writeFile(file, baselineText(current.map((published) => published.finding)));
    io.stderr.write(
      `jitterbot: recorded ${current.length} finding(s) in ${file}; later scans and reviews report only new ones\n`,
    );
    return 0;
  }
  const texts = new Map<string, string>();
  const ref = outcome.headSha;
  for (const item of [...current.map((p) => p.finding), ...outcome.preExisting]) {
    if (!texts.has(item.path)) texts.set(item.path, (await target.reader.read(item.path, ref)) ?? '');
  }
  const preExisting: PublishedFinding[] = diffMode
    ? outcome.preExisting.map((finding) => ({ finding, body: '' }))
    : [];
  const pathPrefix = flags.format === 'sarif' ? await repositoryPrefix(target.root) : '';
  const output = render(flags, meta, current, preExisting, texts, diffMode, io, outcome, pathPrefix);
  io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);

  const counted = current.map((p) => p.finding);
  const failing =
    flags.failOn === 'never' ? [] : counted.filter((f) => flags.failOn === 'note' || f.level === 'warning');
  return failing.length > 0 ? 1 : 0;
}

function overridesFrom(flags: ScanFlags): Partial<JitterbotConfig> {
  const overrides: Partial<JitterbotConfig> = {};
  if (flags.includeTests) overrides.include_tests = true;
  if (flags.strategy) overrides.strategy = flags.strategy;
  if (flags.minDelay !== undefined) overrides.min_delay_ms = flags.minDelay;
  if (flags.reportUnknown) overrides.report_unknown = true;
  return overrides;
}

function render(
  flags: ScanFlags,
  meta: { version: string },
  current: PublishedFinding[],
  preExisting: PublishedFinding[],
  texts: Map<string, string>,
  diffMode: boolean,
  io: ScanIo,
  outcome: ReviewOutcome,
  pathPrefix: string,
): string {
  if (flags.format === 'sarif') {
    const entries: SarifEntry[] = [
      ...current.map((published) => ({
        published,
        text: texts.get(published.finding.path),
        ...(diffMode ? { baselineState: 'new' as const } : {}),
      })),
      ...preExisting.map((published) => ({ published, baselineState: 'unchanged' as const })),
    ];
    return JSON.stringify(toSarif(entries, { ...meta, pathPrefix, skipped: outcome.skipped }), null, 2);
  }
  if (flags.format === 'codequality') {
    return JSON.stringify(toCodeQuality(current.map((published) => published.finding)), null, 2);
  }
  if (flags.format === 'json') {
    return JSON.stringify(
      {
        version: meta.version,
        mode: diffMode ? 'diff' : 'tree',
        findings: current.map((p) => ({
          ...p.finding,
          suggestion: p.suggestion ?? null,
          patch: patchSummary(p),
          simulation: summariseSimulation(p),
        })),
        preExisting: preExisting.map((p) => p.finding),
        blastRadius: outcome.blastRadius,
        clients: outcome.clients,
        skipped: outcome.skipped,
        configErrors: outcome.configErrors,
        baselined: outcome.baselined ?? 0,
      },
      null,
      2,
    );
  }
  const color = flags.color && Boolean(io.stdout.isTTY) && !process.env.NO_COLOR;
  const entries: TextEntry[] = [
    ...current.map((published) => ({ published, text: texts.get(published.finding.path) })),
    ...preExisting.map((published) => ({
      published,
      text: texts.get(published.finding.path),
      preExisting: true,
    })),
  ];
  const analysed = new Set([...current, ...preExisting].map((p) => p.finding.path)).size;
  const totals = renderTotals(
    {
      warnings: current.filter((p) => p.finding.level === 'warning').length,
      notes: current.filter((p) => p.finding.level === 'note').length,
      files: outcome.analysedFiles ?? analysed,
      preExisting: preExisting.length,
    },
    color,
  );
  return entries.length > 0 ? `${renderText(entries, { color })}\n\n${totals}` : totals;
}

/** Where `root` sits in its git repository (`services/api/`), '' at the top or outside git. */
async function repositoryPrefix(root: string): Promise<string> {
  const result = await runGit(root, ['rev-parse', '--show-prefix']);
  return result.ok ? result.stdout.toString('utf8').trim() : '';
}

function summariseSimulation(published: PublishedFinding) {
  const simulation = published.simulation;
  if (!simulation) return null;
  return {
    clients: simulation.clients,
    current: { label: simulation.current.label, peak: simulation.current.result.peak },
    suggested: { label: simulation.suggested.label, peak: simulation.suggested.result.peak },
  };
}

/** A bar on stderr for long scans at a terminal; nothing at all otherwise, so stdout stays machine-readable. */
function progressReporter(io: ScanIo): { update: (done: number, total: number) => void; stop: () => void } {
  if (!io.stderr.isTTY || process.env.CI) return { update: () => {}, stop: () => {} };
  const started = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(done, total) {
      if (!bar && Date.now() - started > PROGRESS_AFTER_MS) {
        bar = new cliProgress.SingleBar(
          { stream: process.stderr, format: 'scanning {bar} {value}/{total} files', clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar?.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

/** The JSON `patch`: whether the patch is offered, and why not, as every other output says it. */
function patchSummary(published: PublishedFinding): { offered: boolean; reason?: string } | null {
  if (!published.suggestion) return null;
  const verdict = patchVerdict(published.suggestion);
  return verdict.offered ? { offered: true } : { offered: false, reason: verdict.reason };
}
