import type { DelayValue } from '../../delay.js';
import type { RuleId } from '../../finding.js';
import type { Node } from '../tree-sitter/runtime.js';
import { rangeOf } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import type { LibraryRetry } from '../java/report.js';
import { CSHARP_FUNCTION_NODES, localInitializer } from './facts.js';
import { callArguments } from './lower.js';

/**
 * Polly configured without jitter (RULES.md section 3):
 * - v7 `WaitAndRetry(n, attempt => TimeSpan…)` and friends: the sleep-duration provider is evaluated
 *   with its parameter as the attempt counter; a sequence of durations is fixed when all are equal.
 * - Polly.Contrib.WaitAndRetry `Backoff.ConstantBackoff` / `LinearBackoff` / `ExponentialBackoff`
 *   (the jittered `DecorrelatedJitterBackoffV2` and `AwsDecorrelatedJitterBackoff` are fine).
 * - v8 `RetryStrategyOptions`: `BackoffType` defaults to `Constant`, `Delay` to 2 s and `UseJitter` to
 *   false. `HttpRetryStrategyOptions` (Microsoft.Extensions.Http.Resilience) defaults to exponential
 *   with jitter, so only an explicit `UseJitter = false` is reported there.
 */

const POLLY_V8_DEFAULT_DELAY_MS = 2_000;
const WAIT_AND_RETRY = /^WaitAndRetry(Forever)?(Async)?$/;
/** The static classes whose `Handle…` methods start a Polly `PolicyBuilder`. */
const POLICY_BUILDER_OWNERS = new Set(['Policy', 'HttpPolicyExtensions']);

/** The value of the expression at `node` in milliseconds, as the value-flow engine follows it. */
export type ValueOf = (node: Node, counters?: readonly string[]) => Promise<DelayValue>;

interface PollyContext {
  value: ValueOf;
}

function argumentsOf(call: Node): Node[] {
  return callArguments(call).positional;
}

/** The rule a library's configured delay breaks (an unknown one is reported only on request). */
export function libraryRule(delay: DelayValue): RuleId | null {
  if (delay.kind === 'const' || delay.kind === 'unknown') return 'fixed-delay-retry';
  return delay.kind === 'linear' || delay.kind === 'exponential' || delay.kind === 'counter'
    ? 'unjittered-backoff'
    : null;
}

function retry(delay: DelayValue, anchor: Node, target: Node, evidence: string): LibraryRetry | null {
  const rule = libraryRule(delay);
  if (!rule) return null;
  return {
    library: 'polly',
    rule,
    delay,
    anchor: { range: rangeOf(anchor), text: anchor.text },
    target: { range: rangeOf(target), text: target.text },
    evidence,
  };
}

/** Polly.Contrib.WaitAndRetry's `Backoff.*` helpers. */
async function contribBackoff(ctx: PollyContext, call: Node): Promise<DelayValue | null> {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'member_access_expression' || fn.childForFieldName('expression')?.text !== 'Backoff')
    return null;
  const name = fn.childForFieldName('name')?.text ?? '';
  const [first] = argumentsOf(call);
  const base = first ? await ctx.value(first) : null;
  const baseMs = base?.kind === 'const' ? { baseMs: base.ms } : {};
  switch (name) {
    case 'ConstantBackoff':
      return base ?? null;
    case 'LinearBackoff':
      return { kind: 'linear', ...baseMs };
    case 'ExponentialBackoff':
      return { kind: 'exponential', ...baseMs };
    default:
      return /Jitter/.test(name) ? { kind: 'random' } : null;
  }
}

/**
 * A literal list of durations (`new[] { TimeSpan.FromSeconds(1), … }`, `[…]`): the same for every
 * client, so fixed when all are equal and a schedule growing without randomness otherwise; null when
 * `node` is no list or an item is not a known constant.
 */
export async function durationList(value: ValueOf, node: Node): Promise<DelayValue | null> {
  const collection = node.type === 'collection_expression' || node.type === 'element_binding_expression';
  if (
    !collection &&
    node.type !== 'implicit_array_creation_expression' &&
    node.type !== 'array_creation_expression'
  )
    return null;
  const initializer = collection ? node : descendantsOfTypes(node, new Set(['initializer_expression']))[0];
  const values: DelayValue[] = [];
  for (const item of initializer ? namedChildren(initializer) : [])
    values.push(await value(item.type === 'argument' ? (item.namedChild(0) ?? item) : item));
  if (values.length === 0 || values.some((v) => v.kind !== 'const')) return null;
  const numbers = values.map((v) => (v as { ms: number }).ms);
  return numbers.every((n) => n === numbers[0])
    ? { kind: 'const', ms: numbers[0]! }
    : { kind: 'linear', baseMs: numbers[0] };
}

