import { pauseBeforeTriedAttempt } from '../java/try-attempt.js';
import type { Node } from '../tree-sitter/runtime.js';
import { clip, descendantsOfTypes, field } from '../tree-sitter/syntax.js';
import { isErrorCondition, type ConditionWords } from '../java/conditions.js';
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
  // Only with a `goto` back to its own label (`isGotoLoop`).
  'labeled_statement',
];

/**
 * `retry: try { … } catch { …; goto retry; }`: a labelled statement that jumps back to its own label
 * from inside is a loop (a `goto` cannot leave a lambda, so any one inside is the statement's own).
 */
export function isGotoLoop(labeled: Node): boolean {
  const label = labeled.namedChild(0)?.text;
  return descendantsOfTypes(labeled, new Set(['goto_statement'])).some(
    (jump) => jump.namedChild(0)?.text === label,
  );
}

/** Unity's `UnityWebRequest`: `request.result != UnityWebRequest.Result.Success`, the older `isNetworkError`. */
const UNITY_FAILED =
  /\.result\s*!=\s*(UnityWebRequest\.)?Result\.Success\b|\bResult\.(ConnectionError|ProtocolError|DataProcessingError)\b|\bis(Network|Http)Error\b/;
const UNITY_SUCCEEDED = /\.result\s*==\s*(UnityWebRequest\.)?Result\.Success\b/;

const CSHARP_WORDS: ConditionWords = {
  error: new RegExp(
    String.raw`!\s*[\w.?]*IsSuccessStatusCode\b|\bIsFaulted\b|\bIsTransient\b|StatusCode\s*(==|>=|>)\s*(HttpStatusCode\.)?(TooManyRequests|ServiceUnavailable|BadGateway|GatewayTimeout|InternalServerError|RequestTimeout)|${UNITY_FAILED.source}`,
  ),
  success: new RegExp(
    String.raw`\bIsSuccessStatusCode\b|\bIsCompletedSuccessfully\b|\bSucceeded\b|${UNITY_SUCCEEDED.source}`,
  ),
};

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
  words: CSHARP_WORDS,
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
  if (inPlainLabel(call)) return null;
  const context = retryContext(call, CSHARP_GRAMMAR) ?? pauseBeforeTriedAttempt(call, CSHARP_GRAMMAR);
  return context && !isReadPoll(call) ? context : null;
}

/** Whether the statement around a call that the shared walk takes for its loop is a label nothing jumps back to. */
function inPlainLabel(call: Node): boolean {
  for (let node = call.parent; node && !FUNCTION_TYPES.has(node.type); node = node.parent)
    if (CSHARP_LOOPS.includes(node.type)) return node.type === 'labeled_statement' && !isGotoLoop(node);
  return false;
}

function isReadPoll(call: Node): boolean {
  for (let node = call.parent; node && !FUNCTION_TYPES.has(node.type); node = node.parent) {
    if (node.type !== 'catch_clause') continue;
    const body = node.parent ? field(node.parent, 'body') : null;
    return !!body && READ_CALL.test(body.text) && NO_DATA_YET.test(node.text);
  }
  return false;
}

/** `!socket.Connected`, `!IsConnected`: a loop that runs until a connection is made. */
const NOT_CONNECTED = /^!\s*\(?[\w.?]*\b(Connected|IsConnected|connected|isConnected|IsOpen)\b\)?$/;

function conditionText(statement: Node): string {
  const condition = field(statement, 'condition');
  return condition ? condition.text.replace(/^\((.*)\)$/s, '$1').trim() : '';
}

/** The statements after the one holding `node` in its block give up (rethrow): nothing runs again. */
function givesUpAfter(node: Node): boolean {
  let statement = node;
  for (let parent = node.parent; parent && !FUNCTION_TYPES.has(parent.type); parent = parent.parent) {
    if (parent.type === 'block') {
      for (let next = statement.nextNamedSibling; next; next = next.nextNamedSibling)
        if (next.type === 'throw_statement') return true;
      return false;
    }
    statement = parent;
  }
  return false;
}

