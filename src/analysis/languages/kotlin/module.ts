import { posix } from 'node:path';
import type { ImportFact } from '../../flow/ir.js';

/**
 * Kotlin imports and where their files live. `import com.acme.retry.RetryConfig` binds `RetryConfig`
 * and is looked for as `…/com/acme/retry/RetryConfig.kt` under the importing file's source root (the
 * directory above the package path, found by matching the import's leading packages against the
 * importing file's directories, e.g. `src/main/kotlin/`).
 */

export const IMPORT = /^import\s+([\w.`]+?)(\.\*)?(?:\s+as\s+([\w`]+))?\s*;?\s*$/;
const EXTENSIONS = ['.kt', '.kts'];
/** The language's and the platforms' own packages: never files of the repository, so never looked for. */
const PLATFORM = /^(kotlin|kotlinx|java|javax|android|androidx)\./;

export function importFact(text: string): ImportFact | null {
  const match = IMPORT.exec(text.replace(/\s+/g, ' ').trim());
  if (!match) return null;
  const path = match[1]!.replace(/`/g, '');
  if (match[2]) return { local: '*', module: path };
  const name = path.slice(path.lastIndexOf('.') + 1);
  return { local: (match[3] ?? name).replace(/`/g, ''), module: path, name };
}

/**
 * Files `module` (a dotted path) may be, most likely first: `com.acme.RetryConfig` is the file of a
 * class (`…/com/acme/RetryConfig.kt`), else a top-level member of its package directory
 * (`…/com/acme/`: any of its files, then their package mates), under the importing file's source root
 * or, when that cannot be told, anywhere in the repository (`**∕com/acme/RetryConfig.kt`, the one
 * `…/com/acme/` folder of another module).
 */
export function modulePaths(fromPath: string, module: string): string[] {
  const parts = module.split('.').filter((p) => p !== '');
  if (parts.length === 0 || PLATFORM.test(module)) return [];
  const roots = sourceRoots(fromPath, parts);
  const paths: string[] = [];
  for (const root of roots) {
    for (const extension of EXTENSIONS) paths.push(posix.join(root, ...parts) + extension);
  }
  for (const root of roots) paths.push(`${posix.join(root, ...parts)}/`);
  // `import com.acme.Defaults.RETRY_DELAY`: a member of an object, declared in the object's file.
  if (parts.length > 1) {
    for (const root of roots) {
      for (const extension of EXTENSIONS) paths.push(posix.join(root, ...parts.slice(0, -1)) + extension);
    }
  }
  if (parts.length > 1) {
    for (const root of roots) paths.push(`${posix.join(root, ...parts.slice(0, -1))}/`);
  }
  for (const extension of EXTENSIONS) paths.push(`**/${parts.join('/')}${extension}`);
  // A package (a wildcard import), or a top-level member of one, kept in another module of a Gradle
  // build (`shared/src/main/kotlin/…`), when its path has at least two packages.
  if (parts.length > 1) paths.push(`**/${parts.join('/')}/`);
  if (parts.length > 2) paths.push(`**/${parts.slice(0, -1).join('/')}/`);
  return [...new Set(paths)];
}

/** Kotlin files of a directory listing: a file's package mates (their `package` is checked by the engine). */
export function packageMates(_path: string, listing: readonly string[]): string[] {
  return listing.filter((file) => EXTENSIONS.includes(posix.extname(file).toLowerCase()));
}

/** Directories under which `parts` (packages, then a class) may start. */
function sourceRoots(fromPath: string, parts: readonly string[]): string[] {
  const dirs = posix
    .dirname(fromPath)
    .split('/')
    .filter((d) => d !== '' && d !== '.');
  const roots: string[] = [];
  // The importing file's own package path shares the leading packages: its root is above them.
  for (let index = 0; index < dirs.length; index += 1) {
    if (dirs[index] === parts[0]) roots.push(dirs.slice(0, index).join('/'));
  }
  // A source set named like Gradle's (`src/main/kotlin`, `app/src/main/java`).
  for (let index = dirs.length - 1; index >= 0; index -= 1) {
    if (dirs[index] === 'kotlin' || dirs[index] === 'java') roots.push(dirs.slice(0, index + 1).join('/'));
  }
  roots.push(posix.dirname(fromPath) === '.' ? '' : posix.dirname(fromPath));
  return [...new Set(roots)];
}
