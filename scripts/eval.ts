/**
 * `npm run eval`: scans every labelled example repository in fixtures/ (a directory with a sibling
 * `<name>.labels.yml`) through the real pipeline and prints precision and recall against the labels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { LocalReviewTarget } from '../src/platforms/local/target.js';
import { runReview } from '../src/review/pipeline.js';
import { loadTable, runCase, summarise } from '../test/analysis/rule-table.js';

/** Held-out tables of real code from public repositories, labelled before the detector ran on them. */
const REAL_WORLD_TABLES = readdirSync('fixtures/typescript')
  .filter((name) => /^real-world.*\.yml$/.test(name))
  .map((name) => `fixtures/typescript/${name}`);

/** Findings-level agreement with a table's labels (line, rule and kind must all match). */
async function evaluateTable(path: string): Promise<{ tp: number; fp: number; fn: number; cases: number }> {
  const table = loadTable(path);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const cases = [...(table.valid ?? []), ...(table.invalid ?? [])];
  for (const testCase of cases) {
    const key = (row: { line: number; rule: string; kind: string }) => `${row.line}:${row.rule}:${row.kind}`;
    const expected = new Set((testCase.errors ?? []).map(key));
    const actual = (await runCase(testCase)).map(summarise).map(key);
    tp += actual.filter((row) => expected.has(row)).length;
    fp += actual.filter((row) => !expected.has(row)).length;
    fn += [...expected].filter((row) => !actual.includes(row)).length;
  }
  return { tp, fp, fn, cases: cases.length };
}

interface Label {
  path: string;
  line: number;
  rule: string;
}

export interface EvalResult {
  repo: string;
  truePositives: Label[];
  falsePositives: Label[];
  falseNegatives: Label[];
}

export async function evaluate(root: string, labelsFile: string): Promise<EvalResult> {
  const labels = (parse(readFileSync(labelsFile, 'utf8')) as { findings: Label[] }).findings;
  const target = await LocalReviewTarget.open({ root });
  const outcome = await runReview(target, target.reader, { blastRadius: false });
  const found: Label[] = [...outcome.toPost, ...outcome.unchanged].map(({ finding }) => ({
    path: finding.path,
    line: finding.range.startLine,
    rule: finding.rule,
  }));
  const key = (label: Label) => `${label.path}:${label.line}:${label.rule}`;
  const expected = new Set(labels.map(key));
  const actual = new Set(found.map(key));
  return {
    repo: root,
    truePositives: found.filter((f) => expected.has(key(f))),
    falsePositives: found.filter((f) => !expected.has(key(f))),
    falseNegatives: labels.filter((l) => !actual.has(key(l))),
  };
}

async function main(): Promise<void> {
  const fixtures = 'fixtures';
  const repos = readdirSync(fixtures)
    .filter((name) => name.endsWith('.labels.yml'))
    .map((name) => ({
      root: join(fixtures, name.replace(/\.labels\.yml$/, '')),
      labels: join(fixtures, name),
    }));
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const repo of repos) {
    const result = await evaluate(repo.root, repo.labels);
    tp += result.truePositives.length;
    fp += result.falsePositives.length;
    fn += result.falseNegatives.length;
    console.log(
      `${repo.root}: ${result.truePositives.length} true positives, ${result.falsePositives.length} false positives, ${result.falseNegatives.length} missed`,
    );
    for (const miss of result.falseNegatives)
      console.log(`  missed      ${miss.path}:${miss.line} ${miss.rule}`);
    for (const extra of result.falsePositives)
      console.log(`  false alarm ${extra.path}:${extra.line} ${extra.rule}`);
  }
  for (const path of REAL_WORLD_TABLES) {
    const result = await evaluateTable(path);
    const p = result.tp + result.fp === 0 ? 1 : result.tp / (result.tp + result.fp);
    const r = result.tp + result.fn === 0 ? 1 : result.tp / (result.tp + result.fn);
    console.log(
      `${path}: ${result.cases} cases, precision ${p.toFixed(3)}, recall ${r.toFixed(3)} (${result.tp} TP, ${result.fp} FP, ${result.fn} FN)`,
    );
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  console.log(
    `labelled example repositories: precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  (${tp} TP, ${fp} FP, ${fn} FN over ${repos.length})`,
  );
  if (precision < 0.95 || recall < 0.9) process.exitCode = 1;
}

await main();
