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

  /** Reads the `go.mod` files at and above `dir` (once per directory per review). */
  async load(dir: string): Promise<void> {
    await this.moduleOf(dir === '.' ? '' : dir);
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
          this.known = [...this.known, found].sort((a, b) => b.module.length - a.module.length);
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
