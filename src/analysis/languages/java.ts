import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview, newTrail, type FlowEngine } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { toFindings, type Draft } from './tree-sitter/findings.js';
import { guardNesting, withTree, type Node } from './tree-sitter/runtime.js';
import { extractJavaFacts, type JavaFacts } from './java/facts.js';
import { findLibraryRetries, type ValueOf } from './java/libraries.js';
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

/** Test frameworks: a file importing one is test code (RULES.md section 1), whatever its path. */
const TEST_IMPORT = /^(org\.junit|org\.testng|org\.assertj|org\.spockframework|io\.kotest|org\.mockito)/;

/**
 * Source sets of a Maven or Gradle build that hold test support, not product code
 * (`src/it/java`, `src/integrationTest/java`, `src/testFixtures/java`).
 */
const TEST_SOURCE_SET =
  /(^|\/)src\/(it|integration([-_]?[tT]ests?)?|testFixtures|test[A-Z]\w*|\w*[tT]est)\/(java|kotlin)\//;

/** Java for the value-flow engine: classes by their qualified names, and the files of a package share names. */
export const JAVA_FRONT_END: FrontEnd = {
  extensions: ['.java'],
  extract: (path, text) => withTree('java', text, (tree) => extractJavaFacts(path, tree.rootNode, false)),
  modulePaths,
  submodule: (module, name) => `${module}.${name}`,
  packageMates,
};

export class JavaAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'java';
  readonly extensions = ['.java'] as const;
  private readonly engines = new EnginePerReview(JAVA_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text) || TEST_SOURCE_SET.test(input.path)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('java', input.text, async (tree) => {
        const facts = extractJavaFacts(input.path, tree.rootNode, true);
        if (facts.imports.some((i) => TEST_IMPORT.test(i.module))) return [];
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        if (!USES_LIBRARY.test(input.text)) return found;
        for (const library of await findLibraryRetries(tree.rootNode, valueReader(engine, facts))) {
          const draft = libraryDraft(library, options);
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    return toFindings(drafts, input.path, this.language);
  }
}

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: JavaFacts): ValueOf {
  return (node: Node) => {
    const line = node.startPosition.row + 1;
    const fn = facts.functions
      .filter((f) => f.line <= line && line <= f.endLine && f.endLine > f.line)
      .sort((a, b) => b.line - a.line)[0];
    const className = fn?.className ?? enclosingClass(node, facts);
    return engine.evaluate(facts.lower!(node), { facts, fn, className, counters: new Set() }, newTrail());
  };
}

/** The class whose body holds `node` (an annotation on a method, a field initialiser). */
function enclosingClass(node: Node, facts: JavaFacts): string | undefined {
  const line = node.startPosition.row + 1;
  return facts.classes.filter((c) => c.line <= line).sort((a, b) => b.line - a.line)[0]?.name;
}
