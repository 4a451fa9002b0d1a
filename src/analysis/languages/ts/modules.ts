import { posix } from 'node:path';
import { ts } from 'ts-morph';
import type { ModuleHost } from '../../analyzer.js';
import { mergedOptions, tsconfigChain } from './tsconfig.js';
import {
  MAX_WORKSPACE_MANIFESTS,
  packagePaths,
  readManifest,
  splitSpecifier,
  type WorkspacePackage,
} from './workspace.js';

/**
 * Follows imports between files of the scanned tree without a Program: resolving a handful of
 * specifiers by hand is far cheaper than type-checking the repository, and never runs its code.
 */

export const TS_JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'] as const;

/** Syntax trees kept for import resolution; shared helpers and constants stay hot, the rest is dropped. */
export const MAX_CACHED_TREES = 64;
/**
 * Source characters those trees may span: a tree weighs many times its text, so a few large files
 * (bundles, generated clients) would otherwise hold hundreds of megabytes for no reuse.
 */
export const MAX_CACHED_CHARACTERS = 2 * 1024 * 1024;

/** How far a chain of re-exports and helper calls is followed before giving up (unknown, not a guess). */
export const MAX_RESOLUTION_DEPTH = 8;

export function scriptKindOf(path: string): ts.ScriptKind {
  const ext = posix.extname(path).toLowerCase();
  if (ext === '.tsx') return ts.ScriptKind.TSX;
  if (ext === '.jsx') return ts.ScriptKind.JSX;
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

export function parseSource(path: string, text: string): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, scriptKindOf(path));
}

interface PathMapping {
  baseDir: string;
  paths: [pattern: string, targets: string[]][];
}

/** Parsed files and tsconfig mappings of one scan, shared by every file analysed in it. */
export class ModuleGraph {
  private readonly sources = new Map<string, Promise<ts.SourceFile | null>>();
  /** Characters of each settled tree in `sources`, and their sum. */
  private readonly characters = new Map<string, number>();
  private cachedCharacters = 0;
  private readonly pathMappings = new Map<string, Promise<PathMapping | null>>();
  private readonly dependencyMajors = new Map<string, Promise<number | null>>();
  private readonly workspace = new Map<string, Promise<WorkspacePackage | null>>();
  private manifests: Promise<string[]> | null = null;

  constructor(private readonly host: ModuleHost) {}

  source(path: string): Promise<ts.SourceFile | null> {
    const cached = this.sources.get(path);
    if (cached) {
      // Refresh the entry: Map iteration order is insertion order, so the oldest is evicted first.
      this.sources.delete(path);
      this.sources.set(path, cached);
      return cached;
    }
    const pending = this.host.read(path).then((text) => (text === null ? null : parseSource(path, text)));
    this.remember(path, pending);
    return pending;
  }

  /** The syntax tree of a file being analysed, shared with import resolution so no file is parsed twice. */
  async parsed(path: string, text: string): Promise<ts.SourceFile> {
    const cached = this.sources.get(path);
    const file = cached ? await cached : null;
    if (file && file.text === text) return file;
    const fresh = parseSource(path, text);
    this.remember(path, Promise.resolve(fresh));
    return fresh;
  }

  private remember(path: string, pending: Promise<ts.SourceFile | null>): void {
    this.forget(path);
    this.sources.set(path, pending);
    if (this.sources.size > MAX_CACHED_TREES) this.forget(this.sources.keys().next().value!);
    const settled = (file: ts.SourceFile | null) => {
      if (file === null || this.sources.get(path) !== pending) return;
      this.characters.set(path, file.text.length);
      this.cachedCharacters += file.text.length;
      // Oldest first, never the tree just kept.
      for (const oldest of this.sources.keys()) {
        if (this.cachedCharacters <= MAX_CACHED_CHARACTERS || oldest === path) break;
        this.forget(oldest);
      }
    };
    // A failed read is the caller's to handle; here it only means there is no tree to weigh.
    pending.then(settled, () => undefined);
  }

  private forget(path: string): void {
    this.sources.delete(path);
    this.cachedCharacters -= this.characters.get(path) ?? 0;
    this.characters.delete(path);
  }

  /** The repository path a specifier refers to from `fromPath`, or null for packages and misses. */
  async resolve(fromPath: string, specifier: string): Promise<string | null> {
    if (specifier.startsWith('.')) {
      return this.firstExisting(candidatesFor(posix.join(posix.dirname(fromPath), specifier)));
    }
    // The project's own mapping first; a bundler's `src/` root when it has none or it misses.
    const mappings = [await this.mappingFor(posix.dirname(fromPath)), guessedMapping(specifier)];
    for (const mapping of mappings) {
      for (const [pattern, targets] of mapping?.paths ?? []) {
        const captured = matchPattern(pattern, specifier);
        if (captured === null) continue;
        for (const target of targets) {
          const resolved = await this.firstExisting(
            candidatesFor(posix.join(mapping!.baseDir, target.replace('*', captured))),
          );
          if (resolved) return resolved;
        }
      }
    }
    return this.fromWorkspace(specifier);
  }

  /** A bare specifier naming one of the repository's own packages (`@shop/shared/retry`). */
  private async fromWorkspace(specifier: string): Promise<string | null> {
    if (specifier.includes(':')) return null;
    const { name, subpath } = splitSpecifier(specifier);
    let pending = this.workspace.get(name);
    if (!pending) this.workspace.set(name, (pending = this.workspacePackage(name)));
    const pkg = await pending;
    return pkg ? this.firstExisting(packagePaths(pkg, subpath).flatMap(candidatesFor)) : null;
  }

