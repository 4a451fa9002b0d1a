import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_READ_BUDGET } from '../bounded-reader.js';
import {
  DEFAULT_DIFF_LIMITS,
  parseUnifiedDiff,
  WHOLE_FILE,
  type DiffFile,
  type DiffLimits,
} from '../diff.js';
import type { ChangeSet, RepoReader } from '../types.js';
import { git, GitError, gitText, repositoryRoot, runGit } from './git.js';
import { safeRelativePath } from './paths.js';
import { WORKTREE_REF } from './reader.js';

/**
 * What a local branch changed: the diff from the merge base of `baseRef` and HEAD — the commits a pull
 * request from this branch would show, whatever happened on `baseRef` since — optionally up to the
 * working tree instead of HEAD. Failures throw GitError with a message meant for the terminal.
 */

export interface LocalChangeOptions {
  /** Compare the merge base with the working tree (staged, unstaged and untracked files) instead of HEAD. */
  includeUncommitted: boolean;
  limits?: DiffLimits;
  /** Untracked files larger than this are listed without added lines (they are not read). */
  maxFileBytes?: number;
}

/** `baseSha` of a whole-tree scan: there is nothing to compare with. */
export const NO_BASE = '';

// Each option pins a setting a user's git config could change, so the output is always a plain patch:
// no colours, no external diff tool or textconv filter, paths from the top with a/ and b/ prefixes.
const DIFF_ARGS = [
  'diff',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--ignore-submodules=all',
  '-M',
  '-U0',
  '--src-prefix=a/',
  '--dst-prefix=b/',
];

export async function localChangeSet(
  root: string,
  baseRef: string,
  opts: LocalChangeOptions,
): Promise<ChangeSet> {
  const limits = opts.limits ?? DEFAULT_DIFF_LIMITS;
  // Diff paths are relative to the top of the work tree whichever directory git runs in; untracked
  // files are read from disk, so they must be joined to that same top.
  const top = await repositoryRoot(root);
  const head = await headCommit(top);
  const base = await resolveCommit(top, baseRef);
  const mergeBase = await mergeBaseOf(top, base, head, baseRef);
  const range = opts.includeUncommitted ? [mergeBase] : [mergeBase, head];
  const diff = await gitText(top, [...DIFF_ARGS, ...range, '--']);
  const files = parseUnifiedDiff(diff, limits);
  if (opts.includeUncommitted) {
    const room = Math.max(0, limits.maxFiles - files.length);
    files.push(...(await untrackedFiles(top, room, opts.maxFileBytes ?? DEFAULT_READ_BUDGET.maxFileBytes)));
  }
  return { baseSha: mergeBase, headSha: opts.includeUncommitted ? WORKTREE_REF : head, files };
}

/**
 * Every file of the working tree as entirely new: a scan with no base to compare with. Listed by the
 * reader the review reads with, so the tree is walked once and every listed file is read directly.
 */
export async function wholeTreeChangeSet(reader: Pick<RepoReader, 'list'>): Promise<ChangeSet> {
  const paths = await reader.list(WORKTREE_REF);
  return {
    baseSha: NO_BASE,
    headSha: WORKTREE_REF,
    files: paths.map((path) => ({ path, status: 'added', addedLines: [WHOLE_FILE] })),
  };
}

/** The commit `ref` names, or GitError("unknown ref main"). */
export async function resolveCommit(root: string, ref: string): Promise<string> {
  const result = await runGit(root, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ]);
  if (result.ok) return result.stdout.toString('utf8').trim();
  // rev-parse --quiet says nothing on an unknown ref; anything on stderr is a different problem.
  if (result.stderr.trim() !== '') throw new GitError(result.message);
  throw new GitError(`unknown ref ${ref}`);
}

export async function headCommit(root: string): Promise<string> {
  try {
    return await resolveCommit(root, 'HEAD');
  } catch (error) {
    if (error instanceof GitError && error.message === 'unknown ref HEAD') {
      throw new GitError(`${root}: the repository has no commits yet`);
    }
    throw error;
  }
}

async function mergeBaseOf(root: string, base: string, head: string, baseRef: string): Promise<string> {
  const result = await runGit(root, ['merge-base', base, head]);
  if (result.ok) return result.stdout.toString('utf8').trim();
  // merge-base exits 1 with no output when the histories never meet.
  if (result.stderr.trim() === '') throw new GitError(`${baseRef} and HEAD have no common history`);
  throw new GitError(result.message);
}

/** Files git does not track and does not ignore: new files not yet added, all their lines new. */
async function untrackedFiles(root: string, maxFiles: number, maxFileBytes: number): Promise<DiffFile[]> {
  const output = await git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--full-name']);
  const files: DiffFile[] = [];
  for (const raw of output.toString('utf8').split('\0')) {
    const path = safeRelativePath(raw);
    if (path === null) continue;
    if (files.length >= maxFiles) {
      files.push({
        path,
        status: 'added',
        addedLines: [],
        truncated: 'not reviewed: too many changed files',
      });
      continue;
    }
    files.push(await untrackedFile(root, path, maxFileBytes));
  }
  return files;
}

async function untrackedFile(root: string, path: string, maxFileBytes: number): Promise<DiffFile> {
  const lines = await countLines(join(root, path), maxFileBytes);
  if (lines === 'binary') return { path, status: 'binary', addedLines: [] };
  if (lines === 'too-large') {
    return {
      path,
      status: 'added',
      addedLines: [],
      truncated: `not reviewed: larger than ${maxFileBytes} bytes`,
    };
  }
  return { path, status: 'added', addedLines: lines === 0 ? [] : [{ start: 1, end: lines }] };
}

// The same test git applies: a NUL byte in the first 8000 bytes makes a file binary.
const BINARY_PROBE_BYTES = 8000;
const NEWLINE = 0x0a;

async function countLines(file: string, maxFileBytes: number): Promise<number | 'binary' | 'too-large'> {
  // lstat, not stat: an untracked symbolic link is a link, not the content it points to (maybe outside
  // the repository), so it adds no lines.
  const info = await lstat(file).catch(() => null);
  if (!info?.isFile()) return 0;
  if (info.size > maxFileBytes) return 'too-large';
  const bytes = await readFile(file).catch(() => null);
  if (bytes === null || bytes.length === 0) return 0;
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return 'binary';
  let lines = 0;
  for (const byte of bytes) if (byte === NEWLINE) lines += 1;
  return bytes[bytes.length - 1] === NEWLINE ? lines : lines + 1;
}
