import type { Finding, Language } from './finding.js';

/** A function of the repository that already jitters delays, which a patch should reuse. */
export interface JitterHelperCandidate {
  /** Exported name. */
  name: string;
  /** Repository-relative path of the defining file. */
  path: string;
  /** True when it takes the attempt number and returns a delay; false when it jitters (or sleeps) a given delay. */
  takesAttempt: boolean;
  /** True when calling it waits (a jittered sleep) rather than returning a number. */
  sleeps: boolean;
  /** How another file calls it; absent when it cannot be named from there or the language says nothing. */
  signature?: HelperSignature;
}

/** A helper's declaration as a caller in another file needs it, in the language's own words. */
export interface HelperSignature {
  /**
   * The namespace callers name it through: a Go file's package name, a Ruby module
   * (`Net::Backoff`), a Rust module path inside its file ('' at the file's top level).
   */
  owner: string;
  /** Declared parameters; `optional` when a call may leave it out, `keyword` when only a name passes it. */
  params: { name: string; type?: string; optional?: boolean; keyword?: boolean }[];
  /** The declared result type (`time.Duration`, `Duration`), when the language states one. */
  returns?: string;
  /**
   * The package or namespace its file declares (Java, Kotlin, C#), which an import names; `owner` is
   * then its class or object (`Backoff`, `Outer.Inner`), '' for a Kotlin top-level function.
   */
  packageName?: string;
  /** Only files of its own package may call it (Java package-private). */
  packageOnly?: boolean;
}

/**
 * How analysis reaches other files of the same tree (imports, helpers, constants). Paths are
 * repository-relative with forward slashes. Implementations cache and bound their reads; `null`
 * means absent, unreadable or over budget, and analysis then lowers its confidence instead of guessing.
 */
export interface ModuleHost {
  read(path: string): Promise<string | null>;
  /** Files directly inside `dir` ('' or '.' for the root): Go packages span a directory. */
  list?(dir: string): Promise<string[]>;
  /** Every file of the tree (for the repository index: who calls a function, who sets a field). */
  files?(): Promise<string[]>;
}

export interface AnalysisOptions {
  /** Report waits whose delay cannot be resolved as low-confidence notes. */
  reportUnknown: boolean;
  /** Fixed delays below this many milliseconds are not worth a comment. */
  minDelayMs: number;
  /** A random spread under this fraction of the wait is reported as negligible (default 0.1). */
  negligibleSpread?: number;
}

export const DEFAULT_ANALYSIS_OPTIONS: AnalysisOptions = { reportUnknown: false, minDelayMs: 0 };

export interface SourceInput {
  path: string;
  text: string;
}

/** One module per language implements this; the pipeline never branches on the language. */
export interface LanguageAnalyzer {
  readonly language: Language;
  /** Lower-case file extensions with the dot, e.g. `.ts`. */
  readonly extensions: readonly string[];
  analyze(file: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]>;
  /** Exported functions of this file that add randomness to a delay (judged by their bodies, not names). */
  jitterHelpers?(file: SourceInput): JitterHelperCandidate[];
}

/**
 * Thrown by an analyzer for a file it will not analyse (nesting too deep, parse time exceeded): the
 * pipeline lists it as skipped with this message, and the review goes on.
 */
export class UnanalysableFile extends Error {
  override readonly name = 'UnanalysableFile';
}
