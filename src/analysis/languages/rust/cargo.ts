import type { ModuleHost } from '../../analyzer.js';

/**
 * Whether the crate of a file depends on `rand` (and which major version), read from its Cargo.toml
 * through a ModuleHost. A patch may only call `rand` when the crate already has it; the review reads
 * the answer into the finding's project facts (`src/review/project-facts.ts`), which the Rust
 * rewriter reads.
 */

/** Directories walked up from a file to find its manifest. */
const MAX_MANIFEST_DEPTH = 6;

export interface RandDependency {
  /** `0.8`, `0.9`; null when the version is not a plain requirement. */
  version: string | null;
  manifest: string;
}

/** The version requirement of `rand` in a `[dependencies]`-like table of `manifest`, or undefined. */
function randRequirement(manifest: string, sections: RegExp): string | null | undefined {
  let inSection = false;
  for (const raw of manifest.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inSection = sections.test(line);
      continue;
    }
    if (!inSection) continue;
    const match = /^rand\s*=\s*(?:"([^"]*)"|\{(.*)\})/.exec(line);
    if (!match) continue;
    if (match[1] !== undefined) return match[1];
    if (/workspace\s*=\s*true/.test(match[2]!)) return null;
    // A git or path dependency without a version: rand is there, its version unknown.
    return /version\s*=\s*"([^"]*)"/.exec(match[2]!)?.[1] ?? '';
  }
  return undefined;
}

function majorMinor(requirement: string | null): string | null {
  const match = requirement ? /(\d+)\.(\d+)/.exec(requirement) : null;
  return match ? `${match[1]}.${match[2]}` : null;
}

const DEPENDENCY_TABLES = /^\[(dependencies|target\..*\.dependencies)\]$/;
const WORKSPACE_TABLE = /^\[workspace\.dependencies\]$/;

/** `a/b/c.rs` → `a/b`; '' at the root. */
function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export async function randDependency(path: string, host: ModuleHost): Promise<RandDependency | null> {
  let directory = directoryOf(path);
  let inherited = false;
  for (let depth = 0; depth <= MAX_MANIFEST_DEPTH; depth += 1) {
    const manifest = directory === '' ? 'Cargo.toml' : `${directory}/Cargo.toml`;
    const text = await host.read(manifest);
    if (text !== null) {
      const requirement = randRequirement(text, inherited ? WORKSPACE_TABLE : DEPENDENCY_TABLES);
      if (typeof requirement === 'string') return { version: majorMinor(requirement), manifest };
      // `rand = { workspace = true }`: the version lives in the workspace root's manifest, further up.
      if (requirement === null && !inherited) inherited = true;
      else if (!inherited) return null;
    }
    if (directory === '') break;
    directory = directoryOf(directory);
  }
  return null;
}

/**
 * The name code uses for the crate a manifest declares: its `[lib] name` when set, else its
 * `[package] name` with `-` as `_` (Cargo's rule); null for a virtual workspace manifest.
 */
export function crateNameOf(manifest: string): string | null {
  let section = '';
  const names = new Map<string, string>();
  for (const raw of manifest.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const name = /^name\s*=\s*"([^"]+)"/.exec(line)?.[1];
    if (name && (section === 'package' || section === 'lib') && !names.has(section)) names.set(section, name);
  }
  const name = names.get('lib') ?? names.get('package');
  return name ? name.replace(/-/g, '_') : null;
}
