import { createHash } from 'node:crypto';
import { Project, ts } from 'ts-morph';
import type { Language } from '../analysis/finding.js';
import { applyEdits, findOverlap, LineIndex } from './edits.js';
import type { TextEdit } from './types.js';
import { GRAMMAR_OF_LANGUAGE, reparseVerdict } from '../analysis/languages/tree-sitter/runtime.js';

export type ValidationResult = { valid: true; patched: string } | { valid: false; reason: string };

/**
 * Diagnostics that say nothing about the patch: modules cannot be resolved in an isolated check
 * (every import is unresolved, before and after), so their errors are ignored, and so are parameters
 * that lose their contextual type with them (a callback handed to an unresolved library).
 */
const IGNORED_CODES = new Set([
  2307, // Cannot find module '…'
  2792, // Cannot find module '…'. Did you mean to set the 'moduleResolution' option …
  7016, // Could not find a declaration file for module '…'
  7006, // Parameter '…' implicitly has an 'any' type.
  7031, // Binding element '…' implicitly has an 'any' type.
]);

/**
 * The Node globals retry code uses, declared loosely so that a patch which adds `process.env` or a
 * `require` is not rejected for lack of @types/node (which an isolated check does not load). The
 * others (`fetch`, `Buffer`, timers) are there because most Node files name one: without them every
 * such file has an error before and after its patch, and its original must be checked too to tell
 * the patch did not add it. Functions merge with a library's declarations as overloads.
 */
const AMBIENT_GLOBALS = `
declare var process: { env: Record<string, string | undefined> };
declare function require(id: string): any;
declare var module: { exports: any };
declare var exports: any;
declare var __dirname: string;
declare var __filename: string;
declare var Buffer: any;
declare function fetch(input: any, init?: any): Promise<any>;
declare function setTimeout(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): any;
declare function clearTimeout(handle?: any): void;
declare function setInterval(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): any;
declare function clearInterval(handle?: any): void;
declare function setImmediate(handler: (...args: any[]) => void, ...args: any[]): any;
declare function queueMicrotask(callback: () => void): void;
declare var console: { log(...data: any[]): void; error(...data: any[]): void; warn(...data: any[]): void };
`;

const AMBIENT_PATH = '/jitterbot-ambient/globals.d.ts';
const CHECKED_DIRECTORY = '/jitterbot-check/';
/** Original files' diagnostics kept for reuse: one file often has several findings. */
const ORIGINAL_CACHE_SIZE = 32;

const originalCache = new Map<string, Diagnostics>();

interface Diagnostic {
  count: number;
  message: string;
  line: number;
}

/**
 * How every file is checked, whatever its project says: alone (no module resolution, no @types),
 * as a module (so the original and the patched file share one program without their top-level
 * names colliding), and JavaScript too (a patch naming an undefined variable is broken in any
 * project).
 */
const ISOLATED: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: [],
  noResolve: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: true,
  checkJs: true,
};

/**
 * Without a tsconfig: a modern target and strict checks, but no implicit-`any` errors (library
 * types are unresolved, so much of the code has no declared types to check against).
 */
const WITHOUT_TSCONFIG: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  strict: true,
  noImplicitAny: false,
};

/**
 * The files of the next check, and every standard-library file parsed once for the process. Each
 * check builds a program from the previous one, so the library's syntax trees are reused and a check
 * costs its own two files.
 */
const checkedFiles = new Map<string, ts.SourceFile>();
const libraryFiles = new Map<string, ts.SourceFile>();
/** The `lib`/`target` combinations whose library files are already in `libraryFiles`. */
const loadedLibraries = new Set<string>();
let previousProgram: ts.Program | undefined;

/** Where ts-morph keeps the standard library in memory; the checks read it from there. */
const LIBRARY_FOLDER = '/node_modules/typescript/lib';

