import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RepoReader } from '../../src/platforms/types.js';
import { readProjectFacts } from '../../src/review/project-facts.js';
import { applyEdits } from '../../src/suggest/edits.js';
import { suggest } from '../../src/suggest/suggest.js';
import { allTables, languageTables, type LanguageTables } from '../analysis/languages.js';
import { loadPatchRows, type PatchRow } from '../analysis/patch-table.js';
import { loadTable, runCase, type RuleCase } from '../analysis/rule-table.js';
import { completeFragment, mcsErrors, stubMember } from './corpus/mcs.js';

/**
 * The patch corpus: every finding of every invalid row of a language's rule tables, and of every row
 * of its patch table, is patched as a review would patch it (its project facts read from the row's
 * files), and every patch the tool offers is checked by the language's own tool. Row code is a
 * fragment of a real project, so names it cannot resolve are errors before and after alike: a patch
 * fails only on errors the original lacks.
 */

export interface CorpusPatch {
  row: string;
  original: string;
  patched: string;
}

export interface Corpus {
  findings: number;
  patches: CorpusPatch[];
  /** Why the findings without an offered patch have none, with how many. */
  withheld: Map<string, number>;
}

/** A crate's manifest for rows that bring none: the review then writes rand 0.8 patches. */
const RUST_MANIFEST = '[package]\nname = "client"\n\n[dependencies]\nrand = "0.8"\n';

/**
 * The rows a corpus patches: every invalid row of the rule tables, and every row of the patch table,
 * whose build files decide which API the patch may use.
 */
function corpusRows(entry: LanguageTables): { table: string; row: RuleCase & Pick<PatchRow, 'strategy'> }[] {
  const patchTable = `fixtures/${entry.language}/patches.yml`;
  return [
    ...allTables(entry).flatMap((table) => (loadTable(table).invalid ?? []).map((row) => ({ table, row }))),
    ...(existsSync(new URL(`../../${patchTable}`, import.meta.url)) ? loadPatchRows(patchTable) : []).map(
      (row) => ({ table: patchTable, row }),
    ),
  ];
}

export async function buildCorpus(language: string): Promise<Corpus> {
  const entry = languageTables(language);
  const corpus: Corpus = { findings: 0, patches: [], withheld: new Map() };
  for (const { table, row } of corpusRows(entry)) {
    const path = row.filename ?? entry.defaultFilename;
    const files: Record<string, string> = {
      ...(language === 'rust' ? { 'Cargo.toml': RUST_MANIFEST } : {}),
      ...row.files,
      [path]: row.code,
    };
    const reader: RepoReader = {
      read: async (p) => files[p] ?? null,
      list: async () => Object.keys(files),
    };
    const findings = await runCase(row, entry.analyzer(), entry.defaultFilename);
    const projects = await readProjectFacts(reader, 'head', findings);
    for (const finding of findings) {
      corpus.findings += 1;
      const suggestion = suggest(finding, row.code, {
        strategy: row.strategy ?? 'full',
        capMs: 30_000,
        project: projects.get(finding.path),
      });
      if (suggestion.valid) {
        const patched = applyEdits(row.code, suggestion.edits);
        corpus.patches.push({ row: `${table}: ${row.name}`, original: row.code, patched });
      } else {
        const reason = suggestion.invalidReason.replace(/\bline \d+/, 'line N').replace(/\(.*\)$/, '(…)');
        corpus.withheld.set(reason, (corpus.withheld.get(reason) ?? 0) + 1);
      }
    }
  }
  return corpus;
}

/** Errors of each checked file, position-free so the original and the patched file compare. */
type Checker = (paths: readonly string[], directory: string) => Map<string, string[]>;

