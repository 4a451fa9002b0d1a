import { createHash } from 'node:crypto';
import { Project, ts } from 'ts-morph';
import type { Language } from '../analysis/finding.js';
import { applyEdits, findOverlap, LineIndex } from './edits.js';
import type { TextEdit } from './types.js';
import { GRAMMAR_OF_LANGUAGE, reparseVerdict } from '../analysis/languages/tree-sitter/runtime.js';

export type ValidationResult = { valid: true; patched: string } | { valid: false; reason: string };

/**
 * Diagnostics that say nothing about the patch: modules cannot be resolved in an isolated check
 * (every import is unresolved, before and after), so their errors are ignored.
 */
const IGNORED_CODES = new Set([
  2307, // Cannot find module '…'
  2792, // Cannot find module '…'. Did you mean to set the 'moduleResolution' option …
  7016, // Could not find a declaration file for module '…'
]);

/**
 * The Node globals retry code uses, declared loosely so that a patch which adds `process.env` or a
 * `require` is not rejected for lack of @types/node (which an isolated check does not load).
 */
const AMBIENT_GLOBALS = `
declare var process: { env: Record<string, string | undefined> };
declare function require(id: string): any;
declare var module: { exports: any };
declare var exports: any;
declare function setTimeout(handler: (...args: any[]) => void, timeout?: number, ...args: any[]): any;
declare function clearTimeout(handle?: any): void;
declare var console: { log(...data: any[]): void; error(...data: any[]): void; warn(...data: any[]): void };
`;

const AMBIENT_PATH = '/jitterbot-ambient/globals.d.ts';
const CHECKED_DIRECTORY = '/jitterbot-check/';
/** Original files' diagnostics kept for reuse: one file often has several findings. */
const ORIGINAL_CACHE_SIZE = 32;

const originalCache = new Map<string, Map<string, Diagnostic>>();

interface Diagnostic {
  count: number;
  message: string;
  line: number;
}

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  // Every checked file is a module, so the original and the patched file share one program without
  // their top-level names colliding.
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts'],
  types: [],
  noResolve: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: true,
  checkJs: true,
  jsx: ts.JsxEmit.Preserve,
  strict: true,
  // Library types are unresolved, so callbacks lose their contextual types; an implicit `any`
  // parameter in a patch is not a defect of the patch.
  noImplicitAny: false,
};

/**
 * The files of the next check, and every standard-library file parsed once for the process. Each
 * check builds a program from the previous one, so the library's syntax trees are reused and a check
 * costs its own two files.
 */
const checkedFiles = new Map<string, ts.SourceFile>();
const libraryFiles = new Map<string, ts.SourceFile>();
let previousProgram: ts.Program | undefined;

/** Where ts-morph keeps the standard library in memory; the checks read it from there. */
const LIBRARY_FOLDER = '/node_modules/typescript/lib';

/**
 * The standard library's syntax trees, taken once from a ts-morph in-memory project (which bundles
 * the library files, so nothing is read from disk and nothing depends on a `typescript` install).
 */
function loadLibraries(): void {
  if (libraryFiles.size > 0) return;
  const project = new Project({
    useInMemoryFileSystem: true,
    skipLoadingLibFiles: false,
    compilerOptions: COMPILER_OPTIONS,
  });
  project.createSourceFile('/seed.ts', 'export {};');
  for (const file of project.getProgram().compilerObject.getSourceFiles()) {
    if (file.fileName.startsWith(`${LIBRARY_FOLDER}/`)) libraryFiles.set(file.fileName, file);
  }
}

const compilerHost: ts.CompilerHost = {
  getSourceFile: (fileName) => checkedFiles.get(fileName) ?? libraryFiles.get(fileName),
  getDefaultLibFileName: () => `${LIBRARY_FOLDER}/lib.d.ts`,
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

/**
 * Syntactic and semantic diagnostics of each text, checked as files named like `path`, keyed by code
 * and message: one program for all of them.
 */
function diagnosticsOfEach(path: string, texts: readonly string[]): Map<string, Diagnostic>[] {
  loadLibraries();
  const extension = extensionOf(path);
  checkedFiles.clear();
  checkedFiles.set(
    AMBIENT_PATH,
    ts.createSourceFile(AMBIENT_PATH, AMBIENT_GLOBALS, ts.ScriptTarget.ES2022, true),
  );
  const names = texts.map((text, index) => {
    const name = `${CHECKED_DIRECTORY}file${index}${extension}`;
    checkedFiles.set(
      name,
      ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true, scriptKind(extension)),
    );
    return name;
  });
  const program = ts.createProgram([AMBIENT_PATH, ...names], COMPILER_OPTIONS, compilerHost, previousProgram);
  previousProgram = program;
  return names.map((name, index) => {
    const node = program.getSourceFile(name);
    if (node === undefined) throw new Error('validate: checked file missing from the program');
    const lines = new LineIndex(texts[index]!);
    const result = new Map<string, Diagnostic>();
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
  });
}

/** The original's diagnostics (cached by content) and the patched file's, from one program. */
function diagnosticsBeforeAndAfter(
  path: string,
  original: string,
  patched: string,
): [Map<string, Diagnostic>, Map<string, Diagnostic>] {
  const key = createHash('sha256').update(extensionOf(path)).update('\0').update(original).digest('hex');
  const cached = originalCache.get(key);
  if (cached !== undefined) return [cached, diagnosticsOfEach(path, [patched])[0]!];
  const [before, after] = diagnosticsOfEach(path, [original, patched]) as [
    Map<string, Diagnostic>,
    Map<string, Diagnostic>,
  ];
  originalCache.set(key, before);
  if (originalCache.size > ORIGINAL_CACHE_SIZE) originalCache.delete(originalCache.keys().next().value!);
  return [before, after];
}

const CHECKED_LANGUAGES: ReadonlySet<Language> = new Set(['typescript', 'javascript']);

/**
 * Applies `edits` in memory and accepts the patch only when the result parses and the TypeScript
 * checker reports no diagnostic that the original file did not already have.
 */
export function validatePatch(
  path: string,
  language: Language,
  original: string,
  edits: readonly TextEdit[],
): ValidationResult {
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
  const [before, after] = diagnosticsBeforeAndAfter(path, original, patched);
  for (const [key, diagnostic] of after) {
    if (diagnostic.count > (before.get(key)?.count ?? 0)) {
      return {
        valid: false,
        reason: `the patched file has a new error on line ${diagnostic.line}: ${diagnostic.message}`,
      };
    }
  }
  return { valid: true, patched };
}