  /**
   * The package named `name` among the repository's manifests outside node_modules. Only manifests
   * in a directory named like the package are read (`packages/shared` for `@shop/shared`), as
   * workspaces lay them out: an import of `react` reads nothing, and a review stays a few reads.
   */
  private async workspacePackage(name: string): Promise<WorkspacePackage | null> {
    this.manifests ??= (async () =>
      ((await this.host.files?.().catch(() => [])) ?? []).filter(
        (path) => posix.basename(path) === 'package.json' && !path.split('/').includes('node_modules'),
      ))();
    const folder = name.split('/').pop()!;
    const candidates = (await this.manifests)
      .filter((path) => posix.basename(posix.dirname(path)) === folder)
      .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
      .slice(0, MAX_WORKSPACE_MANIFESTS);
    for (const path of candidates) {
      const text = await this.host.read(path).catch(() => null);
      const manifest = text === null ? null : readManifest(path, text);
      if (manifest?.name === name) return manifest;
    }
    return null;
  }

  private async firstExisting(candidates: string[]): Promise<string | null> {
    for (const candidate of candidates) {
      if (candidate.startsWith('..') || candidate.startsWith('/')) continue;
      if (await this.source(candidate)) return candidate;
    }
    return null;
  }

  /**
   * The major version of `name` declared by the nearest package.json above `dir` that declares it
   * (dependencies, devDependencies or peerDependencies); null when none does or the range names no
   * version (`latest`, a git URL).
   */
  dependencyMajor(dir: string, name: string): Promise<number | null> {
    const key = `${dir}\n${name}`;
    let pending = this.dependencyMajors.get(key);
    if (!pending) {
      pending = this.loadDependencyMajor(dir, name);
      this.dependencyMajors.set(key, pending);
    }
    return pending;
  }

  private async loadDependencyMajor(dir: string, name: string): Promise<number | null> {
    const manifestPath = dir === '.' || dir === '' ? 'package.json' : `${dir}/package.json`;
    const text = await this.host.read(manifestPath);
    if (text !== null) {
      try {
        const manifest = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
        for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
          const range = manifest[field]?.[name];
          if (typeof range === 'string') {
            const major = /^[\s^~>=v]*(\d+)/.exec(range)?.[1];
            return major === undefined ? null : Number(major);
          }
        }
      } catch {
        // Not JSON: look further up.
      }
    }
    if (dir === '.' || dir === '' || dir === '/') return null;
    return this.dependencyMajor(posix.dirname(dir), name);
  }

  /** The nearest tsconfig.json / jsconfig.json above `dir` with `paths`, like the compiler looks it up. */
  private mappingFor(dir: string): Promise<PathMapping | null> {
    let pending = this.pathMappings.get(dir);
    if (!pending) {
      pending = this.loadMapping(dir);
      this.pathMappings.set(dir, pending);
    }
    return pending;
  }

  private async loadMapping(dir: string): Promise<PathMapping | null> {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const configPath = dir === '.' || dir === '' ? name : `${dir}/${name}`;
      const text = await this.host.read(configPath);
      if (text === null) continue;
      // `paths` and `baseUrl` are often in a base config the project extends (Nx, Turborepo).
      const chain = await tsconfigChain(configPath, text, (path) => this.host.read(path));
      const options = mergedOptions(chain, configPath) as
        (ts.CompilerOptions & { pathsBasePath?: string }) | undefined;
      if (!options?.paths && options?.baseUrl === undefined) return null;
      // The compiler's absolute directories: the repository root is `/`. Without `baseUrl`, `paths`
      // are relative to the config that declares them.
      const base = options.baseUrl ?? options.pathsBasePath ?? `/${dir === '' || dir === '.' ? '' : dir}`;
      const baseDir = posix.normalize(base.replace(/^\/+/, '') || '.');
      // `baseUrl` alone (Create React App, Next.js) resolves bare specifiers against it.
      return { baseDir, paths: options.paths ? Object.entries(options.paths) : [['*', ['*']]] };
    }
    if (dir === '.' || dir === '' || dir === '/') return null;
    return this.mappingFor(posix.dirname(dir));
  }
}

/**
 * Without any tsconfig/jsconfig, `constants/retry` in an app usually means `src/constants/retry`
 * (a bundler's `src` root). Only multi-segment, unscoped specifiers are tried: `lodash` is a package.
 */
export function guessedMapping(specifier: string): PathMapping | null {
  if (!specifier.includes('/') || specifier.startsWith('@') || specifier.includes(':')) return null;
  return { baseDir: 'src', paths: [['*', ['*']]] };
}

export function matchPattern(pattern: string, specifier: string): string | null {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === specifier ? '' : null;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  if (!specifier.startsWith(prefix) || !specifier.endsWith(suffix)) return null;
  return specifier.slice(prefix.length, specifier.length - suffix.length);
}

/** ESM imports name the emitted `.js` file; the source is `.ts`. Then extensions, then index files. */
export function candidatesFor(base: string): string[] {
  const normal = posix.normalize(base);
  const out: string[] = [];
  const ext = posix.extname(normal);
  if (ext) {
    out.push(normal);
    const stem = normal.slice(0, -ext.length);
    if (ext === '.js') out.push(`${stem}.ts`, `${stem}.tsx`);
    if (ext === '.jsx') out.push(`${stem}.tsx`);
    if (ext === '.mjs') out.push(`${stem}.mts`);
    if (ext === '.cjs') out.push(`${stem}.cts`);
  }
  for (const candidate of TS_JS_EXTENSIONS) out.push(`${normal}${candidate}`);
  for (const candidate of TS_JS_EXTENSIONS) out.push(`${normal}/index${candidate}`);
  return out;
}