export interface Tool {
  /** The command whose presence the check needs. */
  command: string;
  extension: string;
  /** The file name a source must have (Java: its public class). */
  fileName?: (source: string) => string;
  check: Checker;
  /** A file the tool accepts, and a broken patch of it the tool must reject. */
  canary: { original: string; broken: string };
  /**
   * What a fragment lacks for the tool to check it past its declarations (C#: its `using`s, stubs of
   * the libraries it uses, C# 10 syntax it predates), found from the original and applied to both
   * sides alike.
   */
  complete?: (original: string, directory: string) => (source: string) => string;
  /** Patches the tool can check for syntax only (they use an API its own library lacks), and how. */
  syntaxOnly?: { applies: (patch: CorpusPatch) => boolean; why: string; check: Checker };
  /**
   * Errors a check of one file cannot judge: a library the project depends on is absent here (the
   * original already imports from it), and so is every name the patch takes from it.
   */
  unknowable?: (error: string, original: string, patched: string) => boolean;
}

export function installed(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}

function run(command: string, args: readonly string[], cwd?: string): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** `py_compile` of every file in one interpreter: a syntax error's kind and message, no position. */
const PY_COMPILE = `
import py_compile, sys
for path in sys.argv[1:]:
    try:
        py_compile.compile(path, doraise=True)
        print(path + "\\tok")
    except py_compile.PyCompileError as error:
        print(path + "\\t" + error.exc_type_name + ": " + str(error.exc_value.args[0] if error.exc_value.args else ""))
`;

function byPath(lines: string, paths: readonly string[]): Map<string, string[]> {
  const errors = new Map(paths.map((path) => [path, [] as string[]]));
  for (const line of lines.split('\n')) {
    const [path, ...rest] = line.split('\t');
    if (path === undefined || rest.length === 0 || rest[0] === 'ok') continue;
    errors.get(path)?.push(rest.join(' '));
  }
  return errors;
}

const JAVAC_CHECK = fileURLToPath(new URL('./corpus/JavacCheck.java', import.meta.url));
const RAND_STUB = fileURLToPath(new URL('./corpus/rand-stub.rs', import.meta.url));
const KOTLINC_CHECK = fileURLToPath(new URL('./corpus/KotlincCheck.java', import.meta.url));

/** The file a command on the PATH runs, links followed. */
function onPath(command: string): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * kotlinx.coroutines as Debian's libkotlinx-coroutines-java installs it, when it is there: most Kotlin
 * rows wait with its `delay`, whose argument is then type-checked too.
 */
const KOTLIN_LIBRARIES = [
  '/usr/share/java/kotlinx-coroutines-core.jar',
  '/usr/share/java/kotlinx-coroutines-core-common.jar',
];

/** Kotlin's home (its `bin/` holds kotlinc, its `lib/` the compiler's jars), from the kotlinc on the PATH. */
function kotlinHome(): string {
  const kotlinc = onPath('kotlinc');
  if (kotlinc === undefined) throw new Error('kotlinc is not on the PATH');
  return dirname(dirname(kotlinc));
}

