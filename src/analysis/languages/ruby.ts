import type { JitterHelperCandidate, SourceInput } from '../analyzer.js';
import { ATTEMPT_NAME } from '../context.js';
import type { FrontEnd } from '../flow/program.js';
import { EngineAnalyzer } from './tree-sitter/engine-analyzer.js';
import { loadedLanguage, loadLanguage, parseLoaded, withTree } from './tree-sitter/runtime.js';
import { extractRubyFacts, type RbFacts } from './ruby/facts.js';
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
  // Rails and Zeitwerk load constants by name, without `require`: a class is found where it is declared.
  typesAnywhere: true,
};

export class RubyAnalyzer extends EngineAnalyzer<RbFacts> {
  constructor() {
    super({
      language: 'ruby',
      grammar: 'ruby',
      extensions: RUBY_FRONT_END.extensions,
      frontEnd: () => RUBY_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractRubyFacts,
    });
  }

  /**
   * Methods whose bodies draw a random number and compute or wait a delay — in Ruby they live in
   * modules and classes (`def self.jittered`), so methods count, not only top-level functions.
   */
  override jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
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
