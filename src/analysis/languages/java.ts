import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import { scaled } from './tree-sitter/durations.js';
import type { Finding, Language } from '../finding.js';
import { rangeOf, withTree, type Node } from './tree-sitter/runtime.js';
import { namedChildren } from './tree-sitter/syntax.js';
import { cFamilyGrammar } from './java/c-family.js';
import { JavaEvaluator, MAX_EVALUATION_STEPS, type JavaEnv } from './java/evaluate.js';
import { findLibraryRetries } from './java/libraries.js';
import { libraryDraft, toFindings, waitDraft, type Draft } from './java/report.js';
import { retryContext } from './java/retry-context.js';
import { importsOf, JAVA_FUNCTIONS, type JavaFile } from './java/scope.js';
import { TreeCache } from './java/tree-cache.js';
import { JavaWaitFinder, type JavaWait } from './java/waits.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report.
 */
const MAYBE_RETRY =
  /\bsleep|\bcatch\b|Retryable|RetryConfig|RetryPolicy|RetryTemplate|IntervalFunction|parkNanos/;

/** Test frameworks: a file importing one is test code (RULES.md section 1), whatever its path. */
const TEST_IMPORT = /^(org\.junit|org\.testng|org\.assertj|org\.spockframework|io\.kotest|org\.mockito)/;
const TEST_ANNOTATION =
  /^@(Test|ParameterizedTest|RepeatedTest|TestFactory|BeforeEach|BeforeAll|AfterEach)\b/;

export const JAVA_GRAMMAR = cFamilyGrammar({
  functions: [...JAVA_FUNCTIONS],
  loops: ['for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement'],
  forEach: ['enhanced_for_statement'],
  blocks: ['block', 'switch_block_statement_group'],
  catchClause: 'catch_clause',
  ifStatement: 'if_statement',
  tryStatement: 'try_statement',
  throwStatement: 'throw_statement',
  exits: ['return_statement', 'break_statement'],
  switchArms: ['switch_block_statement_group', 'switch_rule'],
  unarySteps: ['update_expression'],
  assignment: 'assignment_expression',
  invocation: 'method_invocation',
  ownCallName: (call) => {
    const object = call.childForFieldName('object');
    return !object || object.type === 'this' ? (call.childForFieldName('name')?.text ?? null) : null;
  },
  parameters: ['formal_parameter'],
  words: {
    error:
      /!\s*[\w.]*(isSuccessful|is2xxSuccessful|isOk)\b|\b(is5xxServerError|is4xxClientError|isError|hasError|isFailure|failed)\b/,
    success: /\b(isSuccessful|is2xxSuccessful|isOk|isSuccess)\b/,
  },
});

/** Inside a method annotated as a test (JUnit, TestNG). */
function inTestMethod(node: Node): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type !== 'method_declaration') continue;
    const modifiers = namedChildren(current).find((child) => child.type === 'modifiers');
    if (modifiers && namedChildren(modifiers).some((m) => TEST_ANNOTATION.test(m.text))) return true;
  }
  return false;
}

export function isJavaTestCode(file: JavaFile): boolean {
  return importsOf(file.tree.rootNode).some((line) => TEST_IMPORT.test(line.path));
}

export class JavaAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'java';
  readonly extensions = ['.java'] as const;

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const files = new TreeCache('java', host);
    try {
      return await withTree('java', input.text, async (tree) => {
        const file: JavaFile = { tree, path: input.path };
        if (isJavaTestCode(file)) return [];
        const evaluator = new JavaEvaluator(files);
        const drafts: Draft[] = [];
        for (const wait of await new JavaWaitFinder(files).find(file)) {
          const draft = await this.waitDraft(wait, file, evaluator, options);
          if (draft) drafts.push(draft);
        }
        const env = (): JavaEnv => ({
          file,
          counters: new Set(),
          depth: 0,
          evidence: [],
          budget: { steps: MAX_EVALUATION_STEPS },
        });
        for (const found of await findLibraryRetries(file, evaluator, env)) {
          const draft = libraryDraft(found, options);
          if (draft) drafts.push(draft);
        }
        return toFindings(drafts, input.path, this.language);
      });
    } finally {
      files.dispose();
    }
  }

  private async waitDraft(
    wait: JavaWait,
    file: JavaFile,
    evaluator: JavaEvaluator,
    options: AnalysisOptions,
  ): Promise<Draft | null> {
    if (wait.jittered || inTestMethod(wait.anchor)) return null;
    const context = retryContext(wait.anchor, JAVA_GRAMMAR);
    if (!context) return null;
    const evidence: string[] = [];
    const env: JavaEnv = {
      file,
      counters: context.counters,
      depth: 0,
      evidence,
      budget: { steps: MAX_EVALUATION_STEPS },
    };
    let value = scaled(await evaluator.evaluate(wait.argument, env), wait.unitMs);
    if (wait.helper) {
      const argument = value;
      evidence.push(`\`${wait.helper.name}\` (${wait.helper.file.path}) waits its argument`);
      const inner = await evaluator.evaluate(wait.helper.inner, {
        ...env,
        file: wait.helper.file,
        bindings: new Map([[wait.helper.parameter, argument]]),
        depth: 1,
      });
      value = scaled(inner, wait.helper.innerUnitMs);
    }
    return waitDraft(
      {
        anchor: { range: rangeOf(wait.anchor), text: wait.anchor.text },
        argument: { range: rangeOf(wait.argument), text: wait.argument.text },
        confidence: wait.confidence,
      },
      context,
      value,
      options,
      evidence,
    );
  }
}
