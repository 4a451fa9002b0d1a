import type { LibraryHit } from '../tree-sitter/findings.js';
import { combine, dominant, UNKNOWN, type DelayValue } from '../../delay.js';
import { constMs } from '../tree-sitter/durations.js';
import { withFragment } from '../tree-sitter/modules.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import {
  keywordArguments,
  positionalArguments,
  qualifiedCallee,
  SECOND_MS,
  unwrapDecorated,
  type PyModule,
} from './module.js';

/**
 * Python retry libraries configured without jitter (RULES.md section 3), each read with its own
 * defaults: tenacity, backoff, retrying, urllib3 `Retry`, and celery tasks.
 */

/** A library check's hit, with its nodes (copied out as snippets before the tree is freed). */
export type PyLibraryFinding = LibraryHit;

/** tenacity's `wait_exponential`/`wait_exponential_jitter` defaults (`multiplier`/`initial` 1 s, base 2). */
const TENACITY_EXPONENTIAL_MULTIPLIER_S = 1;
const TENACITY_EXPONENTIAL_BASE = 2;
/** tenacity's `wait_incrementing(start=0, increment=100)`: seconds. */
const TENACITY_INCREMENT_S = 100;
/** backoff's `constant(interval=1)` and `expo(base=2, factor=1)`. */
const BACKOFF_CONSTANT_INTERVAL_S = 1;
const BACKOFF_EXPO_BASE = 2;
const BACKOFF_EXPO_FACTOR_S = 1;
/** The golden ratio: Fibonacci waits grow by it. */
const FIBONACCI_GROWTH = 1.618;
/** celery's `Task.default_retry_delay`: three minutes. */
export const CELERY_DEFAULT_RETRY_DELAY_S = 180;
/** retrying's `wait_exponential_multiplier` default (milliseconds), doubled each attempt. */
const RETRYING_EXPONENTIAL_MULTIPLIER_MS = 1;
const RETRYING_INCREMENT_MS = 100;

const TENACITY_ENTRY = /^tenacity(\.\w+)*\.(retry|Retrying|AsyncRetrying|TornadoRetrying)$/;
const TENACITY_WAIT = /^tenacity(\.\w+)*\.(wait_\w+)$/;
const BACKOFF_DECORATOR = /^backoff\.(on_exception|on_predicate)$/;
const RETRYING_ENTRY = /^retrying\.(retry|Retrying)$/;
const URLLIB3_RETRY =
  /^(urllib3|requests|botocore\.vendored\.requests|pip\._vendor\.urllib3)(\.\w+)*\.Retry$/;
const CELERY_TASK_KEYWORDS = new Set([
  'bind',
  'autoretry_for',
  'retry_backoff',
  'retry_jitter',
  'default_retry_delay',
  'max_retries',
  'retry_kwargs',
  'acks_late',
]);

/** The value of the expression at `node`, in milliseconds given its unit, as the value-flow engine follows it. */
export type ValueOf = (node: Node, unitMs: number, counters?: readonly string[]) => Promise<DelayValue>;

interface Ctx {
  module: PyModule;
  value: ValueOf;
}

function seconds(node: Node, ctx: Ctx): Promise<DelayValue> {
  return ctx.value(node, SECOND_MS);
}

function millis(node: Node, ctx: Ctx): Promise<DelayValue> {
  return ctx.value(node, 1);
}

