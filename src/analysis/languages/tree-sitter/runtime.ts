import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import treeSitter from '@vscode/tree-sitter-wasm';
import type {
  Edit,
  Language,
  Node,
  Parser,
  Point,
  Query,
  QueryCapture,
  QueryMatch,
  Tree,
} from '@vscode/tree-sitter-wasm';
import { UnanalysableFile } from '../../analyzer.js';
import type { Language as FindingLanguage, SourceRange } from '../../finding.js';

/**
 * The one tree-sitter runtime of the process: the WASM engine and its grammars (prebuilt in
 * `@vscode/tree-sitter-wasm`, nothing downloaded or compiled at run time) load lazily, once each;
 * one parser per grammar is reused; queries compile once; every parse has a time limit.
 *
 * Trees live in WASM memory, which the JavaScript garbage collector does not see: whoever parses
 * deletes. Prefer `withTree`, which deletes in `finally`. A `Node` of a deleted tree must not be
 * touched again, so analyses copy out what they need (text, ranges) before the tree goes.
 */

export type { Language, Node, Query, QueryCapture, QueryMatch, Tree } from '@vscode/tree-sitter-wasm';

/**
 * Grammars that jitterbot analyses, as module specifiers of their prebuilt `.wasm` (resolved in the
 * installed package, never fetched or compiled). Most ship in `@vscode/tree-sitter-wasm`; Kotlin comes
 * from `@tree-sitter-grammars/tree-sitter-kotlin`, whose `.wasm` is all that is used (its native
 * binding is neither loaded nor built: package.json denies its install script).
 */
export const GRAMMAR_FILES = {
  python: '@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
  go: '@vscode/tree-sitter-wasm/wasm/tree-sitter-go.wasm',
  ruby: '@vscode/tree-sitter-wasm/wasm/tree-sitter-ruby.wasm',
  java: '@vscode/tree-sitter-wasm/wasm/tree-sitter-java.wasm',
  rust: '@vscode/tree-sitter-wasm/wasm/tree-sitter-rust.wasm',
  csharp: '@vscode/tree-sitter-wasm/wasm/tree-sitter-c-sharp.wasm',
  kotlin: '@tree-sitter-grammars/tree-sitter-kotlin/tree-sitter-kotlin.wasm',
} as const;

export type GrammarName = keyof typeof GRAMMAR_FILES;

/** The grammar a finding's language is parsed with, for re-parsing patches. */
export const GRAMMAR_OF_LANGUAGE: Partial<Record<FindingLanguage, GrammarName>> = {
  python: 'python',
  go: 'go',
  ruby: 'ruby',
  java: 'java',
  rust: 'rust',
  csharp: 'csharp',
  kotlin: 'kotlin',
};

/**
 * Longest a single parse may run. Hand-written files parse in milliseconds (about 10 MB/s); a file
 * that takes longer is hostile or generated, and is skipped rather than allowed to stall a scan.
 */
export const PARSE_TIME_LIMIT_MS = 2_000;

/** Longest one query may run over one tree, for the same reason. */
export const QUERY_TIME_LIMIT_MS = 2_000;

const MICROS_PER_MS = 1_000;

const requireFromHere = createRequire(import.meta.url);

let engine: Promise<void> | undefined;
const languages = new Map<GrammarName, Promise<Language>>();
const loaded = new Map<GrammarName, Language>();
const parsers = new Map<GrammarName, Parser>();
/**
 * Compiled queries per grammar, keyed by the `Language` object itself: grammars of ABI 14 (Ruby,
 * Java, Kotlin) have no name, so a name key would hand one grammar's query to another's tree.
 */
const queries = new Map<Language, Map<string, Query>>();

/** Starts the WASM engine once per process; later calls share the same promise. */
function initEngine(): Promise<void> {
  engine ??= treeSitter.Parser.init();
  return engine;
}

/** Path of a grammar's `.wasm` inside the installed package (resolved, never fetched). */
function grammarPath(name: GrammarName): string {
  return requireFromHere.resolve(GRAMMAR_FILES[name]);
}

/**
 * The grammar `name`, loading the engine and the grammar on first use. Concurrent callers share one
 * load; a failed load is forgotten so that a later call can try again.
 */
