import type { AnalysisOptions } from '../analyzer.js';
import { newTrail, type FlowEngine } from '../flow/engine.js';
import { functionAt, type Expr } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { findLibraryRetries, type ValueOf } from './java/libraries.js';
import { libraryDraft } from './java/report.js';
import { EngineAnalyzer } from './tree-sitter/engine-analyzer.js';
import type { Draft } from './tree-sitter/findings.js';
import { withTree, type Node } from './tree-sitter/runtime.js';
import { extractKotlinFacts, type KtFacts } from './kotlin/facts.js';
import { KOTLIN_SYNTAX } from './kotlin/libraries.js';
import { lowerKotlin } from './kotlin/lower.js';
import { kotlinHelperSignature } from './kotlin/helper-signature.js';
import { modulePaths, packageMates } from './kotlin/module.js';

/**
 * Cheap gate before parsing: without a wait, a retry predicate, a `catch` or a backoff there is nothing
 * to report (a file may configure `FixedBackOff` without saying retry).
 */
const MAYBE_RETRY = /delay|sleep|retry|catch|onFailure|backoff/i;

/** Files that may configure a JVM retry library (Spring Retry, Spring Framework, Resilience4j, Failsafe). */
const USES_LIBRARY =
  /org\.springframework\.(retry|resilience|core\.retry|util\.backoff)|io\.github\.resilience4j|failsafe/;

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
      libraries: libraryDrafts,
      mayUseLibrary: USES_LIBRARY,
      sharesExtraction: true,
      jitter: {
        mentionsRandom: /Random|random|jitter/,
        isPublic: (_fn, firstLine) => !/\b(private|internal)\b[^\n]*\bfun\b/.test(firstLine),
        delayBody: /\bpow\(|\bshl\b|minOf\(|coerceAtMost|\bdelay\(|\bsleep\(|backoff/i,
        waits: /\bdelay\(|\bsleep\(/,
        counterParam: /^(n|i|count|retries|retryCount|attemptNumber)$/,
        // Members of an `object` or a companion are called like top-level functions, qualified.
        methods: true,
        signature: kotlinHelperSignature,
      },
    });
  }
}

/** The JVM retry libraries, checked with Java's tables on the Kotlin tree. */
async function libraryDrafts(
  { root, text, facts }: { root: Node; text: string; facts: KtFacts },
  engine: FlowEngine,
  options: AnalysisOptions,
): Promise<Draft[]> {
  if (!USES_LIBRARY.test(text)) return [];
  const found: Draft[] = [];
  for (const library of await findLibraryRetries(root, valueReader(engine, facts), KOTLIN_SYNTAX)) {
    const draft = libraryDraft(library, options);
    if (draft) found.push(draft);
  }
  return found;
}

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: KtFacts): ValueOf {
  return (node: Node, expr?: Expr) => {
    const fn = functionAt(facts, node.startPosition.row + 1);
    // A bare name is the enclosing class's property unless the function takes it as a parameter.
    const receiverField = (name: string): boolean =>
      !!fn?.className &&
      !fn.params.some((p) => p.name === name) &&
      facts.assignments.some(
        (a) => a.target.kind === 'field' && a.target.className === fn.className && a.target.name === name,
      );
    return engine.evaluate(
      expr ?? lowerKotlin(node, { receiverField }),
      { facts, fn, className: fn?.className, counters: new Set() },
      newTrail(),
    );
  };
}
