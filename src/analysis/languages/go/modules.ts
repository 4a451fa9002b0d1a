import { posix } from 'node:path';
import type { ModuleHost } from '../../analyzer.js';

/**
 * Where a Go import path lives in the repository: the `go.mod` files met so far say which module
 * path is rooted at which directory, and an import inside one of them is the directory under that
 * root. Imports of other modules (the standard library, dependencies) are outside the repository.
 */
export class GoModules {
  /** Per directory: the module declared by the nearest `go.mod` at or above it. */
  private readonly nearest = new Map<string, Promise<GoModule | null>>();
  /** Every module found, longest module path first (a nested module wins over its parent). */
  private known: GoModule[] = [];

  constructor(private readonly host: ModuleHost) {}

  /** Modules a `go.work` at the root or a `replace` to a local directory brings in, read once. */
  private workspace: Promise<void> | null = null;
  private readonly localModules = new Map<string, Promise<void>>();

  /**
   * Reads the `go.mod` files at and above `dir` (once per directory per review), and the modules the
   * repository joins to them: those a root `go.work` uses, and local directories a `replace` names.
   */
  async load(dir: string): Promise<void> {
    this.workspace ??= this.readWorkspace();
    await Promise.all([this.workspace, this.moduleOf(dir === '.' ? '' : dir)]);
  }

  private async readWorkspace(): Promise<void> {
    const text = await this.host.read('go.work').catch(() => null);
    if (!text) return;
    await Promise.all(workspaceUses(text).map((dir) => this.localModule(dir, null)));
  }

  /** The module rooted at `dir`, under the import path a `replace` gives it (else its own `module` line). */
  private localModule(dir: string, importPath: string | null): Promise<void> {
    const root = posix.normalize(dir);
    const key = `${root}\n${importPath ?? ''}`;
    let pending = this.localModules.get(key);
    if (!pending) {
      pending = (async () => {
        if (root.startsWith('..') || root.startsWith('/')) return;
        const text = await this.host.read(root === '.' ? 'go.mod' : `${root}/go.mod`).catch(() => null);
        const module = importPath ?? (text ? /^module\s+(\S+)/m.exec(text)?.[1] : undefined);
        if (!text || !module) return;
        this.remember({ module, root });
        await this.followReplacements(root, text);
      })();
      this.localModules.set(key, pending);
    }
    return pending;
  }

  /** `replace github.com/acme/shared => ../shared`: that module is the directory beside this one. */
  private async followReplacements(root: string, text: string): Promise<void> {
    await Promise.all(
      localReplacements(text).map(({ module, path }) =>
        this.localModule(posix.join(root === '.' ? '' : root, path), module),
      ),
    );
  }

  private remember(found: GoModule): void {
    if (this.known.some((known) => known.module === found.module && known.root === found.root)) return;
    this.known = [...this.known, found].sort((a, b) => b.module.length - a.module.length);
  }

  /** The package directory of `importPath` (ending in `/`), or none when no known module holds it. */
  directories(_fromPath: string, importPath: string): string[] {
    for (const { module, root } of this.known) {
      if (importPath !== module && !importPath.startsWith(`${module}/`)) continue;
      const dir = posix.normalize(posix.join(root, importPath.slice(module.length + 1) || '.'));
      return dir === '.' ? [] : [`${dir}/`];
    }
    if (this.known.length > 0) return [];
    // No `go.mod` in sight (a snippet, a partial checkout): a non-standard import may be any tail of
    // its path under the root, longest first (`github.com/acme/app/sys` → `acme/app/sys/` … `sys/`).
    const segments = importPath.split('/');
    if (segments.length < 2 || !segments[0]!.includes('.')) return [];
    return segments.slice(1).map((_, i) => `${segments.slice(i + 1).join('/')}/`);
  }

  /** The import path of the package in `dir`, when a known module holds it. */
  importPathOf(dir: string): string | null {
    const at = dir === '.' ? '' : dir;
    for (const { module, root } of this.known) {
      const base = root === '.' ? '' : root;
      if (base !== '' && at !== base && !at.startsWith(`${base}/`)) continue;
      const rest = base === '' ? at : at.slice(base.length + 1);
      return rest === '' ? module : `${module}/${rest}`;
    }
    return null;
  }

  private moduleOf(dir: string): Promise<GoModule | null> {
    let pending = this.nearest.get(dir);
    if (!pending) {
      pending = (async () => {
        const text = await this.host.read(dir === '' ? 'go.mod' : `${dir}/go.mod`).catch(() => null);
        const module = text ? /^module\s+(\S+)/m.exec(text)?.[1] : undefined;
        if (module) {
          const found = { module, root: dir === '' ? '.' : dir };
          this.remember(found);
          await this.followReplacements(found.root, text!);
          return found;
        }
        if (dir === '') return null;
        const parent = posix.dirname(dir);
        return this.moduleOf(parent === '.' ? '' : parent);
      })();
      this.nearest.set(dir, pending);
    }
    return pending;
  }
}

interface GoModule {
  module: string;
  root: string;
}

/** The directories a `go.work` uses: `use ./shared`, or one per line of a `use ( … )` block. */
export function workspaceUses(text: string): string[] {
  const uses: string[] = [];
  const withoutComments = text.replace(/\/\/.*$/gm, '');
  for (const match of withoutComments.matchAll(/^\s*use\s*(?:\(([^)]*)\)|(\S+))/gm)) {
    const entries = match[1] !== undefined ? match[1].split('\n') : [match[2]!];
    for (const entry of entries) {
      const dir = entry.trim().replace(/^"(.*)"$/, '$1');
      if (dir) uses.push(dir);
    }
  }
  return uses;
}

/** `replace` directives of a `go.mod` whose target is a local directory (`./x`, `../x`). */
export function localReplacements(text: string): { module: string; path: string }[] {
  const found: { module: string; path: string }[] = [];
  const withoutComments = text.replace(/\/\/.*$/gm, '');
  for (const match of withoutComments.matchAll(/^\s*replace\s*(?:\(([^)]*)\)|([^\n]+))/gm)) {
    const lines = match[1] !== undefined ? match[1].split('\n') : [match[2]!];
    for (const line of lines) {
      const directive = /^\s*(\S+)(?:\s+\S+)?\s*=>\s*(\.{1,2}\/\S*|\.{1,2})\s*$/.exec(line);
      if (directive) found.push({ module: directive[1]!, path: directive[2]! });
    }
  }
  return found;
}
