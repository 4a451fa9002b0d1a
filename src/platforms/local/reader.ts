import { constants } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BoundedRepoReader,
  DEFAULT_READ_BUDGET,
  type RawRepoAccess,
  type ReadBudget,
} from '../bounded-reader.js';
import { git, gitText } from './git.js';
import { isInside, MAX_LINK_HOPS, resolveLinkTarget, safeRelativePath } from './paths.js';
import { listWorkingTree } from './walk.js';

/**
 * RepoReaders for a local checkout: `gitRepoReader` reads committed trees through git, `fsRepoReader`
 * reads the working tree from disk. Both sit behind BoundedRepoReader (cache and budget) and refuse
 * paths that leave the repository; a refusal is recorded in the reader's report as "could not be read".
 */

/** The ref of the working tree, uncommitted edits included: not a commit, so only the fs reader serves it. */
export const WORKTREE_REF = 'WORKTREE';

const MODE_FILE = '100644';
const MODE_EXECUTABLE = '100755';
const MODE_SYMLINK = '120000';

interface TreeEntry {
  mode: string;
  object: string;
  size: number;
}

export function gitRepoReader(root: string, budget: ReadBudget = DEFAULT_READ_BUDGET): BoundedRepoReader {
  return new BoundedRepoReader(gitAccess(root, budget), budget);
}

export function fsRepoReader(root: string, budget: ReadBudget = DEFAULT_READ_BUDGET): BoundedRepoReader {
  return new BoundedRepoReader(fsAccess(root, budget), budget);
}

/** Committed content: `git ls-tree` to find the entry (mode, size), `git cat-file blob` to read it. */
export function gitAccess(root: string, budget: ReadBudget): RawRepoAccess {
  return {
    async fetch(path, ref) {
      const safe = checkedPath(path);
      checkedRef(ref);
      let current = safe;
      for (let hop = 0; hop <= MAX_LINK_HOPS; hop += 1) {
        const entry = await treeEntry(root, ref, current);
        if (!entry) return null;
        if (entry.mode === MODE_SYMLINK) {
          const target = (await git(root, ['cat-file', 'blob', entry.object])).toString('utf8');
          const next = resolveLinkTarget(current, target);
          if (next === null) throw new Error('symbolic link points outside the repository');
          current = next;
          continue;
        }
        if (entry.mode !== MODE_FILE && entry.mode !== MODE_EXECUTABLE) return null;
        // Checked before reading so a huge blob is never loaded just to be refused.
        if (entry.size > budget.maxFileBytes) throw new Error(`too large (${entry.size} bytes)`);
        return git(root, ['cat-file', 'blob', entry.object], { maxBuffer: budget.maxFileBytes + 1 });
      }
      throw new Error(`more than ${MAX_LINK_HOPS} symbolic links in a row`);
    },
    async listAll(ref) {
      checkedRef(ref);
      const output = await git(root, ['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', ref]);
      const paths: string[] = [];
      for (const record of output.toString('utf8').split('\0')) {
        // `<mode> SP <type> SP <object> TAB <path>`; only regular files are listed (no links, no submodules).
        const tab = record.indexOf('\t');
        if (tab === -1) continue;
        const mode = record.slice(0, record.indexOf(' '));
        if (mode === MODE_FILE || mode === MODE_EXECUTABLE) paths.push(record.slice(tab + 1));
      }
      return paths;
    },
  };
}

async function treeEntry(root: string, ref: string, path: string): Promise<TreeEntry | null> {
  // Literal pathspecs: a file named `*.ts` is that file, not a pattern.
  const output = await gitText(root, [
    '--literal-pathspecs',
    'ls-tree',
    '-z',
    '-l',
    '--full-tree',
    // No `--end-of-options` here: after it, ls-tree would read `--` as a path. The ref was checked.
    ref,
    '--',
    path,
  ]);
  for (const record of output.split('\0')) {
    // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`; the size is right-aligned with spaces.
    const tab = record.indexOf('\t');
    if (tab === -1 || record.slice(tab + 1) !== path) continue;
    const [mode = '', , object = '', size = ''] = record.slice(0, tab).split(/ +/);
    return { mode, object, size: Number(size) };
  }
  return null;
}

/** The working tree on disk; served only for WORKTREE_REF. */
export function fsAccess(root: string, budget: ReadBudget): RawRepoAccess {
  let realRoot: Promise<string> | null = null;
  // The walk lists regular files reached without following a link, so a listed path needs no
  // `realpath`: one open (refusing a link in its last step), one fstat, one read.
  let listed: ReadonlySet<string> = new Set();
  return {
    async fetch(path, ref) {
      const safe = checkedPath(path);
      checkedWorktree(ref);
      if (listed.has(safe)) return readListed(join(root, safe), budget.maxFileBytes);
      realRoot ??= realpath(root);
      const resolved = await realpath(join(root, safe)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw error;
      });
      if (resolved === null) return null;
      if (!isInside(await realRoot, resolved)) throw new Error('symbolic link points outside the repository');
      const info = await stat(resolved);
      if (!info.isFile()) return null;
      if (info.size > budget.maxFileBytes) throw new Error(`too large (${info.size} bytes)`);
      return readFile(resolved);
    },
    async listAll(ref) {
      checkedWorktree(ref);
      const paths = await listWorkingTree(root, budget.maxListed);
      listed = new Set(paths);
      return paths;
    },
  };
}

async function readListed(file: string, maxFileBytes: number): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Gone since the listing, or replaced by a link (ELOOP): not the file that was listed.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw new Error('replaced by a symbolic link since the tree was listed');
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return null;
    if (info.size > maxFileBytes) throw new Error(`too large (${info.size} bytes)`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function checkedPath(path: string): string {
  const safe = safeRelativePath(path);
  if (safe === null) throw new Error('path is outside the repository');
  return safe;
}

/** A ref is passed after `--end-of-options`, but a newline or NUL has no business in one either way. */
function checkedRef(ref: string): void {
  if (ref === '' || ref.startsWith('-') || /[\0\n\r]/.test(ref))
    throw new Error(`invalid ref ${JSON.stringify(ref)}`);
}

function checkedWorktree(ref: string): void {
  if (ref !== WORKTREE_REF)
    throw new Error(`the working tree reader has no ref ${ref}; only ${WORKTREE_REF}`);
}
