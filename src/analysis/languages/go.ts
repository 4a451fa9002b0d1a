import { posix } from 'node:path';
import type {
  AnalysisOptions,
  JitterHelperCandidate,
  LanguageAnalyzer,
  ModuleHost,
  SourceInput,
} from '../analyzer.js';
import { ATTEMPT_NAME } from '../context.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview, newTrail, type FlowEngine } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { scaled } from './tree-sitter/durations.js';
import { libraryHitDraft, toFindings, type Draft } from './tree-sitter/findings.js';
import {
  guardNesting,
  loadedLanguage,
  loadLanguage,
  parseLoaded,
  withTree,
  type Node,
} from './tree-sitter/runtime.js';
import { extractGoFacts, NS_UNIT_MS, type GoFacts } from './go/facts.js';
import { findLibraryRetries, importsRetryLibrary, type Millis } from './go/libraries.js';
import { lowerGo } from './go/lower.js';
import { GoModules } from './go/modules.js';

/** Cheap gate before parsing: a file with none of these words cannot hold a retry we would report. */
const MAYBE_RETRY = /Sleep|time\.After|NewTimer|backoff|retry|Retry|Backoff|[Cc]lock|sleep/;
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;
/** A body that computes or waits a delay. */
const DELAY_BODY = /time\.(Duration|Second|Millisecond|Sleep|After)|<<|math\.Pow/;
/**
 * Test-support packages whose directory says nothing (the file filter skips `testutil/`, `mocks/` and
 * files that import "testing"): the package clause still names them.
 */
const TEST_SUPPORT_PACKAGE = /^(testutils?|testing|testhelpers?|testsupport|mocks?|fakes?)$/;

/** Go for the value-flow engine: a package is its directory, an import path maps through `go.mod`. */
export function goFrontEnd(modules: GoModules): FrontEnd {
  return {
    extensions: ['.go'],
    // Tests are neither callers nor configuration of the code under review.
    extract: (path, text) =>
      path.endsWith('_test.go')
        ? Promise.resolve(null)
        : withTree('go', text, (tree) => extractGoFacts(path, tree.rootNode, false)),
    modulePaths: (fromPath, module) => modules.directories(fromPath, module),
    submodule: (module, name) => `${module}/${name}`,
    unitMs: NS_UNIT_MS,
    // The other Go files of the directory; `_test.go` files belong to a test package of their own.
    packageMates: (path, listing) =>
      listing.filter((p) => p !== path && p.endsWith('.go') && !p.endsWith('_test.go')),
  };
}

interface HostState {
  modules: GoModules;
  engines: EnginePerReview;
  /** Per package directory: whether only tests import it. */
  testOnly: Map<string, Promise<boolean>>;
}

/** Files read to learn who imports a package (the nearest first would need the index; any will do). */
const MAX_IMPORTER_FILES = 400;

/**
 * A package that only `_test.go` files import is test support (a harness, fakes), whatever its name.
 * Unknown importers beyond the budget count as none: this can only make the detector quieter.
 */
async function importedOnlyByTests(host: ModuleHost, modules: GoModules, dir: string): Promise<boolean> {
  const importPath = modules.importPathOf(dir);
  if (!importPath) return false;
  const quoted = `"${importPath}"`;
  const all = (await host.files?.().catch(() => [] as string[])) ?? [];
  const others = all
    .filter((p) => p.endsWith('.go') && posix.dirname(p) !== dir)
    .slice(0, MAX_IMPORTER_FILES);
  let importers = 0;
  for (const path of others) {
    const text = await host.read(path).catch(() => null);
    if (!text?.includes(quoted)) continue;
    if (!path.endsWith('_test.go')) return false;
    importers += 1;
  }
  return importers > 0;
}

export class GoAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'go';
  readonly extensions = ['.go'] as const;
  private readonly hosts = new WeakMap<ModuleHost, HostState>();

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    let state = this.hosts.get(host);
    if (!state) {
      const modules = new GoModules(host);
      state = { modules, engines: new EnginePerReview(goFrontEnd(modules)), testOnly: new Map() };
      this.hosts.set(host, state);
    }
    await state.modules.load(posix.dirname(input.path));
    const engine = state.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('go', input.text, async (tree) => {
        const facts = extractGoFacts(input.path, tree.rootNode, true);
        if (TEST_SUPPORT_PACKAGE.test(facts.packageName)) return [];
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        if (!importsRetryLibrary(facts.importMap)) return found;
        for (const library of await findLibraryRetries(
          tree.rootNode,
          facts.importMap,
          valueReader(engine, facts),
        )) {
          const draft = libraryHitDraft(library, options);
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    if (drafts.length === 0) return [];
    const dir = posix.dirname(input.path);
    let testOnly = state.testOnly.get(dir);
    if (!testOnly) state.testOnly.set(dir, (testOnly = importedOnlyByTests(host, state.modules, dir)));
    if (await testOnly) return [];
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
      const facts = extractGoFacts(input.path, tree.rootNode, false);
      const lines = input.text.split('\n');
      const found: JitterHelperCandidate[] = [];
      for (const fn of facts.functions) {
        if (fn.className || fn.parent !== undefined || !/^[A-Z]/.test(fn.name) || !fn.random) continue;
        const body = lines.slice(fn.line - 1, fn.endLine).join('\n');
        if (!DELAY_BODY.test(body) && !DELAY_WORDS.test(fn.name)) continue;
        const first = fn.params[0]?.name ?? '';
        found.push({
          name: fn.name,
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

  /** Loads the grammar ahead of the first file (servers call it at start-up; optional). */
  warmUp(): Promise<unknown> {
    return loadLanguage('go');
  }
}

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: GoFacts): Millis {
  return async (node: Node) => {
    const line = node.startPosition.row + 1;
    const fn = facts.functions
      .filter((f) => f.line <= line && line <= f.endLine)
      .sort((a, b) => b.line - a.line || b.id - a.id)[0];
    const receiver = fn ? facts.receivers.get(fn.id) : undefined;
    const expr = lowerGo(node, { imports: facts.importMap, receiver });
    const value = await engine.evaluate(
      expr,
      { facts, fn, className: fn?.className, counters: new Set() },
      newTrail(),
    );
    return scaled(value, NS_UNIT_MS);
  };
}
