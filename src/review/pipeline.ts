import type { LanguageAnalyzer } from '../analysis/analyzer.js';
import { confirm, type Confirmation } from './confirm.js';
import type { Finding, RuleId } from '../analysis/finding.js';
import { analyzerFor, createAnalyzers } from '../analysis/registry.js';
import { BASELINE_PATH, parseBaseline, type Baseline } from './baseline.js';
import { silences, suppressedLines, type Suppression } from '../analysis/suppressions.js';
import type { JitterbotConfig } from '../config.js';
import { isLineAdded } from '../platforms/diff.js';
import type {
  ChangeSet,
  EarlierComment,
  PublishedFinding,
  RepoReader,
  ReviewOutcome,
  ReviewTarget,
} from '../platforms/types.js';
import { simulateFinding } from '../simulate/finding.js';
import { suggestEach } from '../suggest/suggest.js';
import type { ProjectFacts } from '../suggest/project.js';
import type { RepoJitterHelper, Suggestion, SuggestOptions } from '../suggest/types.js';
import { analysisOptionsFrom, analyzePaths, filterOptionsFrom, type AnalyzedFile } from './analyze.js';
import { renderComment, renderSummary } from './render.js';
import { budgetCuts, readCutNote } from './read-cuts.js';
import { withWarning } from './render-summary.js';
import { readProjectFacts } from './project-facts.js';
import { RULE_DOCS_URL } from './rule-docs.js';

/** Simulations are seeded so a comment never changes between runs of the same code. */
const SIMULATION_SEED = 642;

export interface ReviewLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface ReviewOptions {
  log?: ReviewLogger;
  analyzers?: readonly LanguageAnalyzer[];
  /** Overrides of the repository's configuration (CLI flags). */
  overrides?: Partial<JitterbotConfig>;
  /** Look for the same problem in untouched files (off when the whole tree is reviewed anyway). */
  blastRadius?: boolean;
  /** Include test files, vendored and generated code in the analysis (CLI flags). */
  includeVendored?: boolean;
  includeGenerated?: boolean;
  onFile?: (done: number, total: number) => void;
  /** Leave out the findings recorded in `.jitterbot-baseline.json` (default); off when re-recording it. */
  baseline?: boolean;
}

const silent: ReviewLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * One review, whatever the platform: read the change, analyse the changed files at head, confirm
 * through the repository, keep what the change added, apply config and suppressions, suggest,
 * render, reconcile with earlier comments, and publish. All I/O goes through `target` and `reader`.
 */
export async function runReview(
  target: ReviewTarget,
  reader: RepoReader,
  options: ReviewOptions = {},
): Promise<ReviewOutcome> {
  return reviewWith(analyseChange, target, reader, options);
}

/** What a review reads from its platform before the analysis; plain data, so it can cross threads. */
export interface ReviewInputs {
  platform: ReviewTarget['platform'];
  changeSet: ChangeSet;
  loaded: { config: JitterbotConfig; errors: string[] };
  earlier: EarlierComment[];
}

/** Everything a review decides from its inputs, reading the repository through `reader` only. */
export type Analysis<O extends ReviewOptions = ReviewOptions> = (
  inputs: ReviewInputs,
  reader: RepoReader,
  options: O,
) => Promise<ReviewOutcome>;

/**
 * A review whose analysis runs where `analyse` runs it (this thread, or a worker thread); the
 * platform calls before and after it stay with the caller.
 */
export async function reviewWith<O extends ReviewOptions>(
  analyse: Analysis<O>,
  target: ReviewTarget,
  reader: RepoReader,
  options: O,
): Promise<ReviewOutcome> {
  const analysed = await analyse(await readInputs(target), reader, options);
  // What the read budget cut is known here, where the reader is, whichever thread analysed.
  const cuts = await budgetCuts(reader.report?.().refused ?? [], () => reader.list(analysed.headSha));
  const outcome =
    cuts.length === 0
      ? analysed
      : { ...analysed, summary: withWarning(analysed.summary, readCutNote(cuts)), readsCut: cuts.length };
  await target.publish(outcome);
  return outcome;
}

async function readInputs(target: ReviewTarget): Promise<ReviewInputs> {
  const [changeSet, loaded, earlier] = await Promise.all([
    target.changeSet(),
    target.config(),
    target.earlierComments(),
  ]);
  return { platform: target.platform, changeSet, loaded, earlier };
}

