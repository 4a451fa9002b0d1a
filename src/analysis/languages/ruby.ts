import { newTrail, scopeIn } from '../flow/engine.js';
import { functionAt } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { scaled } from './tree-sitter/durations.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import { libraryHitDraft } from './tree-sitter/findings.js';
import { withTree } from './tree-sitter/runtime.js';
import { extractRubyFacts, type RbFacts } from './ruby/facts.js';
import { findLibraryRetries } from './ruby/libraries.js';
import { lowerRuby } from './ruby/lower.js';
import { requirePaths } from './ruby/module.js';
import { rubyHelperSignature } from './ruby/helper-signature.js';

/** Cheap gate before parsing: without `sleep`, a timer, or a helper called from a `rescue` there is nothing to report. */
const MAYBE_RETRY = /sleep|rescue|retry|_timer|Timer\.new/;

/** Files that may configure faraday-retry's middleware. */
const USES_LIBRARY = /request\(?\s*:retry\b|Retry::Middleware|Request::Retry/;

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
      libraries: libraryDrafts,
      mayUseLibrary: USES_LIBRARY,
      sharesExtraction: true,
      jitter: {
        mentionsRandom: /rand|jitter/,
        isPublic: (fn) => !fn.name.startsWith('_'),
        delayBody: /\*\*|\.min\b|\bsleep\b|\bdelay\b|backoff|\.seconds?\b/,
        counterParam: /^(n|i|count)$/,
        methods: true,
        signature: rubyHelperSignature,
      },
    });
  }
}

/** faraday-retry, its options read through the engine in the scope they are written in. */
const libraryDrafts: LibraryChecks<RbFacts> = async ({ root, facts }, engine, options) => {
  const hits = await findLibraryRetries(root, async (node, unitMs) => {
    const fn = functionAt(facts, node.startPosition.row + 1);
    const value = await engine.evaluate(lowerRuby(node), scopeIn(facts, fn?.id), newTrail());
    return scaled(value, unitMs);
  });
  return hits.map((hit) => libraryHitDraft(hit, options));
};
