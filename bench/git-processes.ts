/**
 * How many `git` processes a diff-mode review starts: `jitterbot scan --base` on a commit of the
 * real-shaped repository (bench/repository.ts) that adds a fixed-delay retry importing a shared helper
 * and a constant, so the review reads well beyond the changed file. Every `git` the scan starts goes
 * through a stand-in on PATH that counts it and runs the real one.
 *   npx tsx bench/git-processes.ts
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { writeRepository } from './repository.js';

const CHANGED = 'packages/worker/src/jobs/refund-sync.ts';
const CHANGE = `import { RETRY_DELAY_MS, sleep } from '@shop/shared';

export async function syncRefunds(client: { post(path: string): Promise<Response> }): Promise<Response> {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return await client.post('/refunds/sync');
    } catch {
      await sleep(RETRY_DELAY_MS);
    }
  }
  throw new Error('refund sync failed');
}
`;

const root = mkdtempSync(join(tmpdir(), 'jitterbot-bench-git-'));
try {
  const repository = join(root, 'repository');
  const shim = join(root, 'bin');
  const log = join(root, 'git.log');
  mkdirSync(shim);
  writeFileSync(log, '');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(join(shim, 'git'), `#!/bin/sh\necho "$1" >> '${log}'\nexec '${realGit}' "$@"\n`);
  chmodSync(join(shim, 'git'), 0o755);

  writeRepository(repository);
  const git = (...args: string[]) =>
    execFileSync(realGit, ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], {
      cwd: repository,
      stdio: 'ignore',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  mkdirSync(join(repository, 'packages/worker/src/jobs'), { recursive: true });
  writeFileSync(join(repository, CHANGED), CHANGE);
  git('add', '-A');
  git('commit', '-qm', 'change');
  const tracked =
    execFileSync(realGit, ['ls-files'], { cwd: repository, encoding: 'utf8' }).split('\n').length - 1;

  const started = process.hrtime.bigint();
  let output = '';
  try {
    output = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'scan', repository, '--base', 'HEAD~1', '--format', 'json'],
      { encoding: 'utf8', env: { ...process.env, PATH: `${shim}${delimiter}${process.env.PATH ?? ''}` } },
    );
  } catch (error) {
    // Exit 1 means findings, which this change has; anything else is a failed run.
    const failed = error as { status?: number; stdout?: string };
    if (failed.status !== 1) throw error;
    output = failed.stdout ?? '';
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const commands = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const byCommand = new Map<string, number>();
  for (const command of commands) byCommand.set(command, (byCommand.get(command) ?? 0) + 1);
  const findings = (JSON.parse(output) as { findings: unknown[] }).findings.length;
  console.log(
    `  diff-mode review of one changed file in a ${tracked}-file repository: ${commands.length} git processes ` +
      `(${[...byCommand].map(([command, count]) => `${command} ×${count}`).join(', ')}), ${findings} finding(s), ${seconds.toFixed(2)} s`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
