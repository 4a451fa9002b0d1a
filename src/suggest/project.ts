import { posix } from 'node:path';
import { ts } from 'ts-morph';
import { mergedOptions } from '../analysis/languages/ts/tsconfig.js';
import type { JvmFacts } from './jvm-project.js';

/**
 * Facts about the project a patch lands in, read from its build files, that decide which API a patch
 * may call or whether it compiles there: the .NET target frameworks, the Go language version, the
 * TypeScript compiler options, the JVM language level, the Rust crate's `rand` and roots, and whether a Ruby file is part of a Rails application. The review reads the files
 * through its RepoReader (`src/review/project-facts.ts`); these parsers are pure.
 */

export interface ProjectFacts {
  /** Target framework monikers of the nearest `.csproj` above a C# file (`net8.0`, `net461`, …). */
  dotnetTargets?: string[];
  /** The `go` directive of the nearest `go.mod` above a Go file (`1.21`, `1.22.3`). */
  goVersion?: string;
  /** The module that `go.mod` declares and the directory it is in ('' at the root): import paths start there. */
  goModule?: { path: string; dir: string };
  /** The checking options of the nearest tsconfig.json / jsconfig.json above a TS/JS file. */
  typescript?: ts.CompilerOptions;
  /** What the JVM build files above a Java or Kotlin file state (nearest first). */
  jvm?: JvmFacts;
  /**
   * The `rand` dependency of a Rust file's crate (`0.8`, `0.9`; no version when the requirement has no
   * number, e.g. a git dependency); absent when the crate does not depend on `rand`.
   */
  rand?: { version?: string };
  /**
   * A Rust file's package: the directory of its Cargo.toml ('' at the root) and which of
   * `src/lib.rs` and `src/main.rs` exist there, the roots its `crate::` paths may start from.
   */
  rustCrate?: { dir: string; roots: string[] };
  /**
   * The Rails application a Ruby file is in (the directory holding `config/application.rb`, '' at
   * the root): the files under its `app/` are loaded by constant name, never by `require`.
   */
  rails?: { root: string };
}

/** `<TargetFramework>` or `<TargetFrameworks>` (semicolon-separated) of a project file. */
export function dotnetTargets(projectFile: string): string[] | undefined {
  const element = /<TargetFrameworks?>([^<]*)<\/TargetFrameworks?>/.exec(projectFile);
  if (!element) return undefined;
  const targets = element[1]!
    .split(';')
    .map((target) => target.trim())
    .filter((target) => target !== '');
  return targets.length > 0 ? targets : undefined;
}

/**
 * `Random.Shared` arrived in .NET 6. Only monikers that prove it count (`net6.0`, `net8.0-windows`):
 * .NET Framework (`net48`), .NET Standard, `netcoreapp3.1` and an MSBuild property (`$(Targets)`)
 * do not.
 */
export function hasRandomShared(targets: readonly string[] | undefined): boolean {
  if (!targets || targets.length === 0) return false;
  return targets.every((target) => {
    const modern = /^net(\d+)\.\d+(?:-[\w.]+)?$/i.exec(target);
    return modern !== null && Number(modern[1]) >= 6;
  });
}

/** The `go 1.xx` directive of a go.mod. */
export function goDirective(goMod: string): string | undefined {
  return /^go\s+(\d+\.\d+(?:\.\d+)?)\s*(?:\/\/.*)?$/m.exec(goMod)?.[1];
}

/** The `module` path a go.mod declares. */
export function goModulePath(goMod: string): string | undefined {
  return /^module\s+"?([^\s"]+)"?\s*(?:\/\/.*)?$/m.exec(goMod)?.[1];
}

/** `math/rand/v2` is in the standard library from Go 1.22. */
export function hasMathRandV2(version: string | undefined): boolean {
  const match = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || minor >= 22;
}

/**
 * The options of a project's tsconfig that decide whether code type-checks (strictness, the `lib`
 * and target, JSX). Paths, emit and module resolution stay the checker's own: a patch is checked
 * file by file, without the project's other modules.
 */
const CHECKING_OPTIONS = [
  'target',
  'lib',
  'jsx',
  'strict',
  'noImplicitAny',
  'strictNullChecks',
  'strictFunctionTypes',
  'strictBindCallApply',
  'strictPropertyInitialization',
  'strictBuiltinIteratorReturn',
  'useUnknownInCatchVariables',
  'noImplicitThis',
  'alwaysStrict',
  'exactOptionalPropertyTypes',
  'noUncheckedIndexedAccess',
  'noPropertyAccessFromIndexSignature',
  'noImplicitReturns',
  'noImplicitOverride',
  'noUnusedLocals',
  'noUnusedParameters',
  'noFallthroughCasesInSwitch',
  'allowUnreachableCode',
  'allowUnusedLabels',
  'verbatimModuleSyntax',
  'erasableSyntaxOnly',
] as const satisfies readonly (keyof ts.CompilerOptions)[];

interface TsconfigJson {
  compilerOptions?: unknown;
  references?: { path?: unknown }[];
  include?: unknown;
  files?: unknown;
}

function tsconfigJson(configPath: string, text: string): TsconfigJson | undefined {
  const config = ts.parseConfigFileTextToJson(configPath, text).config as unknown;
  return typeof config === 'object' && config !== null ? (config as TsconfigJson) : undefined;
}

/**
 * The configs a solution-style tsconfig names (only `references`, no options of its own: the root
 * config of a Vite app, whose `tsconfig.app.json` holds the real options); undefined for any other.
 */
export function solutionReferences(configPath: string, text: string): string[] | undefined {
  const config = tsconfigJson(configPath, text);
  if (!Array.isArray(config?.references) || config.compilerOptions !== undefined) return undefined;
  return config.references
    .map((reference) => reference.path)
    .filter((path): path is string => typeof path === 'string')
    .map((path) => {
      const joined = posix.join(posix.dirname(configPath), path);
      return joined.endsWith('.json') ? joined : `${joined}/tsconfig.json`;
    });
}

/** Whether a tsconfig's `files` or `include` (everything beside it when it has neither) covers `path`. */
export function tsconfigCovers(configPath: string, text: string, path: string): boolean {
  const config = tsconfigJson(configPath, text);
  const directory = posix.dirname(configPath);
  const inside = (pattern: unknown) => {
    if (typeof pattern !== 'string') return false;
    // A pattern with wildcards covers the directory before its first one (`src/**/*.ts`: `src/`).
    const wildcard = pattern.search(/[*?{]/);
    const fixed = wildcard < 0 ? pattern : pattern.slice(0, pattern.lastIndexOf('/', wildcard) + 1);
    const base = posix.join(directory, fixed);
    return base === '.' || path === base || path.startsWith(base.endsWith('/') ? base : `${base}/`);
  };
  const files = Array.isArray(config?.files) ? config.files : [];
  const include = Array.isArray(config?.include)
    ? config.include
    : config?.files === undefined
      ? ['**/*']
      : [];
  return (
    files.some((file) => typeof file === 'string' && posix.join(directory, file) === path) ||
    include.some(inside)
  );
}

/**
 * The checking options of the tsconfig at `configPath`, with what it extends merged in as the
 * compiler merges it; `configs` holds the texts of that file and of every file it extends.
 */
export function tsCheckingOptions(
  configs: ReadonlyMap<string, string>,
  configPath: string,
): ts.CompilerOptions | undefined {
  const options = mergedOptions(configs, configPath);
  if (options === undefined) return undefined;
  return Object.fromEntries(
    CHECKING_OPTIONS.filter((name) => options[name] !== undefined).map((name) => [name, options[name]]),
  );
}
