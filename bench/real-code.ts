/**
 * Real code nobody here wrote: the standard libraries of the toolchains installed on the machine (Go's
 * `src`, Python's and Ruby's libraries, the JDK's `src.zip`, Rust's `rust-src`), copied to a temporary
 * directory with tests and bundled packages left out, and measured like the generated corpora: bare
 * tree-sitter parse, analysis and the whole review, each in its own process (bench/measure.ts). Real
 * trees differ from generated ones where it costs: large files, deep expressions, big packages, and
 * modules every file imports. A language whose sources are not installed is skipped, and says so.
 *   npx tsx bench/real-code.ts [max-files] [go|python|ruby|java|rust]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { measureEach, ratio, type Measurement } from './processes.js';

const MAX_FILES = Number(process.argv[2] ?? 3_000);
const ONLY = process.argv[3];

/** Directories that are not the library itself: tests, fixtures, third-party packages, tools. */
const LEFT_OUT =
  /^(site-packages|dist-packages|test|tests|testdata|testing|idlelib|lib2to3|vendor|cmd|__pycache__)$/;

interface Source {
  language: string;
  extension: string;
  /** The installed sources, copied into `into`; a reason when there are none. */
  copy(into: string): string | null;
}

function run(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

/** Copies up to MAX_FILES files ending in `extension` from `root`, in path order; returns how many. */
function copyTree(root: string, into: string, extension: string): number {
  let copied = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (copied >= MAX_FILES) return;
      const path = join(dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) {
        if (!LEFT_OUT.test(name)) walk(path);
      } else if (stat.isFile() && name.endsWith(extension)) {
        const target = join(into, relative(root, path));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(path, target);
        copied += 1;
      }
    }
  };
  walk(root);
  return copied;
}

function fromDirectory(language: string, extension: string, locate: () => string | null): Source {
  return {
    language,
    extension,
    copy(into) {
      const root = locate();
      if (!root || !existsSync(root)) return null;
      copyTree(root, into, extension);
      return root;
    },
  };
}

/** The first JDK `lib/src.zip` that exists: `java.base`'s `java.*` packages and the HTTP client. */
function jdkSources(into: string): string | null {
  const home = /java\.home = (.+)/.exec(run('java', ['-XshowSettings:properties', '-version']) ?? '')?.[1];
  const jvms = existsSync('/usr/lib/jvm')
    ? readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d))
    : [];
  const zip = [home, ...jvms]
    .filter((dir): dir is string => !!dir)
    .map((dir) => join(dir, 'lib', 'src.zip'))
    .find((path) => existsSync(path));
  if (!zip || run('unzip', ['-v']) === null) return null;
  const unpacked = mkdtempSync(join(tmpdir(), 'jitterbot-bench-jdk-'));
  try {
    if (run('unzip', ['-q', '-o', zip, 'java.base/java/*', 'java.net.http/*', '-d', unpacked]) === null)
      return null;
    copyTree(unpacked, into, '.java');
    return zip;
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

const SOURCES: Source[] = [
  fromDirectory('go', '.go', () => {
    const root = run('go', ['env', 'GOROOT']);
    return root ? join(root, 'src') : null;
  }),
  fromDirectory('python', '.py', () =>
    run('python3', ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])']),
  ),
  fromDirectory('ruby', '.rb', () => run('ruby', ['-e', 'print RbConfig::CONFIG["rubylibdir"]'])),
  { language: 'java', extension: '.java', copy: jdkSources },
  fromDirectory('rust', '.rs', () => {
    const sysroot = run('rustc', ['--print', 'sysroot']);
    return sysroot ? join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library') : null;
  }),
];

const work = (m: Measurement) => m.cpuSeconds - m.startCpuSeconds;

console.log(
  `  ${'language'.padEnd(8)} ${'files'.padStart(5)} findings  parse s  CPU: analysis  review  (after start-up: review)  RSS: parse  review (ratio)`,
);
for (const source of SOURCES.filter((s) => !ONLY || s.language === ONLY)) {
  const dir = mkdtempSync(join(tmpdir(), `jitterbot-bench-real-${source.language}-`));
  try {
    const from = source.copy(dir);
    if (!from) {
      console.log(`  ${source.language.padEnd(8)} skipped: no ${source.language} sources installed`);
      continue;
    }
    const { parse, detect, review } = measureEach(dir);
    console.log(
      `  ${source.language.padEnd(8)} ${String(review.files).padStart(5)} ${String(review.findings).padStart(8)}  ${parse.cpuSeconds.toFixed(2).padStart(7)}      ${ratio(detect.cpuSeconds, parse.cpuSeconds)}  ${ratio(review.cpuSeconds, parse.cpuSeconds)}                   ${ratio(work(review), work(parse))}       ${parse.peakRssMb.toFixed(0).padStart(6)} MB ${review.peakRssMb.toFixed(0).padStart(4)} MB (${ratio(review.peakRssMb, parse.peakRssMb).trim()})   ${from}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
