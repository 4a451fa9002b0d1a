import { isAbsolute, relative, sep } from 'node:path';

/**
 * Repository-relative paths as reviews use them, checked before they touch a disk or a git command.
 * A path comes from a diff, an import statement or a config file — all written by whoever opened the
 * change — so `../`, absolute paths and the `.git` directory are refused rather than normalised away.
 */

// Checked case-insensitively: on macOS and Windows `.GIT/config` is the same file as `.git/config`.
const GIT_DIR = '.git';

/** `src/./a.ts` → `src/a.ts`; null for `../x`, `/etc/passwd`, `C:\x`, `a/.git/config`, `''`, NUL bytes. */
export function safeRelativePath(path: string): string | null {
  if (path === '' || path.includes('\0')) return null;
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return null;
  // A backslash is a separator on Windows, so `..\x` must be refused everywhere.
  const segments = path.split(/[/\\]/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) return null;
  if (segments.some((segment) => segment === '..' || segment.toLowerCase() === GIT_DIR)) return null;
  return segments.join('/');
}

/** Whether `candidate` is `root` or below it; both must be absolute and already resolved (realpath). */
export function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
