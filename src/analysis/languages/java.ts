import { newTrail, type FlowEngine } from '../flow/engine.js';
import type { Expr } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import { withTree, type Node } from './tree-sitter/runtime.js';
import { extractJavaFacts, type JavaFacts } from './java/facts.js';
import { findLibraryRetries, libraryConstant, type ValueOf } from './java/libraries.js';
import { javaHelperSignature } from './java/helper-signature.js';
import { modulePaths, packageMates } from './java/module.js';
import { libraryDraft } from './java/report.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 */
const MAYBE_RETRY =
  /\bsleep|\bcatch\b|\.schedule\(|newTimeout|Retryable|RetryConfig|RetryPolicy|RetryTemplate|IntervalFunction|parkNanos|\bFixedBackOff\b/;

/** Files that may configure a retry library. */
const USES_LIBRARY =
  /Retryable|RetryConfig|RetryPolicy|RetryTemplate|IntervalFunction|Retry\b|\bFixedBackOff\b/;

/** Java for the value-flow engine: classes by their qualified names, and the files of a package share names. */
export const JAVA_FRONT_END: FrontEnd = {
  extensions: ['.java'],
  extract: (path, text) => withTree('java', text, (tree) => extractJavaFacts(path, tree.rootNode, false)),
  modulePaths,
  submodule: (module, name) => `${module}.${name}`,
  packageMates,
  libraryConstant,
};

export class JavaAnalyzer extends EngineAnalyzer<JavaFacts> {
  constructor() {
    super({
      language: 'java',
      grammar: 'java',
      extensions: JAVA_FRONT_END.extensions,
      frontEnd: () => JAVA_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractJavaFacts,
      libraries: libraryDrafts,
      mayUseLibrary: USES_LIBRARY,
      sharesExtraction: true,
      detach: (facts) => delete facts.lower,
      jitter: {
        mentionsRandom: /Random|random|jitter/,
        isPublic: (_fn, firstLine) => !/\bprivate\b/.test(firstLine),
        delayBody: /Math\.(?:min|pow)\(|<<|\bsleep\(|Duration\.of|backoff/i,
        waits: /\bsleep\(/,
        counterParam: /^(n|i|count|retries|retryCount|attemptNumber)$/,
        // Static methods of classes: Java has no top-level functions.
        methods: true,
        signature: javaHelperSignature,
      },
    });
  }
}

/** Spring Retry, Spring Framework 7, Resilience4j and Failsafe. */
const libraryDrafts: LibraryChecks<JavaFacts> = async ({ root, facts }, engine, options) => {
  const hits = await findLibraryRetries(root, valueReader(engine, facts));
  return hits.map((hit) => libraryDraft(hit, options));
};

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: JavaFacts): ValueOf {
  return (node: Node, expr?: Expr) => {
    const line = node.startPosition.row + 1;
    const fn = facts.functions
      .filter((f) => f.line <= line && line <= f.endLine && f.endLine > f.line)
      .sort((a, b) => b.line - a.line)[0];
    const className = fn?.className ?? enclosingClass(node, facts);
    return engine.evaluate(
      expr ?? facts.lower!(node),
      { facts, fn, className, counters: new Set() },
      newTrail(),
    );
  };
}

/** The class whose body holds `node` (an annotation on a method, a field initialiser). */
function enclosingClass(node: Node, facts: JavaFacts): string | undefined {
  const line = node.startPosition.row + 1;
  return facts.classes.filter((c) => c.line <= line).sort((a, b) => b.line - a.line)[0]?.name;
}