async function sleepProvider(
  ctx: PollyContext,
  node: Node,
  depth = 0,
): Promise<{ value: DelayValue; what: string; node: Node } | null> {
  if (node.type === 'lambda_expression') {
    const parameters = node.childForFieldName('parameters');
    const names = parameters
      ? parameters.type === 'implicit_parameter'
        ? [parameters.text]
        : descendantsOfTypes(parameters, new Set(['parameter'])).map(
            (p) => p.childForFieldName('name')?.text ?? '',
          )
      : [];
    const body = node.childForFieldName('body');
    if (!body || body.type === 'block') return null;
    const counters = names.slice(0, 1).filter((n) => n !== '_');
    return {
      value: await ctx.value(body, counters),
      what: 'the sleep-duration provider',
      node,
    };
  }
  if (node.type === 'invocation_expression') {
    const value = await contribBackoff(ctx, node);
    return value ? { value, what: '`Backoff` from Polly.Contrib.WaitAndRetry', node } : null;
  }
  const list = await durationList(ctx.value, node);
  if (list) return { value: list, what: 'the list of sleep durations', node };
  if (node.type === 'identifier' && depth < 2) {
    const value = localInitializer(node.text, node, CSHARP_FUNCTION_NODES);
    return value ? sleepProvider(ctx, value, depth + 1) : null;
  }
  return null;
}

async function waitAndRetry(ctx: PollyContext, call: Node): Promise<LibraryRetry | null> {
  const args = argumentsOf(call);
  const forever = /Forever/.test(call.childForFieldName('function')?.childForFieldName('name')?.text ?? '');
  // (retryCount, provider, …), (sleepDurations, onRetry?) or, for Forever, (provider, …).
  const first = args[0];
  const asSequence =
    first && !forever && first.type !== 'lambda_expression' ? await sleepProvider(ctx, first) : null;
  const provider = forever || asSequence ? first : args[1];
  if (!provider) return null;
  const found = asSequence ?? (await sleepProvider(ctx, provider));
  if (!found) return null;
  const kind = found.value.kind;
  const evidence =
    kind === 'const'
      ? `${found.what} returns the same delay for every attempt`
      : `${found.what} grows the delay without randomness`;
  // Through a local (`var delays = Backoff…`), the comment and the patch go to the configuration itself.
  return retry(found.value, found.node, found.node, evidence);
}

async function strategyOptions(ctx: PollyContext, creation: Node): Promise<LibraryRetry | null> {
  const type = creation.childForFieldName('type');
  const typeName =
    (type?.type === 'generic_name' ? type.namedChild(0)?.text : type?.text)?.replace(/^.*\./, '') ?? '';
  const http = typeName === 'HttpRetryStrategyOptions';
  if (typeName !== 'RetryStrategyOptions' && !http) return null;
  const settings = new Map<string, Node>();
  const initializer = creation.childForFieldName('initializer');
  for (const assignment of initializer ? namedChildren(initializer) : []) {
    if (assignment.type !== 'assignment_expression') continue;
    const left = assignment.childForFieldName('left')?.text;
    const right = assignment.childForFieldName('right');
    if (left && right) settings.set(left, right);
  }
  // `var options = new RetryStrategyOptions(); options.UseJitter = true;` in the same method.
  const variable =
    creation.parent?.type === 'variable_declarator' ? creation.parent.childForFieldName('name')?.text : null;
  const scope = enclosingBlock(creation);
  if (variable && scope) {
    for (const assignment of descendantsOfTypes(scope, new Set(['assignment_expression']))) {
      const left = assignment.childForFieldName('left');
      const match = left ? new RegExp(`^${variable}\\.(\\w+)$`).exec(left.text.replace(/\s+/g, '')) : null;
      const right = assignment.childForFieldName('right');
      if (match && right) settings.set(match[1]!, right);
    }
  }
  if (settings.has('DelayGenerator')) return null;
  const jitter = settings.get('UseJitter')?.text;
  if (jitter === 'true' || (http && jitter !== 'false') || (jitter !== undefined && jitter !== 'false'))
    return null;
  const backoff =
    settings.get('BackoffType')?.text.replace(/^.*\./, '') ?? (http ? 'Exponential' : 'Constant');
  const delayNode = settings.get('Delay');
  const delay = delayNode
    ? await ctx.value(delayNode)
    : { kind: 'const' as const, ms: POLLY_V8_DEFAULT_DELAY_MS };
  const anchor = settings.get('BackoffType') ?? delayNode ?? creation;
  const anchorNode = anchor.parent?.type === 'assignment_expression' ? anchor.parent : anchor;
  if (backoff === 'Constant') {
    return retry(
      delay,
      anchorNode,
      creation,
      `\`${typeName}\` with a constant backoff and without \`UseJitter = true\` waits ${delay.kind === 'const' ? `a fixed ${delay.ms} ms` : 'a fixed delay'}`,
    );
  }
  const baseMs = delay.kind === 'const' ? { baseMs: delay.ms } : {};
  const value: DelayValue =
    backoff === 'Linear' ? { kind: 'linear', ...baseMs } : { kind: 'exponential', ...baseMs, factor: 2 };
  return retry(
    value,
    anchorNode,
    creation,
    `\`BackoffType = DelayBackoffType.${backoff}\` without \`UseJitter = true\` grows without randomness`,
  );
}

