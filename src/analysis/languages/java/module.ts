import { posix } from 'node:path';
import type { ImportFact } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { namedChildren } from '../tree-sitter/syntax.js';

/**
 * Where Java names live across files: a file's package and imports, and the paths a class imported
 * by its qualified name may be at. Java ties a class `com.acme.Config` to `…/com/acme/Config.java`
 * under a source root the path does not name, so the root is guessed from the importing file's own
 * path, and any file ending in the class's path is the fallback.
 */

export interface ImportLine {
  /** Dotted, without a trailing `.*`. */
  path: string;
  isStatic: boolean;
  wildcard: boolean;
}

export function importLine(declaration: Node): ImportLine {
  const text = declaration.text.replace(/\s+/g, ' ');
  const isStatic = /^import static /.test(text);
  const path = text
    .replace(/^import (static )?/, '')
    .replace(/;$/, '')
    .replace(/\s/g, '');
  return { path: path.replace(/\.\*$/, ''), isStatic, wildcard: path.endsWith('.*') };
}

export function importsOf(root: Node): ImportLine[] {
  return namedChildren(root)
    .filter((child) => child.type === 'import_declaration')
    .map(importLine);
}

/**
 * An import as the engine reads it: a class binds its simple name to its file; a static member binds
 * its name to the member of its class's file; a wildcard brings a package (a directory) or a class's
 * static members in whole.
 */
export function importFact(line: ImportLine): ImportFact {
  const segments = line.path.split('.');
  const last = segments[segments.length - 1] ?? '';
  if (line.isStatic) {
    if (line.wildcard) return { local: '*', module: line.path };
    return { local: last, module: segments.slice(0, -1).join('.'), name: last };
  }
  if (line.wildcard) return { local: '*', module: `${line.path}.*` };
  return { local: last, module: line.path };
}

/**
 * Candidate paths of a class (`com.acme.Config`) or a package (`com.acme.*`, a directory ending in
 * `/`) imported from `fromPath`: under each directory of `fromPath` from which the importing file's
 * own folders could start the same package path, then any file ending in the class's path.
 */
export function modulePaths(fromPath: string, module: string): string[] {
  // A class of the default package: beside the importing file.
  if (!module.includes('.')) return [posix.join(posix.dirname(fromPath), `${module}.java`)];
  const wildcard = module.endsWith('.*');
  const segments = (wildcard ? module.slice(0, -2) : module).split('.');
  const relative = wildcard ? `${segments.join('/')}/` : `${segments.join('/')}.java`;
  const folders = posix.dirname(fromPath).split('/');
  const roots: string[] = [];
  for (let index = folders.length - 1; index >= 0; index -= 1) {
    if (folders[index] === segments[0]) roots.push(folders.slice(0, index).join('/'));
  }
  const paths = roots.map((root) => (root === '' ? relative : `${root}/${relative}`));
  if (!wildcard) paths.push(`**/${relative}`);
  return paths;
}

/**
 * The Java files of a directory, the asking file included (the engine skips it, and keeps the list for
 * the whole directory); mates declaring another package are dropped by the engine.
 */
export function packageMates(_path: string, listing: readonly string[]): string[] {
  return listing.filter((p) => p.endsWith('.java'));
}
