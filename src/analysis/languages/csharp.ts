import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview, newTrail, scopeIn, type FlowEngine } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { libraryDraft } from './java/report.js';
import { toFindings, type Draft } from './tree-sitter/findings.js';
import { guardNesting, loadLanguage, withTree } from './tree-sitter/runtime.js';
import { extractCSharpFacts, type CsExtraction } from './csharp/facts.js';
import { findPollyRetries, type ValueOf } from './csharp/polly.js';
import { isTimeSpan } from './csharp/timespan.js';

/** Cheap gate before parsing: without a wait the language provides or a Polly policy there is nothing to report. */
const MAYBE_RETRY = /Task\.Delay|Thread\.Sleep|WaitAndRetry|RetryStrategyOptions|Backoff\./;

/** Files that may configure Polly. */
const USES_POLLY = /\b(Polly|Microsoft\.Extensions\.Http\.Resilience)\b|\bPolicy\b|RetryStrategyOptions/;

/**
 * C# for the value-flow engine. Namespaces do not map to folders and `using` binds no single name, so
 * nothing is imported by name: a class is found by its declaration anywhere in the repository.
 */
export const CSHARP_FRONT_END: FrontEnd = {
  extensions: ['.cs'],
  extract: (path, text) =>
    withTree('csharp', text, (tree) => extractCSharpFacts(path, tree.rootNode, false).facts),
  modulePaths: () => [],
  submodule: (module, name) => `${module}.${name}`,
  typesAnywhere: true,
};

export class CSharpAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'csharp';
  readonly extensions = ['.cs'] as const;
  private readonly engines = new EnginePerReview(CSHARP_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('csharp', input.text, async (tree) => {
        const extraction = extractCSharpFacts(input.path, tree.rootNode, true);
        const { facts } = extraction;
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (!draft) continue;
          if (draft.form.kind === 'call-argument' && site.direct) {
            const scope = scopeIn(facts, site.call.fn);
            if (await isTimeSpan(engine, site.direct.delay, scope)) draft.form.duration = true;
          }
          found.push(draft);
        }
        if (!USES_POLLY.test(input.text)) return found;
        for (const retry of await findPollyRetries(tree.rootNode, valueReader(engine, extraction))) {
          const draft = libraryDraft(retry, options);
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    return toFindings(drafts, input.path, this.language);
  }

  /** Loads the grammar ahead of the first file (servers call it at start-up; optional). */
  warmUp(): Promise<unknown> {
    return loadLanguage('csharp');
  }
}

/** How the Polly checks read a value at a node: lowered where it stands, then followed by the engine. */
function valueReader(engine: FlowEngine, extraction: CsExtraction): ValueOf {
  return (node, counters = []) => {
    const { expr, fn, className } = extraction.lowerAt(node);
    return engine.evaluate(
      expr,
      { facts: extraction.facts, fn, className, counters: new Set(counters) },
      newTrail(),
    );
  };
}