function enclosingBlock(node: Node): Node | null {
  for (let current = node.parent; current; current = current.parent)
    if (current.type === 'block') return current;
  return null;
}

/** A `using Polly…;` anywhere in the file, including inside a namespace block. */
function usesPollyNamespace(root: Node): boolean {
  return descendantsOfTypes(root, new Set(['using_directive'])).some((using) =>
    /\b(Polly|Microsoft\.Extensions\.Http\.Resilience)\b/.test(using.text),
  );
}

/**
 * Whether a `WaitAndRetry…` call is chained on a Polly `PolicyBuilder`: the receiver chain starts
 * from `Policy.Handle…` / `Policy<T>.Handle…` or Microsoft.Extensions.Http.Polly's
 * `HttpPolicyExtensions.HandleTransientHttpError()`, possibly through `.Or…` calls or a local holding
 * the builder. This lets a file that imports Polly through a `global using` be checked, and keeps a
 * project's own `WaitAndRetry` method apart from Polly's.
 */
function chainedOnPolicyBuilder(call: Node, depth = 0): boolean {
  let receiver = call.childForFieldName('function')?.childForFieldName('expression') ?? null;
  while (receiver?.type === 'invocation_expression') {
    const fn = receiver.childForFieldName('function');
    if (fn?.type !== 'member_access_expression') return false;
    const name = fn.childForFieldName('name');
    const owner = fn.childForFieldName('expression');
    const ownerName = owner?.type === 'generic_name' ? owner.namedChild(0)?.text : owner?.text;
    const method = (name?.type === 'generic_name' ? name.namedChild(0)?.text : name?.text) ?? '';
    if (POLICY_BUILDER_OWNERS.has(ownerName ?? '') && /^Handle/.test(method)) return true;
    if (!/^(Or|Handle)/.test(method)) return false;
    receiver = owner ?? null;
  }
  if (receiver?.type !== 'identifier' || depth > 0) return false;
  const initializer = localInitializer(receiver.text, receiver, CSHARP_FUNCTION_NODES);
  return initializer?.type === 'invocation_expression' && chainedOnPolicyBuilder(initializer, depth + 1);
}

export async function findPollyRetries(root: Node, value: ValueOf): Promise<LibraryRetry[]> {
  const usesPolly = usesPollyNamespace(root) || /\bPolicy\b|RetryStrategyOptions/.test(root.text);
  const ctx: PollyContext = { value };
  const found: (LibraryRetry | null)[] = [];
  for (const call of descendantsOfTypes(root, new Set(['invocation_expression']))) {
    const fn = call.childForFieldName('function');
    const name = fn?.type === 'member_access_expression' ? fn.childForFieldName('name')?.text : null;
    if (name && WAIT_AND_RETRY.test(name) && (usesPolly || chainedOnPolicyBuilder(call)))
      found.push(await waitAndRetry(ctx, call));
  }
  if (usesPolly) {
    for (const creation of descendantsOfTypes(root, new Set(['object_creation_expression'])))
      found.push(await strategyOptions(ctx, creation));
  }
  return found.filter((f): f is LibraryRetry => f !== null);
}