/** Everything `runReview` does after reading its inputs and before publishing. */
export async function analyseChange(
  inputs: ReviewInputs,
  reader: RepoReader,
  options: ReviewOptions = {},
): Promise<ReviewOutcome> {
  const log = options.log ?? silent;
  const { changeSet, loaded, earlier, platform } = inputs;
  const baseline = options.baseline === false ? null : await readBaseline(reader, changeSet.headSha);
  const configErrors = baseline && 'error' in baseline ? [...loaded.errors, baseline.error] : loaded.errors;
  const config: JitterbotConfig = { ...loaded.config, ...options.overrides };
  if (loaded.errors.length > 0)
    log.warn({ errors: loaded.errors }, 'invalid configuration options; reviewing with their defaults');
  const analyzers = options.analyzers ?? createAnalyzers();
  const filter = filterOptionsFrom(config, {
    includeVendored: options.includeVendored ?? false,
    includeGenerated: options.includeGenerated ?? false,
  });
  const analysisOptions = analysisOptionsFrom(config);
  const reviewable = changeSet.files.filter((file) => file.status !== 'removed' && file.status !== 'binary');

  const analyzed = await analyzePaths({
    paths: reviewable.map((file) => file.path),
    reader,
    ref: changeSet.headSha,
    analyzers,
    filter,
    options: analysisOptions,
    onFile: options.onFile,
  });

  // Binary changes to source files never reach the analysis; they are listed like every other skip.
  const skipped = [
    ...changeSet.files
      .filter((file) => file.status === 'binary' && analyzerFor(analyzers, file.path) !== null)
      .map((file) => ({ path: file.path, reason: 'binary' })),
    ...analyzed.skipped,
  ];
  const enabled = enabledRules(config);
  const configured = analyzed.files.flatMap((file) => applyConfig(file, config, enabled));
  const accepted = baseline && 'fingerprints' in baseline ? baseline.fingerprints : new Set<string>();
  const findings = configured.filter((finding) => !accepted.has(finding.fingerprint));
  const { added, preExisting } = splitByAddedLines(findings, changeSet);

  const confirmation: Confirmation =
    added.length > 0 || options.blastRadius
      ? await confirm({
          reader,
          ref: changeSet.headSha,
          analyzers,
          changedPaths: new Set(changeSet.files.map((file) => file.path)),
          filter,
          options: analysisOptions,
          rules: enabled,
          blastRadius: options.blastRadius ?? true,
        })
      : { repoHelpers: [], blastRadius: [], clientCount: null };
  const clients = confirmation.clientCount
    ? { count: confirmation.clientCount.clients, source: confirmation.clientCount.source }
    : {
        count: config.clients,
        source:
          config.clients === 100
            ? 'the default: no replica count found in the repository'
            : 'the `clients` setting',
      };

  const texts = new Map(analyzed.files.map((file) => [file.path, file.text]));
  const projects = await readProjectFacts(reader, changeSet.headSha, added);
  const helpers = added.map((finding) => helperFor(confirmation, finding, analyzers));
  const suggestions = suggestEach(
    added.map((finding, index) => ({
      finding,
      fileText: texts.get(finding.path)!,
      options: suggestOptions(finding, config, helpers[index], projects.get(finding.path)),
    })),
  );
  const published = added.map((finding, index) =>
    publishable(
      finding,
      texts.get(finding.path)!,
      { suggestion: suggestions[index]!, repoHelper: helpers[index] },
      platform,
      config,
      clients,
      log,
    ),
  );
  const { toPost, unchanged, fixed } = reconcile(published, earlier);
  const failed = failsThreshold(
    config.fail_on,
    published.map((p) => p.finding),
  );

  const partial = {
    headSha: changeSet.headSha,
    toPost,
    unchanged,
    fixed,
    preExisting,
    failed,
    configErrors,
    skipped,
    baselined: configured.length - findings.length,
    blastRadius: confirmation.blastRadius,
    clients,
    analysedFiles: analyzed.analysed,
  };
  const summary = renderSummary({
    platform: platform === 'gitlab' ? 'gitlab' : 'github',
    findings: published.map((p) => p.finding),
    preExisting,
    blastRadius: confirmation.blastRadius.map((entry) => ({
      path: entry.path,
      line: entry.line,
      description: entry.rule,
    })),
    configErrors,
    clients: clients.count,
    clientsSource: clients.source,
    fixedCount: fixed.length,
    docsUrl: RULE_DOCS_URL,
    skipped,
  });
  log.info(
    { added: added.length, preExisting: preExisting.length, toPost: toPost.length, fixed: fixed.length },
    'review complete',
  );
  return { ...partial, summary };
}

async function readBaseline(reader: RepoReader, ref: string): Promise<Baseline | null> {
  const text = await reader.read(BASELINE_PATH, ref);
  return text === null ? null : parseBaseline(text);
}

function enabledRules(config: JitterbotConfig): Set<RuleId> {
  return new Set((Object.keys(config.rules) as RuleId[]).filter((rule) => config.rules[rule] !== 'off'));
}

