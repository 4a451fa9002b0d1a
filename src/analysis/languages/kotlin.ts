import type { FrontEnd } from '../flow/program.js';
import { EngineAnalyzer } from './tree-sitter/engine-analyzer.js';
import { withTree } from './tree-sitter/runtime.js';
import { extractKotlinFacts, type KtFacts } from './kotlin/facts.js';
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

export class KotlinAnalyzer extends EngineAnalyzer<KtFacts> {
  constructor() {
    super({
      language: 'kotlin',
      grammar: 'kotlin',
      extensions: KOTLIN_FRONT_END.extensions,
      frontEnd: () => KOTLIN_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractKotlinFacts,
      jitter: {
        mentionsRandom: /Random|random|jitter/,
        isPublic: (_fn, firstLine) => !/\b(private|internal)\b[^\n]*\bfun\b/.test(firstLine),
        delayBody: /\bpow\(|\bshl\b|minOf\(|coerceAtMost|\bdelay\(|\bsleep\(|backoff/i,
        waits: /\bdelay\(|\bsleep\(/,
        counterParam: /^(n|i|count|retries|retryCount|attemptNumber)$/,
      },
    });
  }
}
