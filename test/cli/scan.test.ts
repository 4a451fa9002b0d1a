import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvModule from 'ajv-draft-04';
import { parse } from 'yaml';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { scan } from './scan-io.js';

const EXAMPLE = 'fixtures/example-service';
const labels = (
  parse(readFileSync('fixtures/example-service.labels.yml', 'utf8')) as {
    findings: { path: string; line: number; rule: string }[];
  }
).findings;

describe('jitterbot scan on the example service', () => {
  it('reports exactly the labelled problems, each with a fix that applies', async () => {
    const { code, stdout } = await scan(EXAMPLE);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      findings: {
        path: string;
        range: { startLine: number };
        rule: string;
        suggestion: { valid: boolean } | null;
      }[];
    };
    const found = report.findings.map((f) => `${f.path}:${f.range.startLine}:${f.rule}`).sort();
    expect(found).toEqual(labels.map((l) => `${l.path}:${l.line}:${l.rule}`).sort());
    expect(report.findings.every((f) => f.suggestion?.valid)).toBe(true);
  });

  it('names the repository’s own jitter helper in the fix when one exists', async () => {
    const { stdout } = await scan(EXAMPLE, { format: 'text' });
    expect(stdout).toContain('fullJitter');
    expect(stdout).toContain('src/lib/backoff.ts');
  });

  it('prints text with a code frame and a unified diff, no colour when not a terminal', async () => {
    const { stdout } = await scan(EXAMPLE, { format: 'text' });
    expect(stdout).toMatch(/^src\/clients\/dynamo\.ts:27:13 {2}warning/m);
    expect(stdout).toMatch(/^> 27 \|/m);
    expect(stdout).toContain('+++ b/src/clients/dynamo.ts');
    expect(stdout).not.toContain('\u001b[');
  });

  it('emits SARIF 2.1.0 that validates against the schema, with fixes', async () => {
    const { stdout } = await scan(EXAMPLE, { format: 'sarif' });
    const log = JSON.parse(stdout);
    const schema = JSON.parse(readFileSync('fixtures/sarif/sarif-schema-2.1.0.json', 'utf8'));
    // A CommonJS module: Node gives its exports object, a bundler may give the class itself.
    const Ajv = ('default' in AjvModule ? AjvModule.default : AjvModule) as typeof AjvModule.default;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'fixed-delay-retry',
      'unjittered-backoff',
      'clamped-jitter',
      'clamped-server-hint',
      'negligible-jitter',
      'fake-jitter',
    ]);
    // Code scanning shows each rule's help, and maps paths from the repository root, not the scanned folder.
    for (const rule of run.tool.driver.rules) {
      expect(rule.help.text.length).toBeGreaterThan(40);
      expect(rule.helpUri).toMatch(/docs\/rules\.md#/);
    }
    const dynamo = run.results.find(
      (r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) =>
        r.locations[0]!.physicalLocation.artifactLocation.uri ===
        'fixtures/example-service/src/clients/dynamo.ts',
    );
    expect(dynamo.level).toBe('warning');
    expect(dynamo.locations[0].physicalLocation.region.startLine).toBe(27);
    expect(dynamo.fixes[0].artifactChanges[0].replacements.length).toBeGreaterThanOrEqual(1);
    expect(dynamo.baselineState).toBeUndefined();
    // What was not analysed is reported too, each file with its reason.
    const notes = run.invocations[0].toolExecutionNotifications as {
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    expect(notes).toContainEqual(
      expect.objectContaining({
        message: { text: 'Not analysed: test file' },
        locations: [
          expect.objectContaining({
            physicalLocation: {
              artifactLocation: {
                uri: 'fixtures/example-service/src/clients/http.test.ts',
                uriBaseId: 'SRCROOT',
              },
            },
          }),
        ],
      }),
    );
  });

  it('emits a GitLab Code Quality report with the documented fields, one issue per finding', async () => {
    const [json, report] = await Promise.all([scan(EXAMPLE), scan(EXAMPLE, { format: 'codequality' })]);
    // GitLab's documented Code Quality issue: these fields, these severities, a unique fingerprint.
    const issue = z
      .object({
        description: z.string().min(1),
        check_name: z.enum([
          'fixed-delay-retry',
          'unjittered-backoff',
          'clamped-jitter',
          'clamped-server-hint',
          'negligible-jitter',
          'fake-jitter',
        ]),
        fingerprint: z.string().min(1),
        severity: z.enum(['info', 'minor', 'major', 'critical', 'blocker']),
        location: z.object({
          path: z.string().regex(/^[^/]/),
          lines: z.object({ begin: z.number().int().positive() }).strict(),
        }),
      })
      .strict();
    const issues = z.array(issue).parse(JSON.parse(report.stdout));
    const findings = (JSON.parse(json.stdout) as { findings: { fingerprint: string; level: string }[] })
      .findings;
    expect(issues).toHaveLength(findings.length);
    expect(new Set(issues.map((i) => i.fingerprint)).size).toBe(issues.length);
    expect(issues.filter((i) => i.severity === 'major')).toHaveLength(
      findings.filter((f) => f.level === 'warning').length,
    );
    expect(report.code).toBe(json.code);
  });

  it('exits 0 with --fail-on never, and for notes below a warning threshold', async () => {
    expect((await scan(EXAMPLE, { failOn: 'never' })).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'jitterbot-notes-'));
    writeFileSync(
      join(dir, 'sync.ts'),
      "import pRetry from 'p-retry';\nexport const sync = () => pRetry(() => fetch('https://erp.internal'), { retries: 5 });\n",
    );
    try {
      const notes = await scan(dir, { failOn: 'warning' });
      expect(
        (JSON.parse(notes.stdout) as { findings: { level: string }[] }).findings.map((f) => f.level),
      ).toEqual(['note']);
      expect(notes.code).toBe(0);
      expect((await scan(dir, { failOn: 'note' })).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips the test file and the generated bundle, and lists them with --verbose', async () => {
    const { stdout, stderr } = await scan(EXAMPLE, { verbose: true });
    const report = JSON.parse(stdout) as { findings: { path: string }[] };
    expect(report.findings.some((f) => f.path.includes('.test.'))).toBe(false);
    expect(stderr).toContain('skipped src/clients/http.test.ts: test file');
    const withTests = JSON.parse((await scan(EXAMPLE, { includeTests: true })).stdout) as {
      findings: { path: string }[];
    };
    expect(withTests.findings.some((f) => f.path === 'src/clients/http.test.ts')).toBe(true);
  });

  it('exits 2 with a clear message for a path that does not exist', async () => {
    const { code, stderr } = await scan('fixtures/no-such-directory', { base: 'main' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/jitterbot: /);
  });
});

describe('the built binary', () => {
  const bin = 'dist/cli.js';
  it.skipIf(!existsSync(bin))('runs the quick start command and keeps stdout machine-readable', () => {
    const result = spawnSync(process.execPath, [bin, 'scan', EXAMPLE, '--format', 'json'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).findings.length).toBe(labels.length);
  });

  it.skipIf(!existsSync(bin))('exits 2 on a usage error', () => {
    const result = spawnSync(process.execPath, [bin, 'scan', '--format', 'xml'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('xml');
  });

  it.skipIf(!existsSync(bin))('prints help', () => {
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toContain('scan');
  });
});

describe('a baseline', () => {
  it('records today’s findings, then reports only new ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'jitterbot-baseline-'));
    cpSync(EXAMPLE, root, { recursive: true });
    const before = JSON.parse((await scan(root)).stdout) as { findings: unknown[] };
    expect(before.findings.length).toBeGreaterThan(0);

    const written = await scan(root, { writeBaseline: true });
    expect(written.code).toBe(0);
    const baseline = JSON.parse(readFileSync(join(root, '.jitterbot-baseline.json'), 'utf8')) as {
      findings: { fingerprint: string }[];
    };
    expect(baseline.findings).toHaveLength(before.findings.length);

    const after = await scan(root);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ findings: [], baselined: before.findings.length });

    writeFileSync(
      join(root, 'src/late.ts'),
      [
        'export async function poll(fetchOnce: () => Promise<Response>): Promise<Response> {',
        '  for (let attempt = 0; ; attempt++) {',
        '    try {',
        '      return await fetchOnce();',
        '    } catch {',
        '      await new Promise((resolve) => setTimeout(resolve, 3000));',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const later = JSON.parse((await scan(root)).stdout) as { findings: { path: string }[] };
    expect(later.findings.map((finding) => finding.path)).toEqual(['src/late.ts']);
    rmSync(root, { recursive: true, force: true });
  });

  it('is refused in diff mode, which sees only the change', async () => {
    const { code, stderr } = await scan(EXAMPLE, { writeBaseline: true, base: 'HEAD' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--write-baseline records a whole-tree scan/);
  });
});