/**
 * The standard library `options` name, taken from a ts-morph in-memory project (which bundles the
 * library files, so nothing is read from disk and nothing depends on a `typescript` install); each
 * file is parsed once for the process, whichever projects name it.
 */
function loadLibraries(options: ts.CompilerOptions): void {
  const key = JSON.stringify([options.lib, options.target]);
  if (loadedLibraries.has(key)) return;
  loadedLibraries.add(key);
  const project = new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: false,
    compilerOptions: options,
  });
  project.createSourceFile('/seed.ts', 'export {};');
  for (const file of project.getProgram().compilerObject.getSourceFiles()) {
    if (file.fileName.startsWith(`${LIBRARY_FOLDER}/`) && !libraryFiles.has(file.fileName))
      libraryFiles.set(file.fileName, file);
  }
}

const compilerHost: ts.CompilerHost = {
  getSourceFile: (fileName) => checkedFiles.get(fileName) ?? libraryFiles.get(fileName),
  getDefaultLibFileName: (options) => `${LIBRARY_FOLDER}/${ts.getDefaultLibFileName(options)}`,
  writeFile: () => undefined,
  getCurrentDirectory: () => '/',
  getDirectories: () => [],
  fileExists: (fileName) => checkedFiles.has(fileName) || libraryFiles.has(fileName),
  readFile: (fileName) => (checkedFiles.get(fileName) ?? libraryFiles.get(fileName))?.text,
  getCanonicalFileName: (fileName) => fileName,
  useCaseSensitiveFileNames: () => true,
  getNewLine: () => '\n',
};

function extensionOf(path: string): string {
  const match = /\.(tsx|ts|mts|cts|jsx|js|mjs|cjs)$/i.exec(path);
  return match === null ? '.ts' : `.${match[1]!.toLowerCase()}`;
}

function scriptKind(extension: string): ts.ScriptKind {
  if (extension === '.tsx') return ts.ScriptKind.TSX;
  if (extension === '.jsx') return ts.ScriptKind.JSX;
  return /js$/.test(extension) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
}

/** A text to check, under a name ending like `path`'s. */
interface CheckedText {
  path: string;
  text: string;
}

type Diagnostics = Map<string, Diagnostic>;

/**
 * One program holding every text; what it returns gives the syntactic and semantic diagnostics of
 * the text at an index, keyed by code and message. The checker checks a file only when asked.
 */
function programOf(
  files: readonly CheckedText[],
  options: ts.CompilerOptions,
): (index: number) => Diagnostics {
  loadLibraries(options);
  const target = options.target ?? ts.ScriptTarget.ES2022;
  checkedFiles.clear();
  checkedFiles.set(AMBIENT_PATH, ts.createSourceFile(AMBIENT_PATH, AMBIENT_GLOBALS, target, true));
  const names = files.map(({ path, text }, index) => {
    const extension = extensionOf(path);
    const name = `${CHECKED_DIRECTORY}file${index}${extension}`;
    checkedFiles.set(name, ts.createSourceFile(name, text, target, true, scriptKind(extension)));
    return name;
  });
  const program = ts.createProgram([AMBIENT_PATH, ...names], options, compilerHost, previousProgram);
  previousProgram = program;
  return (index) => diagnosticsOf(program, names[index]!, files[index]!.text);
}

function diagnosticsOf(program: ts.Program, name: string, text: string): Diagnostics {
  const node = program.getSourceFile(name);
  if (node === undefined) throw new Error('validate: checked file missing from the program');
  const lines = new LineIndex(text);
  const result: Diagnostics = new Map();
  const all = [...program.getSyntacticDiagnostics(node), ...program.getSemanticDiagnostics(node)];
  for (const diagnostic of all) {
    if (IGNORED_CODES.has(diagnostic.code)) continue;
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    const key = `${diagnostic.code}:${message}`;
    const existing = result.get(key);
    if (existing !== undefined) existing.count += 1;
    else result.set(key, { count: 1, message, line: lines.lineOf(diagnostic.start ?? 0) });
  }
  return result;
}

