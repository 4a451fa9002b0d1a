import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scan } from './scan-io.js';

const labels = (
  parse(readFileSync('fixtures/polyglot-service.labels.yml', 'utf8')) as {
    findings: { path: string; line: number; rule: string }[];
  }
).findings;

describe('jitterbot scan on a repository in eight languages', () => {
  it('reports exactly the labelled retries of every language, each with a validated patch', async () => {
    const { code, stdout } = await scan('fixtures/polyglot-service');
    const report = JSON.parse(stdout) as {
      findings: {
        path: string;
        range: { startLine: number };
        rule: string;
        language: string;
        suggestion: { valid: boolean; invalidReason?: string };
      }[];
    };
    const found = report.findings.map((f) => `${f.path}:${f.range.startLine}:${f.rule}`).sort();
    expect(found).toEqual(labels.map((l) => `${l.path}:${l.line}:${l.rule}`).sort());
    const languages = new Set(report.findings.map((f) => f.language));
    for (const language of ['typescript', 'python', 'go', 'ruby', 'java', 'kotlin', 'csharp', 'rust']) {
      expect(languages).toContain(language);
    }
    const invalid = report.findings
      .filter((f) => !f.suggestion.valid)
      .map((f) => `${f.path}: ${f.suggestion.invalidReason}`);
    expect(invalid).toEqual([]);
    expect(code).toBe(1);
  });
});
