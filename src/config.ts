import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { GLOB_LIMITS, globProblem } from './globs.js';
import { describeIssue } from './validation.js';

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
        'fixed-delay-retry': ruleLevel.default('warning'),
        'unjittered-backoff': ruleLevel.default('note'),
      })
      .strict()
      .default({ 'fixed-delay-retry': 'warning', 'unjittered-backoff': 'note' }),
    /** Fixed delays shorter than this are not worth a comment. */
    min_delay_ms: z.number().int().nonnegative().default(0),
    paths: z
      .object({
        include: globs.default([]),
        ignore: globs.default([]),
      })
      .strict()
      .default({ include: [], ignore: [] }),
    include_tests: z.boolean().default(false),
    test_patterns: globs.default(DEFAULT_TEST_PATTERNS),
    strategy: z.enum(STRATEGIES).default('full'),
    /** Upper bound of a suggested backoff, in milliseconds. */
    cap_ms: z.number().int().positive().default(30_000),
    /** Environment variable holding a stable per-client index (worker ordinal); enables golden jitter. */
    golden_index: z.string().min(1).optional(),
    /** Clients assumed to retry together when the repository says nothing about replicas. */
    clients: z.number().int().positive().max(1_000_000).default(100),
    report_unknown: z.boolean().default(false),
    fail_on: z.enum(['warning', 'note', 'never']).default('never'),
    review_drafts: z.boolean().default(false),
  })
  .strict();

export type JitterbotConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: JitterbotConfig = configSchema.parse({});

export interface LoadedConfig {
  config: JitterbotConfig;
  /** User-facing problems; when present, the review runs with defaults. */
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

/**
 * Validates an already parsed configuration object (Probot's `context.config()` returns one). Never
 * throws: problems become user-facing messages naming the file and key, and the defaults apply.
 */
export function validateConfig(raw: unknown, source: string): LoadedConfig {
  if (raw === null || raw === undefined) return { config: DEFAULT_CONFIG, errors: [] };
  const result = configSchema.safeParse(raw);
  if (result.success) return { config: result.data, errors: [] };
  const errors = result.error.issues.map((issue) => `${source}: ${describeIssue(issue)}`);
  return { config: DEFAULT_CONFIG, errors };
}
