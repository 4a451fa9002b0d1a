import type { RetryContextResult } from '../../flow/waits.js';
import type { Node } from '../tree-sitter/runtime.js';
import { cFamilyGrammar } from './c-family.js';
import { retryContext } from './retry-context.js';

/**
 * Is a Java call a pause between attempts? The curly-brace retry-context walk (a `catch` or an error
 * branch inside a loop, or in a method that calls itself), with Java's node names and HTTP words.
 */

export const JAVA_GRAMMAR = cFamilyGrammar({
  functions: [
    'method_declaration',
    'constructor_declaration',
    'compact_constructor_declaration',
    'lambda_expression',
    'static_initializer',
  ],
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

export function javaRetryContext(call: Node): RetryContextResult | null {
  return retryContext(call, JAVA_GRAMMAR);
}
