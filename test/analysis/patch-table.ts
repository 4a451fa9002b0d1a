import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Finding } from '../../src/analysis/finding.js';
import type { LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { applyEdits } from '../../src/suggest/edits.js';
import type { RewriteResult } from '../../src/suggest/plan.js';
import { STRATEGY_NAMES } from '../../src/simulate/strategies.js';
import type { RepoReader } from '../../src/platforms/types.js';
import { readProjectFacts } from '../../src/review/project-facts.js';
import { suggest } from '../../src/suggest/suggest.js';
import type { StrategyName, SuggestOptions } from '../../src/suggest/types.js';
import { loadTable, runCase } from './rule-table.js';

type Rewrite = (finding: Finding, text: string, options: SuggestOptions) => RewriteResult;

/**
 * For each table: every finding of every invalid row gets a patch for every strategy, the patch changes
 * the file, and `verify` accepts the patched text (re-parse with the grammar, bracket balance, …).
 */
export function itPatchesEveryFinding(
  tables: readonly string[],
  analyzer: LanguageAnalyzer,
  rewrite: Rewrite,
  defaultFilename: string,
  verify: (original: string, patched: string) => unknown,
): void {
  for (const table of tables) {
    it(`every finding in ${table} gets a patch that re-parses, for every strategy`, async () => {
      let findings = 0;
      const cases = loadTable(table).invalid ?? [];
      for (const testCase of cases) {
        for (const finding of await runCase(testCase, analyzer, defaultFilename)) {
          findings += 1;
          // A wait written inside a helper is explained in words by `suggest`, never patched here.
          if (finding.form.kind === 'call-argument' && finding.form.computedBy) continue;
          for (const strategy of STRATEGY_NAMES) {
            const result = rewrite(finding, testCase.code, { strategy, capMs: 30_000 });
            expect(result.kind === 'plan' ? 'plan' : `${testCase.name}: ${result.reason}`).toBe('plan');
            if (result.kind !== 'plan') continue;
            const patched = applyEdits(testCase.code, result.edits);
            expect(patched).not.toBe(testCase.code);
            expect(verify(testCase.code, patched)).toEqual({ valid: true });
          }
        }
      }
      expect(findings).toBeGreaterThanOrEqual(cases.length);
    });
  }
}

/** A row of a `patches.yml` table: a finding in a project, and what its full-jitter patch must say. */
export interface PatchRow {
  name: string;
  filename?: string;
  code: string;
  /** The project around the file (build files, other modules), read through a RepoReader. */
  files?: Record<string, string>;
  /** Text the patched file must contain, and must not. */
  contains?: string[];
  excludes?: string[];
  /** When set, no patch is offered and the description matches this. */
  refused?: string;
  /** When set, the patch is written but fails its check in the project, for a reason matching this. */
  withheld?: string;
  /** The `golden_index` setting (the environment variable holding a client's index). */
  goldenIndex?: string;
  /** The patch's description matches this. */
  description?: string;
  /** The one-click block (its replacement lines) contains this. */
  block?: string;
  strategy?: StrategyName;
}

export function loadPatchRows(table: string): PatchRow[] {
  return (parse(readFileSync(new URL(`../../${table}`, import.meta.url), 'utf8')) as { patches: PatchRow[] })
    .patches;
}

/**
 * Patches judged in their project's context: each row's build files reach `suggest` the way a review
 * hands them over (`readProjectFacts` through a RepoReader over the row's files), and the patched file
 * must contain, and must not contain, the row's texts.
 */
export function describePatchRows(table: string, analyzer: LanguageAnalyzer, defaultFilename: string): void {
  const rows = loadPatchRows(table);
  describe(table, () => {
    for (const row of rows) {
      it(row.name, async () => {
        const path = row.filename ?? defaultFilename;
        const files: Record<string, string> = { ...row.files, [path]: row.code };
        const reader: RepoReader = {
          read: async (p) => files[p] ?? null,
          list: async () => Object.keys(files),
        };
        const findings = await runCase(
          { name: row.name, code: row.code, filename: path, files: row.files },
          analyzer,
        );
        expect(findings.length).toBeGreaterThan(0);
        const projects = await readProjectFacts(reader, 'head', findings);
        for (const finding of findings) {
          const suggestion = suggest(finding, row.code, {
            strategy: row.strategy ?? 'full',
            capMs: 30_000,
            ...(row.goldenIndex === undefined ? {} : { goldenIndexEnv: row.goldenIndex }),
            project: projects.get(finding.path),
          });
          if (row.refused !== undefined) {
            expect(suggestion.valid).toBe(false);
            expect(suggestion.description).toMatch(new RegExp(row.refused));
            continue;
          }
          if (row.withheld !== undefined) {
            expect(suggestion.valid ? 'valid' : suggestion.invalidReason).toMatch(new RegExp(row.withheld));
            continue;
          }
          expect(suggestion.valid ? 'valid' : suggestion.invalidReason).toBe('valid');
          if (row.description !== undefined)
            expect(suggestion.description).toMatch(new RegExp(row.description));
          if (row.block !== undefined) expect(suggestion.primary?.newLines).toContain(row.block);
          const patched = applyEdits(row.code, suggestion.edits);
          for (const text of row.contains ?? []) expect(patched).toContain(text);
          for (const text of row.excludes ?? []) expect(patched).not.toContain(text);
          const after = await runCase(
            { name: row.name, code: patched, filename: path, files: row.files },
            analyzer,
          );
          expect(after.map((f) => f.message)).not.toContain(finding.message);
        }
      });
    }
  });
}
