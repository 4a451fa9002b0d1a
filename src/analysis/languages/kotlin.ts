import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { toFindings, type Draft } from './tree-sitter/findings.js';
import { guardNesting, loadLanguage, withTree } from './tree-sitter/runtime.js';
import { extractKotlinFacts } from './kotlin/facts.js';
import { findKotlinJitterHelpers } from './kotlin/jitter-helpers.js';
import { modulePaths, packageMates } from './kotlin/module.js';

/** Cheap gate before parsing: without a wait, a retry predicate or a `catch` there is nothing to report. */
const MAYBE_RETRY = /delay|sleep|retry|catch|onFailure/i;
/** Kotlin for the value-flow engine: imports name classes (and top-level members) by their package path. */
export const KOTLIN_FRONT_END: FrontEnd = {
  extensions: ['.kt', '.kts'],
  extract: (path, text) => withTree('kotlin', text, (tree) => extractKotlinFacts(path, tree.rootNode, false)),
  modulePaths,
  packageMates,
  // `RetryConfig.DELAY` with `import com.acme.RetryConfig`: a member of the class, not a module.
  submodule: (module, name) => `${module}.${name}`,
};

export class KotlinAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'kotlin';
  readonly extensions = ['.kt', '.kts'] as const;
  private readonly engines = new EnginePerReview(KOTLIN_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    // Test files and test support are skipped before this (file-filter.ts: paths and test-framework imports).
    if (!MAYBE_RETRY.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('kotlin', input.text, async (tree) => {
        const facts = extractKotlinFacts(input.path, tree.rootNode, true);
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    return toFindings(drafts, input.path, this.language);
  }

  /** Public top-level functions of the file that add randomness to a delay. */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    return findKotlinJitterHelpers(input);
  }

  /** Loads the grammar ahead of the first file (servers call it at start-up; optional). */
  warmUp(): Promise<unknown> {
    return loadLanguage('kotlin');
  }
}