export const TOOLS: Record<string, Tool> = {
  python: {
    command: 'python3',
    extension: '.py',
    canary: {
      original: 'import time\n\n\ndef f():\n    time.sleep(5)\n',
      broken: 'import time\n\n\ndef f():\n    time.sleep(random.uniform(0, 5)\n',
    },
    check: (paths) => byPath(run('python3', ['-c', PY_COMPILE, ...paths]).stdout, paths),
  },
  java: {
    command: 'javac',
    extension: '.java',
    fileName: (source) =>
      `${/\bpublic\s+(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+)/.exec(source)?.[1] ?? 'Snippet'}.java`,
    canary: {
      original: 'class Snippet {\n  void f() throws Exception {\n    Thread.sleep(1000L);\n  }\n}\n',
      broken:
        'class Snippet {\n  void f() throws Exception {\n    Thread.sleep(1000L * Math.random());\n  }\n}\n',
    },
    check: (paths) => byPath(run('java', [JAVAC_CHECK, ...paths]).stdout, paths),
    unknowable: (error, original, patched) => {
      const missing = /^compiler\.err\.doesnt\.exist package ([\w.]+) /.exec(error)?.[1];
      if (missing !== undefined) return libraryOf(original, missing);
      const name = /^compiler\.err\.cant\.resolve\S* cannot find symbol\s+symbol:\s+\w+\s+(\w+)/.exec(
        error,
      )?.[1];
      if (name === undefined) return false;
      const source = new RegExp(`^import\\s+([\\w.]+)\\.(?:${name}|\\*)\\s*;`, 'gm');
      return [...patched.matchAll(source)].some((match) => libraryOf(original, match[1]!));
    },
  },
  kotlin: {
    command: 'kotlinc',
    extension: '.kt',
    canary: {
      original: 'fun f() {\n    Thread.sleep(1000L)\n}\n',
      broken: 'fun f() {\n    Thread.sleep(1000L * Math.random())\n}\n',
    },
    // Every file compiled on its own in one JVM (a JVM per file would take minutes), by the compiler
    // the kotlinc on the PATH runs.
    check: (paths) => {
      const home = kotlinHome();
      const classpath = KOTLIN_LIBRARIES.filter((jar) => existsSync(jar)).join(delimiter);
      return byPath(
        run('java', ['-cp', join(home, 'lib', '*'), KOTLINC_CHECK, home, classpath, ...paths]).stdout,
        paths,
      );
    },
  },
  csharp: {
    command: 'mcs',
    extension: '.cs',
    canary: {
      original:
        'using System;\nusing System.Threading;\n\nclass Snippet {\n  void F() {\n    Thread.Sleep(1000);\n  }\n}\n',
      broken:
        'using System;\nusing System.Threading;\n\nclass Snippet {\n  void F() {\n    Thread.Sleep(1000 * new Random().NextDouble());\n  }\n}\n',
    },
    complete: completeFragment,
    check: (paths, directory) => mcsErrors(paths, directory),
    unknowable: stubMember,
    // Mono's class library is .NET Framework's, without .NET 6's `Random.Shared`.
    syntaxOnly: {
      applies: (patch) => count(patch.patched, 'Random.Shared') > count(patch.original, 'Random.Shared'),
      why: 'Random.Shared, which Mono lacks',
      check: (paths, directory) => mcsErrors(paths, directory, true),
    },
  },
  rust: {
    command: 'rustc',
    extension: '.rs',
    // Each file is a crate of its own (a file whose names all resolve is then type-checked too),
    // against a stub of rand's API.
    canary: {
      original:
        'use std::time::Duration;\n\npub fn f() {\n    std::thread::sleep(Duration::from_secs(1));\n}\n',
      broken:
        'use std::time::Duration;\n\npub fn f() {\n    std::thread::sleep(Duration::from_secs(1).mul_f64(rand::thread_rng().gen_range(0.0..=1.0)));\n}\n',
    },
    check: (paths, directory) => {
      const rand = join(directory, 'librand.rlib');
      run('rustc', [
        '--edition',
        '2021',
        '--crate-type',
        'rlib',
        '--crate-name',
        'rand',
        '-o',
        rand,
        RAND_STUB,
      ]);
      const common = [
        '--edition',
        '2021',
        '--crate-type',
        'lib',
        '--crate-name',
        'snippet',
        '--emit=metadata',
      ];
      const options = [...common, '--error-format=json', '--extern', `rand=${rand}`, '--out-dir', directory];
      return new Map(paths.map((path) => [path, rustErrors(run('rustc', [...options, path]).stderr)]));
    },
  },
  ruby: {
    command: 'ruby',
    extension: '.rb',
    canary: { original: 'def f\n  sleep(5)\nend\n', broken: 'def f\n  sleep(rand * 5\nend\n' },
    check: (paths) => new Map(paths.map((path) => [path, syntaxErrors(run('ruby', ['-c', path]).stderr)])),
  },
  go: {
    command: 'gofmt',
    extension: '.go',
    canary: {
      original: 'package main\n\nimport "time"\n\nfunc f() {\n\ttime.Sleep(time.Second)\n}\n',
      broken: 'package main\n\nimport "time"\n\nfunc f() {\n\ttime.Sleep(time.Second\n}\n',
    },
    check: (paths) =>
      new Map(paths.map((path) => [path, syntaxErrors(run('gofmt', ['-e', '-l', path]).stderr)])),
  },
};

