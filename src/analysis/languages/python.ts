import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview, newTrail, type FlowEngine } from '../flow/engine.js';
import type { Expr } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { scaled } from './tree-sitter/durations.js';
import { libraryDraft, snippet, toFindings, type Draft } from './tree-sitter/findings.js';
import { guardNesting, loadLanguage, withTree, type Node } from './tree-sitter/runtime.js';
import { extractPythonFacts, type PyFacts } from './python/facts.js';
import { findPythonJitterHelpers } from './python/jitter-helpers.js';
import { findLibraryRetries, type ValueOf } from './python/libraries.js';
import { lowerPython } from './python/lower.js';
import { modulePaths, summariseIndexed } from './python/module.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 * (`Retry(` is urllib3; `.task` a celery task; `except` catches retries whose sleep is a helper
 * defined elsewhere; timers reschedule a reconnect from a disconnect callback.)
 */
const MAYBE_RETRY =
  /sleep|retry|Retry\(|backoff|tenacity|\.wait\(|\.task\b|countdown|except\b|call_?[lL]ater|Timer\(/;

/** Files that may configure a retry library (tenacity, backoff, retrying, urllib3, celery). */
const USES_LIBRARY = /tenacity|backoff|retrying|urllib3|Retry\(|celery|\.task\b|\.retry\(/;

/** Python for the value-flow engine: facts from a tree, modules by their dotted names. */
export const PYTHON_FRONT_END: FrontEnd = {
  extensions: ['.py', '.pyw'],
  extract: (path, text) => withTree('python', text, (tree) => extractPythonFacts(path, tree.rootNode, false)),
  modulePaths,
  // `from . import settings` → `.settings`; `from app import settings` → `app.settings`.
  submodule: (module, name) => (/^\.*$/.test(module) ? `${module}${name}` : `${module}.${name}`),
};

export class PythonAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'python';
  readonly extensions = ['.py', '.pyw'] as const;
  private readonly engines = new EnginePerReview(PYTHON_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('python', input.text, async (tree) => {
        const facts = extractPythonFacts(input.path, tree.rootNode, true);
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        if (!USES_LIBRARY.test(input.text)) return found;
        const { module, calls } = summariseIndexed(input.path, tree.rootNode);
        const valueOf = valueReader(engine, facts);
        for (const library of await findLibraryRetries(tree.rootNode, calls, module, valueOf)) {
          const draft = libraryDraft(
            {
              library: library.library,
              value: library.value,
              anchor: snippet(library.anchor),
              target: snippet(library.target),
              evidence: [library.evidence],
              confidence: library.confidence,
            },
            options,
          );
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    return toFindings(drafts, input.path, this.language);
  }

  /**
   * Public functions of the file that add randomness to a delay. Synchronous by the interface, so it
   * needs the grammar loaded, which it is once any Python file has been analysed (the only time a
   * Python patch could reuse a helper); before that it starts the load and reports none.
   */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    return findPythonJitterHelpers(input);
  }

  /** Loads the grammar ahead of the first file (servers call it at start-up; optional). */
  warmUp(): Promise<unknown> {
    return loadLanguage('python');
  }
}

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: PyFacts): ValueOf {
  return async (node: Node, unitMs: number, counters: readonly string[] = []) => {
    const line = node.startPosition.row + 1;
    const fn = facts.functions
      .filter((f) => f.line <= line && line <= f.endLine)
      .sort((a, b) => b.line - a.line)[0];
    const expr: Expr = lowerPython(node, facts.importMap);
    const value = await engine.evaluate(
      expr,
      { facts, fn, className: fn?.className, counters: new Set(counters) },
      newTrail(),
    );
    return scaled(value, unitMs);
  };
}
