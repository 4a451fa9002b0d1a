import { posix } from 'node:path';
import type { ModuleHost } from '../analyzer.js';
import { newTrail, type FlowEngine } from '../flow/engine.js';
import { functionAt } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { scaled } from './tree-sitter/durations.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import { libraryHitDraft } from './tree-sitter/findings.js';
import { withTree, type Node } from './tree-sitter/runtime.js';
import { extractGoFacts, NS_UNIT_MS, type GoFacts } from './go/facts.js';
import { findLibraryRetries, importsRetryLibrary, type Millis } from './go/libraries.js';
import { lowerGo } from './go/lower.js';
import { GoModules } from './go/modules.js';
import { goHelperSignature } from './go/helper-signature.js';

/** Cheap gate before parsing: a file with none of these words cannot hold a retry we would report. */
const MAYBE_RETRY = /Sleep|time\.After|NewTimer|backoff|retry|Retry|Backoff|[Cc]lock|sleep/;
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

/**
 * Go on the shared shell. Each repository has its own modules (read from its `go.mod` files) and its
 * own answers to "is this package imported only by tests?".
 */
export class GoAnalyzer extends EngineAnalyzer<GoFacts> {
  constructor() {
    const hosts = new WeakMap<ModuleHost, HostState>();
    const stateOf = (host: ModuleHost): HostState => {
      let state = hosts.get(host);
      if (!state) hosts.set(host, (state = { modules: new GoModules(host), testOnly: new Map() }));
      return state;
    };
    super({
      language: 'go',
      grammar: 'go',
      extensions: ['.go'],
      frontEnd: (host) => goFrontEnd(stateOf(host).modules),
      maybeRetry: MAYBE_RETRY,
      before: (input, host) => stateOf(host).modules.load(posix.dirname(input.path)),
      extract: extractGoFacts,
      skip: (facts) => TEST_SUPPORT_PACKAGE.test(facts.packageName),
      libraries: libraryDrafts,
      finish: async (drafts, path, host) => {
        if (drafts.length === 0) return drafts;
        const state = stateOf(host);
        const dir = posix.dirname(path);
        let testOnly = state.testOnly.get(dir);
        if (!testOnly) state.testOnly.set(dir, (testOnly = importedOnlyByTests(host, state.modules, dir)));
        return (await testOnly) ? [] : drafts;
      },
      // Exported functions only: a lower-case name is private to its package.
      jitter: {
        mentionsRandom: /rand/,
        isPublic: (fn) => /^[A-Z]/.test(fn.name),
        delayBody: /time\.(Duration|Second|Millisecond|Sleep|After)|<<|math\.Pow/,
        counterParam: /^(n|i|count)$/,
        signature: goHelperSignature,
      },
    });
  }
}

/** cenkalti/backoff, avast/retry-go and hashicorp/go-retryablehttp, in files that import one. */
const libraryDrafts: LibraryChecks<GoFacts> = async ({ root, facts }, engine, options) => {
  if (!importsRetryLibrary(facts.importMap)) return [];
  const hits = await findLibraryRetries(root, facts.importMap, valueReader(engine, facts));
  return hits.map((hit) => libraryHitDraft(hit, options));
};

/** How the library checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: GoFacts): Millis {
  return async (node: Node) => {
    const line = node.startPosition.row + 1;
    const fn = functionAt(facts, line);
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
