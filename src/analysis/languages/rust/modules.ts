import type { ImportFact } from '../../flow/ir.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren } from '../tree-sitter/syntax.js';

/**
 * Rust modules as files: `crate::config` is `src/config.rs` or `src/config/mod.rs`, `self::` and
 * `super::` are relative to the file's own module, and a `mod config;` declared in a file is a child
 * of that file's module. Imports are kept as written (`crate::config` + `RETRY_DELAY`); whether the
 * last segment is an item or a module is decided when it is looked up.
 */

/** The bindings of one `use` declaration: `use a::b::{C, d::E as F, self};`, `use super::*;`. */
export function useImports(node: Node): ImportFact[] {
  const found: ImportFact[] = [];
  const visit = (tree: Node | null, prefix: string[]) => {
    if (!tree) return;
    switch (tree.type) {
      case 'identifier':
      case 'crate':
      case 'super':
      case 'self':
        return bind([...prefix, tree.text], tree.text === 'self' ? prefix[prefix.length - 1] : undefined);
      case 'scoped_identifier':
        return bind([...prefix, ...segments(tree)]);
      case 'use_as_clause': {
        const alias = field(tree, 'alias')?.text;
        const path = field(tree, 'path');
        return path ? bind([...prefix, ...segments(path)], alias) : undefined;
      }
      case 'use_wildcard': {
        const path = tree.namedChild(0);
        const module = [...prefix, ...(path ? segments(path) : [])].join('::');
        found.push({ local: '*', module });
        return;
      }
      case 'scoped_use_list': {
        const path = field(tree, 'path');
        const list = field(tree, 'list');
        const next = [...prefix, ...(path ? segments(path) : [])];
        for (const item of list ? namedChildren(list) : []) visit(item, next);
        return;
      }
      case 'use_list':
        for (const item of namedChildren(tree)) visit(item, prefix);
        return;
    }
  };
  const bind = (path: string[], alias?: string) => {
    // `use a::b::{self}` binds `b`.
    const names = path[path.length - 1] === 'self' ? path.slice(0, -1) : path;
    if (names.length === 0) return;
    const name = names[names.length - 1]!;
    if (names.length === 1) {
      found.push({ local: alias ?? name, module: name });
      return;
    }
    found.push({ local: alias ?? name, module: names.slice(0, -1).join('::'), name });
  };
  visit(field(node, 'argument'), []);
  return found;
}

function segments(path: Node): string[] {
  return path.text
    .replace(/\s+/g, '')
    .split('::')
    .filter((s) => s !== '');
}

const ROOT_FILE = /(^|\/)(lib|main|mod)\.rs$/;

/** The crate's `src` directory for a file under it, or null. */
function crateSource(path: string): string | null {
  const index = path.lastIndexOf('/src/');
  if (index >= 0) return path.slice(0, index + 4);
  return path.startsWith('src/') ? 'src' : null;
}

/**
 * The name a crate's binaries, examples and tests call it by: its directory's (`crates/pipeline-manager`
 * → `pipeline_manager`); unknown for a crate at the repository's root.
 */
export function crateName(path: string): string | null {
  const source = crateSource(path);
  if (source === null || source === 'src') return null;
  const directory = directoryOf(source);
  return directory.slice(directory.lastIndexOf('/') + 1).replace(/-/g, '_');
}

function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function join(directory: string, rest: string): string {
  return directory === '' ? rest : `${directory}/${rest}`;
}

/** Where the children of a file's module live: beside `lib.rs`/`main.rs`/`mod.rs`, under `foo/` for `foo.rs`. */
function childrenOf(path: string): string {
  return ROOT_FILE.test(path) ? directoryOf(path) : path.replace(/\.rs$/, '');
}

/** Files of the module whose children live in `directory`. */
function filesOf(directory: string, source: string | null): string[] {
  if (directory === source) return [join(directory, 'lib.rs'), join(directory, 'main.rs')];
  return [`${directory}.rs`, join(directory, 'mod.rs')];
}

/**
 * Repository paths of module `module` (`crate::config`, `super`, `self::retry`, `config`) seen from
 * `fromPath`. With the workspace's crates by name (`packages`), a path starting with another crate's
 * name (`acme_retry::policy`) is that crate's module.
 */
export function modulePaths(
  fromPath: string,
  module: string,
  packages?: ReadonlyMap<string, string>,
): string[] {
  const parts = module.split('::').filter((s) => s !== '');
  const source = crateSource(fromPath);
  if (parts[0] !== undefined && parts[0] === crateName(fromPath)) parts[0] = 'crate';
  const bases: { base: string; source: string | null }[] = [];
  let rest = parts;
  const crate = parts[0] === undefined ? undefined : packages?.get(parts[0]);
  if (parts[0] === 'crate') {
    if (source === null) return [];
    bases.push({ base: source, source });
    rest = parts.slice(1);
  } else if (parts[0] === 'self' || parts[0] === 'super') {
    let directory = childrenOf(fromPath);
    while (rest[0] === 'self' || rest[0] === 'super') {
      if (rest[0] === 'super') directory = directoryOf(directory);
      rest = rest.slice(1);
    }
    bases.push({ base: directory, source });
  } else if (crate !== undefined) {
    const crateSource = join(crate, 'src');
    bases.push({ base: crateSource, source: crateSource });
    rest = parts.slice(1);
  } else {
    // A bare path: a module of this one (2015 edition, or a `mod` beside the use), then of the crate.
    bases.push({ base: childrenOf(fromPath), source });
    if (source !== null && source !== childrenOf(fromPath)) bases.push({ base: source, source });
  }
  const found: string[] = [];
  for (const { base, source: root } of bases) {
    const directory = rest.length === 0 ? base : join(base, rest.join('/'));
    for (const file of filesOf(directory, root))
      if (file !== fromPath && !found.includes(file)) found.push(file);
  }
  return found;
}
