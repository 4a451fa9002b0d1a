import { newTrail, type FlowEngine } from '../flow/engine.js';
import { functionAt, type Expr } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { scaled } from './tree-sitter/durations.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import { libraryHitDraft } from './tree-sitter/findings.js';
import { withTree, type Node } from './tree-sitter/runtime.js';
import { extractPythonFacts, type PyFacts } from './python/facts.js';
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

export class PythonAnalyzer extends EngineAnalyzer<PyFacts> {
  constructor() {
    super({
      language: 'python',
      grammar: 'python',
      extensions: PYTHON_FRONT_END.extensions,
      frontEnd: () => PYTHON_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractPythonFacts,
      libraries: libraryDrafts,
      mayUseLibrary: USES_LIBRARY,
      sharesExtraction: true,
      jitter: {
        mentionsRandom: /random|secrets|uniform/,
        isPublic: (fn) => !fn.name.startsWith('_'),
        delayBody: /\*\*|\bmin\(|<<|\bsleep\b|\bdelay\b|backoff/,
        waits: /sleep/,
        counterParam: /^(n|i|count|retries|attempt_number)$/,
      },
    });
  }
}

/** tenacity, backoff, retrying, urllib3 and celery. */
const libraryDrafts: LibraryChecks<PyFacts> = async ({ root, facts }, engine, options) => {
  const { module, calls } = summariseIndexed(facts.path, root);
  const hits = await findLibraryRetries(root, calls, module, valueReader(engine, facts));
  return hits.map((hit) => libraryHitDraft(hit, options));
};

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: PyFacts): ValueOf {
  return async (node: Node, unitMs: number, counters: readonly string[] = []) => {
    const fn = functionAt(facts, node.startPosition.row + 1);
    const expr: Expr = lowerPython(node, facts.importMap);
    const value = await engine.evaluate(
      expr,
      { facts, fn, className: fn?.className, counters: new Set(counters) },
      newTrail(),
    );
    return scaled(value, unitMs);
  };
}
