import type { JitterbotConfig } from '../config.js';
import type { Finding } from '../analysis/finding.js';
import type { FindingSimulation } from '../simulate/finding.js';
import type { Suggestion } from '../suggest/types.js';

/** Inclusive 1-based line range on the new side of a diff. */
export interface LineRange {
  start: number;
  end: number;
}

export interface ChangedFile {
  /** Path at head, repository-relative. */
  path: string;
  /** Path at base when the file was renamed. */
  previousPath?: string;
  status: 'added' | 'modified' | 'renamed' | 'removed' | 'binary';
  /** Lines this change added (new side). Empty for removed and binary files. */
  addedLines: LineRange[];
}

export interface ChangeSet {
  /** Commit the change is compared against (the merge base on a local checkout). */
  baseSha: string;
  /** The commit under review; every file read during the review is read at this ref. */
  headSha: string;
  files: ChangedFile[];
}

/**
 * The only way a review reads the repository. Each platform implements it (GitHub trees and blobs,
 * GitLab repository files, a local git checkout). Implementations cache per (ref, path) and stop at a
 * per-review budget so a hostile repository cannot exhaust memory or API quota.
 */
export interface RepoReader {
  /** File text at `ref`, or null when absent, binary, too large, or over the budget. */
  read(path: string, ref: string): Promise<string | null>;
  /** Every file path at `ref` (bounded by the budget); `glob` filters with minimatch syntax when given. */
  list(ref: string, glob?: string): Promise<string[]>;
  /** What a reader with a budget refused so far, and why (`file budget exhausted`, `too large`). */
  report?(): { refused: readonly { path: string; reason: string }[] };
}

/** A comment the bot left on an earlier run, recognised by its hidden fingerprint marker. */
export interface EarlierComment {
  /** Platform id of the comment (GitHub comment id, GitLab discussion id). */
  id: string;
  fingerprint: string;
  path: string;
  line?: number;
  /** Already resolved or answered as fixed. */
  resolved: boolean;
  /** The bot already replied "fixed in …" (the resolve may still be outstanding). */
  answered?: boolean;
  /** GitHub review-thread node id, for resolving the thread. */
  threadId?: string;
}

/** A platform's view of one pull or merge request, as the pipeline sees it. */
export interface ReviewTarget {
  /** Platform name used in logs and rendering (`github`, `gitlab`, `local`). */
  readonly platform: 'github' | 'gitlab' | 'local';
  /** The files and lines the change touched. */
  changeSet(): Promise<ChangeSet>;
  /** Per-repository configuration (defaults when absent; problems listed in `errors`). */
  config(): Promise<{ config: JitterbotConfig; errors: string[] }>;
  /** Comments the bot left on earlier runs, for reconciliation. */
  earlierComments(): Promise<EarlierComment[]>;
  /** Publish the outcome of a run: new comments, fixed ones, and the summary. */
  publish(outcome: ReviewOutcome): Promise<void>;
}

/** A finding ready to publish: rendered for the platform, with its suggestion. */
export interface PublishedFinding {
  finding: Finding;
  /** Markdown body of the inline comment, fingerprint marker included. */
  body: string;
  /** Lines the suggestion replaces (1-based inclusive) when a suggestion block is present. */
  suggestionLines?: LineRange;
  /** The patch (valid or described in words); SARIF fixes and the CLI's diffs come from it. */
  suggestion?: Suggestion;
  simulation?: FindingSimulation | null;
}

/** A file the review did not analyse, and why (shown by `--verbose` and in summaries). */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** Another place in the repository with the same problem, outside the lines the change added. */
export interface BlastRadiusEntry {
  path: string;
  line: number;
  rule: Finding['rule'];
}

export interface ReviewOutcome {
  headSha: string;
  /** Findings on added lines that have no earlier comment: post these. */
  toPost: PublishedFinding[];
  /** Findings on added lines that already have a comment: leave alone. */
  unchanged: PublishedFinding[];
  /** Earlier comments whose finding is gone: answer "fixed in <sha>" and resolve. */
  fixed: EarlierComment[];
  /** Findings on lines the change did not add, for the summary only. */
  preExisting: Finding[];
  /** Markdown summary (findings, pre-existing ones, blast radius, config errors). */
  summary: string;
  /** Whether the outcome should fail a check (config `fail_on`). */
  failed: boolean;
  configErrors: string[];
  skipped: SkippedFile[];
  blastRadius: BlastRadiusEntry[];
  /** The client count used by the simulations, and where it came from. */
  clients: { count: number; source: string };
  /** Files the analysis read and analysed. */
  analysedFiles?: number;
  /** Findings left out because `.jitterbot-baseline.json` records them. */
  baselined?: number;
  /** Files of the repository the read budget kept the review from reading (see `review/read-cuts.ts`). */
  readsCut?: number;
}
