import { posix } from 'node:path';

/**
 * The repository's own packages, as npm, Yarn and pnpm workspaces link them: `@shop/shared` is the
 * directory whose package.json says `"name": "@shop/shared"`, and a file of it is found through the
 * manifest's `exports`, `types` or `main`. Those often name the build output (`dist/index.js`), which a
 * checkout does not hold, so the source under `src/` is tried too, as the package's own build maps it.
 */

/** Manifests read to find one package by name, shallowest first. */
export const MAX_WORKSPACE_MANIFESTS = 8;

export interface WorkspacePackage {
  /** The package's directory, '' for the repository root. */
  dir: string;
  /** Subpath (`.`, `./retry`, `./*`) → the files it exports, most specific condition first. */
  exports: Map<string, string[]>;
  /** `types`, `typings`, `module`, `main`: what `.` means without `exports`. */
  entries: string[];
}

/** Build output folders a manifest points into, whose sources sit under `src/`. */
const OUTPUT_FOLDER = /^(?:\.\/)?(?:dist|build|lib|out)\//;
/** Conditions a TypeScript source is most likely under, in that order. */
const CONDITIONS = ['types', 'typescript', 'source', 'import', 'module', 'node', 'require', 'default'];

/** The name and entry points of one package.json, or null when it is not a named package. */
export function readManifest(path: string, text: string): ({ name: string } & WorkspacePackage) | null {
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.name !== 'string') return null;
  const dir = posix.dirname(path);
  const exports = new Map<string, string[]>();
  const raw = manifest.exports;
  if (typeof raw === 'string' || Array.isArray(raw) || isConditions(raw)) exports.set('.', targetsOf(raw));
  else if (raw && typeof raw === 'object') {
    for (const [subpath, target] of Object.entries(raw as Record<string, unknown>))
      if (subpath.startsWith('.')) exports.set(subpath, targetsOf(target));
  }
  const entries = ['types', 'typings', 'module', 'main']
    .map((field) => manifest[field])
    .filter((value): value is string => typeof value === 'string');
  return { name: manifest.name, dir: dir === '.' ? '' : dir, exports, entries };
}

/** An exports value with conditions at the top (`{ "import": …, "types": … }`), not subpaths. */
function isConditions(value: unknown): boolean {
  return (
    !!value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).every((key) => !key.startsWith('.'))
  );
}

function targetsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(targetsOf);
  if (!value || typeof value !== 'object') return [];
  const conditions = value as Record<string, unknown>;
  const ordered = [
    ...CONDITIONS.filter((key) => key in conditions),
    ...Object.keys(conditions).filter((key) => !CONDITIONS.includes(key)),
  ];
  return ordered.flatMap((key) => targetsOf(conditions[key]));
}

/** `@scope/name/sub/path` → `@scope/name` and `sub/path`; `name/sub` → `name` and `sub`. */
export function splitSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const length = specifier.startsWith('@') ? 2 : 1;
  return { name: parts.slice(0, length).join('/'), subpath: parts.slice(length).join('/') };
}

/**
 * Where `subpath` of a workspace package may live, most likely first: paths as a specifier names them
 * (with or without an extension), for the caller to try with the usual extensions and index files.
 */
export function packagePaths(pkg: WorkspacePackage, subpath: string): string[] {
  const key = subpath === '' ? '.' : `./${subpath}`;
  const targets: string[] = [];
  const exact = pkg.exports.get(key);
  if (exact) targets.push(...exact);
  else {
    for (const [pattern, patternTargets] of pkg.exports) {
      const star = pattern.indexOf('*');
      if (star < 0) continue;
      const [prefix, suffix] = [pattern.slice(0, star), pattern.slice(star + 1)];
      if (!key.startsWith(prefix) || !key.endsWith(suffix) || key.length < prefix.length + suffix.length)
        continue;
      const captured = key.slice(prefix.length, key.length - suffix.length);
      targets.push(...patternTargets.map((target) => target.replace('*', captured)));
    }
  }
  if (subpath === '' && pkg.exports.size === 0) targets.push(...pkg.entries);
  const paths: string[] = [];
  for (const target of targets) {
    // A declaration file holds no values; the source beside it, or under `src/`, does.
    const stem = target.replace(/\.d\.[mc]?ts$/, '');
    if (OUTPUT_FOLDER.test(stem)) paths.push(posix.join(pkg.dir, 'src', stem.replace(OUTPUT_FOLDER, '')));
    paths.push(posix.join(pkg.dir, stem));
  }
  // No manifest entry, or one that names only build output the checkout lacks: `src/` by convention.
  paths.push(posix.join(pkg.dir, 'src', subpath === '' ? 'index' : subpath));
  paths.push(posix.join(pkg.dir, subpath === '' ? 'index' : subpath));
  return [...new Set(paths)];
}
