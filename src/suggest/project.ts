/**
 * Facts about the project a patch lands in, read from its build files, that decide which API a patch
 * may call: the .NET target frameworks and the Go language version. The review reads the files
 * through its RepoReader (`src/review/project-facts.ts`); these parsers are pure.
 */

export interface ProjectFacts {
  /** Target framework monikers of the nearest `.csproj` above a C# file (`net8.0`, `net461`, …). */
  dotnetTargets?: string[];
  /** The `go` directive of the nearest `go.mod` above a Go file (`1.21`, `1.22.3`). */
  goVersion?: string;
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

/** `math/rand/v2` is in the standard library from Go 1.22. */
export function hasMathRandV2(version: string | undefined): boolean {
  const match = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || minor >= 22;
}
