import { joinValues, type DelayValue } from '../../delay.js';
import type { Node } from '../tree-sitter/runtime.js';
import { rangeOf } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, enclosingFunction, field, namedChildren } from '../tree-sitter/syntax.js';
import type { LibraryRetry } from '../java/report.js';
import { CSHARP_FUNCTION_NODES, localInitializer } from './facts.js';
import { callArguments } from './lower.js';
import { durationList, libraryRule, type ValueOf } from './polly.js';

/**
 * The SignalR .NET client's reconnect policy (`HubConnectionBuilder().WithAutomaticReconnect(policy)`,
 * Microsoft.AspNetCore.SignalR.Client): an `IRetryPolicy` answers `NextRetryDelay(RetryContext)` after
 * each lost connection, and the client waits exactly what it returns (`null` stops reconnecting).
 * Every client dropped by the same server restart asks at the same moment, so a policy returning the
 * same `TimeSpan` for every attempt, or one growing with `PreviousRetryCount` without randomness,
 * reconnects them together. `WithAutomaticReconnect(TimeSpan[])` waits the listed delays in turn, the
 * same list for every client. (The default `WithAutomaticReconnect()` — 0, 2, 10 and 30 s — is left
 * alone: the code chose no delay of its own.)
 */

const RETRY_POLICY_METHOD = 'NextRetryDelay';
const RECONNECT_METHOD = 'WithAutomaticReconnect';
const RETRY_CONTEXT_TYPE = 'RetryContext';
/** The attempt counter SignalR hands the policy. */
const ATTEMPT_PROPERTY = 'PreviousRetryCount';

/** The non-null values a return expression can produce (`n < 5 ? TimeSpan.FromSeconds(5) : null`). */
function returnedDelays(expr: Node): Node[] {
  if (expr.type === 'null_literal') return [];
  if (expr.type === 'parenthesized_expression' && expr.namedChild(0))
    return returnedDelays(expr.namedChild(0)!);
  if (expr.type === 'conditional_expression') {
    return ['consequence', 'alternative'].flatMap((name) => {
      const branch = field(expr, name);
      return branch ? returnedDelays(branch) : [];
    });
  }
  return [expr];
}

/** The expressions `NextRetryDelay` returns: an expression body, or the method's own `return`s. */
function returnedExpressions(method: Node): Node[] {
  const body = field(method, 'body');
  if (!body) return [];
  if (body.type === 'arrow_expression_clause')
    return body.namedChild(0) ? returnedDelays(body.namedChild(0)!) : [];
  return descendantsOfTypes(body, new Set(['return_statement']))
    .filter((ret) => enclosingFunction(ret, CSHARP_FUNCTION_NODES)?.equals(method))
    .flatMap((ret) => (ret.namedChild(0) ? returnedDelays(ret.namedChild(0)!) : []));
}

function implementsRetryPolicy(method: Node): boolean {
  const owner = method.parent?.parent;
  const bases =
    owner?.type === 'class_declaration' ? namedChildren(owner).find((c) => c.type === 'base_list') : null;
  return bases ? /\bIRetryPolicy\b/.test(bases.text) : false;
}

async function retryPolicy(value: ValueOf, method: Node): Promise<LibraryRetry | null> {
  if (field(method, 'name')?.text !== RETRY_POLICY_METHOD || !implementsRetryPolicy(method)) return null;
  const parameters = descendantsOfTypes(field(method, 'parameters') ?? method, new Set(['parameter']));
  const context = parameters.length === 1 ? parameters[0]! : null;
  if (!context || field(context, 'type')?.text.replace(/^.*\./, '') !== RETRY_CONTEXT_TYPE) return null;
  const counter = `${field(context, 'name')?.text ?? ''}.${ATTEMPT_PROPERTY}`;
  const returned = returnedExpressions(method);
  if (returned.length === 0) return null;
  const values: DelayValue[] = [];
  for (const expr of returned) values.push(await value(expr, [counter]));
  const delay = joinValues(values);
  const rule = libraryRule(delay);
  if (!rule) return null;
  // The comment and the patch go to the first delay the policy returns.
  const anchor = returned[0]!;
  const span = { range: rangeOf(anchor), text: anchor.text };
  return {
    library: 'signalr',
    rule,
    delay,
    anchor: span,
    target: span,
    evidence:
      rule === 'fixed-delay-retry'
        ? `the SignalR reconnect policy \`${RETRY_POLICY_METHOD}\` returns the same delay for every attempt`
        : `the SignalR reconnect policy \`${RETRY_POLICY_METHOD}\` grows the delay with \`${ATTEMPT_PROPERTY}\` without randomness`,
  };
}

/** `.WithAutomaticReconnect(new[] { TimeSpan.FromSeconds(5), … })`, also through a local. */
async function reconnectDelays(value: ValueOf, call: Node): Promise<LibraryRetry | null> {
  const fn = field(call, 'function');
  if (fn?.type !== 'member_access_expression' || field(fn, 'name')?.text !== RECONNECT_METHOD) return null;
  const [argument, ...rest] = callArguments(call).positional;
  if (!argument || rest.length > 0) return null;
  const list =
    argument.type === 'identifier'
      ? localInitializer(argument.text, argument, CSHARP_FUNCTION_NODES)
      : argument;
  const delay = list ? await durationList(value, list) : null;
  if (!list || !delay) return null;
  const fixed = delay.kind === 'const';
  const span = { range: rangeOf(list), text: list.text };
  return {
    library: 'signalr',
    rule: fixed ? 'fixed-delay-retry' : 'unjittered-backoff',
    delay,
    anchor: span,
    target: span,
    evidence: fixed
      ? `\`${RECONNECT_METHOD}\` waits the same delay before every reconnect attempt`
      : `\`${RECONNECT_METHOD}\` waits the listed delays in turn, the same for every client, without randomness`,
  };
}

export async function findSignalRRetryPolicies(root: Node, value: ValueOf): Promise<LibraryRetry[]> {
  const found: (LibraryRetry | null)[] = [];
  for (const method of descendantsOfTypes(root, new Set(['method_declaration'])))
    found.push(await retryPolicy(value, method));
  for (const call of descendantsOfTypes(root, new Set(['invocation_expression'])))
    found.push(await reconnectDelays(value, call));
  return found.filter((f): f is LibraryRetry => f !== null);
}