export function loadLanguage(name: GrammarName): Promise<Language> {
  let pending = languages.get(name);
  if (!pending) {
    pending = initEngine()
      .then(() => treeSitter.Language.load(grammarPath(name)))
      .then((language) => {
        loaded.set(name, language);
        return language;
      });
    pending.catch(() => languages.delete(name));
    languages.set(name, pending);
  }
  return pending;
}

/**
 * The grammar when it has already been loaded, else null. For synchronous callers (patch validation,
 * `jitterHelpers`) that run after the same language's files were analysed.
 */
export function loadedLanguage(name: GrammarName): Language | null {
  return loaded.get(name) ?? null;
}

/** A parse that ran out of time: the file is listed as skipped, the scan goes on. */
export class ParseTimeExceeded extends UnanalysableFile {
  constructor(limitMs: number) {
    super(`parsing took longer than ${limitMs} ms`);
  }
}

export interface ParseOptions {
  /** Defaults to `PARSE_TIME_LIMIT_MS`. */
  timeLimitMs?: number;
  /** The tree of an earlier text, already edited to match this one: only what changed is parsed again. */
  previous?: Tree;
}

function parserFor(name: GrammarName, language: Language): Parser {
  let parser = parsers.get(name);
  if (!parser) {
    parser = new treeSitter.Parser();
    parser.setLanguage(language);
    parsers.set(name, parser);
  }
  return parser;
}

/**
 * Parses `text` with an already loaded grammar. Parsing is synchronous, so one parser per grammar
 * serves every caller. Throws `ParseTimeExceeded` when the time limit is reached; the caller owns the
 * returned tree and must `delete()` it.
 */
export function parseLoaded(
  name: GrammarName,
  language: Language,
  text: string,
  options: ParseOptions = {},
): Tree {
  const limitMs = options.timeLimitMs ?? PARSE_TIME_LIMIT_MS;
  const parser = parserFor(name, language);
  const deadline = performance.now() + limitMs;
  // The engine calls back every few hundred parse steps; returning true cancels the parse.
  const progressCallback = (() => performance.now() > deadline) as unknown as (state: unknown) => void;
  const tree = parser.parse(text, options.previous ?? null, { progressCallback });
  if (!tree) {
    // A cancelled parser resumes where it stopped unless reset; the next file must start afresh.
    parser.reset();
    throw new ParseTimeExceeded(limitMs);
  }
  return tree;
}

/** Parses `text` with grammar `name`, loading it on first use. The caller must `delete()` the tree. */
export async function parse(name: GrammarName, text: string, options: ParseOptions = {}): Promise<Tree> {
  const language = await loadLanguage(name);
  return parseLoaded(name, language, text, options);
}

/**
 * Parses, runs `use`, and frees the tree whatever happens, unless `handOverWhen` says the result
 * will bring the review back to this text (it found something): then the tree waits for the review
 * (`handOver`). Nodes must not escape `use`.
 */
export async function withTree<T>(
  name: GrammarName,
  text: string,
  use: (tree: Tree) => T | Promise<T>,
  options: ParseOptions & { handOverWhen?: (result: T) => boolean } = {},
): Promise<T> {
  const tree = await parse(name, text, options);
  let kept = false;
  try {
    const result = await use(tree);
    kept = options.handOverWhen?.(result) === true && handOver(name, text, tree);
    return result;
  } finally {
    if (!kept) tree.delete();
  }
}

/**
 * A compiled query, cached per grammar and source text for the life of the process (queries are
 * immutable and cost far more to compile than to run). The grammar must be loaded.
 */
export function compileQuery(language: Language, source: string): Query {
  let ofLanguage = queries.get(language);
  if (!ofLanguage) {
    ofLanguage = new Map();
    queries.set(language, ofLanguage);
  }
  let query = ofLanguage.get(source);
  if (!query) {
    query = new treeSitter.Query(language, source);
    ofLanguage.set(source, query);
  }
  return query;
}

/** Every capture of `source` under `node`, in document order, within the query time limit. */
export function captures(node: Node, source: string, timeLimitMs = QUERY_TIME_LIMIT_MS): QueryCapture[] {
  return compileQuery(node.tree.language, source).captures(node, {
    timeoutMicros: timeLimitMs * MICROS_PER_MS,
  });
}

