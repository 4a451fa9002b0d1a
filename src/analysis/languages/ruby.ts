import type { FrontEnd } from '../flow/program.js';
import { EngineAnalyzer } from './tree-sitter/engine-analyzer.js';
import { withTree } from './tree-sitter/runtime.js';
import { extractRubyFacts, type RbFacts } from './ruby/facts.js';
import { requirePaths } from './ruby/module.js';

/** Cheap gate before parsing: without `sleep`, a timer, or a helper called from a `rescue` there is nothing to report. */
const MAYBE_RETRY = /sleep|rescue|retry|_timer|Timer\.new/;

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
      jitter: {
        mentionsRandom: /rand|jitter/,
        isPublic: (fn) => !fn.name.startsWith('_'),
        delayBody: /\*\*|\.min\b|\bsleep\b|\bdelay\b|backoff|\.seconds?\b/,
        counterParam: /^(n|i|count)$/,
        methods: true,
      },
    });
  }
}
