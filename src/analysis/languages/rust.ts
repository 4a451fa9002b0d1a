import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { EnginePerReview, newTrail, scopeIn, type FlowEngine } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import { judgeWait } from '../flow/waits.js';
import { libraryDraft, toFindings, type Draft } from './tree-sitter/findings.js';
import { guardNesting, withTree, type Node } from './tree-sitter/runtime.js';
import { field } from './tree-sitter/syntax.js';
import { RAND_EVIDENCE, randDependency } from './rust/cargo.js';
import { extractRustFacts, type RsFacts } from './rust/facts.js';
import { findCrateRetries, type ValueOf } from './rust/libraries.js';
import { lowerRust } from './rust/lower.js';
import { modulePaths } from './rust/modules.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 * (`Err` catches retries whose sleep is a helper defined in another module.)
 */
const MAYBE_RETRY =
  /sleep|delay_for|Timer::after|Delay::new|FixedInterval|ExponentialBackoff|FibonacciBackoff|Builder|backoff::|\bErr\b|is_err/;

/** A struct literal's type (also matches `struct Foo {` and `impl Foo {`: the index may over-include). */
const STRUCT_LITERAL = /\b([A-Z]\w*)\s*\{/g;

/** Rust for the value-flow engine: modules are files of the crate (`crate::config` → `src/config.rs`). */
export const RUST_FRONT_END: FrontEnd = {
  extensions: ['.rs'],
  extract: (path, text) => withTree('rust', text, (tree) => extractRustFacts(path, tree.rootNode, false)),
  modulePaths,
  submodule: (module, name) => `${module}::${name}`,
  // `Config { retry_delay: … }` sets the fields of `Config` as a call of it would.
  callTokens: (text) => [...text.matchAll(STRUCT_LITERAL)].map((match) => match[1]!),
};

export class RustAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'rust';
  readonly extensions = ['.rs'] as const;
  private readonly engines = new EnginePerReview(RUST_FRONT_END);

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const engine = this.engines.for(host, input.path);
    const drafts = await guardNesting(() =>
      withTree('rust', input.text, async (tree) => {
        const facts = extractRustFacts(input.path, tree.rootNode, true);
        engine.program.put(facts);
        const found: Draft[] = [];
        for (const site of facts.sites) {
          const draft = await judgeWait(engine, facts, site, options);
          if (draft) found.push(draft);
        }
        for (const retry of await findCrateRetries(tree.rootNode, valueReader(engine, facts))) {
          if (inTest(facts, retry.anchor.range.startLine)) continue;
          const draft = libraryDraft(retry, options);
          if (draft) found.push(draft);
        }
        return found;
      }),
    );
    // Patches may call `rand` only when the crate already depends on it: say so in the evidence.
    if (drafts.some((draft) => draft.form.kind === 'call-argument')) {
      const rand = await randDependency(input.path, host);
      if (rand) {
        for (const draft of drafts) {
          if (draft.form.kind === 'call-argument')
            draft.evidence.push(
              `${RAND_EVIDENCE} ${rand.version ?? ''} (${rand.manifest})`.replace('  ', ' '),
            );
        }
      }
    }
    return toFindings(drafts, input.path, this.language);
  }
}

/** Library options in test code are not findings (the waits there have no sites). */
function inTest(facts: RsFacts, line: number): boolean {
  return facts.testLines.some(([start, end]) => start <= line && line <= end);
}

/** How the crate checks read a value at a node: lowered, then followed by the engine in the node's scope. */
function valueReader(engine: FlowEngine, facts: RsFacts): ValueOf {
  return async (node: Node) => {
    const line = node.startPosition.row + 1;
    const fn = facts.functions
      .filter((f) => f.line <= line && line <= f.endLine)
      .sort((a, b) => b.line - a.line)[0];
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
