import { Minimatch, braceExpand, type MinimatchOptions } from 'minimatch';

/**
 * Globs from a repository's config (`paths.include`, `paths.ignore`, `test_patterns`) are written by
 * whoever can push, so they are bounded before they are compiled: a few thousand `[` take minimatch
 * about a minute to compile (the cost grows with the square of their number), a brace range can expand
 * to 100,000 patterns, and a segment such as `*a*a*a*ab` compiles to a regular expression that
 * backtracks for seconds on one long file name. A compile cannot be interrupted once started, so the
 * bounds below keep the worst case to milliseconds instead; a glob outside them is a config error.
 */
export const GLOB_LIMITS = {
  /** Characters in one glob. */
  maxLength: 256,
  /** Character classes (`[…]`) in one glob. */
  maxClasses: 16,
  /** `*` in one path segment (`**` aside): each more multiplies the backtracking by the name's length. */
  maxStarsPerSegment: 2,
  /** Patterns one glob's braces (`{a,b}`, `{1..9}`) expand to. */
  maxExpansions: 64,
  /** Globs in one list of the config. */
  maxPatterns: 200,
  /** Compiled globs kept: the defaults and the lists of the repositories recently reviewed. */
  cacheSize: 2_000,
} as const;

const EXTGLOB = /[?*+@!]\(/;

/** What is wrong with a glob, in words for a config error; null when it may be compiled. */
export function globProblem(glob: string): string | null {
  const limits = GLOB_LIMITS;
  if (glob.length === 0) return 'empty glob';
  if (glob.length > limits.maxLength) return `glob longer than ${limits.maxLength} characters`;
  if (EXTGLOB.test(glob)) return 'extended globs (`+(…)`, `@(…)`, `!(…)`, …) are not supported';
  if ((glob.match(/\[/g)?.length ?? 0) > limits.maxClasses)
    return `glob with more than ${limits.maxClasses} character classes ("[")`;
  const crowded = glob
    .split('/')
    .some((segment) => (segment.replace(/\*\*+/g, '').match(/\*/g)?.length ?? 0) > limits.maxStarsPerSegment);
  if (crowded) return `glob with more than ${limits.maxStarsPerSegment} "*" in one path segment`;
  if (braceExpand(glob, { braceExpandMax: limits.maxExpansions + 1 }).length > limits.maxExpansions)
    return `glob whose braces expand to more than ${limits.maxExpansions} patterns`;
  return null;
}

/** Extended globs off, so no glob can hold the nested groups a backtracking regex explodes on. */
const OPTIONS: MinimatchOptions = { dot: true, noext: true, braceExpandMax: GLOB_LIMITS.maxExpansions };

/** Least recently used first: a Map iterates in insertion order, and a hit is moved to the end. */
const compiled = new Map<string, Minimatch>();

/**
 * The compiled glob, from a bounded cache (compiling costs far more than matching). A glob without a
 * `/` matches the file name at any depth. Only globs {@link globProblem} accepts reach here.
 */
export function compiledGlob(glob: string): Minimatch {
  let found = compiled.get(glob);
  if (found) compiled.delete(glob);
  else found = new Minimatch(glob, { ...OPTIONS, matchBase: !glob.includes('/') });
  compiled.set(glob, found);
  if (compiled.size > GLOB_LIMITS.cacheSize) compiled.delete(compiled.keys().next().value!);
  return found;
}

/** Globs in the cache, for tests of its bound. */
export function compiledGlobCount(): number {
  return compiled.size;
}
