import { newTrail, scopeIn, type FlowEngine } from '../flow/engine.js';
import { functionAt } from '../flow/ir.js';
import type { FrontEnd } from '../flow/program.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import { libraryDraft } from './tree-sitter/findings.js';
import { withTree, type Node } from './tree-sitter/runtime.js';
import { field } from './tree-sitter/syntax.js';
import { crateNameOf } from './rust/cargo.js';
import { extractRustFacts, type RsFacts } from './rust/facts.js';
import { findCrateRetries, type ValueOf } from './rust/libraries.js';
import { lowerRust } from './rust/lower.js';
import { modulePaths } from './rust/modules.js';
import { crateVisible, rustHelperSignature } from './rust/helper-signature.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 * (`Err` catches retries whose sleep is a helper defined in another module.)
 */
const MAYBE_RETRY =
  /sleep|delay_for|Timer::after|Delay::new|FixedInterval|ExponentialBackoff|FibonacciBackoff|Builder|backoff::|tryhard|\bErr\b|is_err/;

/**
 * Rust for the value-flow engine: modules are files of the crate (`crate::config` → `src/config.rs`),
 * and another crate of the workspace is found by the name its `Cargo.toml` gives it.
 */
export const RUST_FRONT_END: FrontEnd = {
  extensions: ['.rs'],
  extract: (path, text) => withTree('rust', text, (tree) => extractRustFacts(path, tree.rootNode, false)),
  modulePaths,
  submodule: (module, name) => `${module}::${name}`,
  packageManifest: { fileName: 'Cargo.toml', packageName: crateNameOf },
};

export class RustAnalyzer extends EngineAnalyzer<RsFacts> {
  constructor() {
    super({
      language: 'rust',
      grammar: 'rust',
      extensions: RUST_FRONT_END.extensions,
      frontEnd: () => RUST_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractRustFacts,
      libraries: crateDrafts,
      // Crate-visible functions only: a private one is reachable from its own module alone.
      jitter: {
        mentionsRandom: /rand/,
        isPublic: (_fn, firstLine) => crateVisible(firstLine),
        delayBody: /Duration|from_millis|from_secs|\bpowi?\b|saturating_pow|checked_pow|<</,
        counterParam: /^(n|i|count)$/,
        signature: rustHelperSignature,
      },
    });
  }
}

/** backoff, tokio-retry, backon and tryhard, outside `#[cfg(test)]` code. */
const crateDrafts: LibraryChecks<RsFacts> = async ({ root, facts }, engine, options) => {
  const retries = await findCrateRetries(root, valueReader(engine, facts));
  return retries
    .filter((retry) => !inTest(facts, retry.anchor.range.startLine))
    .map((retry) => libraryDraft(retry, options));
};

function inTest(facts: RsFacts, line: number): boolean {
  return facts.testLines.some(([start, end]) => start <= line && line <= end);
}

/** How the crate checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: RsFacts): ValueOf {
  return async (node: Node) => {
    const fn = functionAt(facts, node.startPosition.row + 1);
    const expr = lowerRust(node, { implType: implTypeAround(node) });
    return engine.evaluate(expr, scopeIn(facts, fn?.id), newTrail());
  };
}

function implTypeAround(node: Node): string | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'impl_item')
      return field(current, 'type')?.text.replace(/<.*$/s, '').replace(/^.*::/, '');
  }
  return undefined;
}
