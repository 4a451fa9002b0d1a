import type { Node } from '../tree-sitter/runtime.js';
import { field } from '../tree-sitter/syntax.js';
import type { RetryContextResult } from '../../flow/waits.js';
import { cFamilyGrammar } from '../java/c-family.js';
import { retryContext } from '../java/retry-context.js';

/** Node types that start a function body: a wait inside a lambda does not belong to the loop around it. */
export const CSHARP_FUNCTIONS: readonly string[] = [
  'method_declaration',
  'constructor_declaration',
  'local_function_statement',
  'lambda_expression',
  'anonymous_method_expression',
  'accessor_declaration',
];

export const CSHARP_LOOPS: readonly string[] = [
  'for_statement',
  'foreach_statement',
  'while_statement',
  'do_statement',
];

/** C# shares the curly-brace retry grammar with Java, given the node names that differ. */
export const CSHARP_GRAMMAR = cFamilyGrammar({
  functions: CSHARP_FUNCTIONS,
  loops: CSHARP_LOOPS,
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

/** Reads of a socket, stream, serial port or queue. */
const READ_CALL =
  /\.(Receive|ReceiveAsync|ReceiveFrom|Read|ReadAsync|ReadByte|ReadLine|ReadLineAsync|ReadExisting|Dequeue|TryDequeue|Take|TryTake|Consume)\s*\(/;
/** What a read that found no data yet throws: a non-blocking socket, a receive timeout. */
const NO_DATA_YET = /\b(WouldBlock|IOPending|TimedOut|NoBufferSpaceAvailable|TimeoutException)\b/;

const FUNCTION_TYPES = new Set(CSHARP_FUNCTIONS);

/**
 * Whether a call is a pause between attempts, by the shared curly-brace walk. A read that throws
 * because no data has arrived yet, caught and tried again after a pause, is polling (RULES.md
 * section 1), not a retry.
 */
export function csharpRetryContext(call: Node): RetryContextResult | null {
  const context = retryContext(call, CSHARP_GRAMMAR);
  return context && !isReadPoll(call) ? context : null;
}

function isReadPoll(call: Node): boolean {
  for (let node = call.parent; node && !FUNCTION_TYPES.has(node.type); node = node.parent) {
    if (node.type !== 'catch_clause') continue;
    const body = node.parent ? field(node.parent, 'body') : null;
    return !!body && READ_CALL.test(body.text) && NO_DATA_YET.test(node.text);
  }
  return false;
}
