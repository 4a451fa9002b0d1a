import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runSimulateCommand, SimulateUsageError } from './simulate.js';
import { scanCommand, type ScanFlags } from './scan.js';
import { STRATEGIES } from '../config.js';
import type { ReviewFlags } from './review.js';
import { EXIT } from './exit-codes.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export { EXIT };

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
}

function nonNegativeInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return parsed;
}

export function buildProgram(): Command {
  const program = new Command('jitterbot')
    .description('Finds retries that wait a fixed (or unjittered) delay, and suggests a jitter patch.')
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('scan')
    .description('scan a directory (whole tree), or review a branch against a base ref (diff mode)')
    .argument('[path]', 'directory to scan', '.')
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['text', 'json', 'sarif', 'codequality'])
        .default('text'),
    )
    .addOption(
      new Option('--fail-on <level>', 'exit 1 when a finding at or above this level exists')
        .choices(['warning', 'note', 'never'])
        .default('warning'),
    )
    .option('--base <ref>', 'diff mode: review the commits since this ref (merge base) like a pull request')
    .option('--include-uncommitted', 'diff mode: include staged, unstaged and untracked changes', false)
    .option('--include-tests', 'also analyse test files', false)
    .option('--include-vendored', 'also analyse vendored dependencies (vendor/, third_party/)', false)
    .option('--include-generated', 'also analyse generated, minified and build output files', false)
    .addOption(
      new Option('--strategy <name>', 'jitter strategy for suggested patches').choices([...STRATEGIES]),
    )
    .option('--min-delay <ms>', 'ignore fixed delays shorter than this', nonNegativeInt)
    .option('--report-unknown', 'report waits whose delay cannot be resolved, as low-confidence notes')
    .option('--no-color', 'never colour the text output')
    .option('--verbose', 'list skipped files and their reasons on stderr', false)
    .option(
      '--write-baseline',
      'record the current findings in .jitterbot-baseline.json; later runs report only new ones',
    )
    .action(async (path: string, flags: ScanFlags) => {
      process.exitCode = await scanCommand(path, flags, { version: pkg.version });
    });

  program
    .command('simulate')
    .description('simulate N clients retrying after a shared failure, per jitter strategy')
    .requiredOption('--clients <n>', 'clients that fail at the same instant', positiveInt)
    .requiredOption('--delay <duration>', 'the fixed delay they wait today, e.g. 5s, 200ms')
    .addOption(
      new Option('--strategy <name>', 'one strategy, or all').choices([...STRATEGIES, 'all']).default('all'),
    )
    .option('--capacity <n>', 'requests the service serves per 10 ms slot', positiveInt)
    .option('--attempts <n>', 'attempts per client, the first call included', positiveInt)
    .option('--seed <n>', 'random seed', nonNegativeInt)
    .action(
      (flags: {
        clients: number;
        delay: string;
        strategy: (typeof STRATEGIES)[number] | 'all';
        capacity?: number;
        attempts?: number;
        seed?: number;
      }) => {
        process.stdout.write(`${runSimulateCommand(flags)}\n`);
      },
    );

  program
    .command('review')
    .description(
      'review the pull/merge request this CI job runs for (GitHub Actions, GitLab CI) and post the comments',
    )
    .addOption(new Option('--platform <name>', 'instead of detecting it').choices(['github', 'gitlab']))
    .option('--api-url <url>', 'REST API root (GITHUB_API_URL, CI_API_V4_URL)')
    .option(
      '--repository <name>',
      'GitHub owner/name (GITHUB_REPOSITORY), or GitLab project id (CI_PROJECT_ID)',
    )
    .option(
      '--number <n>',
      'pull request number (from GITHUB_EVENT_PATH), or merge request iid (CI_MERGE_REQUEST_IID)',
      positiveInt,
    )
    .option('--event-path <file>', 'GitHub event payload (GITHUB_EVENT_PATH)')
    .option('--token <token>', 'API token (GITHUB_TOKEN, GITLAB_TOKEN)')
    .option('--checkout <dir>', 'the checkout to read code from (GITHUB_WORKSPACE, CI_PROJECT_DIR)')
    .option(
      '--bot-login <login>',
      'GitHub login the earlier comments were posted as, when not the token user',
    )
    .addOption(
      new Option(
        '--fail-on <level>',
        "fail the job and the check at this level (default: the config's fail_on)",
      ).choices(['warning', 'note', 'never']),
    )
    .addOption(
      new Option('--strategy <name>', 'jitter strategy for suggested patches').choices([...STRATEGIES]),
    )
    .option('--code-quality <file>', 'also write a GitLab Code Quality report of the findings to this file')
    .option('--dry-run', 'print what would be posted, post nothing', false)
    .option('--verbose', 'log progress on stderr', false)
    .action(async (flags: ReviewFlags) => {
      const { reviewCommand } = await import('./review.js');
      process.exitCode = await reviewCommand(flags, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    });

  program
    .command('serve')
    .description('run the GitHub App and GitLab webhook server (reads its settings from the environment)')
    .action(async () => {
      const { serveCommand } = await import('./serve.js');
      await serveCommand();
    });

  program
    .command('worker')
    .description('run the reviews queued in Redis by `jitterbot serve` (needs REDIS_URL; see docs/deploy.md)')
    .action(async () => {
      const { workerCommand } = await import('./worker.js');
      await workerCommand();
    });

  program
    .command('dead-letters')
    .description('list review jobs that failed every attempt (REDIS_URL), or move them back to the queue')
    .option('--retry [ids...]', 'retry these job ids, or every dead letter when none is given')
    .action(async (flags: { retry?: boolean | string[] }) => {
      const { deadLettersCommand } = await import('./worker.js');
      await deadLettersCommand(flags);
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.clean;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help')
      return EXIT.clean;
    if (code?.startsWith('commander.')) return EXIT.error;
    if (error instanceof SimulateUsageError) {
      process.stderr.write(`jitterbot: ${error.message}\n`);
      return EXIT.error;
    }
    process.stderr.write(`jitterbot: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}
