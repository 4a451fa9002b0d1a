import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempRepo } from '../platforms/local-repo.js';
import { scan } from './scan-io.js';

/** A repository whose branch adds one real problem, with its helper and constant in untouched files. */
function buildRepo(): TempRepo {
  const repo = TempRepo.init();
  repo.write(
    'src/utils/time.ts',
    'export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));\n',
  );
  repo.write('src/utils/index.ts', "export * from './time';\n");
  repo.write('src/config.ts', 'export const RETRY_INTERVAL = 5 * 1000;\n');
  repo.write(
    'src/lib/backoff.ts',
    'export function fullJitter(attempt: number, baseMs = 100, capMs = 30_000): number {\n  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);\n}\nexport const jittered = (ms: number) => ms / 2 + Math.random() * (ms / 2);\n',
  );
  repo.write(
    'src/legacy.ts',
    "import { pause } from './utils';\nexport async function legacy() {\n  while (true) {\n    try {\n      return await fetch('https://legacy.internal');\n    } catch {\n      await pause(2000);\n    }\n  }\n}\n",
  );
  repo.write(
    'src/orders.ts',
    "import { pause } from './utils';\n\nexport async function orders() {\n  for (let i = 0; i < 3; i++) {\n    try {\n      return await fetch('https://orders.internal');\n    } catch {\n      await pause(1500);\n    }\n  }\n}\n",
  );
  repo.write(
    'src/moved.ts',
    "import { pause } from './utils';\nexport async function moved() {\n  for (;;) {\n    try { return await fetch('x'); } catch { await pause(3000); }\n  }\n}\n",
  );
  repo.write('src/gone.ts', 'export const gone = 1;\n');
  repo.write(
    'deploy/api.yaml',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 12\n',
  );
  repo.commit('base');
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write(
    'src/payments.ts',
    [
      "import { pause } from './utils';",
      "import { RETRY_INTERVAL } from './config';",
      "import { jittered } from './lib/backoff';",
      '',
      'export async function charge(id: string) {',
      '  for (let attempt = 0; attempt < 5; attempt++) {',
      '    try {',
      '      return await fetch(`https://payments.internal/${id}`);',
      '    } catch (error) {',
      '      await pause(RETRY_INTERVAL);',
      '    }',
      '  }',
      '}',
      '',
      'export async function refund(id: string) {',
      '  for (let attempt = 0; attempt < 5; attempt++) {',
      '    try {',
      '      return await fetch(`https://payments.internal/refund/${id}`);',
      '    } catch {',
      '      await pause(jittered(1000));',
      '    }',
      '  }',
      '}',
      '',
      'export async function capture(id: string) {',
      '  for (;;) {',
      '    try {',
      '      return await fetch(`https://payments.internal/capture/${id}`);',
      '    } catch {',
      '      // jitterbot-ignore-next-line upstream rate-limits per merchant, not per client',
      '      await pause(1000);',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  // An edit near, not on, the pre-existing retry in orders.ts.
  repo.write(
    'src/orders.ts',
    "import { pause } from './utils';\n\n/** Lists orders. */\nexport async function orders() {\n  for (let i = 0; i < 3; i++) {\n    try {\n      return await fetch('https://orders.internal');\n    } catch {\n      await pause(1500);\n    }\n  }\n}\n",
  );
  repo.git('mv', 'src/moved.ts', 'src/renamed.ts');
  repo.git('rm', '-q', 'src/gone.ts');
  repo.commit('feature');
  return repo;
}

describe('jitterbot scan --base (diff mode)', () => {
  let repo: TempRepo;
  beforeAll(() => {
    repo = buildRepo();
  });
  afterAll(() => repo.remove());

  it('reports only the retry the branch added, judged through helpers and constants in untouched files', async () => {
    const { code, stdout } = await scan(repo.root, { base: 'main' });
    const report = JSON.parse(stdout);
    expect(report.mode).toBe('diff');
    expect(
      report.findings.map(
        (f: { path: string; range: { startLine: number } }) => `${f.path}:${f.range.startLine}`,
      ),
    ).toEqual(['src/payments.ts:10']);
    const [finding] = report.findings;
    expect(finding.delay).toMatchObject({ kind: 'fixed', ms: 5000 });
    expect(finding.evidence.join('\n')).toContain('src/utils/time.ts');
    expect(finding.evidence.join('\n')).toContain('src/config.ts');
    expect(code).toBe(1);
  });

  it('keeps pre-existing problems of changed files out of the inline findings', async () => {
    const report = JSON.parse((await scan(repo.root, { base: 'main' })).stdout);
    expect(
      report.preExisting
        .map((f: { path: string; range: { startLine: number } }) => `${f.path}:${f.range.startLine}`)
        .sort(),
    ).toEqual(['src/orders.ts:9', 'src/renamed.ts:4']);
  });

  it('recommends the repository’s own jitter helper by name and path', async () => {
    const report = JSON.parse((await scan(repo.root, { base: 'main' })).stdout);
    const suggestion = report.findings[0].suggestion;
    expect(suggestion.valid).toBe(true);
    expect(suggestion.description).toContain('fullJitter');
    expect(suggestion.description).toContain('src/lib/backoff.ts');
  });

  it('counts the same problem in untouched files (blast radius) and reads the replica count', async () => {
    const report = JSON.parse((await scan(repo.root, { base: 'main' })).stdout);
    expect(report.blastRadius).toEqual([{ path: 'src/legacy.ts', line: 7, rule: 'fixed-delay-retry' }]);
    expect(report.clients.count).toBe(12);
    expect(report.clients.source).toContain('deploy/api.yaml');
    expect(report.findings[0].simulation.clients).toBe(12);
  });

  it('marks SARIF results new or unchanged, and gates only on new findings', async () => {
    const sarif = JSON.parse((await scan(repo.root, { base: 'main', format: 'sarif' })).stdout);
    const states = sarif.runs[0].results.map(
      (r: {
        baselineState: string;
        locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
      }) => [r.locations[0]!.physicalLocation.artifactLocation.uri, r.baselineState],
    );
    expect(states).toEqual([
      ['src/payments.ts', 'new'],
      ['src/orders.ts', 'unchanged'],
      ['src/renamed.ts', 'unchanged'],
    ]);
  });

  it('exits 0 when the branch adds nothing, even with problems elsewhere', async () => {
    const clean = TempRepo.init();
    try {
      clean.write(
        'src/legacy.ts',
        "const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nexport async function f() {\n  for (;;) { try { return await fetch('x'); } catch { await sleep(2000); } }\n}\n",
      );
      clean.commit('base');
      clean.git('checkout', '-q', '-b', 'docs');
      clean.write('README.md', '# service\n');
      clean.commit('docs');
      const result = await scan(clean.root, { base: 'main' });
      expect(JSON.parse(result.stdout).findings).toEqual([]);
      expect(result.code).toBe(0);
    } finally {
      clean.remove();
    }
  });

  it('reports an invalid configuration and reviews with the defaults', async () => {
    const broken = TempRepo.init();
    try {
      broken.write('.jitterbot.yml', 'strategy: bogus\nmin_delay_ms: -5\n');
      broken.write(
        'src/a.ts',
        "const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nexport async function f() {\n  for (;;) { try { return await fetch('x'); } catch { await sleep(2000); } }\n}\n",
      );
      broken.commit('base');
      const result = await scan(broken.root);
      expect(result.stderr).toContain('.jitterbot.yml: strategy');
      expect(result.stderr).toContain('.jitterbot.yml: min_delay_ms');
      expect(JSON.parse(result.stdout).findings).toHaveLength(1);
    } finally {
      broken.remove();
    }
  });

  it('fails with a clear message for an unknown base ref', async () => {
    const result = await scan(repo.root, { base: 'no-such-branch' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown ref no-such-branch/);
  });
});
