import { posix } from 'node:path';
import type { ModuleHost } from '../analyzer.js';
import type { AssignmentFact, CallFact, FileFacts } from './ir.js';
import { parseSettings, settingsPathLiterals, type Settings } from './settings.js';

/**
 * What the value-flow engine needs from a language: how to turn a file into facts, and where a
 * module it imports lives. Everything else is shared.
 */
export interface FrontEnd {
  /** Lower-case extensions with the dot: the files whose facts this front end can extract. */
  readonly extensions: readonly string[];
  /** The facts of one file, or null when it cannot be parsed. */
  extract(path: string, text: string): Promise<FileFacts | null>;
  /**
   * Repository paths a module imported from `fromPath` may live at, most likely first. `packages`, when
   * given, maps the names of the repository's own packages to their manifests' directories (see
   * `packageManifest`).
   */
  modulePaths(fromPath: string, module: string, packages?: ReadonlyMap<string, string>): string[];
  /**
   * The repository path of a module as the project's own configuration resolves it (TS/JS:
   * `tsconfig.json` `paths` and `baseUrl`, `@shop/shared` → `packages/shared/src/index.ts`), tried
   * before `modulePaths`; null leaves it to them.
   */
  resolve?(fromPath: string, module: string): Promise<string | null>;
  /** The module `name` inside `module`, when an import binds a submodule (`from app import settings`). */
  submodule(module: string, name: string): string;
  /**
   * Languages whose files share top-level names with the other files of their package (Go, Java,
   * Kotlin): which of the files listed in a directory (repository paths) can belong to the package of
   * `path` — a file, or the directory itself ending in `/` when an import names the package. Mates
   * whose `packageName` differs from the file's are dropped once their facts are read.
   */
  packageMates?(path: string, listing: readonly string[]): string[];
  /**
   * Types are found by their declaration anywhere in the repository when nothing in scope names
   * them (C#: a namespace says nothing about the path).
   */
  readonly typesAnywhere?: boolean;
  /**
   * Milliseconds in one unit of the language's delay expressions, when it is not the unit people read
   * (Go's nanoseconds): evidence then shows `5 s`, not `5000000000`.
   */
  readonly unitMs?: number;
  /**
   * The language passes options objects (`ClassFact.literal`): `opts.delay` of a parameter is the
   * property of what each caller passes, or of the parameter's default.
   */
  readonly objectLiterals?: boolean;
  /**
   * Assignments to a name the function does not declare are facts of the declaring function or of the
   * module (`fn` undefined), so a module-level variable that functions update is one variable.
   */
  readonly moduleState?: boolean;
  /**
   * A constant that a library outside the repository documents (Resilience4j's
   * `RetryConfig.DEFAULT_WAIT_DURATION`, 500 ms), in the unit of the language's delay expressions:
   * `module` is the import's reference, read only when the repository does not hold it.
   */
  libraryConstant?(module: string, name: string): number | undefined;
  /**
   * Languages whose code names another package of the same repository by the name its manifest
   * declares, not by its path (Rust: `acme_retry::retry` is the crate whose `Cargo.toml` says
   * `name = "acme-retry"`, wherever its directory is).
   */
  readonly packageManifest?: PackageManifest;
}

export interface PackageManifest {
  /** The manifest's file name (`Cargo.toml`). */
  readonly fileName: string;
  /** The name code uses for the package this manifest declares, or null (a workspace root). */
  packageName(text: string): string | null;
}

/**
 * Memory the facts a review keeps may take, least recently used dropped first. Bounded by weight, not
 * by files: a repository's modules are read for lookups again and again (every file imports the same
 * few, a method's callers span the tree), and a bound of 256 files made a review of a 600-file Python
 * project parse twice its files, and one of Java's own sources four times, holding more garbage than
 * the facts it dropped.
 */
export const MAX_CACHED_BYTES = 96 * 1024 * 1024;
/** Files kept at most, whatever their weight (a file that is absent or unreadable is kept as one too). */
export const MAX_CACHED_FACTS = 8192;
/**
 * What one fact (a call, an assignment, a function, a class, an import, with the expressions it
 * holds) weighs on the heap, measured on TypeScript and Java facts alike (500–600 bytes).
 */
