import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../analyzer.js';
import type { Finding, Language } from '../finding.js';
import { rangeOf, withTree, type Node } from './tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from './tree-sitter/syntax.js';
import { cFamilyGrammar } from './java/c-family.js';
import { libraryDraft, toFindings, waitDraft, type Draft } from './java/report.js';
import { retryContext } from './java/retry-context.js';
import { TreeCache } from './java/tree-cache.js';
import {
  argumentsOf,
  containsRandom,
  CSHARP_FUNCTIONS,
  CSharpEvaluator,
  MAX_EVALUATION_STEPS,
  type CSharpEnv,
  type CSharpFile,
} from './csharp/evaluate.js';
import { findPollyRetries } from './csharp/polly.js';

/** Cheap gate before parsing. */
const MAYBE_RETRY = /Task\.Delay|Thread\.Sleep|WaitAndRetry|RetryStrategyOptions|Backoff\./;

/** Test frameworks: a file using one is test code (RULES.md section 1), whatever its name. */
const TEST_USING =
  /^using\s+(Xunit|NUnit\.Framework|Microsoft\.VisualStudio\.TestTools\.UnitTesting|MSTest)\b/;
const TEST_ATTRIBUTE = /^(Fact|Theory|Test|TestCase|TestMethod|DataTestMethod)$/;

export const CSHARP_GRAMMAR = cFamilyGrammar({
  functions: [...CSHARP_FUNCTIONS],
  loops: ['for_statement', 'foreach_statement', 'while_statement', 'do_statement'],
  forEach: ['foreach_statement'],
  blocks: ['block', 'switch_section'],
  catchClause: 'catch_clause',
  catchFilter: 'catch_filter_clause',
  ifStatement: 'if_statement',
  tryStatement: 'try_statement',
  throwStatement: 'throw_statement',
  exits: ['return_statement', 'break_statement'],
  switchArms: ['switch_section'],
  unarySteps: ['postfix_unary_expression', 'prefix_unary_expression'],
  assignment: 'assignment_expression',
  invocation: 'invocation_expression',
  ownCallName: (call) => {
    const fn = call.childForFieldName('function');
    if (fn?.type === 'identifier') return fn.text;
    if (fn?.type === 'member_access_expression' && fn.childForFieldName('expression')?.text === 'this') {
      return fn.childForFieldName('name')?.text ?? null;
    }
    return null;
  },
  parameters: ['parameter'],
  words: {
    error:
      /!\s*[\w.?]*IsSuccessStatusCode\b|\bIsFaulted\b|\bIsTransient\b|StatusCode\s*(==|>=|>)\s*(HttpStatusCode\.)?(TooManyRequests|ServiceUnavailable|BadGateway|GatewayTimeout|InternalServerError|RequestTimeout)/,
    success: /\bIsSuccessStatusCode\b|\bIsCompletedSuccessfully\b|\bSucceeded\b/,
  },
});

/** `Task.Delay(ms)`, `Task.Delay(TimeSpan)`, `Thread.Sleep(ms)`: the delay argument (milliseconds or a TimeSpan). */
function delayArgument(call: Node): Node | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'member_access_expression') return null;
  const object = fn.childForFieldName('expression')?.text.replace(/^System\.(Threading\.(Tasks\.)?)?/, '');
  const name = fn.childForFieldName('name')?.text;
  if ((object === 'Task' && name === 'Delay') || (object === 'Thread' && name === 'Sleep'))
    return argumentsOf(call)[0] ?? null;
  return null;
}

function inTestMethod(node: Node): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type !== 'method_declaration') continue;
    const attributes = namedChildren(current).filter((child) => child.type === 'attribute_list');
    if (
      attributes.some((list) =>
        descendantsOfTypes(list, new Set(['attribute'])).some((a) =>
          TEST_ATTRIBUTE.test(a.childForFieldName('name')?.text ?? ''),
        ),
      )
    ) {
      return true;
    }
  }
  return false;
}

export class CSharpAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'csharp';
  readonly extensions = ['.cs'] as const;

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    const files = new TreeCache('csharp', host);
    try {
      return await withTree('csharp', input.text, async (tree) => {
        const file: CSharpFile = { tree, path: input.path };
        const root = tree.rootNode;
        if (descendantsOfTypes(root, new Set(['using_directive'])).some((u) => TEST_USING.test(u.text)))
          return [];
        const evaluator = new CSharpEvaluator(files);
        const env = (counters: ReadonlySet<string> = new Set()): CSharpEnv => ({
          file,
          counters,
          depth: 0,
          evidence: [],
          budget: { steps: MAX_EVALUATION_STEPS },
        });
        const drafts: Draft[] = [];
        for (const call of descendantsOfTypes(root, new Set(['invocation_expression']))) {
          const argument = delayArgument(call);
          if (!argument || inTestMethod(call) || containsRandom(argument)) continue;
          const context = retryContext(call, CSHARP_GRAMMAR);
          if (!context) continue;
          const evaluation = env(context.counters);
          const value = await evaluator.evaluate(argument, evaluation);
          const draft = waitDraft(
            {
              anchor: { range: rangeOf(call), text: call.text },
              argument: { range: rangeOf(argument), text: argument.text },
              confidence: 'high',
            },
            context,
            value,
            options,
            evaluation.evidence,
          );
          if (draft) drafts.push(draft);
        }
        for (const found of await findPollyRetries(file, evaluator, env)) {
          const draft = libraryDraft(found, options);
          if (draft) drafts.push(draft);
        }
        return toFindings(drafts, input.path, this.language);
      });
    } finally {
      files.dispose();
    }
  }
}
