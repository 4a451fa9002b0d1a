import type { HelperSignature } from '../analysis/analyzer.js';
import type { StrategyName } from '../config.js';
import type { SuggestedStrategy } from '../simulate/strategies.js';
import type { ProjectFacts } from './project.js';

export type { StrategyName } from '../config.js';

/**
 * The repository's own jitter/backoff helper, found by confirmation. When present, a patch calls it
 * instead of inventing a new expression, so the codebase keeps one way of doing backoff.
 */
export interface RepoJitterHelper {
  /** Exported name of the helper, e.g. `backoffDelay`. */
  name: string;
  /** Repository-relative path of the module that defines it. */
  path: string;
  /** Import specifier as the patched file should write it; derived from `path` when absent. */
  importSpecifier?: string;
  /** True when it takes the attempt number and returns the delay; false when it jitters a given delay. */
  takesAttempt: boolean;
  /** Its declaration, for languages whose call needs its namespace and types (Go, Rust, Ruby, Java, Kotlin, C#). */
  signature?: HelperSignature;
}

export interface SuggestOptions {
  strategy: StrategyName;
  /** Upper bound of a backoff that grows with the attempt counter, in milliseconds. */
  capMs: number;
  /** Environment variable holding a stable per-client index; golden jitter is only offered with it. */
  goldenIndexEnv?: string;
  repoHelper?: RepoJitterHelper;
  /** The build-file facts of the finding's project; absent facts mean the API that exists everywhere. */
  project?: ProjectFacts;
}

/** A replacement in the original file text: offsets are 0-based UTF-16 indexes, `end` exclusive. */
export interface TextEdit {
  start: number;
  end: number;
  newText: string;
}

/** Full lines of the original file (1-based, inclusive) and the text that replaces them. */
export interface SuggestionBlock {
  startLine: number;
  endLine: number;
  /** Replacement lines joined with `\n`, without a trailing newline. */
  newLines: string;
}

export type { SuggestedStrategy };

interface SuggestionBase {
  strategy: SuggestedStrategy;
  /** Every replacement, including imports added elsewhere in the file. */
  edits: TextEdit[];
  /** Plain sentences for the edits outside `primary`, e.g. an import at the top of the file. */
  extra: string[];
  /** The change in words; what a reviewer reads when no patch can be offered. */
  description: string;
}

/**
 * A patch that re-parsed and type-checked: `primary` can be published as a one-click suggestion.
 * An invalid one keeps its description (and the edits, for logs) but must not be offered as a patch.
 */
export type Suggestion =
  | (SuggestionBase & { valid: true; primary: SuggestionBlock })
  | (SuggestionBase & { valid: false; invalidReason: string; primary: SuggestionBlock | null });
