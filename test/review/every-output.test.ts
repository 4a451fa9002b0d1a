import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config.js';
import type { RepoReader, ReviewTarget } from '../../src/platforms/types.js';
import { runReview } from '../../src/review/pipeline.js';
import { applyEdits } from '../../src/suggest/edits.js';
import type { TextEdit } from '../../src/suggest/types.js';
import { scan } from '../cli/scan-io.js';

/**
 * One review rendered to every output: text, JSON, SARIF, and the GitHub and GitLab comments. For
 * each finding they agree whether a patch is offered, and when it is not they give the same reason.
 */
const FILES: Record<string, string> = {
  'tsconfig.json': '{ "compilerOptions": { "strict": true } }\n',
  // Offered: a loop counter grows the window and type-checks under strict.
  'src/offered.ts': [
    "import { setTimeout as sleep } from 'node:timers/promises';",
    '',
    'export async function connect(open: () => Promise<void>): Promise<void> {',
    '  for (let attempt = 0; attempt < 5; attempt++) {',
    '    try {',
    '      return await open();',
    '    } catch {',
    '      await sleep(3000);',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n'),
  // Withheld: the optional attempt is possibly undefined under this project's strict checks.
  'src/withheld.ts': [
    "import { setTimeout as sleep } from 'node:timers/promises';",
    '',
    'export async function fetchWithRetry(url: string, attempt?: number): Promise<Response> {',
    '  try {',
    '    return await fetch(url);',
    '  } catch (error) {',
    '    if ((attempt ?? 0) >= 4) throw error;',
    '    await sleep(1000);',
    '    return fetchWithRetry(url, (attempt ?? 0) + 1);',
    '  }',
    '}',
    '',
  ].join('\n'),
};

const root = mkdtempSync(join(tmpdir(), 'jitterbot-outputs-'));
for (const [path, text] of Object.entries(FILES)) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

const reader: RepoReader = {
  read: async (path) => FILES[path] ?? null,
  list: async () => Object.keys(FILES),
};

function target(platform: 'github' | 'gitlab'): ReviewTarget {
  const sources = Object.keys(FILES).filter((path) => path.endsWith('.ts'));
  return {
    platform,
    changeSet: async () => ({
      baseSha: 'base',
      headSha: 'head',
      files: sources.map((path) => ({
        path,
        status: 'added' as const,
        addedLines: [{ start: 1, end: FILES[path]!.split('\n').length }],
      })),
    }),
    config: async () => ({ config: DEFAULT_CONFIG, errors: [] }),
    earlierComments: async () => [],
    publish: async () => undefined,
  };
}

const REASON = "'attempt' is possibly 'undefined'";

interface JsonFinding {
  path: string;
  patch: { offered: boolean; reason?: string } | null;
  suggestion: { edits: TextEdit[] } | null;
}
interface SarifResult {
  locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
  fixes?: {
    artifactChanges: {
      replacements: {
        deletedRegion: { charOffset: number; charLength: number };
        insertedContent: { text: string };
      }[];
    }[];
  }[];
  properties: { fixNotOffered?: string };
}

/** The SARIF fix as offset edits. */
function sarifEdits(result: SarifResult): TextEdit[] {
  return result.fixes![0]!.artifactChanges[0]!.replacements.map(({ deletedRegion, insertedContent }) => ({
    start: deletedRegion.charOffset,
    end: deletedRegion.charOffset + deletedRegion.charLength,
    newText: insertedContent.text,
  }));
}

describe('one patch, every output', () => {
  it('offers the same patch, or gives the same reason, in text, JSON, SARIF, GitHub and GitLab', async () => {
    const json = JSON.parse((await scan(root, { format: 'json' })).stdout) as { findings: JsonFinding[] };
    const sarif = JSON.parse((await scan(root, { format: 'sarif' })).stdout) as {
      runs: { results: SarifResult[] }[];
    };
    const text = (await scan(root, { format: 'text' })).stdout;
    const github = await runReview(target('github'), reader, { blastRadius: false });
    const gitlab = await runReview(target('gitlab'), reader, { blastRadius: false });

    const byPath = <T>(items: T[], path: (item: T) => string, wanted: string) => {
      const found = items.filter((item) => path(item).endsWith(wanted));
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const outputs = (wanted: string) => ({
      json: byPath(json.findings, (f) => f.path, wanted),
      sarif: byPath(
        sarif.runs[0]!.results,
        (r) => r.locations[0]!.physicalLocation.artifactLocation.uri,
        wanted,
      ),
      text: text.split('\n\n').find((block) => block.startsWith(wanted)) ?? '',
      github: byPath(github.toPost, (p) => p.finding.path, wanted).body,
      gitlab: byPath(gitlab.toPost, (p) => p.finding.path, wanted).body,
    });

    const offered = outputs('src/offered.ts');
    expect(offered.json.patch).toEqual({ offered: true });
    expect(offered.sarif.fixes).toHaveLength(1);
    expect(offered.sarif.properties.fixNotOffered).toBeUndefined();
    expect(offered.text).toContain('+++ b/src/offered.ts');
    const line = 'await sleep(Math.random() * Math.min(30000, 3000 * 2 ** attempt));';
    expect(offered.text).toContain(`+      ${line}`);
    const fromSarif = applyEdits(FILES['src/offered.ts']!, sarifEdits(offered.sarif));
    expect(fromSarif).toBe(applyEdits(FILES['src/offered.ts']!, offered.json.suggestion!.edits));
    expect(fromSarif).toContain(line);
    expect(offered.github).toContain('```suggestion\n');
    expect(offered.github).toContain(line);
    expect(offered.gitlab).toMatch(/```suggestion:-0\+0\n/);
    expect(offered.gitlab).toContain(line);

    const withheld = outputs('src/withheld.ts');
    const reason = withheld.json.patch?.reason ?? '';
    expect(withheld.json.patch?.offered).toBe(false);
    expect(reason).toContain(REASON);
    expect(withheld.sarif.fixes).toBeUndefined();
    expect(withheld.sarif.properties.fixNotOffered).toBe(reason);
    expect(withheld.text).not.toContain('+++ b/');
    expect(withheld.text).toContain(`described, not offered as a patch: ${reason}`);
    for (const body of [withheld.github, withheld.gitlab]) {
      expect(body).not.toContain('```suggestion');
      expect(body).toContain(`described, not offered as a patch: ${reason}`);
    }
  });
});
