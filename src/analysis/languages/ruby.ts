import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import { ATTEMPT_NAME } from '../context.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { toFindings, type Draft } from './tree-sitter/findings.js';
import { loadedLanguage, loadLanguage, parseLoaded, withTree, guardNesting } from './tree-sitter/runtime.js';
import { extractRubyFacts } from './ruby/facts.js';
import { requirePaths, summariseRuby } from './ruby/module.js';

/** Cheap gate before parsing: without `sleep`, a timer, or a helper called from a `rescue` there is nothing to report. */
const MAYBE_RETRY = /sleep|rescue|retry|_timer|Timer\.new/;
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval/i;

/** Ruby for the value-flow engine: `require`d files are in scope whole. */
export const RUBY_FRONT_END: FrontEnd = {
  extensions: ['.rb', '.rake'],
  extract: (path, text) => withTree('ruby', text, (tree) => extractRubyFacts(path, tree.rootNode, false)),
  modulePaths: (fromPath, module) =>
    module.startsWith('./')
      ? requirePaths(fromPath, module.slice(2), true)
      : requirePaths(fromPath, module, false),
  submodule: (module, name) => `${module}/${name}`,
};

export class RubyAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'ruby';
  readonly extensions = ['.rb', '.rake'] as const;
  private readonly engines = new EnginePerReview(RUBY_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('ruby', input.text, async (tree) => {
        const facts = extractRubyFacts(input.path, tree.rootNode, true);
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

  /** Methods whose bodies draw a random number and compute or wait a delay. */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    if (!/rand|jitter/.test(input.text)) return [];
    const language = loadedLanguage('ruby');
    if (!language) {
      void loadLanguage('ruby').catch(() => undefined);
      return [];
    }
    let tree;
    try {
      tree = parseLoaded('ruby', language, input.text);
    } catch {
      return [];
    }
    try {
      const file = summariseRuby(input.path, tree.rootNode);
      const found: JitterHelperCandidate[] = [];
      for (const [name, method] of file.methods) {
        if (name.startsWith('_') || !method.random || (!method.delayLike && !DELAY_WORDS.test(name)))
          continue;
        const first = method.params[0] ?? '';
        found.push({
          name,
          path: input.path,
          takesAttempt: ATTEMPT_NAME.test(first) || /^(n|i|count)$/.test(first),
          sleeps: method.sleeps !== undefined,
        });
      }
      return found;
    } finally {
      tree.delete();
    }
  }
}
