/**
 * A repository's config is written by whoever can push: its globs are bounded before anything compiles
 * them, and a glob outside the bounds is a config error (that option falls back to its default).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_TEST_PATTERNS, parseConfig } from '../src/config.js';
import { GLOB_LIMITS, compiledGlob, compiledGlobCount, globProblem } from '../src/globs.js';

const SOURCE = '.github/jitterbot.yml';

function ignoring(globs: string[]): string {
  return `paths:\n  ignore:\n${globs.map((glob) => `    - ${JSON.stringify(glob)}`).join('\n')}\n`;
}

describe('config globs', () => {
  it('rejects a glob bomb (thousands of "[") with a config error, without compiling it', () => {
    const loaded = parseConfig(ignoring(['['.repeat(3_000)]), SOURCE);
    expect(loaded.errors).toEqual([`${SOURCE}: paths.ignore.0: glob longer than 256 characters`]);
    expect(loaded.config).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['many character classes', '['.repeat(GLOB_LIMITS.maxClasses + 1), /character classes/],
    ['a huge brace range', 'src/{1..100000}.ts', /expand to more than 64/],
    ['braces multiplying', '{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}.py', /expand to more than 64/],
    ['a segment that backtracks', 'src/*a*a*ab', /more than 2 "\*" in one path segment/],
    ['an extended glob', 'src/+(a|b)/**', /extended globs/],
    ['an empty glob', '', /empty glob/],
  ])('rejects %s', (_name, glob, problem) => {
    expect(globProblem(glob)).toMatch(problem);
    expect(parseConfig(ignoring([glob]), SOURCE).errors).toEqual([
      expect.stringMatching(new RegExp(`^${SOURCE}: paths\\.ignore\\.0: `)),
    ]);
  });

  it('rejects more globs in a list than the limit', () => {
    const globs = Array.from({ length: GLOB_LIMITS.maxPatterns + 1 }, (_, index) => `gen/${index}/**`);
    expect(parseConfig(ignoring(globs), SOURCE).errors).toEqual([
      `${SOURCE}: paths.ignore: at most ${GLOB_LIMITS.maxPatterns} globs`,
    ]);
  });

  it('accepts the default test patterns and ordinary globs', () => {
    expect(DEFAULT_TEST_PATTERNS.filter((glob) => globProblem(glob) !== null)).toEqual([]);
    const loaded = parseConfig(
      ignoring(['**/*.{test,spec}.{ts,js}', 'legacy/[ab]*.py', 'src/**/generated/*', '**/*_mock.go']),
      SOURCE,
    );
    expect(loaded.errors).toEqual([]);
    expect(loaded.config.paths.ignore).toHaveLength(4);
  });

  it('keeps a bounded number of compiled globs', () => {
    for (let index = 0; index < GLOB_LIMITS.cacheSize + 50; index += 1) compiledGlob(`bulk/${index}/**`);
    expect(compiledGlobCount()).toBe(GLOB_LIMITS.cacheSize);
    expect(compiledGlob('legacy/[ab]*.py').match('legacy/a1.py')).toBe(true);
    expect(compiledGlob('*.min.js').match('deep/dir/app.min.js')).toBe(true);
  });
});
