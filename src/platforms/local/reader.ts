import { constants } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BoundedRepoReader,
  DEFAULT_READ_BUDGET,
  type RawRepoAccess,
  type ReadBudget,
} from '../bounded-reader.js';
import { CatFileBatch } from './cat-file.js';
import { git } from './git.js';
import { isInside, safeRelativePath } from './paths.js';
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

export function gitRepoReader(root: string, budget: ReadBudget = DEFAULT_READ_BUDGET): BoundedRepoReader {
  return new BoundedRepoReader(gitAccess(root, budget), budget);
}

export function fsRepoReader(root: string, budget: ReadBudget = DEFAULT_READ_BUDGET): BoundedRepoReader {
  return new BoundedRepoReader(fsAccess(root, budget), budget);
}

/**
 * Committed content through one long-lived `git cat-file --batch-command` (see `CatFileBatch`): the
 * object's size is checked before its bytes are read, and links are followed only inside the tree.
 */
export function gitAccess(root: string, budget: ReadBudget): RawRepoAccess {
  const batch = new CatFileBatch(root);
  return {
    async fetch(path, ref) {
      const safe = checkedPath(path);
      checkedRef(ref);
      // One request per line: a path with a line break could not be asked for, and git has none.
      if (/[\n\r]/.test(safe)) return null;
      const name = `${ref}:${safe}`;
      const info = await batch.info(name);
      if (info.kind === 'outside') throw new Error('symbolic link points outside the repository');
      if (info.kind === 'loop') throw new Error('symbolic links in a loop');
      if (info.kind !== 'blob') return null;
      // Checked before reading so a huge blob is never loaded just to be refused.
      if (info.size > budget.maxFileBytes) throw new Error(`too large (${info.size} bytes)`);
      return batch.contents(name);
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
