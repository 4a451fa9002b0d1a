import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import ignore from 'ignore';

/**
 * Listing a working tree the way git would see it: `.gitignore` files at every level are honoured, and
 * dependency and repository directories are never entered. Symbolic links are not followed, so a link
 * cannot lead the walk outside the root or round in a cycle.
 */

/** Never listed, whatever the ignore files say: installed dependencies and git's own directory. */
export const ALWAYS_SKIPPED = new Set(['node_modules', '.git']);
/** An ignore file larger than this is not read (no real one comes close). */
const MAX_IGNORE_FILE_BYTES = 256 * 1024;

interface IgnoreScope {
  /** Directory holding the `.gitignore`, relative to the root ('' for the root itself). */
  base: string;
  rules: ignore.Ignore;
}

/** Repository-relative paths (forward slashes) of regular files under `root`, sorted, at most `maxFiles`. */
export async function listWorkingTree(root: string, maxFiles: number): Promise<string[]> {
  const files: string[] = [];
  // Depth-first with an explicit stack: no recursion limit on deep trees.
  const stack: { dir: string; scopes: IgnoreScope[] }[] = [{ dir: '', scopes: [] }];
  while (stack.length > 0 && files.length < maxFiles) {
    const { dir, scopes: parentScopes } = stack.pop()!;
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const scopes = entries.some((entry) => entry.name === '.gitignore' && entry.isFile())
      ? [...parentScopes, await readScope(root, dir)]
      : parentScopes;
    const subdirectories: string[] = [];
    for (const entry of entries) {
      if (ALWAYS_SKIPPED.has(entry.name)) continue;
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!isIgnored(scopes, `${path}/`)) subdirectories.push(path);
      } else if (entry.isFile() && !isIgnored(scopes, path)) {
        files.push(path);
        if (files.length >= maxFiles) break;
      }
    }
    // Reversed so the stack pops them in name order: which files a truncated listing keeps is stable.
    for (const path of subdirectories.reverse()) stack.push({ dir: path, scopes });
  }
  return files.sort();
}

async function readScope(root: string, dir: string): Promise<IgnoreScope> {
  const file = join(root, dir, '.gitignore');
  const rules = ignore();
  const info = await stat(file).catch(() => null);
  if (info && info.size <= MAX_IGNORE_FILE_BYTES) rules.add(await readFile(file, 'utf8').catch(() => ''));
  return { base: dir, rules };
}

/**
 * The deepest ignore file with an opinion decides, as in git: a `!negation` in `src/.gitignore` re-includes
 * what the root's file excluded. `path` ends with `/` for directories so `build/` patterns match them.
 */
function isIgnored(scopes: readonly IgnoreScope[], path: string): boolean {
  for (let index = scopes.length - 1; index >= 0; index -= 1) {
    const scope = scopes[index]!;
    const relativePath = scope.base === '' ? path : path.slice(scope.base.length + 1);
    const verdict = scope.rules.test(relativePath);
    if (verdict.ignored) return true;
    if (verdict.unignored) return false;
  }
  return false;
}
