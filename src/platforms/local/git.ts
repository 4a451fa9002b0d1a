import { execFile, type ExecFileException } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Running git on a local checkout. `execFile` with an argument array: no shell ever sees a path or a
 * ref, so spaces, quotes, newlines and `$()` in names are inert. Callers still put `--` before paths
 * and `--end-of-options` before refs, so a name starting with `-` is never read as an option.
 */

/** Output of one git command is read into memory up to this size. */
export const GIT_MAX_BUFFER = 64 * 1024 * 1024;
/** A git command that runs longer than this is stopped (a huge repository or a stuck filesystem). */
export const GIT_TIMEOUT_MS = 120_000;

export interface GitOptions {
  maxBuffer?: number;
  timeoutMs?: number;
}

export type GitResult = { ok: true; stdout: Buffer } | { ok: false; message: string; stderr: string };

/** A user-facing failure of a local repository operation: the message is meant to be printed as is. */
export class GitError extends Error {
  override readonly name = 'GitError';
}

// Messages are matched in English; optional locks keep a read-only scan from taking the index lock a
// concurrent `git commit` in the same checkout would then trip over.
export const GIT_ENV = { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' };

/** Runs `git args…` in `root`. Never rejects: a failure is a value with a clear message. */
export function runGit(root: string, args: readonly string[], options: GitOptions = {}): Promise<GitResult> {
  const maxBuffer = options.maxBuffer ?? GIT_MAX_BUFFER;
  const timeoutMs = options.timeoutMs ?? GIT_TIMEOUT_MS;
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd: root,
        encoding: 'buffer',
        maxBuffer,
        timeout: timeoutMs,
        env: { ...process.env, ...GIT_ENV },
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        const errorText = stderr.toString('utf8');
        if (!error) {
          resolve({ ok: true, stdout });
          return;
        }
        resolve({
          ok: false,
          message: describeFailure(root, args, error, errorText, { maxBuffer, timeoutMs }),
          stderr: errorText,
        });
      },
    );
  });
}

/** Runs git and returns its output, or throws a GitError with a clear message. */
export async function git(root: string, args: readonly string[], options?: GitOptions): Promise<Buffer> {
  const result = await runGit(root, args, options);
  if (!result.ok) throw new GitError(result.message);
  return result.stdout;
}

export async function gitText(root: string, args: readonly string[], options?: GitOptions): Promise<string> {
  return (await git(root, args, options)).toString('utf8');
}

function describeFailure(
  root: string,
  args: readonly string[],
  error: ExecFileException,
  stderr: string,
  limits: { maxBuffer: number; timeoutMs: number },
): string {
  const command = `git ${args.find((arg) => !arg.startsWith('-')) ?? ''}`.trim();
  if (error.code === 'ENOENT') {
    return existsSync(root) ? 'git is not installed or not on the PATH' : `${root}: no such directory`;
  }
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return `${command}: output larger than ${formatBytes(limits.maxBuffer)}`;
  }
  if (error.killed) return `${command}: stopped after ${Math.round(limits.timeoutMs / 1000)} s`;
  if (/not a git repository/i.test(stderr)) return `${root} is not a git repository`;
  const firstLine = stderr
    .split('\n')
    .map((line) => line.replace(/^(fatal|error): /, '').trim())
    .find((line) => line !== '');
  return `${command} failed: ${firstLine ?? `exit code ${String(error.code)}`}`;
}

const MIB = 1024 * 1024;

function formatBytes(bytes: number): string {
  return bytes >= MIB ? `${Math.round(bytes / MIB)} MiB` : `${bytes} bytes`;
}

/** The top directory of the work tree containing `dir`: diff paths are relative to it. */
export async function repositoryRoot(dir: string): Promise<string> {
  return (await gitText(dir, ['rev-parse', '--show-toplevel'])).replace(/\n$/, '');
}