/** Every match of `source` under `node`, within the query time limit. */
export function matches(node: Node, source: string, timeLimitMs = QUERY_TIME_LIMIT_MS): QueryMatch[] {
  return compileQuery(node.tree.language, source).matches(node, {
    timeoutMicros: timeLimitMs * MICROS_PER_MS,
  });
}

/**
 * A node's range in the convention of `SourceRange` (the TS analyzer's): 1-based lines and columns,
 * 0-based offsets, end exclusive. The JavaScript binding parses UTF-16, so indexes and columns are
 * already UTF-16 code units, the same units as JavaScript string offsets.
 */
export function rangeOf(node: Node): SourceRange {
  const start = node.startPosition;
  const end = node.endPosition;
  return {
    startLine: start.row + 1,
    startColumn: start.column + 1,
    endLine: end.row + 1,
    endColumn: end.column + 1,
    startOffset: node.startIndex,
    endOffset: node.endIndex,
  };
}

/** ERROR and MISSING nodes in a tree: the parser's way of saying the text is not valid syntax. */
export function syntaxErrorCount(tree: Tree): number {
  if (!tree.rootNode.hasError) return 0;
  let count = 0;
  const cursor = tree.walk();
  try {
    // Iterative pre-order walk that only descends into subtrees containing an error.
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) count += 1;
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) return count;
      }
    }
  } finally {
    cursor.delete();
  }
}

export type ReparseVerdict = { valid: true } | { valid: false; reason: string };

/**
 * Trees parsed after analysis, by grammar and text, most recently used last. A rewrite and the check of
 * its patch parse the same file several times (once per lookup, once per verdict, once per finding of
 * the file), so the few texts in use are parsed once each.
 */
const RECENT_TREES = 8;

interface RecentTree {
  tree: Tree;
  /** Callers inside `use` right now: their tree is never evicted from under them. */
  users: number;
  errors?: number;
}

const recentTrees = new Map<GrammarName, Map<string, RecentTree>>();

/**
 * Trees of analysed files with findings, handed over by the analysis instead of deleted: the review
 * rewrites and checks those same files next, and would otherwise parse each one again. Bounded by
 * their texts' size (a tree takes some twenty times its text in WASM memory), oldest dropped first.
 */
const HANDED_OVER_CHARACTERS = 1024 * 1024;
/** By grammar and text (one key, so the oldest of all grammars goes first). */
const handedOver = new Map<string, { tree: Tree; characters: number }>();
let handedOverCharacters = 0;

function handOver(name: GrammarName, text: string, tree: Tree): boolean {
  if (text.length > HANDED_OVER_CHARACTERS) return false;
  const key = `${name}\0${text}`;
  takeHandedOver(key)?.delete();
  handedOver.set(key, { tree, characters: text.length });
  handedOverCharacters += text.length;
  for (const [oldest] of handedOver) {
    if (handedOverCharacters <= HANDED_OVER_CHARACTERS) break;
    takeHandedOver(oldest)?.delete();
  }
  return true;
}

/** The tree handed over for `key`, now the caller's to delete; null when there is none. */
function takeHandedOver(key: string): Tree | null {
  const entry = handedOver.get(key);
  if (!entry) return null;
  handedOver.delete(key);
  handedOverCharacters -= entry.characters;
  return entry.tree;
}

/** A text whose tree a nearby text can be parsed from. */
interface Parsed {
  tree: Tree;
  text: string;
}

function recentTree(name: GrammarName, language: Language, text: string, from?: Parsed): RecentTree {
  let trees = recentTrees.get(name);
  if (!trees) recentTrees.set(name, (trees = new Map()));
  const hit = trees.get(text);
  if (hit) {
    trees.delete(text);
    trees.set(text, hit);
    return hit;
  }
  const tree =
    takeHandedOver(`${name}\0${text}`) ??
    (from ? parseEdited(name, language, from, text) : parseLoaded(name, language, text));
  const entry: RecentTree = { tree, users: 0 };
  trees.set(text, entry);
  for (const [key, old] of trees) {
    if (trees.size <= RECENT_TREES) break;
    if (old.users > 0 || old === entry) continue;
    trees.delete(key);
    old.tree.delete();
  }
  return entry;
}

