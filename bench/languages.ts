/**
 * The tree-sitter languages, each on a generated corpus written to disk, with few and with many
 * findings: bare tree-sitter parse, analysis and the whole review (what `jitterbot scan` runs), each
 * measured in its own process (bench/measure.ts), side by side:
 *   npx tsx bench/languages.ts [files-per-language] [python|go|ruby|kotlin|csharp|java|rust]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LANGUAGE_CORPORA, writeLanguageCorpus, type Density } from './language-corpora.js';

const FILES = Number(process.argv[2] ?? 1_000);
const ONLY = process.argv[3];

interface Measurement {
  files: number;
  findings: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

function measure(mode: 'parse' | 'detect' | 'review', root: string): Measurement {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/measure.ts', mode, root], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Measurement;
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(6);

console.log(
  `  ${'language'.padEnd(8)} ${'findings'.padEnd(14)} parse s  CPU: analysis  review  RSS: parse  review (ratio)`,
);
for (const corpus of LANGUAGE_CORPORA.filter((c) => !ONLY || c.grammar === ONLY)) {
  for (const density of ['few', 'many'] as Density[]) {
    const dir = mkdtempSync(join(tmpdir(), `jitterbot-bench-${corpus.grammar}-`));
    try {
      writeLanguageCorpus(dir, corpus, FILES, density);
      // Warm the file system cache so neither side pays for cold reads.
      measure('parse', dir);
      const parse = measure('parse', dir);
      const detect = measure('detect', dir);
      const review = measure('review', dir);
      console.log(
        `  ${corpus.grammar.padEnd(8)} ${`${density} (${review.findings})`.padEnd(14)} ${parse.cpuSeconds.toFixed(2).padStart(7)}      ${ratio(detect.cpuSeconds, parse.cpuSeconds)}  ${ratio(review.cpuSeconds, parse.cpuSeconds)}       ${parse.peakRssMb.toFixed(0).padStart(6)} MB ${review.peakRssMb.toFixed(0).padStart(4)} MB (${ratio(review.peakRssMb, parse.peakRssMb).trim()})`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