const BYTES_PER_FACT = 560;

/** The heap a file's facts take, estimated from how many facts it holds. */
export function factsWeight(facts: FileFacts): number {
  const count =
    facts.calls.length +
    facts.assignments.length +
    facts.functions.length +
    facts.classes.length +
    facts.imports.length;
  return (count + 1) * BYTES_PER_FACT;
}

/**
 * Files read to build the repository index (who calls what, who assigns what). The index is built
 * only when a delay depends on a parameter or a field; nearer files are read first, so a bounded
 * index still sees the callers that matter most.
 */
export const MAX_INDEX_FILES = 400;

/**
 * Manifests read to learn the repository's own packages by name, shallowest first. Read once per
 * review, and only when an import is not found by its path.
 */
export const MAX_MANIFESTS = 200;

/** Files bigger than this are not indexed (generated code does not call our retry helpers). */
const MAX_INDEXED_BYTES = 512 * 1024;

/** The words a declaration may name. */
const WORD = /[\p{L}_$][\p{L}\p{N}_$]*/gu;

const CALL_TOKEN = /([A-Za-z_$][\w$]*)[!?]?\s*\(/g;
/** Ruby constructs with `Name.new`: a call of the class. */
const NEW_TOKEN = /([A-Z][\w]*)\.new\b/g;
/** Type declarations, for languages whose types are not found through imports. */
const TYPE_DECLARATION_TOKEN =
  /\b(?:class|struct|record|interface|object|enum|type|module)\s+(?:[A-Za-z_]\w*(?:::|\.))*([A-Za-z_]\w*)/g;
/**
 * A struct literal (Go `Config{…}`, `&pkg.Config{…}`, Rust `Config { … }`) calls its type's record
 * constructor. Over-eager matches (`class Config {`) only make a lookup read a file that has no call.
 */
const RECORD_LITERAL_TOKEN = /([A-Za-z_]\w*)\s*\{/g;
const MEMBER_ASSIGN_TOKEN = /\.([A-Za-z_$][\w$]*)\s*(?:[-+*/]|<<|\*\*)?=(?!=)/g;
/** Object initialisers set members without a dot: `new Options { Delay = … }` (C#). */
const INITIALIZER_ASSIGN_TOKEN = /[{,]\s*([A-Za-z_$][\w$]*)\s*=(?![=>])/g;
/** Ruby and Kotlin call without parentheses, and constructors are called with `new`: names followed by a space. */
const BARE_CALL_TOKEN = /(?:^|[\s.])([A-Za-z_$][\w$]*)[!?]?[ \t]+(?=[\w"':@(])/gm;

export interface Site<T> {
  facts: FileFacts;
  fact: T;
}

/**
 * The repository as the engine sees it, for one review and one language: facts per file (cached),
 * modules by import, and a lazily built index of call sites and member assignments. Every read goes
 * through the `ModuleHost`, so it costs what that host's reads cost and respects its budget.
 */
export class Program {
  /** Facts by path, least recently used first, with the heap each is estimated to take (`factsWeight`). */
  private readonly cache = new Map<string, { facts: Promise<FileFacts | null>; bytes: number }>();
  private cachedBytes = 0;
  private index: Promise<Map<string, Set<string>>> | null = null;
  private allFiles: Promise<string[]> | null = null;
  private readonly suffixes = new Map<string, Promise<string[]>>();
  private readonly mates = new Map<string, Promise<string[]>>();
  /** What each package mate read so far declares (package index keys), and its package. */
  private readonly declared = new Map<string, { packageName: string | undefined; keys: Set<string> }>();
  /** Per package directory: each word of its files' texts → the files holding it. */
  private readonly packageIndexes = new Map<string, Promise<Map<string, string[]>>>();
  private readonly settingsFiles = new Map<string, Promise<Settings | null>>();
  private readonly literals = new Map<string, Promise<{ literal: string; line: number }[]>>();
  private present: Promise<Set<string>> | null = null;
  private packages: Promise<ReadonlyMap<string, string>> | null = null;

  constructor(
    readonly host: ModuleHost,
    readonly front: FrontEnd,
    /** The file under analysis: the index reads files near it first. */
    private readonly near: () => string = () => '',
  ) {}

  facts(path: string): Promise<FileFacts | null> {
    const cached = this.cache.get(path);
    if (cached) {
      this.cache.delete(path);
      this.cache.set(path, cached);
      return cached.facts;
    }
    const entry = { facts: Promise.resolve<FileFacts | null>(null), bytes: 0 };
    entry.facts = this.host
      .read(path)
      .then(async (text) => {
        if (text === null || text.length > MAX_INDEXED_BYTES) return null;
        const facts = await this.front.extract(path, text);
        if (facts) this.weigh(path, entry, factsWeight(facts));
        return facts;
      })
      .catch(() => null);
    this.remember(path, entry);
    return entry.facts;
  }

  /**
   * The keys of a config file, read only when a delay depends on one of its keys (and once per
   * review), through the host like every other read.
   */
  settings(path: string): Promise<Settings | null> {
    return this.parsedOnce(this.settingsFiles, path, (text) => parseSettings(path, text), null);
  }

  /** The config files a code file names in string literals (its text is the host's cached read). */
  settingsNamedIn(path: string): Promise<{ literal: string; line: number }[]> {
    return this.parsedOnce(this.literals, path, settingsPathLiterals, []);
  }

  /** What `parse` makes of a file's text, once per review (`none`: absent, too big or unreadable). */
  private parsedOnce<T>(
    cache: Map<string, Promise<T>>,
    path: string,
    parse: (text: string) => T,
    none: T,
  ): Promise<T> {
    let pending = cache.get(path);
    if (!pending) {
      pending = this.host
        .read(path)
        .then((text) => (text === null || text.length > MAX_INDEXED_BYTES ? none : parse(text)))
        .catch(() => none);
      cache.set(path, pending);
    }
    return pending;
  }

  /** Whether the repository holds a file, from its listing (nothing is read). */
  async exists(path: string): Promise<boolean> {
    this.present ??= this.listing().then((all) => new Set(all));
    return (await this.present).has(path);
  }

  /** The first of several paths the repository holds. */
  async firstPresent(paths: readonly string[]): Promise<string | null> {
    for (const path of paths) if (await this.exists(path)) return path;
    return null;
  }

  /** The facts this review already holds for a file (read for a lookup, or analysed), without reading it. */
  held(path: string): Promise<FileFacts | null> | undefined {
    return this.cache.get(path)?.facts;
  }

  /** Records the facts of a file being analysed, so following references back to it does not re-read it. */
  put(facts: FileFacts): void {
    this.remember(facts.path, { facts: Promise.resolve(facts), bytes: factsWeight(facts) });
  }

  private remember(path: string, entry: { facts: Promise<FileFacts | null>; bytes: number }): void {
    const replaced = this.cache.get(path);
    if (replaced) {
      this.cachedBytes -= replaced.bytes;
      this.cache.delete(path);
    }
    this.cache.set(path, entry);
    this.cachedBytes += entry.bytes;
    this.evict();
  }

  /** Gives a cached entry its weight once its facts are known (it may have been dropped meanwhile). */
  private weigh(path: string, entry: { bytes: number }, bytes: number): void {
    if (this.cache.get(path) !== entry) return;
    this.cachedBytes += bytes - entry.bytes;
    entry.bytes = bytes;
    this.evict();
  }

  private evict(): void {
    while (
      this.cache.size > MAX_CACHED_FACTS ||
      (this.cachedBytes > MAX_CACHED_BYTES && this.cache.size > 1)
    ) {
      const [oldest, entry] = this.cache.entries().next().value!;
      this.cachedBytes -= entry.bytes;
      this.cache.delete(oldest);
    }
  }

  /**
   * The facts of the module `reference` imported from `fromPath`, or null when it is not in the
   * repository. A candidate ending in `/` is a package directory (any of its files stands for it; the
   * rest are its mates); one starting with a `**` segment is any file of the repository ending with the rest.
   */
  async module(fromPath: string, reference: string): Promise<FileFacts | null> {
    const configured = await this.front.resolve?.(fromPath, reference);
    const facts = configured ? await this.facts(configured) : null;
    if (facts) return facts;
    const byPath = this.front.modulePaths(fromPath, reference);
    const found = await this.firstModule(byPath);
    if (found || !this.front.packageManifest) return found;
    const packages = await this.workspacePackages(this.front.packageManifest);
    if (packages.size === 0) return null;
    const byPackage = this.front.modulePaths(fromPath, reference, packages);
    return this.firstModule(byPackage.filter((candidate) => !byPath.includes(candidate)));
  }

  private async firstModule(candidates: readonly string[]): Promise<FileFacts | null> {
    for (const candidate of candidates) {
      for (const path of await this.expand(candidate)) {
        const facts = await this.facts(path);
        if (facts) return facts;
      }
    }
    return null;
  }

  /** Every file of the repository, listed once per review. */
  private listing(): Promise<string[]> {
    this.allFiles ??= this.host.files?.().catch(() => []) ?? Promise.resolve([]);
    return this.allFiles;
  }

  /** The repository's own packages by the name code uses for them → their manifests' directories. */
  private workspacePackages(manifest: PackageManifest): Promise<ReadonlyMap<string, string>> {
    this.packages ??= (async () => {
      const paths = (await this.listing())
        .filter((path) => posix.basename(path) === manifest.fileName)
        .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
        .slice(0, MAX_MANIFESTS);
      const packages = new Map<string, string>();
      for (const path of paths) {
        const text = await this.host.read(path).catch(() => null);
        const name = text !== null && text.length <= MAX_INDEXED_BYTES ? manifest.packageName(text) : null;
        const directory = posix.dirname(path);
        if (name && !packages.has(name)) packages.set(name, directory === '.' ? '' : directory);
      }
      return packages;
    })();
    return this.packages;
  }

  /**
   * The files a candidate names: itself, a directory's package mates (`dir/`), or — for `**∕path` and
   * `**∕dir/` — the one file or directory anywhere in the tree that ends so; when two do, none (a
   * module looked for anywhere is taken only when one place answers to it).
   */
  private async expand(candidate: string): Promise<string[]> {
    if (candidate.startsWith('**/')) {
      // Asked again for every name a file cannot place (a platform class): one scan of the listing each.
      let found = this.suffixes.get(candidate);
      if (!found) {
        const suffix = candidate.slice(2);
        found = this.listing().then((all) => {
          if (!suffix.endsWith('/')) {
            const file = onlyPlace(all.filter((path) => path.endsWith(suffix) || path === suffix.slice(1)));
            return file === undefined ? [] : [file];
          }
          const dir = onlyPlace([
            ...new Set(all.map((path) => `${posix.dirname(path)}/`).filter((d) => `/${d}`.endsWith(suffix))),
          ]);
          if (dir === undefined) return [];
          const listing = all.filter((path) => `${posix.dirname(path)}/` === dir);
          return this.front.packageMates ? this.front.packageMates(dir, listing) : listing;
        });
        this.suffixes.set(candidate, found);
      }
      return found;
    }
    if (candidate.endsWith('/')) {
      const listing = (await this.host.list?.(candidate.slice(0, -1) || '.').catch(() => null)) ?? [];
      return this.front.packageMates ? this.front.packageMates(candidate, listing) : listing;
    }
    return [candidate];
  }

  /** The paths of the other files a file's package may span (nothing for languages without packages). */
  private matePaths(facts: FileFacts): Promise<string[]> {
    const front = this.front;
    if (!front.packageMates) return Promise.resolve([]);
    const dir = posix.dirname(facts.path);
    let paths = this.mates.get(dir);
    if (!paths) {
      paths = (async () => {
        const listing = (await this.host.list?.(dir).catch(() => null)) ?? [];
        // Asked for the directory, not for the file asking first: the list serves every file of it.
        return front.packageMates!(`${dir}/`, listing);
      })();
      this.mates.set(dir, paths);
    }
    return paths;
  }

  /**
   * The other files of a file's package that declare `key` (`c:` a class, `f:` a top-level function,
   * `n:` a module-level name, `m:` methods or field writes of a class). A file declaring a name
   * spells it, so the package is indexed once per review by the words of its files' texts, and only
   * the files holding the name are parsed to see whether they declare it: a lookup reads the facts
   * of a few files, not of every file of a large package (a `java.util` of 300 files).
   */
  async packageDeclaring(facts: FileFacts, key: string): Promise<FileFacts[]> {
    if (!this.front.packageMates) return [];
    const dir = posix.dirname(facts.path);
    let index = this.packageIndexes.get(dir);
    if (!index) {
      index = this.matePaths(facts).then(async (paths) => {
        const words = new Map<string, string[]>();
        for (const path of paths) {
          const text = await this.host.read(path).catch(() => null);
          if (text === null || text.length > MAX_INDEXED_BYTES) continue;
          for (const [word] of text.matchAll(WORD)) {
            const holding = words.get(word);
            if (!holding) words.set(word, [path]);
            else if (holding[holding.length - 1] !== path) holding.push(path);
          }
        }
        return words;
      });
      this.packageIndexes.set(dir, index);
    }
    const found: FileFacts[] = [];
    for (const path of (await index).get(key.slice(2)) ?? []) {
      if (path === facts.path) continue;
      // What a mate declares is kept once read (names only): a mate that only spells the name is
      // not parsed again for it when its facts have been dropped.
      const known = this.declared.get(path);
      if (known && (known.packageName !== facts.packageName || !known.keys.has(key))) continue;
      const mate = await this.facts(path);
      if (!mate) continue;
      const keys = known?.keys ?? new Set(declarationKeys(mate));
      if (!known) this.declared.set(path, { packageName: mate.packageName, keys });
      if (mate.packageName === facts.packageName && keys.has(key)) found.push(mate);
    }
    return found;
  }

  /** Files declaring a type named `name`, nearest first (for languages whose types are found anywhere). */
  async typeDeclarations(name: string, within: FileFacts): Promise<FileFacts[]> {
    return (await this.filesMentioning(`d:${name}`, within)).filter((f) => f !== within);
  }

  /** Every call in the repository whose callee's last name is `name` (the engine checks what it resolves to). */
  async callsNamed(name: string, within: FileFacts): Promise<Site<CallFact>[]> {
    const sites: Site<CallFact>[] = [];
    const calls = (facts: FileFacts) => facts.calls.some((call) => call.calleeName === name);
    for (const facts of await this.filesMentioning(`c:${name}`, within, calls)) {
      for (const call of facts.calls) if (call.calleeName === name) sites.push({ facts, fact: call });
    }
    return sites;
  }

  /** Every `obj.name = …` outside the receiver's own class, anywhere in the repository. */
  async memberAssignments(name: string, within: FileFacts): Promise<Site<AssignmentFact>[]> {
    const sites: Site<AssignmentFact>[] = [];
    const sets = (assignment: AssignmentFact) =>
      assignment.target.kind === 'member' && assignment.target.name === name;
    for (const facts of await this.filesMentioning(`a:${name}`, within, (f) => f.assignments.some(sets))) {
      for (const assignment of facts.assignments)
        if (sets(assignment)) sites.push({ facts, fact: assignment });
    }
    return sites;
  }

  /**
   * `within` and the indexed files whose text holds `token`. With `holds`, the files whose facts hold
   * what the token stood for: the index entry is narrowed to them once read, so asking again (every
   * parameter of a function, every function of one name) reads only those, not every file that
   * merely spells the name (`def create_header(` is no call of it).
   */
  private async filesMentioning(
    token: string,
    within: FileFacts,
    holds?: (facts: FileFacts) => boolean,
  ): Promise<FileFacts[]> {
    const index = await this.tokenIndex();
    const paths = index.get(token) ?? new Set<string>();
    const files: FileFacts[] = [within];
    const holding = new Set<string>();
    for (const path of paths) {
      if (path === within.path) {
        if (!holds || holds(within)) holding.add(path);
        continue;
      }
      const facts = await this.facts(path);
      if (!facts) continue;
      files.push(facts);
      if (!holds || holds(facts)) holding.add(path);
    }
    if (holds && index.get(token) === paths) index.set(token, holding);
    return files;
  }

  /**
   * Token → files, from one read of every file of this language (nearest first, up to the budget).
   * Only names are kept, never texts: the index of a large repository stays small.
   */
  private tokenIndex(): Promise<Map<string, Set<string>>> {
    this.index ??= (async () => {
      const tokens = new Map<string, Set<string>>();
      const all = (await this.host.files?.().catch(() => [] as string[])) ?? [];
      const mine = all.filter((path) => this.front.extensions.includes(posix.extname(path).toLowerCase()));
      const origin = posix.dirname(this.near());
      const ranked = mine
        .map((path) => ({ path, distance: distance(origin, posix.dirname(path)) }))
        .sort((a, b) => a.distance - b.distance || a.path.localeCompare(b.path));
      for (const { path } of ranked.slice(0, MAX_INDEX_FILES)) {
        const text = await this.host.read(path).catch(() => null);
        if (text === null || text.length > MAX_INDEXED_BYTES) continue;
        const add = (token: string) => {
          let set = tokens.get(token);
          if (!set) tokens.set(token, (set = new Set()));
          set.add(path);
        };
        for (const match of text.matchAll(CALL_TOKEN)) add(`c:${match[1]}`);
        for (const match of text.matchAll(BARE_CALL_TOKEN)) add(`c:${match[1]}`);
        for (const match of text.matchAll(RECORD_LITERAL_TOKEN)) add(`c:${match[1]}`);
        for (const match of text.matchAll(NEW_TOKEN)) add(`c:${match[1]}`);
        for (const match of text.matchAll(MEMBER_ASSIGN_TOKEN)) add(`a:${match[1]}`);
        for (const match of text.matchAll(INITIALIZER_ASSIGN_TOKEN)) add(`a:${match[1]}`);
        if (this.front.typesAnywhere)
          for (const match of text.matchAll(TYPE_DECLARATION_TOKEN)) add(`d:${match[1]}`);
      }
      return tokens;
    })();
    return this.index;
  }
}

/** Test sources, which mirror the packages of the code they test (`src/test/kotlin/com/acme/…`). */
const TEST_SOURCES = /(^|\/)(test|tests|androidTest|testFixtures|integrationTest|spec)(\/|$)/;

/** The one place among `places`, counting test sources only when nothing else answers; else none. */
function onlyPlace(places: readonly string[]): string | undefined {
  if (places.length === 1) return places[0];
  const main = places.filter((place) => !TEST_SOURCES.test(place));
  return main.length === 1 ? main[0] : undefined;
}

/** What a file declares, as package index keys. */
function declarationKeys(facts: FileFacts): string[] {
  const keys: string[] = [];
  for (const cls of facts.classes) keys.push(`c:${cls.name}`);
  for (const fn of facts.functions) {
    if (fn.className) keys.push(`m:${fn.className}`);
    else if (fn.parent === undefined) keys.push(`f:${fn.name}`);
  }
  for (const write of facts.assignments) {
    if (write.target.kind === 'field') keys.push(`m:${write.target.className}`);
    else if (write.target.kind === 'name' && write.fn === undefined) keys.push(`n:${write.target.name}`);
  }
  return keys;
}

/** Directory steps between two directories (up to the common ancestor, then down). */
function distance(a: string, b: string): number {
  const left = a === '.' ? [] : a.split('/');
  const right = b === '.' ? [] : b.split('/');
  let common = 0;
  while (common < left.length && common < right.length && left[common] === right[common]) common += 1;
  return left.length - common + (right.length - common);
}