/**
 * `text` parsed incrementally from the tree of `from.text`: the one edit between the two texts (their
 * common prefix and suffix kept) is applied to a copy of that tree, so the parser reuses every subtree
 * the edit did not touch.
 */
function parseEdited(name: GrammarName, language: Language, from: Parsed, text: string): Tree {
  const edited = from.tree.copy();
  try {
    edited.edit(editBetween(from.text, text));
    return parseLoaded(name, language, text, { previous: edited });
  } finally {
    edited.delete();
  }
}

/** The single edit turning `before` into `after`, in UTF-16 code units as the binding counts them. */
function editBetween(before: string, after: string): Edit {
  const shorter = Math.min(before.length, after.length);
  let start = 0;
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start += 1;
  let tail = 0;
  while (
    tail < shorter - start &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  )
    tail += 1;
  const oldEnd = before.length - tail;
  const newEnd = after.length - tail;
  return {
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(before, start),
    oldEndPosition: pointAt(before, oldEnd),
    newEndPosition: pointAt(after, newEnd),
  };
}

function pointAt(text: string, offset: number): Point {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let row = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) row += 1;
  return { row, column: offset - lineStart };
}

/** Runs `use` on the tree of `text`, parsed once (from `from`'s tree when given) while it stays among the recent ones. */
function withRecentTree<T>(
  name: GrammarName,
  language: Language,
  text: string,
  use: (entry: RecentTree) => T,
  from?: Parsed,
): T {
  const entry = recentTree(name, language, text, from);
  entry.users += 1;
  try {
    return use(entry);
  } finally {
    entry.users -= 1;
  }
}

/**
 * Verdicts by grammar and the digests of both texts: a patch is judged when it is drafted and again
 * when it is validated, after every other finding's patch has gone through the few recent trees.
 */
const VERDICTS = new Map<string, ReparseVerdict>();
const MAX_VERDICTS = 4096;

/** A text's digest, to recognise a text seen before without holding on to it. */
export function textDigest(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

/**
 * Whether `patched` parses at least as cleanly as `original` with the same grammar. Synchronous: the
 * grammar must already be loaded (it is, once a file of the language has been analysed).
 */
export function reparseVerdict(name: GrammarName, original: string, patched: string): ReparseVerdict {
  const language = loadedLanguage(name);
  if (!language) return { valid: false, reason: `the ${name} grammar is not loaded` };
  const key = `${name} ${textDigest(original)} ${textDigest(patched)}`;
  const known = VERDICTS.get(key);
  if (known) return { ...known };
  const errors = (entry: RecentTree): number => (entry.errors ??= syntaxErrorCount(entry.tree));
  let verdict: ReparseVerdict;
  try {
    verdict = withRecentTree(name, language, original, (base) => {
      const before = errors(base);
      const after = withRecentTree(name, language, patched, errors, { tree: base.tree, text: original });
      return after > before
        ? { valid: false, reason: `the patched file has ${after - before} new syntax error(s)` }
        : { valid: true };
    });
  } catch (error) {
    // Out of time is no verdict on the text: a later try may finish.
    if (error instanceof ParseTimeExceeded) return { valid: false, reason: error.message };
    throw error;
  }
  if (VERDICTS.size >= MAX_VERDICTS) VERDICTS.delete(VERDICTS.keys().next().value!);
  VERDICTS.set(key, verdict);
  return { ...verdict };
}

/**
 * Synchronous `withTree` for callers that run after analysis (rewrites): null when the grammar has
 * not been loaded yet or the parse runs out of time. The tree is shared with the next callers of the
 * same text, so `use` must not edit it; nodes must not escape `use`.
 */
export function withLoadedTree<T>(name: GrammarName, text: string, use: (tree: Tree) => T): T | null {
  const language = loadedLanguage(name);
  if (!language) return null;
  try {
    recentTree(name, language, text);
  } catch (error) {
    if (error instanceof ParseTimeExceeded) return null;
    throw error;
  }
  return withRecentTree(name, language, text, (entry) => use(entry.tree));
}

/**
 * Runs an analysis, turning a JavaScript stack overflow (an expression nested thousands deep, which
 * the recursive evaluators follow) into a skipped file instead of a failed review.
 */
export async function guardNesting<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RangeError) throw new UnanalysableFile('syntax nested too deeply to analyse');
    throw error;
  }
}
