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
import { MAX_CACHED_MODULES, SummaryCache } from './tree-sitter/modules.js';
import {
  loadedLanguage,
  loadLanguage,
  parseLoaded,
  withTree,
  type Node,
  guardNesting,
} from './tree-sitter/runtime.js';
import { enclosing } from './tree-sitter/syntax.js';
import { ATTEMPT_NAME } from '../context.js';
import { GoEvaluator, NS_PER_MS, type GoEnv, type GoPackage } from './go/evaluate.js';
import { findLibraryRetries } from './go/libraries.js';
import { summariseGo, summariseGoIndexed, type GoFile } from './go/package.js';
import { FUNCTION_TYPES, retryContext } from './go/retry-context.js';
import { mayWait, waitOf } from './go/waits.js';

/** Cheap gate before parsing: a file with none of these words cannot hold a retry we would report. */
const MAYBE_RETRY = /Sleep|time\.After|backoff|retry|Retry|Backoff|[Cc]lock|sleep/;
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;

class ScanState {
  readonly files: SummaryCache<GoFile>;
  readonly evaluator: GoEvaluator;
  private readonly packages = new Map<string, Promise<GoPackage | null>>();

  constructor(private readonly host: ModuleHost) {
    this.files = new SummaryCache(host, (path, text) =>
      withTree('go', text, (tree) => summariseGo(path, tree.rootNode)),
    );
    this.evaluator = new GoEvaluator(host, (dir) => this.packageAt(dir), this.files);
  }

  /**
   * The package in `dir`: every non-test `.go` file listed there, summarised once per scan. Without
   * a listing nothing is known here; `withFile` adds the file being analysed.
   */
  packageAt(dir: string): Promise<GoPackage | null> {
    let pending = this.packages.get(dir);
    if (pending) {
      this.packages.delete(dir);
    } else {
      pending = this.loadPackage(dir);
    }
    this.packages.set(dir, pending);
    if (this.packages.size > MAX_CACHED_MODULES) this.packages.delete(this.packages.keys().next().value!);
    return pending;
  }

  private async loadPackage(dir: string): Promise<GoPackage | null> {
    const listed = (await this.host.list?.(dir).catch(() => null)) ?? null;
    const paths = (listed ?? []).filter((p) => p.endsWith('.go') && !p.endsWith('_test.go'));
    const files: GoFile[] = [];
    for (const path of paths) {
      const file = await this.files.get(path);
      if (file) files.push(file);
    }
    return files.length === 0 ? null : merged(dir, files);
  }
}

/** One package from its files' summaries (a later file's name wins, as it cannot be declared twice anyway). */
function merged(dir: string, files: readonly GoFile[]): GoPackage {
  const pkg: GoPackage = {
    dir,
    constants: new Map(),
    functions: new Map(),
    methods: new Map(),
    files: new Map(),
  };
  for (const file of files) {
    pkg.files.set(file.path, file);
    for (const [name, constant] of file.constants) pkg.constants.set(name, constant);
    for (const [name, fn] of file.functions) pkg.functions.set(name, fn);
    for (const [name, fn] of file.methods) pkg.methods.set(name, fn);
  }
  return pkg;
}

/** The package as the file being analysed sees it: its fresh summary over the rest of its directory. */
function withFile(pkg: GoPackage | null, file: GoFile): GoPackage {
  if (!pkg) return merged('', [file]);
  const others = [...pkg.files.values()].filter(
    (f) => f.path !== file.path && f.packageName === file.packageName,
  );
  return merged(pkg.dir, [...others, file]);
}

export class GoAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'go';
  readonly extensions = ['.go'] as const;
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
      withTree('go', input.text, async (tree) => {
        const { file, calls } = summariseGoIndexed(input.path, tree.rootNode);
        scan.files.put(input.path, file);
        const dir = posix.dirname(input.path);
        const pkg = merged(dir, [file]);
        let whole: Promise<GoPackage> | undefined;
        pkg.rest = () =>
          (whole ??= scan.packageAt(dir === '.' ? '' : dir).then((listed) => withFile(listed, file)));
        const env: GoEnv = { pkg, file, fn: null, counters: new Set(), depth: 0, evidence: [] };
        const found: Draft[] = [];
        for (const call of calls) {
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
      }),
    );
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
  if (!mayWait(call, env)) return null;
  // The failure-path test is pure syntax; it runs first so that only calls on a failure path make the
  // rest of the package load (to learn whether a callee is a sleep helper).
  const context = retryContext(call);
  if (!context) return null;
  const wait = await waitOf(call, env, evaluator);
  if (!wait || wait.jittered) return null;
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
