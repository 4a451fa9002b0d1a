import { ATTEMPT_NAME } from '../../context.js';
import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../../analyzer.js';
import type { Finding, Language } from '../../finding.js';
import { EnginePerReview, type FlowEngine } from '../../flow/engine.js';
import type { FileFacts, FunctionFact } from '../../flow/ir.js';
import type { FrontEnd } from '../../flow/program.js';
import { judgeWait, type CallSite } from '../../flow/waits.js';
import { toFindings, type Draft } from './findings.js';
import {
  guardNesting,
  loadedLanguage,
  loadLanguage,
  parseLoaded,
  withTree,
  type GrammarName,
  type Node,
} from './runtime.js';

/**
 * A language analyzer on the value-flow engine, written once: parse, extract the facts with their
 * call sites, judge every site, add the language's library checks, and find the repository's own
 * jitter helpers from the same facts. A language brings its front end and its tables.
 */

export interface EngineLanguage<F extends FileFacts & { sites: CallSite[] }> {
  language: Language;
  grammar: GrammarName;
  front: FrontEnd;
  /** Cheap test before parsing: a file with none of these words cannot hold a retry we would report. */
  maybeRetry: RegExp;
  extract(path: string, root: Node, withSites: boolean): F;
  /** Library and framework checks on the same tree, reading values through the engine. */
  libraries?(
    file: { root: Node; text: string; facts: F },
    engine: FlowEngine,
    options: AnalysisOptions,
  ): Promise<Draft[]>;
  /** Last words on a file's drafts, with the repository at hand (Rust: does the crate depend on `rand`?). */
  finish?(drafts: Draft[], path: string, host: ModuleHost): Promise<void>;
  /** Absent when the language finds its jitter helpers its own way. */
  jitter?: JitterHelperRules;
}

/** How a language's own jitter helpers look: judged by their bodies, a name alone proves nothing. */
export interface JitterHelperRules {
  /** Cheap test before parsing: the file mentions randomness at all. */
  mentionsRandom: RegExp;
  /** Whether a top-level function is callable from other files (not `_private`, not `private fun`). */
  isPublic(fn: FunctionFact, firstLine: string): boolean;
  /** A body that computes or waits a delay. */
  delayBody: RegExp;
  /** A body or name that waits: calling the helper sleeps rather than returning a number. */
  waits: RegExp;
  /** First parameters that are attempt counters besides the usual names. */
  counterParam: RegExp;
}

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;

export class EngineAnalyzer<F extends FileFacts & { sites: CallSite[] }> implements LanguageAnalyzer {
  readonly language: Language;
  readonly extensions: readonly string[];
  private readonly engines: EnginePerReview;

  constructor(private readonly spec: EngineLanguage<F>) {
    this.language = spec.language;
    this.extensions = spec.front.extensions;
    this.engines = new EnginePerReview(spec.front);
  }

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    const { spec } = this;
    if (!spec.maybeRetry.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree(spec.grammar, input.text, async (tree) => {
        const facts = spec.extract(input.path, tree.rootNode, true);
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        if (spec.libraries)
          found.push(
            ...(await spec.libraries({ root: tree.rootNode, text: input.text, facts }, engine, options)),
          );
        return found;
      }),
    );
    await spec.finish?.(drafts, input.path, host);
    return toFindings(drafts, input.path, this.language);
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
      const facts = spec.extract(input.path, tree.rootNode, false);
      const lines = input.text.split('\n');
      const found: JitterHelperCandidate[] = [];
      for (const fn of facts.functions) {
        if (fn.className || fn.parent !== undefined || !fn.random) continue;
        if (!rules.isPublic(fn, lines[fn.line - 1] ?? '')) continue;
        const body = lines.slice(fn.line - 1, fn.endLine).join('\n');
        if (!rules.delayBody.test(body) && !DELAY_WORDS.test(fn.name)) continue;
        const first = fn.params[0]?.name ?? '';
        found.push({
          name: fn.name,
          path: input.path,
          takesAttempt: ATTEMPT_NAME.test(first) || rules.counterParam.test(first),
          sleeps: fn.sleeps !== undefined || rules.waits.test(fn.name) || rules.waits.test(body),
        });
      }
      return found;
    } finally {
      tree.delete();
    }
  }

  /** Loads the grammar ahead of the first file (servers call it at start-up; optional). */
  warmUp(): Promise<unknown> {
    return loadLanguage(this.spec.grammar);
  }
}