/** A TypeScript or JavaScript patch waiting for its type-check. */
interface PendingCheck {
  path: string;
  original: string;
  patched: string;
  options: ts.CompilerOptions;
}

/**
 * Declarations that reach outside their own module (global augmentations, ambient modules, UMD
 * globals, triple-slash references): a file holding one could change how the other files of a shared
 * program check, so its patch is checked in a program of its own.
 */
const REACHES_OUTSIDE =
  /\bdeclare\s+(?:global|module)\b|\bexport\s+as\s+namespace\b|^\s*\/\/\/\s*<reference\b/m;
/**
 * Patches checked in one program, so the checker and its view of the standard library are built once
 * for many; bounded in text too, since a program keeps every checked file's types until it is dropped.
 */
const CHECKS_PER_PROGRAM = 100;
const CHARACTERS_PER_PROGRAM = 1024 * 1024;

/**
 * The original's and the patched file's diagnostics of each check. Every file is a module and nothing
 * resolves across files, so checks with the same options share a program unless a file reaches
 * outside its module.
 */
function diagnosticsOfChecks(checks: readonly PendingCheck[]): [Diagnostics, Diagnostics][] {
  const results: [Diagnostics, Diagnostics][] = [];
  const groups = new Map<string, number[]>();
  checks.forEach((check, index) => {
    const shared = !REACHES_OUTSIDE.test(check.original) && !REACHES_OUTSIDE.test(check.patched);
    const group = shared ? JSON.stringify(check.options) : `alone ${index}`;
    const members = groups.get(group);
    if (members) members.push(index);
    else groups.set(group, [index]);
  });
  for (const members of groups.values()) {
    for (const chunk of chunks(members, (index) => checks[index]!.original.length)) {
      checkTogether(chunk.map((index) => checks[index]!)).forEach(
        (pair, offset) => (results[chunk[offset]!] = pair),
      );
    }
  }
  return results;
}

/** Consecutive runs of `members` within both bounds of one program (a member over them goes alone). */
function chunks(members: readonly number[], size: (index: number) => number): number[][] {
  const result: number[][] = [];
  let current: number[] = [];
  let characters = 0;
  for (const index of members) {
    const more = size(index);
    if (
      current.length >= CHECKS_PER_PROGRAM ||
      (current.length > 0 && characters + more > CHARACTERS_PER_PROGRAM)
    ) {
      result.push(current);
      current = [];
      characters = 0;
    }
    current.push(index);
    characters += more;
  }
  if (current.length > 0) result.push(current);
  return result;
}

const NOTHING: Diagnostics = new Map();

/**
 * One program for a chunk of checks: each patched file, and each original not already known (once
 * per text: findings of one file share it). An original is checked only when its patched file has a
 * diagnostic to compare with; a patched file without any is valid whatever the original had.
 */
function checkTogether(chunk: readonly PendingCheck[]): [Diagnostics, Diagnostics][] {
  const files: CheckedText[] = chunk.map(({ path, patched }) => ({ path, text: patched }));
  // Each original's diagnostics when known, else the index of its text in the program.
  const originals = new Map<string, Diagnostics | number>();
  const keys = chunk.map((check) => {
    const key = originalKey(check);
    if (originals.has(key)) return key;
    const cached = originalCache.get(key);
    originals.set(key, cached ?? files.length);
    if (cached === undefined) files.push({ path: check.path, text: check.original });
    return key;
  });
  const diagnose = programOf(files, chunk[0]!.options);
  return chunk.map((_, index) => {
    const after = diagnose(index);
    if (after.size === 0) return [NOTHING, after];
    const key = keys[index]!;
    const known = originals.get(key)!;
    if (typeof known !== 'number') return [known, after];
    const before = diagnose(known);
    originals.set(key, before);
    remember(key, before);
    return [before, after];
  });
}