/** rustc's errors (JSON diagnostics), as code and message. */
function rustErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; code: { code: string } | null; message: string })
    .filter((message) => message.level === 'error' && !message.message.startsWith('aborting due to'))
    .map((message) => `${message.code?.code ?? ''} ${message.message}`);
}

/** Whether the original file imports from the library (the first three package segments) of `pkg`. */
function libraryOf(original: string, pkg: string): boolean {
  const root = pkg.split('.').slice(0, 3).join('.');
  return new RegExp(`^import\\s+(?:static\\s+)?${root.replace(/\./g, '\\.')}\\.`, 'm').test(original);
}

/** A syntax checker's messages without their `file:line:col:` prefixes. */
function syntaxErrors(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/^[^:]*:\d+(?::\d+)?:\s*/, ''));
}

/**
 * The errors of `after` that `before` does not have. Compared as sets: a row is a fragment, and a
 * name it leaves unresolved stays unresolved however often a patch repeats it.
 */
function added(before: readonly string[], after: readonly string[]): string[] {
  const known = new Set(before);
  return [...new Set(after)].filter((error) => !known.has(error));
}

function count(text: string, fragment: string): number {
  return text.split(fragment).length - 1;
}

export interface CorpusCheck {
  /** Rows whose patch adds errors, with those errors. */
  failures: { row: string; errors: string[] }[];
  /** Patches whose original the tool accepts whole: checked in full, not only for what they add. */
  complete: number;
  /** Patches checked for syntax only (`Tool.syntaxOnly`). */
  syntaxOnly: number;
}

/** Checks every patch of the corpus with the tool. */
export function checkCorpus(tool: Tool, patches: readonly CorpusPatch[]): CorpusCheck {
  const directory = mkdtempSync(join(tmpdir(), `jitterbot-corpus-${tool.command}-`));
  const write = (index: number, side: string, source: string) => {
    const folder = join(directory, `${index}-${side}`);
    mkdirSync(folder);
    const path = join(folder, tool.fileName?.(source) ?? `snippet${tool.extension}`);
    writeFileSync(path, source);
    return path;
  };
  const pairs = patches.map((patch, index) => {
    const complete = tool.complete?.(patch.original, directory) ?? ((source: string) => source);
    return {
      patch,
      syntaxOnly: tool.syntaxOnly?.applies(patch) ?? false,
      before: write(index, 'original', complete(patch.original)),
      after: write(index, 'patched', complete(patch.patched)),
    };
  });
  const files = (syntaxOnly: boolean) =>
    pairs.filter((pair) => pair.syntaxOnly === syntaxOnly).flatMap((pair) => [pair.before, pair.after]);
  const errors = new Map([
    ...tool.check(files(false), directory),
    ...(tool.syntaxOnly?.check(files(true), directory) ?? []),
  ]);
  const failures = pairs
    .map(({ patch, before, after }) => {
      const fresh = added(errors.get(before) ?? [], errors.get(after) ?? []);
      const judged = fresh.filter((error) => !tool.unknowable?.(error, patch.original, patch.patched));
      return { row: patch.row, errors: judged };
    })
    .filter((failure) => failure.errors.length > 0);
  const complete = pairs.filter(
    (pair) => !pair.syntaxOnly && (errors.get(pair.before) ?? []).length === 0,
  ).length;
  return { failures, complete, syntaxOnly: pairs.filter((pair) => pair.syntaxOnly).length };
}
