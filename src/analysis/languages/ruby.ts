import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import { ATTEMPT_NAME } from '../context.js';
import type { Finding, Language } from '../finding.js';
import { scaled } from './tree-sitter/durations.js';
import { snippet, toFindings, waitDraft, type Draft } from './tree-sitter/findings.js';
import { SummaryCache } from './tree-sitter/modules.js';
import {
  loadedLanguage,
  loadLanguage,
  parseLoaded,
  withTree,
  type Node,
  guardNesting,
} from './tree-sitter/runtime.js';
import { enclosing, field, namedChildren } from './tree-sitter/syntax.js';
import { RbEvaluator } from './ruby/evaluate.js';
import { isSleep, summariseRuby, summariseRubyIndexed, type RbFile } from './ruby/module.js';
import { METHOD_TYPES, retryContext } from './ruby/retry-context.js';

/** Cheap gate before parsing: without `sleep` (or a helper called from a `rescue`) there is nothing to report. */
const MAYBE_RETRY = /sleep|rescue|retry/;
const SECOND_MS = 1_000;
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval/i;

class ScanState {
  readonly files: SummaryCache<RbFile>;
  readonly evaluator: RbEvaluator;

  constructor(host: ModuleHost) {
    this.files = new SummaryCache(host, (path, text) =>
      withTree('ruby', text, (tree) => summariseRuby(path, tree.rootNode)),
    );
    this.evaluator = new RbEvaluator(this.files);
  }
}

interface RbWait {
  call: Node;
  delay: Node;
  jittered: boolean;
}

export class RubyAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'ruby';
  readonly extensions = ['.rb', '.rake'] as const;
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
      withTree('ruby', input.text, async (tree) => {
        const { file, calls } = summariseRubyIndexed(input.path, tree.rootNode);
        scan.files.put(input.path, file);
        const found: Draft[] = [];
        for (const call of calls) {
          const wait = waitOf(call, file);
          if (!wait || wait.jittered) continue;
          const context = retryContext(call);
          if (!context) continue;
          const evidence = [...context.evidence];
          const value = scaled(
            await scan.evaluator.evaluate(wait.delay, {
              file,
              method: enclosing(call, METHOD_TYPES),
              counters: context.counters,
              depth: 0,
              evidence,
            }),
            SECOND_MS,
          );
          const draft = waitDraft(
            {
              value,
              anchor: snippet(call),
              argument: snippet(wait.delay),
              trigger: context.trigger,
              attemptVar: context.attemptVar,
              evidence,
              confidence: 'high',
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

  /** Methods whose bodies draw a random number and compute or wait a delay. */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
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

/** `sleep N`, `Kernel.sleep(N)`, or a method of the file that sleeps its argument. */
function waitOf(call: Node, file: RbFile): RbWait | null {
  const list = field(call, 'arguments');
  const args = list ? namedChildren(list).filter((n) => n.type !== 'block_argument') : [];
  if (isSleep(call)) return args[0] ? { call, delay: args[0], jittered: false } : null;
  const receiver = field(call, 'receiver');
  if (receiver && receiver.text !== 'self') return null;
  const helper = file.methods.get(field(call, 'method')?.text ?? '');
  if (!helper?.sleeps) return null;
  const delay = args[helper.sleeps.param];
  return delay ? { call, delay, jittered: helper.random } : null;
}