/**
 * A wait in a loop that runs while the last attempt failed (`while (response.StatusCode == 429)`), or
 * until a connection is made when the loop catches the failed attempt (`while (!socket.Connected)`
 * around a `try`): each pass is another attempt.
 */
export function failureLoopContext(wait: Node): RetryContextResult | null {
  for (let node = wait.parent; node && !FUNCTION_TYPES.has(node.type); node = node.parent) {
    if (!CSHARP_LOOPS.includes(node.type)) continue;
    if (node.type !== 'while_statement' && node.type !== 'do_statement') return null;
    const condition = conditionText(node);
    const words = CSHARP_WORDS;
    const failing = isErrorCondition(condition, words);
    const connecting =
      NOT_CONNECTED.test(condition) &&
      descendantsOfTypes(field(node, 'body') ?? node, new Set(['try_statement'])).length > 0;
    if ((!failing && !connecting) || givesUpAfter(wait)) return null;
    const line = node.startPosition.row + 1;
    const counters = new Set(CSHARP_GRAMMAR.steppedNames(node));
    return {
      trigger: failing
        ? { kind: /status|\b\d{3}\b/i.test(condition) ? 'status' : 'exception', detail: clip(condition) }
        : { kind: 'exception' },
      counters,
      evidence: [
        failing
          ? `waits in a loop that runs while \`${clip(condition)}\` (line ${line})`
          : `waits in a loop that tries again until \`${clip(condition.replace(/^!\s*/, ''))}\` (line ${line})`,
      ],
    };
  }
  return null;
}

/**
 * A wait on an error branch that then makes the same call as before the branch
 * (`if (response.StatusCode == TooManyRequests) { await Task.Delay(…); response = await Send(request); }`):
 * a retry of that call.
 */
export function retryOnceContext(wait: Node): RetryContextResult | null {
  let statement = wait;
  for (let node = wait.parent; node && !FUNCTION_TYPES.has(node.type); statement = node, node = node.parent) {
    if (node.type !== 'if_statement') continue;
    if (!field(node, 'consequence')?.equals(statement)) return null;
    const condition = conditionText(node);
    if (!isErrorCondition(condition, CSHARP_WORDS) || givesUpAfter(wait)) return null;
    const again = callsAfter(wait, statement);
    const before = callsBefore(node);
    const repeated = [...again].find((text) => before.has(text));
    if (!repeated) return null;
    const line = node.startPosition.row + 1;
    return {
      trigger: {
        kind: /status|\b\d{3}\b/i.test(condition) ? 'status' : 'exception',
        detail: clip(condition),
      },
      counters: new Set(),
      evidence: [
        `waits when \`${clip(condition)}\` holds (line ${line})`,
        `then calls \`${clip(repeated, 60)}\` again`,
      ],
    };
  }
  return null;
}

const INVOCATION = new Set(['invocation_expression']);

function callTexts(nodes: Iterable<Node>): Set<string> {
  const texts = new Set<string>();
  for (const node of nodes)
    for (const call of [node, ...descendantsOfTypes(node, INVOCATION)])
      if (call.type === 'invocation_expression') texts.add(call.text.replace(/\s+/g, ''));
  return texts;
}

/** Calls after the wait's statement, up to the end of the branch. */
function callsAfter(wait: Node, branch: Node): Set<string> {
  let statement = wait;
  while (statement.parent && !statement.parent.equals(branch) && statement.parent.type !== 'block')
    statement = statement.parent;
  const following: Node[] = [];
  for (let next = statement.nextNamedSibling; next; next = next.nextNamedSibling) following.push(next);
  return callTexts(following);
}

/** Calls of the statements before `statement` in its block. */
function callsBefore(statement: Node): Set<string> {
  const preceding: Node[] = [];
  for (let previous = statement.previousNamedSibling; previous; previous = previous.previousNamedSibling)
    preceding.push(previous);
  return callTexts(preceding);
}
