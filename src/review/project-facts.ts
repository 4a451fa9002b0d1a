import type { Finding } from '../analysis/finding.js';
import type { RepoReader } from '../platforms/types.js';
import {
  dotnetTargets,
  goDirective,
  goModulePath,
  solutionReferences,
  tsCheckingOptions,
  tsconfigCovers,
  type ProjectFacts,
} from '../suggest/project.js';
import { tsconfigChain } from '../analysis/languages/ts/tsconfig.js';
import { randDependency } from '../analysis/languages/rust/cargo.js';
import { JVM_BUILD_FILES, jvmFacts, type JvmFacts } from '../suggest/jvm-project.js';

/** What makes a directory a Rails application's root. */
const RAILS_APPLICATION = 'config/application.rb';
/** The files a Cargo package's library and binary crates start from. */
const RUST_CRATE_ROOTS = ['src/lib.rs', 'src/main.rs'];

/**
 * The build-file facts a patch depends on, read through the review's RepoReader so GitHub, GitLab
 * and local reviews see the same project: the nearest `.csproj` above a C# file, the nearest `go.mod`
 * above a Go file, the nearest tsconfig.json or jsconfig.json above a TS/JS file (the referenced config
 * covering the file when it is a solution-style one, and what it extends),
 * the Maven and Gradle build files above a Java or Kotlin file, the Cargo.toml of a Rust file's crate
 * and its root files, the Rails application a Ruby file is in. Facts that cannot be read are left out; each rewriter then uses the API that
 * exists everywhere.
 */
export async function readProjectFacts(
  reader: RepoReader,
  ref: string,
  findings: readonly Finding[],
): Promise<Map<string, ProjectFacts>> {
  const facts = new Map<string, ProjectFacts>();
  let listing: Promise<string[]> | undefined;
  const list = () => (listing ??= reader.list(ref).catch(() => []));
  for (const finding of findings) {
    if (facts.has(finding.path)) continue;
    if (finding.language === 'csharp') {
      const projects = (await list()).filter((p) => p.endsWith('.csproj'));
      const project = nearest(finding.path, projects);
      const text = project ? await reader.read(project, ref) : null;
      const targets = text ? dotnetTargets(text) : undefined;
      facts.set(finding.path, targets ? { dotnetTargets: targets } : {});
    } else if (finding.language === 'go') {
      const goMod = await firstAbove(reader, ref, finding.path, ['go.mod']);
      const version = goMod ? goDirective(goMod.text) : undefined;
      const module = goMod ? goModulePath(goMod.text) : undefined;
      facts.set(finding.path, {
        ...(version ? { goVersion: version } : {}),
        ...(goMod && module ? { goModule: { path: module, dir: directoryOf(goMod.path) } } : {}),
      });
    } else if (finding.language === 'typescript' || finding.language === 'javascript') {
      const options = await typescriptOptions(reader, ref, finding.path);
      facts.set(finding.path, options ? { typescript: options } : {});
    } else if (finding.language === 'java' || finding.language === 'kotlin') {
      facts.set(finding.path, { jvm: await jvmBuildFacts(reader, ref, finding.path, await list()) });
    } else if (finding.language === 'ruby') {
      const application = await firstAbove(reader, ref, finding.path, [RAILS_APPLICATION]);
      const root = application
        ? application.path.slice(0, -RAILS_APPLICATION.length).replace(/\/$/, '')
        : null;
      facts.set(finding.path, root === null ? {} : { rails: { root } });
    } else if (finding.language === 'rust') {
      const rand = await randDependency(finding.path, {
        read: (path) => reader.read(path, ref).catch(() => null),
      });
      const rustCrate = await rustCrateOf(reader, ref, finding.path);
      facts.set(finding.path, {
        ...(rand ? { rand: rand.version === null ? {} : { version: rand.version } } : {}),
        ...(rustCrate ? { rustCrate } : {}),
      });
    }
  }
  return facts;
}

function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** The package a Rust file belongs to: the nearest Cargo.toml above it, and its crate root files. */
async function rustCrateOf(reader: RepoReader, ref: string, path: string) {
  const manifest = await firstAbove(reader, ref, path, ['Cargo.toml']);
  if (!manifest) return undefined;
  const dir = directoryOf(manifest.path);
  const roots: string[] = [];
  for (const root of RUST_CRATE_ROOTS) {
    const candidate = `${prefix(dir)}${root}`;
    if (candidate === path || (await reader.read(candidate, ref).catch(() => null)) !== null)
      roots.push(root);
  }
  return { dir, roots };
}

function directories(path: string): string[] {
  const parts = path.split('/').slice(0, -1);
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('/')).concat('');
}

/** The project file in the deepest directory that contains `path`. */
function nearest(path: string, candidates: readonly string[]): string | undefined {
  for (const directory of directories(path)) {
    const found = candidates
      .filter((candidate) => candidate.slice(0, candidate.lastIndexOf('/') + 1) === prefix(directory))
      .sort()[0];
    if (found) return found;
  }
  return undefined;
}

function prefix(directory: string): string {
  return directory === '' ? '' : `${directory}/`;
}

/** The first of `names` found in the deepest directory that contains `path`. */
async function firstAbove(reader: RepoReader, ref: string, path: string, names: readonly string[]) {
  for (const directory of directories(path)) {
    for (const name of names) {
      const candidate = `${prefix(directory)}${name}`;
      const text = await reader.read(candidate, ref).catch(() => null);
      if (text !== null) return { path: candidate, text };
    }
  }
  return null;
}

/** The checking options of the tsconfig the compiler would use for `path`, its `extends` followed. */
async function typescriptOptions(reader: RepoReader, ref: string, path: string) {
  const nearest = await firstAbove(reader, ref, path, ['tsconfig.json', 'jsconfig.json']);
  if (nearest === null) return undefined;
  const config = (await referencedConfig(reader, ref, path, nearest)) ?? nearest;
  const texts = await tsconfigChain(config.path, config.text, (extended) => reader.read(extended, ref));
  return tsCheckingOptions(texts, config.path);
}

/** For a solution-style tsconfig, the config it references that covers `path` (the first, if none does). */
async function referencedConfig(
  reader: RepoReader,
  ref: string,
  path: string,
  solution: { path: string; text: string },
) {
  const references = solutionReferences(solution.path, solution.text) ?? [];
  let first: { path: string; text: string } | undefined;
  for (const reference of references) {
    const text = await reader.read(reference, ref).catch(() => null);
    if (text === null) continue;
    if (tsconfigCovers(reference, text, path)) return { path: reference, text };
    first ??= { path: reference, text };
  }
  return first;
}

/**
 * The JVM facts of the build files above `path`, the nearest stating each fact winning: a module's
 * build file often leaves the language level to the root's `subprojects {}` or parent POM.
 */
async function jvmBuildFacts(reader: RepoReader, ref: string, path: string, listing: readonly string[]) {
  const present = new Set(listing);
  let facts: JvmFacts = {};
  for (const directory of directories(path)) {
    for (const name of JVM_BUILD_FILES) {
      const candidate = `${prefix(directory)}${name}`;
      if (!present.has(candidate)) continue;
      const text = await reader.read(candidate, ref).catch(() => null);
      if (text !== null) facts = { ...jvmFacts(candidate, text), ...facts };
    }
  }
  return facts;
}
