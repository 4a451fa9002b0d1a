/**
 * `npm run bench`: analysis speed and memory against bare parsing, on (a) a generated corpus of 5,000
 * files, (b) the third-party JavaScript under node_modules, (c) a real-shaped repository
 * (bench/repository.ts), (d) the tree-sitter languages, (e) how many files a one-file review
 * reads, (f) how many `git` processes a diff-mode review starts, and (g) real code: the standard
 * libraries of the installed toolchains. Each figure comes from its own process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCorpus } from './corpus.js';
import { measureEach, type Measurement } from './processes.js';
import { writeRepository } from './repository.js';

const CORPUS_FILES = Number(process.env.BENCH_FILES ?? 5_000);
const LANGUAGE_FILES = Number(process.env.BENCH_LANGUAGE_FILES ?? 1_000);
const REAL_FILES = Number(process.env.BENCH_REAL_FILES ?? 3_000);
/** Targets: analysis within 1.5× bare parsing, and under 400 MB for 5,000 files. */
const TARGET_RATIO = 1.5;
const TARGET_RSS_MB = 400;
/** Targets for the whole review (what a user pays) over bare parsing: CPU and peak memory. */
const TARGET_REVIEW_CPU = 1.3;
const TARGET_REVIEW_RSS = 1.5;

function line(label: string, m: Measurement): string {
  const mb = m.bytes / 1024 / 1024;
  return `  ${label.padEnd(12)} ${String(m.files).padStart(6)} files  ${m.seconds.toFixed(2).padStart(6)} s  ${(m.files / m.seconds).toFixed(0).padStart(5)} files/s  ${(mb / m.seconds).toFixed(1).padStart(5)} MB/s  peak RSS ${m.peakRssMb.toFixed(0).padStart(4)} MB  findings ${m.findings}`;
}

function report(name: string, root: string, vendored: boolean): { ratio: number; rss: number } {
  const { parse, detect, review } = measureEach(root, vendored);
  console.log(`\n${name}`);
  console.log(line('bare parse', parse));
  console.log(line('analysis', detect));
  console.log(line('full review', review));
  const ratio = detect.seconds / parse.seconds;
  console.log(
    `  ratio        analysis / bare parse = ${ratio.toFixed(2)}x (target ≤ ${TARGET_RATIO}x); full review / bare parse = ${(review.seconds / parse.seconds).toFixed(2)}x`,
  );
  console.log(
    `  whole review over bare parse: CPU ${(review.cpuSeconds / parse.cpuSeconds).toFixed(2)}x (target ≤ ${TARGET_REVIEW_CPU}x), peak RSS ${(review.peakRssMb / parse.peakRssMb).toFixed(2)}x (target ≤ ${TARGET_REVIEW_RSS}x)`,
  );
  return { ratio, rss: detect.peakRssMb };
}

const dir = mkdtempSync(join(tmpdir(), 'jitterbot-bench-'));
const fewDir = mkdtempSync(join(tmpdir(), 'jitterbot-bench-few-'));
try {
  writeCorpus(fewDir, CORPUS_FILES, 'few');
  report(`(a) generated corpus, ${CORPUS_FILES} files, few findings (one file in 200)`, fewDir, false);
  writeCorpus(dir, CORPUS_FILES, 'many');
  const corpus = report(
    `(a) generated corpus, ${CORPUS_FILES} files, many findings (one file in eight)`,
    dir,
    false,
  );
  const nodeModules = report(
    '(b) node_modules (third-party JavaScript/TypeScript, vendored and generated included)',
    'node_modules',
    true,
  );
  console.log(
    `\ntargets: ratio ≤ ${TARGET_RATIO}x — corpus ${corpus.ratio <= TARGET_RATIO ? 'met' : 'MISSED'}, node_modules ${nodeModules.ratio <= TARGET_RATIO ? 'met' : 'MISSED'}; ` +
      `peak RSS < ${TARGET_RSS_MB} MB for ${CORPUS_FILES} files — ${corpus.rss < TARGET_RSS_MB ? 'met' : 'MISSED'} (${corpus.rss.toFixed(0)} MB)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  rmSync(fewDir, { recursive: true, force: true });
}

const repository = mkdtempSync(join(tmpdir(), 'jitterbot-bench-repository-'));
try {
  writeRepository(repository);
  report(
    '(c) real-shaped repository: a TypeScript monorepo (API, worker, web, shared library, tests) with a Python and a Go service',
    repository,
    false,
  );
} finally {
  rmSync(repository, { recursive: true, force: true });
}

// (d) the tree-sitter languages: bare parse against analysis and the whole review, few and many findings.
console.log(
  `\n(d) tree-sitter languages, ${LANGUAGE_FILES} generated files each: analysis and whole review over bare tree-sitter parse`,
);
process.stdout.write(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/languages.ts', String(LANGUAGE_FILES)], {
    encoding: 'utf8',
  }),
);

// (e) what a one-file review reads of the repository around it, by how far its delay is followed.
console.log('\n(e) repository reads of a one-file review');
process.stdout.write(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/reads.ts'], { encoding: 'utf8' }),
);

// (f) the git processes of a diff-mode review (`scan --base`), counted through a stand-in on PATH.
console.log('\n(f) git processes of a diff-mode review');
process.stdout.write(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/git-processes.ts'], { encoding: 'utf8' }),
);

// (g) real code nobody here wrote: the standard libraries of the toolchains installed on the machine.
console.log(
  `\n(g) real code: standard libraries of the installed toolchains (up to ${REAL_FILES} files each), bare tree-sitter parse against analysis and the whole review`,
);
process.stdout.write(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/real-code.ts', String(REAL_FILES)], {
    encoding: 'utf8',
  }),
);
