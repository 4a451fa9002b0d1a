import { ATTEMPT_NAME } from '../../context.js';
import type {
  AnalysisOptions,
  HelperSignature,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../../analyzer.js';
import type { Finding, Language } from '../../finding.js';
import { EnginePerReview, type FlowEngine } from '../../flow/engine.js';
import { contains, mentions, type Expr, type FileFacts, type FunctionFact } from '../../flow/ir.js';
import type { FrontEnd } from '../../flow/program.js';
import { judgeWait, type CallSite } from '../../flow/waits.js';
import { toFindings, type Draft } from './findings.js';
import {
  guardNesting,
  loadedLanguage,
  loadLanguage,
  parseLoaded,
  textDigest,
  withTree,
  type GrammarName,
  type Node,
} from './runtime.js';

/**
 * A language analyzer on the value-flow engine, written once: parse, extract the facts with their
 * call sites, judge every site, add the language's library checks, and find the repository's own
 * jitter helpers from the same facts. A language brings its front end, its tables and a few hooks.
 */

/** The facts a file yields, with the call sites to judge. */
type SiteFacts = FileFacts & { sites: CallSite[] };

/**
 * A language for the shell. `F` is the facts the engine follows (cached by the Program across files),
 * `X` what extraction returns: the facts themselves, or the facts with tree-bound helpers that must
 * live no longer than the tree (then `factsOf` picks the facts out).
 */
export interface EngineLanguage<F extends SiteFacts, X = F> {
  language: Language;
  grammar: GrammarName;
  extensions: readonly string[];
  /** The front end for a repository, built once per host (Go's resolves imports through that host's `go.mod`). */
  frontEnd(host: ModuleHost): FrontEnd;
  /** Cheap test before parsing: a file with none of these words cannot hold a retry we would report. */
  maybeRetry: RegExp;
  /** Work for the repository before the file is read (Go: load the `go.mod` above it). */
  before?(input: SourceInput, host: ModuleHost): Promise<void>;
  extract(path: string, root: Node, withSites: boolean): X;
  /** The cacheable facts of an extraction; absent when the extraction is the facts. */
  factsOf?(extraction: X): F;
  /** A file whose facts say it is not code under review (Go: a test-support package): no drafts at all. */
  skip?(facts: F): boolean;
  /** More on a judged draft, read through the engine at its site (C#: is the delay a `TimeSpan`?). */
  refine?(draft: Draft, site: CallSite, facts: F, engine: FlowEngine): Promise<void>;
  /**
   * Library and framework checks on the same tree, reading values through the engine: a draft per
   * hit, or null for a hit that is not reported (a delay under the threshold, an unknown value).
   */
  libraries?(
    file: { root: Node; text: string; facts: F; extraction: X },
    engine: FlowEngine,
    options: AnalysisOptions,
  ): Promise<(Draft | null)[]>;
  /**
   * Drops what a file's facts hold of its tree, once the tree's work is done: the facts stay in the
   * review's cache for lookups, where a closure over the tree would keep its nodes alive unseen by the
   * cache's bound (Java: the lowering the library checks use).
   */
  detach?(facts: F): void;
  /** Cheap test before the library checks: a file that may configure one of the libraries. */
  mayUseLibrary?: RegExp;
  /**
   * The front end's extraction of a file read for a lookup before its own turn (a module another file
   * imports, a mate of its package that declares a name) takes its call sites too, and serves that turn: a
   * file that needs no library check is then judged without being parsed and extracted again. Only
   * for a language whose extraction is its facts (no `factsOf`) and whose `frontEnd` extraction is
   * `extract` without sites.
   */
  sharesExtraction?: boolean;
  /**
   * Last words on a file's drafts, with the repository at hand: may drop them (Go: a package only
   * tests import). Returns the drafts to report.
   */
  finish?(drafts: Draft[], path: string, host: ModuleHost): Promise<Draft[]>;
  /** Absent when the language finds its jitter helpers its own way. */
  jitter?: JitterHelperRules;
}

/** A language's library checks, typed once so each language writes only its body. */
export type LibraryChecks<F extends SiteFacts, X = F> = NonNullable<EngineLanguage<F, X>['libraries']>;

/** How a language's own jitter helpers look: judged by their bodies, a name alone proves nothing. */
export interface JitterHelperRules {
  /** Cheap test before parsing: the file mentions randomness at all. */
  mentionsRandom: RegExp;
  /** Whether a top-level function is callable from other files (not `_private`, not `private fun`). */
  isPublic(fn: FunctionFact, firstLine: string): boolean;
  /** A body that computes or waits a delay. */
  delayBody: RegExp;
  /**
   * A body or name that waits: calling the helper sleeps rather than returning a number. Absent when
   * only the facts' own record of a sleep counts.
   */
  waits?: RegExp;
  /** First parameters that are attempt counters besides the usual names. */
  counterParam: RegExp;
  /** Methods count too (Ruby helpers live in modules: `def self.delay_for`), not only top-level functions. */
  methods?: boolean;
  /**
   * How another file calls the helper declared at `fn.line`, read from the tree; null when it cannot
   * be named from there (a Ruby instance method, a Rust function in a private inline module).
   */
  signature?(root: Node, fn: FunctionFact): HelperSignature | null;
}

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;

export class EngineAnalyzer<F extends SiteFacts, X = F> implements LanguageAnalyzer {
  readonly language: Language;
  readonly extensions: readonly string[];
  private readonly engines: EnginePerReview;

  /** Facts extracted with their sites for a lookup, and a digest of the text they were read from. */
  private readonly sited = new WeakMap<FileFacts, string>();

  constructor(private readonly spec: EngineLanguage<F, X>) {
    this.language = spec.language;
    this.extensions = spec.extensions;
    this.engines = new EnginePerReview((host) => this.frontEnd(host));
  }

  private frontEnd(host: ModuleHost): FrontEnd {
    const front = this.spec.frontEnd(host);
    if (!this.spec.sharesExtraction) return front;
    return {
      ...front,
      extract: (path, text) =>
        withTree(this.spec.grammar, text, (tree) => {
          const { facts } = this.extract(path, tree.rootNode, true);
          this.spec.detach?.(facts);
          this.sited.set(facts, textDigest(text));
          return facts;
        }),
    };
  }

  /** The facts a lookup already extracted, with sites, from this very text, when no library check needs the tree. */
  private async heldExtraction(input: SourceInput, engine: FlowEngine): Promise<F | null> {
    const { spec } = this;
    if (!spec.sharesExtraction || this.libraryChecksFor(input.text)) return null;
    const held = await engine.program.held(input.path);
    return held && this.sited.get(held) === textDigest(input.text) ? (held as F) : null;
  }

  /** The library checks a file must go through (they need its tree), or none. */
  private libraryChecksFor(text: string): LibraryChecks<F, X> | undefined {
    return this.spec.mayUseLibrary?.test(text) === false ? undefined : this.spec.libraries;
  }

  /**
   * Every call site of a file judged, with the file's facts put where lookups find them; null for a
   * file the language skips.
   */
  private async judgeSites(facts: F, engine: FlowEngine, options: AnalysisOptions): Promise<Draft[] | null> {
    const { spec } = this;
    if (spec.skip?.(facts)) return null;
    engine.program.put(facts);
    const found: Draft[] = [];
    for (const site of facts.sites) {
      const draft = await judgeWait(engine, facts, site, options);
      if (!draft) continue;
      await spec.refine?.(draft, site, facts, engine);
      found.push(draft);
    }
    return found;
  }

  private extract(path: string, root: Node, withSites: boolean): { extraction: X; facts: F } {
    const extraction = this.spec.extract(path, root, withSites);
    const facts = this.spec.factsOf ? this.spec.factsOf(extraction) : (extraction as unknown as F);
    return { extraction, facts };
  }

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    const { spec } = this;
    if (!spec.maybeRetry.test(input.text)) return [];
    await spec.before?.(input, host);
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(async () => {
      const held = await this.heldExtraction(input, engine);
      if (held) return (await this.judgeSites(held, engine, options)) ?? [];
      return withTree(
        spec.grammar,
        input.text,
        async (tree) => {
          const { extraction, facts } = this.extract(input.path, tree.rootNode, true);
          try {
            const found = await this.judgeSites(facts, engine, options);
            if (!found) return [];
            const libraries = this.libraryChecksFor(input.text);
            if (!libraries) return found;
            const file = { root: tree.rootNode, text: input.text, facts, extraction };
            for (const draft of await libraries(file, engine, options)) if (draft) found.push(draft);
            return found;
          } finally {
            // The facts stay in the review's cache for lookups; the tree does not.
            spec.detach?.(facts);
          }
        },
        { handOverWhen: (found) => found.length > 0 },
      );
    });
    const kept = spec.finish ? await spec.finish(drafts, input.path, host) : drafts;
    return toFindings(kept, input.path, this.language);
  }

  /**
   * Public top-level functions whose bodies draw a random number and compute or wait a delay.
   * Synchronous by the interface, so it needs the grammar loaded, which it is once a file of the
   * language has been analysed (the only time a patch could reuse a helper); before that it starts
   * the load and reports none.
   */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    const { spec } = this;
    const rules = spec.jitter;
    if (!rules?.mentionsRandom.test(input.text)) return [];
    const language = loadedLanguage(spec.grammar);
    if (!language) {
      void loadLanguage(spec.grammar).catch(() => undefined);
      return [];
    }
    let tree;
    try {
      tree = parseLoaded(spec.grammar, language, input.text);
    } catch {
      return [];
    }
    try {
      const { facts } = this.extract(input.path, tree.rootNode, false);
      const lines = input.text.split('\n');
      const found: JitterHelperCandidate[] = [];
      for (const fn of facts.functions) {
        if ((fn.className && !rules.methods) || fn.parent !== undefined || !fn.random) continue;
        if (!rules.isPublic(fn, lines[fn.line - 1] ?? '')) continue;
        const body = lines.slice(fn.line - 1, fn.endLine).join('\n');
        if (!rules.delayBody.test(body) && !DELAY_WORDS.test(fn.name)) continue;
        // What it gives back or waits decides, not that randomness is somewhere inside: a fetch with a
        // jittered retry inside returns a response, and is no delay to call.
        const returnsDraw = fn.returns.some((expr) => drawsRandom(expr, fn, facts));
        const sleeps =
          fn.sleeps !== undefined ||
          (!returnsDraw &&
            (!!rules.waits?.test(fn.name) || !!rules.waits?.test(body)) &&
            fn.returns.length === 0);
        if (!returnsDraw && !sleeps) continue;
        const first = fn.params[0]?.name ?? '';
        const signature = rules.signature?.(tree.rootNode, fn);
        found.push({
          name: fn.name,
          path: input.path,
          takesAttempt: ATTEMPT_NAME.test(first) || rules.counterParam.test(first),
          sleeps,
          ...(signature ? { signature } : {}),
        });
      }
      return found;
    } finally {
      tree.delete();
    }
  }
}

/** A returned value drawn at random: directly, or through a local the function assigns from a draw. */
function drawsRandom(expr: Expr, fn: FunctionFact, facts: FileFacts): boolean {
  const random = (e: Expr) => e.k === 'random';
  if (contains(expr, random)) return true;
  return facts.assignments.some(
    (write) =>
      write.fn === fn.id &&
      write.target.kind === 'name' &&
      mentions(expr, write.target.name) &&
      contains(write.value, random),
  );
}