export async function findLibraryRetries(
  root: Node,
  calls: readonly Node[],
  module: PyModule,
  value: ValueOf,
): Promise<PyLibraryFinding[]> {
  const usesLibrary = [...module.imports.values()].some((binding) =>
    /^(tenacity|backoff|retrying|urllib3|requests|celery)\b/.test(binding.module),
  );
  if (!usesLibrary && !/\.task\b|Retry\(/.test(root.text)) return [];
  const ctx: Ctx = { module, value };
  const found: PyLibraryFinding[] = [];
  const push = (finding: PyLibraryFinding | null) => {
    if (finding) found.push(finding);
  };
  for (const call of calls) {
    const callee = field(call, 'function');
    if (!callee) continue;
    const name = qualifiedCallee(callee, module.imports);
    if (TENACITY_ENTRY.test(name)) push(await tenacity(call, ctx));
    else if (BACKOFF_DECORATOR.test(name)) push(await backoffDecorator(call, ctx));
    else if (RETRYING_ENTRY.test(name)) push(await retrying(call, ctx));
    else if (URLLIB3_RETRY.test(name)) push(await urllib3(call, ctx));
    else if (isCeleryTask(call, name, module)) for (const f of await celeryTask(call, ctx)) push(f);
  }
  return found;
}

// ---------------------------------------------------------------------------------------- tenacity

async function tenacity(call: Node, ctx: Ctx): Promise<PyLibraryFinding | null> {
  const wait = keywordArguments(call).get('wait');
  // No `wait`: tenacity retries at once (`wait_none`); nothing is spread, but nothing waits either.
  if (!wait) return null;
  const value = await tenacityWait(wait.value, ctx, 0);
  if (value.kind === 'const' && value.ms === 0) return null;
  return {
    library: 'tenacity',
    value,
    anchor: wait.keyword,
    target: wait.value,
    evidence: `tenacity \`wait=${clipped(wait.value.text)}\` ${describe(value)}`,
  };
}

/** The schedule of a tenacity wait strategy, in milliseconds. */
async function tenacityWait(node: Node, ctx: Ctx, depth: number): Promise<DelayValue> {
  if (depth > 4) return UNKNOWN('wait strategy nested too deep');
  if (node.type === 'parenthesized_expression' && node.namedChild(0))
    return tenacityWait(node.namedChild(0)!, ctx, depth + 1);
  if (node.type === 'binary_operator' && field(node, 'operator')?.text === '+') {
    return combine(
      '+',
      await tenacityWait(field(node, 'left')!, ctx, depth + 1),
      await tenacityWait(field(node, 'right')!, ctx, depth + 1),
    );
  }
  if (node.type === 'identifier' && ctx.module.constants.has(node.text)) {
    const text = ctx.module.constants.get(node.text)!;
    return (
      (await withFragment('python', '', text, '\n', (inner) => tenacityWait(inner, ctx, depth + 1)).catch(
        () => null,
      )) ?? UNKNOWN('wait strategy')
    );
  }
  if (node.type !== 'call') return UNKNOWN(`wait strategy \`${clipped(node.text)}\``);
  const name = TENACITY_WAIT.exec(qualifiedCallee(field(node, 'function')!, ctx.module.imports))?.[2];
  if (!name) return UNKNOWN(`wait strategy \`${clipped(node.text)}\``);
  const keywords = keywordArguments(node);
  const positional = positionalArguments(node);
  const arg = (keyword: string, index: number): Node | undefined =>
    keywords.get(keyword)?.value ?? positional[index];
  switch (name) {
    case 'wait_fixed': {
      const wait = arg('wait', 0);
      return wait ? seconds(wait, ctx) : UNKNOWN('wait_fixed without a value');
    }
    case 'wait_none':
      return constMs(0);
    case 'wait_exponential': {
      const multiplier = arg('multiplier', 0);
      const base = multiplier
        ? await seconds(multiplier, ctx)
        : constMs(TENACITY_EXPONENTIAL_MULTIPLIER_S * SECOND_MS);
      const expBase = arg('exp_base', 2);
      const factor = expBase ? await millis(expBase, ctx) : constMs(TENACITY_EXPONENTIAL_BASE);
      return {
        kind: 'exponential',
        baseMs: base.kind === 'const' ? base.ms : undefined,
        factor: factor.kind === 'const' ? factor.ms : undefined,
      };
    }
    case 'wait_exponential_jitter': {
      // `jitter=0` removes the only random term: `initial * exp_base ** n`.
      const jitter = arg('jitter', 3);
      const amount = jitter ? await millis(jitter, ctx) : constMs(1);
      if (amount.kind !== 'const' || amount.ms !== 0) return { kind: 'random' };
      const initial = arg('initial', 0) ?? keywords.get('multiplier')?.value;
      const base = initial
        ? await seconds(initial, ctx)
        : constMs(TENACITY_EXPONENTIAL_MULTIPLIER_S * SECOND_MS);
      return {
        kind: 'exponential',
        baseMs: base.kind === 'const' ? base.ms : undefined,
        factor: TENACITY_EXPONENTIAL_BASE,
      };
    }
    case 'wait_incrementing': {
      const increment = arg('increment', 1);
      const step = increment ? await seconds(increment, ctx) : constMs(TENACITY_INCREMENT_S * SECOND_MS);
      return { kind: 'linear', baseMs: step.kind === 'const' ? step.ms : undefined };
    }
    case 'wait_random':
    case 'wait_random_exponential':
    case 'wait_full_jitter':
      return { kind: 'random' };
    case 'wait_combine': {
      let total: DelayValue = constMs(0);
      for (const part of positional) total = combine('+', total, await tenacityWait(part, ctx, depth + 1));
      return total;
    }
    case 'wait_chain': {
      const parts: DelayValue[] = [];
      for (const part of positional) parts.push(await tenacityWait(part, ctx, depth + 1));
      if (parts.length === 0) return UNKNOWN('empty wait_chain');
      if (parts.every((p) => p.kind === 'const'))
        return constMs(Math.max(...parts.map((p) => (p as { ms: number }).ms)));
      return parts.reduce(dominant);
    }
    default:
      return UNKNOWN(`tenacity \`${name}\``);
  }
}

// ----------------------------------------------------------------------------------------- backoff

async function backoffDecorator(call: Node, ctx: Ctx): Promise<PyLibraryFinding | null> {
  const keywords = keywordArguments(call);
  const jitter = keywords.get('jitter');
  // backoff jitters with `full_jitter` unless told otherwise; only `jitter=None` turns it off.
  if (!jitter || jitter.value.type !== 'none') return null;
  const generator = keywords.get('wait_gen')?.value ?? positionalArguments(call)[0];
  if (!generator) return null;
  const name = qualifiedCallee(generator, ctx.module.imports);
  let value: DelayValue;
  if (name === 'backoff.constant') {
    const interval = keywords.get('interval')?.value;
    value = interval ? await seconds(interval, ctx) : constMs(BACKOFF_CONSTANT_INTERVAL_S * SECOND_MS);
  } else if (name === 'backoff.expo') {
    const factor = keywords.get('factor')?.value;
    const base = keywords.get('base')?.value;
    const factorMs = factor ? await seconds(factor, ctx) : constMs(BACKOFF_EXPO_FACTOR_S * SECOND_MS);
    const growth = base ? await millis(base, ctx) : constMs(BACKOFF_EXPO_BASE);
    value = {
      kind: 'exponential',
      baseMs: factorMs.kind === 'const' ? factorMs.ms : undefined,
      factor: growth.kind === 'const' ? growth.ms : undefined,
    };
  } else if (name === 'backoff.fibo') {
    value = { kind: 'exponential', baseMs: SECOND_MS, factor: FIBONACCI_GROWTH };
  } else {
    // `backoff.runtime` waits what the server said; other generators are not known.
    return null;
  }
  return {
    library: 'backoff',
    value,
    anchor: jitter.keyword,
    target: jitter.keyword,
    evidence: `backoff \`${name}\` with \`jitter=None\` ${describe(value)}`,
  };
}

// ---------------------------------------------------------------------------------------- retrying

async function retrying(call: Node, ctx: Ctx): Promise<PyLibraryFinding | null> {
  const keywords = keywordArguments(call);
  // retrying adds `random() * wait_jitter_max`; `wait_random_min/max` draw the whole wait at random.
  for (const random of ['wait_jitter_max', 'wait_random_min', 'wait_random_max', 'wait_func', 'wait']) {
    if (keywords.has(random)) return null;
  }
  const exponential = keywords.get('wait_exponential_multiplier') ?? keywords.get('wait_exponential_max');
  if (exponential) {
    const multiplier = keywords.get('wait_exponential_multiplier');
    const base = multiplier
      ? await millis(multiplier.value, ctx)
      : constMs(RETRYING_EXPONENTIAL_MULTIPLIER_MS);
    const value: DelayValue = {
      kind: 'exponential',
      baseMs: base.kind === 'const' ? base.ms : undefined,
      factor: 2,
    };
    return {
      library: 'retrying',
      value,
      anchor: exponential.keyword,
      target: call,
      evidence: `retrying \`${clipped(exponential.keyword.text)}\` without \`wait_jitter_max\` ${describe(value)}`,
    };
  }
  const incrementing = keywords.get('wait_incrementing_increment') ?? keywords.get('wait_incrementing_start');
  if (incrementing) {
    const increment = keywords.get('wait_incrementing_increment');
    const step = increment ? await millis(increment.value, ctx) : constMs(RETRYING_INCREMENT_MS);
    const value: DelayValue = { kind: 'linear', baseMs: step.kind === 'const' ? step.ms : undefined };
    return {
      library: 'retrying',
      value,
      anchor: incrementing.keyword,
      target: call,
      evidence: `retrying \`${clipped(incrementing.keyword.text)}\` ${describe(value)}`,
    };
  }
  const fixed = keywords.get('wait_fixed');
  if (!fixed) return null;
  const value = await millis(fixed.value, ctx);
  return {
    library: 'retrying',
    value,
    anchor: fixed.keyword,
    target: call,
    evidence: `retrying \`${clipped(fixed.keyword.text)}\` (milliseconds) ${describe(value)}`,
  };
}

// ----------------------------------------------------------------------------------------- urllib3

async function urllib3(call: Node, ctx: Ctx): Promise<PyLibraryFinding | null> {
  const keywords = keywordArguments(call);
  const factor = keywords.get('backoff_factor');
  // Without `backoff_factor` (default 0) urllib3 retries at once; nothing to spread.
  if (!factor) return null;
  const jitter = keywords.get('backoff_jitter');
  if (jitter) {
    const amount = await millis(jitter.value, ctx);
    if (amount.kind !== 'const' || amount.ms !== 0) return null;
  }
  const base = await seconds(factor.value, ctx);
  if (base.kind === 'const' && base.ms === 0) return null;
  if (base.kind === 'random' || base.kind === 'server') return null;
  const value: DelayValue =
    base.kind === 'const'
      ? { kind: 'exponential', baseMs: base.ms, factor: 2 }
      : base.kind === 'unknown'
        ? base
        : { kind: 'exponential', factor: 2 };
  return {
    library: 'urllib3',
    value,
    anchor: factor.keyword,
    target: call,
    evidence: `urllib3 \`Retry(${clipped(factor.keyword.text)})\` doubles the wait without \`backoff_jitter\` (urllib3 ≥ 2 adds \`random() * backoff_jitter\`)`,
  };
}

// ------------------------------------------------------------------------------------------ celery

function isCeleryTask(call: Node, name: string, module: PyModule): boolean {
  if (call.parent?.type !== 'decorator') return false;
  if (/^celery(\.\w+)*\.shared_task$/.test(name)) return true;
  if (!/\.task$/.test(name)) return false;
  const importsCelery = [...module.imports.values()].some((binding) => binding.module.startsWith('celery'));
  return (
    importsCelery || [...keywordArguments(call).keys()].some((keyword) => CELERY_TASK_KEYWORDS.has(keyword))
  );
}

/** `@app.task(...)`: `autoretry_for` retries and explicit `self.retry(...)` calls of the decorated function. */
async function celeryTask(decoratorCall: Node, ctx: Ctx): Promise<PyLibraryFinding[]> {
  const found: PyLibraryFinding[] = [];
  const keywords = keywordArguments(decoratorCall);
  const defaultDelay = keywords.get('default_retry_delay');
  const defaultValue = defaultDelay
    ? await seconds(defaultDelay.value, ctx)
    : constMs(CELERY_DEFAULT_RETRY_DELAY_S * SECOND_MS);
  const defaultWords = defaultDelay
    ? `\`${clipped(defaultDelay.keyword.text)}\``
    : `celery's default \`default_retry_delay\` of ${CELERY_DEFAULT_RETRY_DELAY_S} s`;
  const autoretry = keywords.get('autoretry_for');
  /** Set when `autoretry_for` retries are reported at the default delay: a bare `self.retry()` waits the same. */
  let defaultReported = false;
  if (autoretry) {
    const backoff = keywords.get('retry_backoff');
    const backoffOn = backoff && !['False', '0', 'None'].includes(backoff.value.text);
    if (backoffOn) {
      const jitter = keywords.get('retry_jitter');
      if (jitter && ['False', '0'].includes(jitter.value.text)) {
        const factor = backoff.value.text === 'True' ? constMs(SECOND_MS) : await seconds(backoff.value, ctx);
        const value: DelayValue = {
          kind: 'exponential',
          baseMs: factor.kind === 'const' ? factor.ms : undefined,
          factor: 2,
        };
        found.push({
          library: 'celery',
          value,
          anchor: jitter.keyword,
          target: jitter.keyword,
          evidence: `celery \`retry_backoff\` with \`retry_jitter=False\` doubles the countdown of \`autoretry_for\` retries without randomness`,
        });
      }
    } else {
      const countdown = retryKwargsCountdown(keywords.get('retry_kwargs')?.value);
      const value = countdown ? await seconds(countdown, ctx) : defaultValue;
      defaultReported = !countdown;
      found.push({
        library: 'celery',
        value,
        anchor: countdown ?? autoretry.keyword,
        target: decoratorCall,
        evidence: `celery \`autoretry_for\` without \`retry_backoff\` retries after ${countdown ? `\`countdown=${clipped(countdown.text)}\`` : defaultWords}, the same for every task`,
        confidence: countdown || defaultDelay ? 'high' : 'medium',
      });
    }
  }
  const decorated = decoratorCall.parent?.parent;
  const fn = decorated?.type === 'decorated_definition' ? unwrapDecorated(decorated) : null;
  if (fn?.type === 'function_definition' && keywords.get('bind')?.value.text === 'True') {
    for (const retryCall of selfRetryCalls(fn)) {
      const explicit = await explicitRetry(retryCall, defaultValue, defaultWords, !!defaultDelay, ctx);
      // One wait, one finding: the decorator's default delay is already reported for `autoretry_for`.
      if (explicit && !(defaultReported && explicit.value === defaultValue)) found.push(explicit);
    }
  }
  return found;
}

/** `retry_kwargs={'countdown': 30}` → `30`. */
function retryKwargsCountdown(node: Node | undefined): Node | null {
  if (node?.type !== 'dictionary') return null;
  for (const pair of namedChildren(node)) {
    if (pair.type === 'pair' && /^['"]countdown['"]$/.test(field(pair, 'key')?.text ?? ''))
      return field(pair, 'value');
  }
  return null;
}

/** `self.retry(...)` calls in a bound task's body (not in nested functions). */
function selfRetryCalls(fn: Node): Node[] {
  const body = field(fn, 'body');
  if (!body) return [];
  return descendantsOfTypes(
    body,
    new Set(['call']),
    new Set(['function_definition', 'lambda', 'class_definition']),
  ).filter((node) => {
    const callee = field(node, 'function');
    return (
      callee?.type === 'attribute' &&
      field(callee, 'object')?.text === 'self' &&
      field(callee, 'attribute')?.text === 'retry'
    );
  });
}

async function explicitRetry(
  call: Node,
  defaultValue: DelayValue,
  defaultWords: string,
  explicitDefault: boolean,
  ctx: Ctx,
): Promise<PyLibraryFinding | null> {
  const keywords = keywordArguments(call);
  const countdown = keywords.get('countdown');
  if (countdown) {
    const counters = /request\.retries/.test(countdown.value.text) ? ['self.request.retries'] : [];
    const value = await ctx.value(countdown.value, SECOND_MS, counters);
    return {
      library: 'celery',
      value,
      anchor: countdown.keyword,
      target: countdown.value,
      evidence: `celery \`self.retry(${clipped(countdown.keyword.text)})\` ${describe(value)}`,
    };
  }
  // `eta=` schedules at a time of the caller's choosing; nothing to say about it.
  if (keywords.has('eta')) return null;
  return {
    library: 'celery',
    value: defaultValue,
    anchor: call,
    target: call,
    evidence: `celery \`self.retry()\` without \`countdown\` waits ${defaultWords} before every retry`,
    confidence: explicitDefault ? 'high' : 'medium',
  };
}

// ------------------------------------------------------------------------------------------ shared

function describe(value: DelayValue): string {
  switch (value.kind) {
    case 'const':
      return `waits a fixed ${value.ms} ms between attempts`;
    case 'exponential':
      return 'grows the wait exponentially without randomness';
    case 'linear':
    case 'counter':
      return 'grows the wait linearly without randomness';
    default:
      return 'waits a delay that could not be resolved';
  }
}

function clipped(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
