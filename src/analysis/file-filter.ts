import { compiledGlob } from '../globs.js';

/**
 * Which files are worth analysing (RULES.md section 1): tests, vendored, generated and minified code
 * are skipped, each with a reason the CLI can print under `--verbose`.
 */

/** Larger files are generated or data; never worth a review comment. */
export const MAX_ANALYSED_BYTES = 1024 * 1024;
/** Minified code has very long lines; hand-written code rarely averages more than this. */
export const MINIFIED_AVERAGE_LINE = 300;
/** One line this long is a bundle or inlined data, whatever the average. */
export const MINIFIED_LONGEST_LINE = 10_000;

const VENDORED = [
  '**/node_modules/**',
  '**/vendor/**',
  '**/vendored/**',
  '**/third_party/**',
  '**/bower_components/**',
  '**/.git/**',
];
const BUILD_OUTPUT = ['**/dist/**', '**/build/**', '**/out/**', '**/.next/**', '**/coverage/**'];
const GENERATED_NAMES = [
  '**/*.min.*',
  '**/*.bundle.*',
  '**/*-min.js',
  '**/*.generated.*',
  '**/*.gen.*',
  '**/*_pb.*',
  '**/*.pb.*',
  '**/*.d.ts',
  '**/*.d.mts',
  '**/*.d.cts',
];
/**
 * Imports of test frameworks: a file outside the test folders that imports one is test support (a
 * matcher, a helper that re-runs a failing assertion), not code that serves traffic.
 */
const TEST_FRAMEWORK_IMPORT = [
  /^\s*import\s+(?:[\w{}\s,*]+\s+from\s+)?['"](@playwright\/test|vitest|@jest\/globals|mocha|chai|node:test)['"]/m,
  /\brequire\(\s*['"](chai|mocha|@playwright\/test)['"]\s*\)/,
  /^\s*(import\s+(pytest|unittest)\b|from\s+(pytest|unittest)\b(?!\.mock))/m,
  /^\s*import\s+(static\s+)?(org\.junit|org\.testng|org\.assertj|org\.spockframework|org\.mockito|io\.kotest|kotlin\.test)\b/m,
  /^\s*using\s+(NUnit\.Framework|Xunit|Microsoft\.VisualStudio\.TestTools)\b/m,
  /^\s*require\s*\(?\s*['"](rspec|minitest)\b/m,
  /^\s*import\s+"testing"|^import\s*\([^)]*^\s*"testing"\s*$/m,
];
/**
 * A test runner's assertion as a statement (`await expect(locator).toBeVisible()`,
 * `expect(fn).toPass({ interval })`): Jest, Vitest and Playwright provide `expect` as a global, so a
 * snippet or helper written for them needs no import. Both halves must appear: the statement, and a
 * matcher of theirs (`.toBe…(`, `.toHave…(`, `.toPass(`; never a built-in such as `.toString()`).
 */
const TEST_ASSERTION_STATEMENT = /^\s*(?:await\s+)?expect(?:\.\w+)?\s*\(/m;
const TEST_MATCHER =
  /\)\s*\.\s*(?:(?:not|resolves|rejects)\s*\.\s*)?to(?:Be|Equal|StrictEqual|Have|Contain|Match|Throw|Pass|Satisfy)\w*\s*\(/;
const GENERATED_MARKER = /@generated|DO NOT EDIT|auto-?generated|This file was generated/i;

export interface PathFilterOptions {
  includeTests: boolean;
  testPatterns: readonly string[];
  includeVendored: boolean;
  includeGenerated: boolean;
  /** Config `paths.include`: when non-empty, only matching paths are analysed. */
  include: readonly string[];
  /** Config `paths.ignore`. */
  ignore: readonly string[];
}

const matches = (path: string, patterns: readonly string[]): boolean =>
  patterns.some((pattern) => compiledGlob(pattern).match(path));

/**
 * Skips the configuration asked for (tests, vendored and build paths, `paths.*`): expected, listed
 * quietly. Any other skip of a changed file (minified, generated, binary, too large, unreadable) could
 * hide a retry, so reviews call it out.
 */
export const CHOSEN_SKIPS: ReadonlySet<string> = new Set([
  'vendored dependency',
  'build output',
  'generated or minified file name',
  'test file',
  'not under paths.include',
  'matched paths.ignore',
  'test support (imports a test framework)',
  'test support (asserts with a test runner)',
]);

/** Why a path is skipped before reading it, or null to analyse it. */
export function skipReasonForPath(path: string, options: PathFilterOptions): string | null {
  if (!options.includeVendored && matches(path, VENDORED)) return 'vendored dependency';
  if (!options.includeGenerated && matches(path, BUILD_OUTPUT)) return 'build output';
  if (!options.includeGenerated && matches(path, GENERATED_NAMES)) return 'generated or minified file name';
  if (!options.includeTests && matches(path, options.testPatterns)) return 'test file';
  if (options.include.length > 0 && !matches(path, options.include)) return 'not under paths.include';
  if (matches(path, options.ignore)) return 'matched paths.ignore';
  return null;
}

/** Why a file's content is skipped, or null to analyse it. */
export function skipReasonForContent(
  text: string,
  options: Pick<PathFilterOptions, 'includeGenerated'> & Partial<Pick<PathFilterOptions, 'includeTests'>>,
): string | null {
  if (text.length > MAX_ANALYSED_BYTES) return `larger than ${MAX_ANALYSED_BYTES} bytes`;
  if (text.includes('\u0000')) return 'binary';
  if (!options.includeTests && TEST_FRAMEWORK_IMPORT.some((pattern) => pattern.test(text)))
    return 'test support (imports a test framework)';
  if (!options.includeTests && TEST_ASSERTION_STATEMENT.test(text) && TEST_MATCHER.test(text))
    return 'test support (asserts with a test runner)';
  if (options.includeGenerated) return null;
  const head = text.slice(0, 1000);
  if (GENERATED_MARKER.test(head)) return 'generated (marker in the header)';
  let lines = 1;
  let longest = 0;
  let current = 0;
  for (let index = 0; index < text.length; index += 1) {
    if (text.charCodeAt(index) === 10) {
      lines += 1;
      if (current > longest) longest = current;
      current = 0;
    } else {
      current += 1;
    }
  }
  if (current > longest) longest = current;
  if (longest > MINIFIED_LONGEST_LINE || (text.length / lines > MINIFIED_AVERAGE_LINE && text.length > 2_000))
    return 'minified';
  return null;
}
