import { posix } from 'node:path';
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
import { SummaryCache, type ListingHost } from './tree-sitter/modules.js';
import { loadedLanguage, loadLanguage, parseLoaded, withTree, type Node } from './tree-sitter/runtime.js';
import { descendantsOfTypes, enclosing } from './tree-sitter/syntax.js';
import { ATTEMPT_NAME } from '../context.js';
import { GoEvaluator, NS_PER_MS, type GoEnv, type GoPackage } from './go/evaluate.js';
import { findLibraryRetries } from './go/libraries.js';
import { summariseGo, type GoFile } from './go/package.js';
import { FUNCTION_TYPES, retryContext } from './go/retry-context.js';
import { waitOf } from './go/waits.js';

/** Cheap gate before parsing: a file with none of these words cannot hold a retry we would report. */
const MAYBE_RETRY = /Sleep|time\.After|backoff|retry|Retry|Backoff|[Cc]lock|sleep/;
const CALL_TYPES = new Set(['call_expression']);
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;

class ScanState {
  readonly files: SummaryCache<GoFile>;
  readonly evaluator: GoEvaluator;
  private readonly packages = new Map<string, Promise<GoPackage | null>>();

  constructor(private readonly host: ListingHost) {
    this.files = new SummaryCache(host, (path, text) =>
      withTree('go', text, (tree) => summariseGo(path, tree.rootNode)),
    );
    this.evaluator = new GoEvaluator(host, (dir) => this.packageAt(dir, null), this.files);
  }

  /**
   * The package in `dir`: every non-test `.go` file listed there, with `current` (the file being
   * analysed) in its fresh form. Without a listing, only `current` is known.
   */
  packageAt(dir: string, current: GoFile | null): Promise<GoPackage | null> {
    let pending = this.packages.get(dir);
    if (!pending || current) {
      pending = this.loadPackage(dir, current);
      this.packages.set(dir, pending);
    }
    return pending;
  }

  private async loadPackage(dir: string, current: GoFile | null): Promise<GoPackage | null> {
    const listed = (await this.host.list?.(dir).catch(() => null)) ?? null;
    const paths = (listed ?? []).filter((p) => p.endsWith('.go') && !p.endsWith('_test.go'));
    const pkg: GoPackage = {
      dir,
      constants: new Map(),
      functions: new Map(),
      methods: new Map(),
      files: new Map(),
    };
    const files: GoFile[] = current ? [current] : [];
    for (const path of paths) {
      if (current && path === current.path) continue;
      const file = await this.files.get(path);
      if (file && (!current || file.packageName === current.packageName)) files.push(file);
    }
    if (files.length === 0) return null;
    for (const file of files) {
      pkg.files.set(file.path, file);
      for (const [name, constant] of file.constants) pkg.constants.set(name, constant);
      for (const [name, fn] of file.functions) pkg.functions.set(name, fn);
      for (const [name, fn] of file.methods) pkg.methods.set(name, fn);
    }
    return pkg;
  }
}

export class GoAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'go';
  readonly extensions = ['.go'] as const;
  private readonly states = new WeakMap<ModuleHost, ScanState>();

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    let state = this.states.get(host);
    if (!state) {
      state = new ScanState(host as ListingHost);
      this.states.set(host, state);
    }
    const scan = state;
    const drafts = await withTree('go', input.text, async (tree) => {
      const file = summariseGo(input.path, tree.rootNode);
      scan.files.put(input.path, file);
      const dir = posix.dirname(input.path);
      const pkg = (await scan.packageAt(dir === '.' ? '' : dir, file))!;
      const env: GoEnv = { pkg, file, fn: null, counters: new Set(), depth: 0, evidence: [] };
      const found: Draft[] = [];
      for (const call of descendantsOfTypes(tree.rootNode, CALL_TYPES)) {
        const draft = await waitDraftOf(call, env, scan.evaluator, options);
        if (draft) found.push(draft);
      }
      for (const library of await findLibraryRetries(tree.rootNode, env, scan.evaluator)) {
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
    });
    return toFindings(drafts, input.path, this.language);
  }

  /** Exported functions whose bodies draw a random number and compute or wait a delay. */
  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    if (!/rand/.test(input.text)) return [];
    const language = loadedLanguage('go');
    if (!language) {
      void loadLanguage('go').catch(() => undefined);
      return [];
    }
    let tree;
    try {
      tree = parseLoaded('go', language, input.text);
    } catch {
      return [];
    }
    try {
      const file = summariseGo(input.path, tree.rootNode);
      const found: JitterHelperCandidate[] = [];
      for (const [name, fn] of file.functions) {
        if (!/^[A-Z]/.test(name) || !fn.random || (!fn.delayLike && !DELAY_WORDS.test(name))) continue;
        const first = fn.params[0] ?? '';
        found.push({
          name,
          path: input.path,
          takesAttempt: ATTEMPT_NAME.test(first) || /^(n|i|count)$/.test(first),
          sleeps: fn.sleeps !== undefined,
        });
      }
      return found;
    } finally {
      tree.delete();
    }
  }
}

async function waitDraftOf(
  call: Node,
  env: GoEnv,
  evaluator: GoEvaluator,
  options: AnalysisOptions,
): Promise<Draft | null> {
  const wait = await waitOf(call, env, evaluator);
  if (!wait || wait.jittered) return null;
  const context = retryContext(call);
  if (!context) return null;
  const evidence = [...context.evidence];
  if (wait.helper) evidence.push(`\`${wait.helper.name}\` (${wait.helper.path}) waits its argument`);
  const value = scaled(
    await evaluator.evaluate(wait.delay, {
      ...env,
      fn: enclosing(call, FUNCTION_TYPES),
      counters: context.counters,
      evidence,
    }),
    1 / NS_PER_MS,
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
