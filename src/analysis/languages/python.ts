import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { scaled } from './tree-sitter/durations.js';
import { libraryDraft, snippet, toFindings, waitDraft, type Draft } from './tree-sitter/findings.js';
import { SummaryCache } from './tree-sitter/modules.js';
import { guardNesting, loadLanguage, withTree, type Node } from './tree-sitter/runtime.js';
import { enclosing, field } from './tree-sitter/syntax.js';
import { PyEvaluator } from './python/evaluate.js';
import { findPythonJitterHelpers } from './python/jitter-helpers.js';
import { findLibraryRetries } from './python/libraries.js';
import { summarise, summariseIndexed, type PyModule } from './python/module.js';
import { FUNCTION_TYPES, retryContext } from './python/retry-context.js';
import { waitOf } from './python/waits.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 * (`Retry(` is urllib3; `.task` a celery task; `except` catches retries whose sleep is a helper
 * defined elsewhere.)
 */
const MAYBE_RETRY = /sleep|retry|Retry\(|backoff|tenacity|\.wait\(|\.task\b|countdown|except\b/;

const CLASS_TYPES = new Set(['class_definition']);

/** Per-host state: module summaries and folded constants are shared by every file of one scan. */
class ScanState {
  readonly modules: SummaryCache<PyModule>;
  readonly evaluator: PyEvaluator;

  constructor(host: ModuleHost) {
    this.modules = new SummaryCache(host, summariseText);
    this.evaluator = new PyEvaluator(this.modules);
  }
}

async function summariseText(path: string, text: string): Promise<PyModule> {
  return withTree('python', text, (tree) => summarise(path, tree.rootNode));
}

export class PythonAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'python';
  readonly extensions = ['.py', '.pyw'] as const;
  private readonly states = new WeakMap<ModuleHost, ScanState>();

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    let state = this.states.get(host);
    if (!state) {
      state = new ScanState(host);
      this.states.set(host, state);
    }
    const scan = state;
    const drafts = await guardNesting(() =>
      withTree('python', input.text, async (tree) => {
        const { module, calls, repeated } = summariseIndexed(input.path, tree.rootNode);
        scan.modules.put(input.path, module);
        const found: Draft[] = [];
        for (const call of repeated) {
          const draft = await waitDraftOf(call, module, scan.evaluator, options);
          if (draft) found.push(draft);
        }
        for (const library of await findLibraryRetries(tree.rootNode, calls, module, scan.evaluator)) {
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

async function waitDraftOf(
  call: Node,
  module: PyModule,
  evaluator: PyEvaluator,
  options: AnalysisOptions,
): Promise<Draft | null> {
  // Every wait passes its delay: a call without arguments cannot be one.
  if (!field(call, 'arguments')?.namedChildCount) return null;
  const wait = await waitOf(call, module, evaluator);
  if (!wait || wait.jittered) return null;
  const context = retryContext(call);
  if (!context) return null;
  const evidence = [...context.evidence];
  if (wait.helper) evidence.push(`\`${wait.helper.name}\` (${wait.helper.path}) waits its argument`);
  const cls = enclosing(call, CLASS_TYPES);
  const value = scaled(
    await evaluator.evaluate(wait.delay, {
      module,
      fn: enclosing(call, FUNCTION_TYPES),
      cls: cls ? (field(cls, 'name')?.text ?? null) : null,
      counters: context.counters,
      depth: 0,
      evidence,
    }),
    wait.unitMs,
  );
  return waitDraft(
    {
      value,
      anchor: snippet(call),
      argument: snippet(wait.delay),
      trigger: context.trigger,
      attemptVar: context.attemptVar,
      evidence,
      confidence: wait.confidence,
    },
    options,
  );
}
