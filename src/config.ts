import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_NEGLIGIBLE_SPREAD } from './analysis/delay.js';
import { RULE_LEVEL } from './analysis/finding.js';
import { GLOB_LIMITS, globProblem } from './globs.js';

/** Where each platform looks for the per-repository configuration, in order. */
export const CONFIG_PATHS = {
  github: ['.github/jitterbot.yml'],
  gitlab: ['.gitlab/jitterbot.yml', '.jitterbot.yml'],
  local: ['.jitterbot.yml', '.github/jitterbot.yml', '.gitlab/jitterbot.yml'],
} as const;

export const STRATEGIES = ['full', 'equal', 'decorrelated', 'golden'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const ruleLevel = z.enum(['warning', 'note', 'off']);

/** Test files are not production retries; these globs are skipped unless `include_tests` is set. */
export const DEFAULT_TEST_PATTERNS = [
  '**/test/**',
  '**/tests/**',
  '**/__tests__/**',
  '**/spec/**',
  '**/*.test.*',
  '**/*.spec.*',
  '**/*_test.go',
  '**/test_*.py',
  '**/*_test.py',
  '**/src/test/**',
  '**/*Test.java',
  '**/*Tests.java',
  '**/*IT.java',
  '**/*Test.kt',
  '**/*Tests.kt',
  '**/*Tests.cs',
  '**/*Test.cs',
  '**/*.Tests/**',
  '**/*_spec.rb',
  // Test support outside test folders: helpers, fixtures, mocks and matchers only tests use.
  '**/testutil/**',
  '**/testutils/**',
  '**/test-utils/**',
  '**/test_utils/**',
  '**/testhelpers/**',
  '**/test-helpers/**',
  '**/test_helpers/**',
  '**/testsupport/**',
  '**/test-support/**',
  '**/testing/**',
  '**/testing.*',
  '**/testutil.*',
  '**/test_utils.*',
  '**/test_helper*.*',
  '**/mocks/**',
  '**/__mocks__/**',
  '**/mock/**',
  '**/fakes/**',
  '**/mock*.*',
  '**/fake*.*',
  '**/src/it/**',
  '**/src/integration*/**',
  '**/src/test?*/**',
  '**/src/*[tT]est/**',
  '**/*.Test*/**',
  '**/Testing/**',
  '**/TestUtilities/**',
  '**/TestHelpers/**',
  '**/Mocks/**',
  '**/Fakes/**',
  '**/Mock[A-Z]*.*',
  '**/Fake[A-Z]*.*',
  '**/rspec/**',
];

/** A list of globs, each one bounded (src/globs.ts) so that no config can stall a review. */
const globs = z
  .array(
    z.string().superRefine((glob, context) => {
      const problem = globProblem(glob);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  )
  .max(GLOB_LIMITS.maxPatterns, `at most ${GLOB_LIMITS.maxPatterns} globs`);

export const configSchema = z
  .object({
    rules: z
      .object({
        'fixed-delay-retry': ruleLevel
          .default('warning')
          .describe('Level of a retry that waits a fixed delay; off disables the rule.'),
        'unjittered-backoff': ruleLevel
          .default('note')
          .describe('Level of a retry whose delay grows without randomness; off disables the rule.'),
        'clamped-jitter': ruleLevel
          .default('warning')
          .describe(
            'Level of a retry whose jitter a cap swallows (every client waits the cap); off disables the rule.',
          ),
        'clamped-server-hint': ruleLevel
          .default('note')
          .describe(
            'Level of a retry that waits a server hint clamped to a constant; off disables the rule.',
          ),
        'negligible-jitter': ruleLevel
          .default('note')
          .describe('Level of a retry whose jitter is too small for its wait; off disables the rule.'),
        'fake-jitter': ruleLevel
          .default('warning')
          .describe(
            'Level of a retry whose jitter is the same in every process (a constant seed, a jitter helper that draws nothing); off disables the rule.',
          ),
      })
      .strict()
      .default({ ...RULE_LEVEL }),
    /** Fixed delays shorter than this are not worth a comment. */
    min_delay_ms: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Fixed delays shorter than this (ms) are not reported.'),
    negligible_jitter: z
      .number()
      .positive()
      .max(1)
      .default(DEFAULT_NEGLIGIBLE_SPREAD)
      .describe('A random spread under this fraction of the wait is reported as negligible-jitter.'),
    paths: z
      .object({
        include: globs
          .default([])
          .describe('When not empty, only files matching one of these globs are analysed.'),
        ignore: globs.default([]).describe('Files matching one of these globs are never analysed.'),
      })
      .strict()
      .default({ include: [], ignore: [] }),
    include_tests: z.boolean().default(false).describe('Analyse test files too (see test_patterns).'),
    test_patterns: globs
      .default(DEFAULT_TEST_PATTERNS)
      .describe('What counts as a test file; setting it replaces the default list.'),
    strategy: z.enum(STRATEGIES).default('full').describe('The jitter strategy suggestions use.'),
    /** Upper bound of a suggested backoff, in milliseconds. */
    cap_ms: z.number().int().positive().default(30_000).describe('Upper bound (ms) of a suggested backoff.'),
    /** Environment variable holding a stable per-client index (worker ordinal); enables golden jitter. */
    golden_index: z
      .string()
      .min(1)
      .optional()
      .describe('Environment variable holding a stable per-client index; required by the golden strategy.'),
    /** Clients assumed to retry together when the repository says nothing about replicas. */
    clients: z
      .number()
      .int()
      .positive()
      .max(1_000_000)
      .default(100)
      .describe('Clients the herd simulation assumes when the deployment files do not say.'),
    report_unknown: z
      .boolean()
      .default(false)
      .describe('Report waits whose delay cannot be resolved as low-confidence notes.'),
    fail_on: z
      .enum(['warning', 'note', 'never'])
      .default('never')
      .describe(
        'Fail the check run, commit status and `jitterbot review` when a new finding reaches this level.',
      ),
    review_drafts: z.boolean().default(false).describe('Review draft pull and merge requests too.'),
  })
  .strict();

export type JitterbotConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: JitterbotConfig = configSchema.parse({});

export interface LoadedConfig {
  config: JitterbotConfig;
  /** User-facing problems, one per bad key; the review runs with every other key as written. */
  errors: string[];
}

/**
 * Parses and validates a configuration file's text. Never throws: a broken file yields clear messages
 * and the defaults, so a typo in the config never silences the review.
 */
export function parseConfig(text: string | null, source = 'jitterbot.yml'): LoadedConfig {
  if (text === null || text.trim() === '') return { config: DEFAULT_CONFIG, errors: [] };
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return { config: DEFAULT_CONFIG, errors: [`${source}: not valid YAML: ${(error as Error).message}`] };
  }
  return validateConfig(raw, source);
}

/** Each pass drops the keys the last one rejected; nesting is two levels deep, so three passes settle. */
const MAX_VALIDATION_PASSES = 4;

/**
 * Validates an already parsed configuration object (Probot's `context.config()` returns one). Never
 * throws. A bad key is reported (file, key, reason — once) and falls back to its default alone: every
 * other key still applies, so one typo next to `fail_on` never removes the gate.
 */
export function validateConfig(raw: unknown, source: string): LoadedConfig {
  if (raw === null || raw === undefined) return { config: DEFAULT_CONFIG, errors: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: DEFAULT_CONFIG, errors: [`${source}: (top level): expected a mapping of options`] };
  }
  let candidate = raw as Record<string, unknown>;
  const errors = new Set<string>();
  for (let pass = 0; pass < MAX_VALIDATION_PASSES; pass += 1) {
    const result = configSchema.safeParse(candidate);
    if (result.success) return { config: result.data, errors: [...errors] };
    for (const issue of result.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      for (const key of keys) {
        const at = key === undefined ? issue.path : [...issue.path, key];
        const where = at.length > 0 ? at.map(String).join('.') : '(top level)';
        errors.add(`${source}: ${where}: ${key === undefined ? issue.message : 'unknown option'}`);
        candidate = without(
          candidate,
          key === undefined ? keyPath(issue.path) : [...keyPath(issue.path), key],
        );
      }
    }
  }
  return { config: DEFAULT_CONFIG, errors: [...errors] };
}

/** The option an issue is about: a bad list element makes the whole list fall back. */
function keyPath(path: readonly PropertyKey[]): string[] {
  const end = path.findIndex((segment) => typeof segment !== 'string');
  return (end === -1 ? path : path.slice(0, end)).map(String);
}

function without(object: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return {};
  const copy = { ...object };
  const inner = copy[head];
  if (rest.length === 0 || typeof inner !== 'object' || inner === null || Array.isArray(inner))
    delete copy[head];
  else copy[head] = without(inner as Record<string, unknown>, rest);
  return copy;
}