/** Rule levels from the config, and inline `jitterbot-ignore-next-line` suppressions. */
function applyConfig(file: AnalyzedFile, config: JitterbotConfig, enabled: Set<RuleId>): Finding[] {
  const suppressed =
    file.findings.length > 0
      ? suppressedLines(file.text, file.findings[0]!.language)
      : new Map<number, Suppression>();
  return file.findings
    .filter((finding) => enabled.has(finding.rule))
    .filter((finding) => !silences(suppressed.get(finding.range.startLine), finding.rule))
    .map((finding) => {
      const level = config.rules[finding.rule];
      // A low-confidence note for an unresolved delay keeps its note level whatever the rule's level.
      return level === 'off' || finding.confidence === 'low' ? finding : { ...finding, level };
    });
}

function splitByAddedLines(
  findings: Finding[],
  changeSet: ChangeSet,
): { added: Finding[]; preExisting: Finding[] } {
  const addedLines = new Map(changeSet.files.map((file) => [file.path, file.addedLines]));
  const added: Finding[] = [];
  const preExisting: Finding[] = [];
  for (const finding of findings) {
    const ranges = addedLines.get(finding.path) ?? [];
    const touched = ranges.length > 0 && rangeTouches(ranges, finding.range.startLine, finding.range.endLine);
    (touched ? added : preExisting).push(finding);
  }
  return { added, preExisting };
}

/** A finding counts as added when any of its lines is: a multi-line wait edited in the middle is new code. */
function rangeTouches(ranges: Parameters<typeof isLineAdded>[0], start: number, end: number): boolean {
  for (let line = start; line <= end; line += 1) if (isLineAdded(ranges, line)) return true;
  return false;
}

/** The repository's jitter helper a patch for `finding` can call: same language family, not a sleep. */
function helperFor(
  confirmation: Confirmation,
  finding: Finding,
  analyzers: readonly LanguageAnalyzer[],
): RepoJitterHelper | undefined {
  const own = analyzerFor(analyzers, finding.path);
  const mine = confirmation.repoHelpers.filter(
    (candidate) => !candidate.sleeps && analyzerFor(analyzers, candidate.path) === own,
  );
  // One another file can name (its signature says how) before one it cannot.
  const helper = mine.find((candidate) => candidate.signature) ?? mine[0];
  if (!helper) return undefined;
  const { name, path, takesAttempt, signature } = helper;
  return { name, path, takesAttempt, ...(signature ? { signature } : {}) };
}

function suggestOptions(
  finding: Finding,
  config: JitterbotConfig,
  repoHelper: RepoJitterHelper | undefined,
  project: ProjectFacts | undefined,
): SuggestOptions {
  return {
    strategy: config.strategy === 'golden' && !config.golden_index ? 'full' : config.strategy,
    capMs: config.cap_ms,
    goldenIndexEnv: config.golden_index,
    repoHelper: repoHelper && repoHelper.path !== finding.path ? repoHelper : undefined,
    project,
  };
}

function publishable(
  finding: Finding,
  fileText: string,
  { suggestion, repoHelper }: { suggestion: Suggestion; repoHelper: RepoJitterHelper | undefined },
  platform: ReviewTarget['platform'],
  config: JitterbotConfig,
  clients: { count: number; source: string },
  log: ReviewLogger,
): PublishedFinding {
  if (!suggestion.valid)
    log.error(
      { path: finding.path, line: finding.range.startLine, reason: suggestion.invalidReason },
      'patch failed validation; described in words instead',
    );
  const simulation = simulateFinding(
    finding,
    clients.count,
    suggestion.strategy,
    config.cap_ms,
    SIMULATION_SEED,
    { includeGolden: Boolean(config.golden_index) },
  );
  const body = renderComment({
    finding,
    suggestion,
    simulation,
    platform: platform === 'gitlab' ? 'gitlab' : 'github',
    clientsSource: clients.source,
    repoHelper,
    docsUrl: `${RULE_DOCS_URL}#${finding.rule}`,
    fileText,
  });
  const block = suggestion.valid ? suggestion.primary : null;
  return {
    finding,
    body,
    suggestion,
    simulation,
    suggestionLines: block ? { start: block.startLine, end: block.endLine } : undefined,
  };
}

/** Same fingerprint as an earlier comment: leave it. Earlier fingerprints with no finding now: fixed. */
function reconcile(
  published: PublishedFinding[],
  earlier: EarlierComment[],
): Pick<ReviewOutcome, 'toPost' | 'unchanged' | 'fixed'> {
  const earlierByFingerprint = new Map(earlier.map((comment) => [comment.fingerprint, comment]));
  const current = new Set(published.map((p) => p.finding.fingerprint));
  return {
    toPost: published.filter((p) => !earlierByFingerprint.has(p.finding.fingerprint)),
    unchanged: published.filter((p) => earlierByFingerprint.has(p.finding.fingerprint)),
    fixed: earlier.filter((comment) => !comment.resolved && !current.has(comment.fingerprint)),
  };
}

function failsThreshold(failOn: JitterbotConfig['fail_on'], findings: Finding[]): boolean {
  if (failOn === 'never') return false;
  return findings.some((finding) => (failOn === 'note' ? true : finding.level === 'warning'));
}
