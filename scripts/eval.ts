/**
 * `npm run eval`: scans every labelled example repository in fixtures/ (a directory with a sibling
 * `<name>.labels.yml`) through the real pipeline and prints precision and recall against the labels.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { RULE_LEVEL } from '../src/analysis/finding.js';
import { LocalReviewTarget } from '../src/platforms/local/target.js';
import { runReview } from '../src/review/pipeline.js';
import { allTables, LANGUAGE_TABLES, type LanguageTables } from '../test/analysis/languages.js';
import { loadTable, realWorldTables, runCase, summarise } from '../test/analysis/rule-table.js';

/** What every language must reach on its held-out tables. */
const TARGET_PRECISION = 0.95;
const TARGET_RECALL = 0.9;

interface Tally {
  tp: number;
  fp: number;
  fn: number;
  cases: number;
}

const empty = (): Tally => ({ tp: 0, fp: 0, fn: 0, cases: 0 });

function add(into: Tally, from: Tally): void {
  into.tp += from.tp;
  into.fp += from.fp;
  into.fn += from.fn;
  into.cases += from.cases;
}

function ratios({ tp, fp, fn }: Tally): { precision: number; recall: number } {
  return { precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

/** One row of figures; `cases` is left blank for a rule's share of a language (its findings span rows). */
function line(label: string, tally: Tally, withCases = true): string {
  const { precision, recall } = ratios(tally);
  const cases = withCases ? `${String(tally.cases).padStart(4)} cases` : ' '.repeat(10);
  return `${label.padEnd(28)} ${cases}  precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  (${tally.tp} TP, ${tally.fp} FP, ${tally.fn} FN)`;
}

/** Adds one finding-level outcome to the tally of its rule. */
function addRule(rules: Map<string, Tally>, key: string, outcome: 'tp' | 'fp' | 'fn'): void {
  const rule = key.split(':')[1]!;
  if (!rules.has(rule)) rules.set(rule, empty());
  rules.get(rule)![outcome] += 1;
}

/**
 * Findings-level agreement of one language's held-out tables with their labels (line, rule and kind
 * must all match), in total, per form of the rows and per rule.
 */
async function evaluateLanguage(
  entry: LanguageTables,
): Promise<{ total: Tally; forms: Map<string, Tally>; rules: Map<string, Tally> }> {
  const total = empty();
  const forms = new Map<string, Tally>();
  const rules = new Map<string, Tally>();
  for (const path of realWorldTables(entry.language)) {
    const table = loadTable(path);
    for (const testCase of [...(table.valid ?? []), ...(table.invalid ?? [])]) {
      const key = (row: { line: number; rule: string; kind: string }) =>
        `${row.line}:${row.rule}:${row.kind}`;
      const expected = new Set((testCase.errors ?? []).map(key));
      const actual = (await runCase(testCase, entry.analyzer(), entry.defaultFilename))
        .map(summarise)
        .map(key);
      const row: Tally = {
        tp: actual.filter((k) => expected.has(k)).length,
        fp: actual.filter((k) => !expected.has(k)).length,
        fn: [...expected].filter((k) => !actual.includes(k)).length,
        cases: 1,
      };
      add(total, row);
      for (const k of actual) addRule(rules, k, expected.has(k) ? 'tp' : 'fp');
      for (const k of expected) if (!actual.includes(k)) addRule(rules, k, 'fn');
      const form = testCase.form ?? (testCase.errors?.length ? 'unlabelled' : 'near-miss');
      if (!forms.has(form)) forms.set(form, empty());
      add(forms.get(form)!, row);
    }
  }
  return { total, forms, rules };
}

/**
 * The rules about jitter that does not spread clients (a cap swallows it, it is too small, every process
 * draws alike), reported on their own: their rows are few so far.
 */
const LOCKSTEP_RULES = ['clamped-jitter', 'clamped-server-hint', 'negligible-jitter', 'fake-jitter'] as const;

/**
 * Per rule, the agreement of every table of a language (hand-written and real-world) on the findings of
 * that rule: a finding of the rule no row expects is a false positive, an expected one not found missed.
 */
async function evaluateRules(entry: LanguageTables): Promise<Map<string, Tally>> {
  const rules = new Map<string, Tally>(LOCKSTEP_RULES.map((rule) => [rule, empty()]));
  for (const path of allTables(entry)) {
    const table = loadTable(path);
    for (const testCase of [...(table.valid ?? []), ...(table.invalid ?? [])]) {
      if (testCase.known_gap) continue;
      const actual = (await runCase(testCase, entry.analyzer(), entry.defaultFilename)).map(summarise);
      for (const [rule, tally] of rules) {
        const key = (row: { line: number; rule: string; kind: string }) => `${row.line}:${row.kind}`;
        const expected = new Set((testCase.errors ?? []).filter((e) => e.rule === rule).map(key));
        const found = actual.filter((row) => row.rule === rule).map(key);
        if (expected.size === 0 && found.length === 0) continue;
        add(tally, {
          tp: found.filter((k) => expected.has(k)).length,
          fp: found.filter((k) => !expected.has(k)).length,
          fn: [...expected].filter((k) => !found.includes(k)).length,
          cases: 1,
        });
      }
    }
  }
  return rules;
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
  let belowTarget = false;
  const allForms = new Map<string, Tally>();
  console.log('\nheld-out real-world tables, per language:');
  for (const entry of LANGUAGE_TABLES) {
    const { total, forms, rules } = await evaluateLanguage(entry);
    if (total.cases === 0) continue;
    console.log(line(entry.language, total));
    // Every rule, so one the held-out rows never label or report shows as such rather than not at all.
    for (const rule of Object.keys(RULE_LEVEL)) {
      const tally = rules.get(rule);
      console.log(
        tally
          ? line(`  ${rule}`, tally, false)
          : `${`  ${rule}`.padEnd(39)}  no labelled or reported findings`,
      );
    }
    const { precision, recall } = ratios(total);
    if (precision < TARGET_PRECISION || recall < TARGET_RECALL) belowTarget = true;
    for (const [form, tally] of forms) {
      if (!allForms.has(form)) allForms.set(form, empty());
      add(allForms.get(form)!, tally);
    }
  }
  console.log('\nheld-out real-world tables, per form (all languages):');
  for (const [form, tally] of [...allForms].sort(([a], [b]) => a.localeCompare(b)))
    console.log(line(`  ${form}`, tally));
  console.log(
    '\njitter that does not spread clients, per language (every table; cases: rows that expect or get the rule):',
  );
  for (const entry of LANGUAGE_TABLES) {
    for (const [rule, tally] of await evaluateRules(entry))
      if (tally.cases > 0) console.log(line(`${entry.language} ${rule}`, tally));
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  console.log(
    `labelled example repositories: precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  (${tp} TP, ${fp} FP, ${fn} FN over ${repos.length})`,
  );
  if (belowTarget || precision < TARGET_PRECISION || recall < TARGET_RECALL) process.exitCode = 1;
}

await main();
