import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { rangeOf, withTree, type Node } from './tree-sitter/runtime.js';
import { descendantsOfTypes } from './tree-sitter/syntax.js';
import { libraryDraft, toFindings, waitDraft, type Draft } from './java/report.js';
import { retryContext } from './java/retry-context.js';
import { TreeCache } from './java/tree-cache.js';
import { RAND_EVIDENCE, randDependency } from './rust/cargo.js';
import { RUST_GRAMMAR } from './rust/context.js';
import {
  argumentsOf,
  containsRandom,
  MAX_EVALUATION_STEPS,
  RustEvaluator,
  type RustEnv,
  type RustFile,
} from './rust/evaluate.js';
import { findCrateRetries } from './rust/libraries.js';

/** Cheap gate before parsing. */
const MAYBE_RETRY =
  /sleep|delay_for|Timer::after|Delay::new|FixedInterval|ExponentialBackoff|FibonacciBackoff|Builder|backoff::/;

/**
 * `std::thread::sleep(d)`, `tokio::time::sleep(d)`, `async_std::task::sleep(d)` and the same names
 * brought in by `use`; the older `tokio::time::delay_for`, smol's `Timer::after` and futures-timer's
 * `Delay::new`.
 */
const SLEEP_PATH =
  /^(?:(?:::)?(?:std::)?thread::|(?:::)?tokio::time::|(?:::)?async_std::task::|time::|task::)?(sleep|delay_for)$|^(?:\w+::)*(Timer::after|Delay::new)$/;

/** Attributes that make a function or module test code (RULES.md section 1). */
const TEST_ATTRIBUTE = /^#\[(test|tokio::test|async_std::test|rstest|cfg\(test\)|bench)\b/;

function waitArgument(call: Node): Node | null {
  const callee = call.childForFieldName('function');
  if (!callee || (callee.type !== 'identifier' && callee.type !== 'scoped_identifier')) return null;
  if (!SLEEP_PATH.test(callee.text.replace(/\s+/g, ''))) return null;
  return argumentsOf(call)[0] ?? null;
}

/** Inside `#[cfg(test)] mod …` or a `#[test]` function: attributes are the siblings just before an item. */
function inTestCode(node: Node): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type !== 'function_item' && current.type !== 'mod_item') continue;
    for (
      let sibling = current.previousNamedSibling;
      sibling?.type === 'attribute_item';
      sibling = sibling.previousNamedSibling
    ) {
      if (TEST_ATTRIBUTE.test(sibling.text.replace(/\s+/g, ''))) return true;
    }
  }
  return false;
}

export class RustAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'rust';
  readonly extensions = ['.rs'] as const;

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const files = new TreeCache('rust', host);
    try {
      const drafts = await withTree('rust', input.text, async (tree) => {
        const file: RustFile = { tree, path: input.path };
        const evaluator = new RustEvaluator(files);
        const env = (counters: ReadonlySet<string> = new Set()): RustEnv => ({
          file,
          counters,
          depth: 0,
          evidence: [],
          budget: { steps: MAX_EVALUATION_STEPS },
        });
        const found: Draft[] = [];
        for (const call of descendantsOfTypes(tree.rootNode, new Set(['call_expression']))) {
          const argument = waitArgument(call);
          if (!argument || containsRandom(argument) || inTestCode(call)) continue;
          const context = retryContext(call, RUST_GRAMMAR);
          if (!context) continue;
          const evaluation = env(context.counters);
          const value = await evaluator.evaluate(argument, evaluation);
          const anchor = call.parent?.type === 'await_expression' ? call.parent : call;
          const draft = waitDraft(
            {
              anchor: { range: rangeOf(anchor), text: anchor.text },
              argument: { range: rangeOf(argument), text: argument.text },
              confidence: 'high',
            },
            context,
            value,
            options,
            evaluation.evidence,
          );
          if (draft) found.push(draft);
        }
        for (const retry of await findCrateRetries(file, evaluator, () => env())) {
          if (inTestCodeRange(tree.rootNode, retry.anchor.range.startOffset)) continue;
          const draft = libraryDraft(retry, options);
          if (draft) found.push(draft);
        }
        return found;
      });
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
    } finally {
      files.dispose();
    }
  }
}

function inTestCodeRange(root: Node, offset: number): boolean {
  const node = root.descendantForIndex(offset);
  return node ? inTestCode(node) : false;
}
