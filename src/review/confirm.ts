import type { JitterHelperCandidate, LanguageAnalyzer } from '../analysis/analyzer.js';
import type { RuleId } from '../analysis/finding.js';
import { analyzerFor } from '../analysis/registry.js';
import { findClientCount, type ClientCount } from './replicas.js';
import type { BlastRadiusEntry, RepoReader } from '../platforms/types.js';
import { analyzePaths } from './analyze.js';
import type { PathFilterOptions } from '../analysis/file-filter.js';
import type { AnalysisOptions } from '../analysis/analyzer.js';

/**
 * Confirmation through the repository at head (DESIGN.md "What confirm means"): the parts of the
 * truth that live outside the changed lines. Resolving helpers and constants happens during analysis
 * itself, through the same reader; this step adds the repository-wide facts.
 */

/** Files read looking for an existing jitter helper. */
export const MAX_HELPER_FILES = 60;
/** Files analysed to count the same problem elsewhere. */
export const MAX_BLAST_RADIUS_FILES = 100;
/** Entries listed in a summary; the count stays exact up to the files analysed. */
export const MAX_BLAST_RADIUS_LISTED = 20;

/** Paths most likely to hold shared retry code, read first when the budget cannot cover the tree. */
const HELPER_PATH_HINT = /jitter|backoff|retry|delay|sleep|time|timing|util|helper|lib|common|shared/i;
/** Paths whose text may hold a retry at all. */
const RETRY_PATH_HINT = /client|api|http|retry|queue|consumer|worker|service|db|connect|sync|job/i;

export interface Confirmation {
  /** The repository's own jitter helpers, best first (each language's patches pick their own). */
  repoHelpers: JitterHelperCandidate[];
  blastRadius: BlastRadiusEntry[];
  clientCount: ClientCount | null;
}

export interface ConfirmRequest {
  reader: RepoReader;
  ref: string;
  analyzers: readonly LanguageAnalyzer[];
  /** Paths the change touched: excluded from the blast radius (their findings are reported directly). */
  changedPaths: ReadonlySet<string>;
  filter: PathFilterOptions;
  options: AnalysisOptions;
  /** Which rules are enabled. */
  rules: ReadonlySet<RuleId>;
  /** Whether to look for the same problem elsewhere (pointless when the whole tree is already reviewed). */
  blastRadius: boolean;
}

export async function confirm(request: ConfirmRequest): Promise<Confirmation> {
  let listing: string[];
  try {
    listing = await request.reader.list(request.ref);
  } catch {
    listing = [];
  }
  const sources = listing.filter((path) => analyzerFor(request.analyzers, path) !== null);
  const [repoHelpers, blastRadius, clientCount] = await Promise.all([
    findRepoHelper(request, sources),
    request.blastRadius ? countElsewhere(request, sources) : Promise.resolve([]),
    findClientCount(request.reader, request.ref).catch(() => null),
  ]);
  return { repoHelpers, blastRadius, clientCount };
}

/** Prefer hinted paths, then shallow ones: shared helpers live near the top of `src/`. */
function prioritise(paths: string[], hint: RegExp): string[] {
  const depth = (path: string) => path.split('/').length;
  return [...paths].sort((a, b) => {
    const hinted = Number(hint.test(b)) - Number(hint.test(a));
    return hinted !== 0 ? hinted : depth(a) - depth(b) || a.localeCompare(b);
  });
}

async function findRepoHelper(request: ConfirmRequest, sources: string[]): Promise<JitterHelperCandidate[]> {
  const candidates: JitterHelperCandidate[] = [];
  for (const path of prioritise(sources, HELPER_PATH_HINT).slice(0, MAX_HELPER_FILES)) {
    const analyzer = analyzerFor(request.analyzers, path);
    if (!analyzer?.jitterHelpers) continue;
    const text = await request.reader.read(path, request.ref);
    if (text === null) continue;
    candidates.push(...analyzer.jitterHelpers({ path, text }));
  }
  // A helper that computes a delay from the attempt is the most reusable; then one that jitters a given delay.
  const rank = (c: JitterHelperCandidate) => (c.sleeps ? 2 : c.takesAttempt ? 0 : 1);
  return candidates.sort((a, b) => rank(a) - rank(b));
}

async function countElsewhere(request: ConfirmRequest, sources: string[]): Promise<BlastRadiusEntry[]> {
  const others = sources.filter((path) => !request.changedPaths.has(path));
  const picked = prioritise(others, RETRY_PATH_HINT).slice(0, MAX_BLAST_RADIUS_FILES);
  const result = await analyzePaths({
    paths: picked,
    reader: request.reader,
    ref: request.ref,
    analyzers: request.analyzers,
    filter: request.filter,
    options: request.options,
  });
  return result.files
    .flatMap((file) => file.findings)
    .filter((finding) => request.rules.has(finding.rule))
    .map((finding) => ({ path: finding.path, line: finding.range.startLine, rule: finding.rule }));
}
