import type { Finding } from '../analysis/finding.js';
import type { RepoReader } from '../platforms/types.js';
import { dotnetTargets, goDirective, type ProjectFacts } from '../suggest/project.js';

/**
 * The build-file facts a patch depends on, read through the review's RepoReader so GitHub, GitLab
 * and local reviews see the same project: the nearest `.csproj` above a C# file, the nearest `go.mod`
 * above a Go file. Facts that cannot be read are left out; each rewriter then uses the API that
 * exists everywhere.
 */
export async function readProjectFacts(
  reader: RepoReader,
  ref: string,
  findings: readonly Finding[],
): Promise<Map<string, ProjectFacts>> {
  const facts = new Map<string, ProjectFacts>();
  let projects: Promise<string[]> | undefined;
  for (const finding of findings) {
    if (facts.has(finding.path)) continue;
    if (finding.language === 'csharp') {
      projects ??= reader
        .list(ref)
        .then((paths) => paths.filter((p) => p.endsWith('.csproj')))
        .catch(() => []);
      const project = nearest(finding.path, await projects);
      const text = project ? await reader.read(project, ref) : null;
      const targets = text ? dotnetTargets(text) : undefined;
      facts.set(finding.path, targets ? { dotnetTargets: targets } : {});
    } else if (finding.language === 'go') {
      const goMod = await firstAbove(reader, ref, finding.path, 'go.mod');
      const version = goMod ? goDirective(goMod) : undefined;
      facts.set(finding.path, version ? { goVersion: version } : {});
    }
  }
  return facts;
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

async function firstAbove(reader: RepoReader, ref: string, path: string, name: string) {
  for (const directory of directories(path)) {
    const text = await reader.read(`${prefix(directory)}${name}`, ref).catch(() => null);
    if (text !== null) return text;
  }
  return null;
}