function originalKey(check: PendingCheck): string {
  return createHash('sha256')
    .update(extensionOf(check.path))
    .update('\0')
    .update(JSON.stringify(check.options))
    .update('\0')
    .update(check.original)
    .digest('hex');
}

function remember(key: string, diagnostics: Diagnostics): void {
  originalCache.set(key, diagnostics);
  if (originalCache.size > ORIGINAL_CACHE_SIZE) originalCache.delete(originalCache.keys().next().value!);
}

const CHECKED_LANGUAGES: ReadonlySet<Language> = new Set(['typescript', 'javascript']);

/** One patch to validate: `edits` to `original`, the text of the file at `path`. */
export interface PatchRequest {
  path: string;
  language: Language;
  original: string;
  edits: readonly TextEdit[];
  /** The project's own tsconfig options, when known (`ProjectFacts.typescript`). */
  checking?: ts.CompilerOptions;
}

/**
 * Applies `edits` in memory and accepts the patch only when the result parses and the TypeScript
 * checker reports no diagnostic that the original file did not already have, checking with the
 * project's own tsconfig options when they are known. The comparison covers the whole file, not only
 * the edited lines: a patch can break a line it does not touch (a declaration it leaves unused under
 * `noUnusedLocals`). The TypeScript checks of all requests run together (see `diagnosticsOfChecks`).
 */
export function validatePatches(requests: readonly PatchRequest[]): ValidationResult[] {
  const results: (ValidationResult | PendingCheck)[] = requests.map(verdictBeforeChecking);
  const pending = results.filter((result): result is PendingCheck => !('valid' in result));
  const checked = new Map(pending.map((check, index) => [check, index]));
  const diagnostics = diagnosticsOfChecks(pending);
  return results.map((result) => {
    if ('valid' in result) return result;
    const [before, after] = diagnostics[checked.get(result)!]!;
    return newErrorIn(before, after) ?? { valid: true, patched: result.patched };
  });
}

/** One patch: `validatePatches` of one request. */
export function validatePatch(
  path: string,
  language: Language,
  original: string,
  edits: readonly TextEdit[],
  checking?: ts.CompilerOptions,
): ValidationResult {
  return validatePatches([{ path, language, original, edits, checking }])[0]!;
}

/** The verdict of everything but the type-check, or the type-check still to run. */
function verdictBeforeChecking(request: PatchRequest): ValidationResult | PendingCheck {
  const { path, language, original, edits, checking } = request;
  const overlap = findOverlap(edits);
  if (overlap !== null) return { valid: false, reason: 'the patch edits the same text twice' };
  if (edits.some((edit) => edit.start < 0 || edit.end > original.length || edit.end < edit.start)) {
    return { valid: false, reason: 'the patch reaches outside the file' };
  }
  const patched = applyEdits(original, edits);
  if (patched === original) return { valid: false, reason: 'the patch changes nothing' };
  // Tree-sitter languages: the patched file must parse without new ERROR or MISSING nodes.
  const grammar = GRAMMAR_OF_LANGUAGE[language];
  if (grammar !== undefined) {
    const verdict = reparseVerdict(grammar, original, patched);
    return verdict.valid ? { valid: true, patched } : verdict;
  }
  if (!CHECKED_LANGUAGES.has(language)) {
    return { valid: false, reason: `patches for ${language} cannot be checked yet` };
  }
  // JSX is kept as written unless the project says how to compile it.
  const options = { jsx: ts.JsxEmit.Preserve, ...(checking ?? WITHOUT_TSCONFIG), ...ISOLATED };
  return { path, original, patched, options };
}

function newErrorIn(before: Diagnostics, after: Diagnostics): ValidationResult | null {
  for (const [key, diagnostic] of after) {
    if (diagnostic.count > (before.get(key)?.count ?? 0)) {
      return {
        valid: false,
        reason: `the patched file has a new error on line ${diagnostic.line}: ${diagnostic.message}`,
      };
    }
  }
  return null;
}
