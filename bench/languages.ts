/**
 * The tree-sitter languages, each on a generated corpus written to disk, with few and with many
 * findings: bare tree-sitter parse, analysis and the whole review (what `jitterbot scan` runs), each
 * measured in its own process (bench/measure.ts), side by side:
 *   npx tsx bench/languages.ts [files-per-language] [python|go|ruby|kotlin|csharp|java|rust]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANGUAGE_CORPORA, writeLanguageCorpus, type Density } from './language-corpora.js';
import { measureEach, ratio } from './processes.js';

const FILES = Number(process.argv[2] ?? 1_000);
const ONLY = process.argv[3];

console.log(
  `  ${'language'.padEnd(8)} ${'findings'.padEnd(14)} parse s  CPU: analysis  review  RSS: parse  review (ratio)`,
);
for (const corpus of LANGUAGE_CORPORA.filter((c) => !ONLY || c.grammar === ONLY)) {
  for (const density of ['few', 'many'] as Density[]) {
    const dir = mkdtempSync(join(tmpdir(), `jitterbot-bench-${corpus.grammar}-`));
    try {
      writeLanguageCorpus(dir, corpus, FILES, density);
      const { parse, detect, review } = measureEach(dir);
      console.log(
        `  ${corpus.grammar.padEnd(8)} ${`${density} (${review.findings})`.padEnd(14)} ${parse.cpuSeconds.toFixed(2).padStart(7)}      ${ratio(detect.cpuSeconds, parse.cpuSeconds)}  ${ratio(review.cpuSeconds, parse.cpuSeconds)}       ${parse.peakRssMb.toFixed(0).padStart(6)} MB ${review.peakRssMb.toFixed(0).padStart(4)} MB (${ratio(review.peakRssMb, parse.peakRssMb).trim()})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
