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
  /** How another file names and calls it, where the language qualifies a helper (Java, Kotlin, C#). */
  reference?: HelperReference;
}

/** What a call from another file needs to know of a helper beyond its name. */
export interface HelperReference {
  /** The package or namespace its file declares (absent: the default package or global namespace). */
  packageName?: string;
  /** The class or object it is a static member of, outermost first (`Backoff`, `Retry.Backoff`). */
  owner?: string;
  /** Only files of its own package may call it (Java package-private). */
  packageOnly?: boolean;
  /** Its declared return type as written, qualified when its file imports it (`long`, `Duration`, `TimeSpan`). */
  returnType?: string;
  /** Its parameters in order (the receiver excluded). */
  params: HelperParam[];
}

export interface HelperParam {
  name: string;
  /** The declared type as written. */
  type?: string;
  /** It has a default, so a call may leave it out. */
  optional?: boolean;
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
