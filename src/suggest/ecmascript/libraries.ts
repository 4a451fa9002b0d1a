import { ts } from 'ts-morph';
import type { Finding, RetryLibrary, WaitForm } from '../../analysis/finding.js';
import { formatDuration } from '../../simulate/duration.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';
import { isCappedExpression } from './call-argument.js';
import { findBinding, ensureNamedImport } from './imports.js';
import { jitterCode } from './jitter-code.js';
import { addProperty, removeProperty, replaceValue } from './objects.js';
import { calleeName, descendants, findProperty, objectArgument, unwrap, type EcmaSource } from './source.js';

type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

interface LibraryContext {
  finding: Finding;
  form: LibraryForm;
  source: EcmaSource;
  options: SuggestOptions;
  /** The node at the finding's target range: an options object, a call or a `new` expression. */
  target: ts.Node;
}

type LibraryRewrite = (context: LibraryContext) => RewriteResult;

/** bullmq's jitter is a fraction of the delay removed at random: 0.5 waits between half and all of it. */
const BULLMQ_JITTER = '0.5';

/** The first wait of the backoff offered to a job retried at once (`attempts` and no `backoff`). */
const BULLMQ_FIRST_DELAY_MS = '1000';

/** axios-retry's `exponentialDelay` starts from this many milliseconds unless given a delay factor. */
const AXIOS_RETRY_DEFAULT_FACTOR_MS = 100;

/** `ConfiguredRetryStrategy(n)` without a backoff waits this long (`DEFAULT_RETRY_DELAY_BASE` in @smithy/util-retry). */
const SMITHY_DEFAULT_DELAY_MS = '100';

function fixedMs(finding: Finding): number | undefined {
  return finding.delay.kind === 'fixed' ? finding.delay.ms : finding.delay.baseMs;
}

function describeDelay(finding: Finding): string {
  const ms = fixedMs(finding);
  return ms === undefined ? 'the configured delay' : formatDuration(ms);
}

/** The options object a rewrite edits: the target itself, or the first object argument of a call. */
function optionsObject(target: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(target)) return target;
  // A finding anchored on one option (`backoff: 5000`) edits the object that holds it.
  if (
    (ts.isPropertyAssignment(target) || ts.isShorthandPropertyAssignment(target)) &&
    ts.isObjectLiteralExpression(target.parent)
  ) {
    return target.parent;
  }
  if (ts.isCallExpression(target) || ts.isNewExpression(target)) return objectArgument(target);
  if (ts.isExpression(target)) {
    const inner = unwrap(target);
    if (ts.isObjectLiteralExpression(inner)) return inner;
  }
  return undefined;
}

/** Sets `name: value` in an object literal: replaces an existing value or adds the property. */
function setProperty(
  context: LibraryContext,
  object: ts.ObjectLiteralExpression,
  name: string,
  value: string,
): PlannedEdit | undefined {
  const existing = findProperty(object, name);
  if (existing === undefined) return addProperty(context.source, object, `${name}: ${value}`);
  if (!ts.isPropertyAssignment(existing)) return undefined;
  if (context.source.textOf(existing.initializer) === value) return undefined;
  return replaceValue(context.source, existing, value);
}

/** Adds an options object as the call's last argument (`pRetry(run)` → `pRetry(run, { randomize: true })`). */
function appendArgument(
  source: EcmaSource,
  call: ts.CallExpression | ts.NewExpression,
  text: string,
): PlannedEdit {
  const args = call.arguments ?? ts.factory.createNodeArray();
  const last = args[args.length - 1];
  if (last !== undefined) return { start: last.end, end: last.end, newText: `, ${text}` };
  const close = call.end - 1;
  return { start: close, end: close, newText: text };
}

/** Sets an option on the target's options object, or passes a new options object to the call. */
function setOption(
  context: LibraryContext,
  name: string,
  value: string,
): PlannedEdit | 'unchanged' | undefined {
  const object = optionsObject(context.target);
  if (object !== undefined) return setProperty(context, object, name, value) ?? 'unchanged';
  const { target } = context;
  if (ts.isCallExpression(target) || ts.isNewExpression(target)) {
    return appendArgument(context.source, target, `{ ${name}: ${value} }`);
  }
  return undefined;
}

function planOption(
  context: LibraryContext,
  name: string,
  value: string,
  description: string,
): RewriteResult {
  const edit = setOption(context, name, value);
  if (edit === 'unchanged') return refuse('library', `\`${name}\` is already \`${value}\``, description);
  if (edit === undefined)
    return refuse('library', 'the options object was not found at the finding', description);
  return plan('library', description, edit);
}

const randomize: LibraryRewrite = (context) => {
  const object = optionsObject(context.target);
  const factor = object === undefined ? undefined : findProperty(object, 'factor');
  const flat =
    factor !== undefined &&
    ts.isPropertyAssignment(factor) &&
    context.source.textOf(factor.initializer) === '1'
      ? ` With \`factor: 1\` the waits stay between ${describeDelay(context.finding)} and twice that; a \`factor\` of 2 would also spread later retries.`
      : '';
  return planOption(
    context,
    'randomize',
    'true',
    `Turn on ${context.form.library}'s own jitter: \`randomize: true\` multiplies each wait by a random factor between 1 and 2, so clients that failed together retry apart.${flat}`,
  );
};

const asyncRetry: LibraryRewrite = (context) => {
  const description =
    'Drop `randomize: false`: async-retry randomises every wait by default (each wait × a random factor between 1 and 2).';
  const object = optionsObject(context.target);
  const property = object === undefined ? undefined : findProperty(object, 'randomize');
  if (object === undefined || property === undefined) {
    return refuse('library', 'no `randomize: false` option was found to remove', description);
  }
  return plan('library', description, removeProperty(context.source, object, property));
};

const axiosRetry: LibraryRewrite = (context) => {
  const { source, finding } = context;
  const extra: PlannedEdit[] = [];
  let delayFunction = findBinding(source, ['axios-retry'], 'default');
  let expression = delayFunction === undefined ? undefined : `${delayFunction.expression}.exponentialDelay`;
  if (expression === undefined) {
    delayFunction = findBinding(source, ['axios-retry'], 'exponentialDelay');
    expression = delayFunction?.expression;
  }
  if (expression === undefined) {
    const ensured = ensureNamedImport(source, 'axios-retry', 'exponentialDelay');
    expression = ensured.expression;
    if (ensured.edit !== undefined) extra.push(ensured.edit);
  }
  const ms = fixedMs(finding);
  const keepsScale = ms !== undefined && ms > 0 && ms !== AXIOS_RETRY_DEFAULT_FACTOR_MS;
  const value = keepsScale ? `(retryCount, error) => ${expression}(retryCount, error, ${ms})` : expression;
  const scale = keepsScale
    ? ` It keeps ${formatDuration(ms)} as the delay factor (the third argument, axios-retry 4), so retries wait about ${formatDuration(ms * 2)}, ${formatDuration(ms * 4)}, … plus up to 20%.`
    : ' Retries wait about 200 ms, 400 ms, 800 ms, … plus up to 20%.';
  const description = `Use axios-retry's \`exponentialDelay\`, which doubles the wait each retry and adds a random 0–20% to it.${scale}`;
  const object = optionsObject(context.target);
  if (object === undefined)
    return refuse('library', 'the axios-retry options object was not found', description);
  const edit = setProperty(context, object, 'retryDelay', value);
  if (edit === undefined) return refuse('library', '`retryDelay` is already `exponentialDelay`', description);
  return plan('library', description, edit, ...extra);
};

const cockatiel: LibraryRewrite = (context) => {
  const { source, target, finding } = context;
  const ensured = ensureNamedImport(source, 'cockatiel', 'ExponentialBackoff');
  const extra = ensured.edit === undefined ? [] : [ensured.edit];
  const exponential = ensured.expression;
  const description = `Use cockatiel's \`ExponentialBackoff\` starting from ${describeDelay(finding)}: its default generator adds decorrelated jitter and caps the wait at 30 s.`;
  const fromConstant = (node: ts.NewExpression): string => {
    const first = node.arguments?.[0];
    return first === undefined
      ? `new ${exponential}()`
      : `new ${exponential}({ initialDelay: ${source.textOf(first)} })`;
  };
  let node = ts.isExpression(target) ? unwrap(target) : target;
  // The options of `new ExponentialBackoff({ … })` stand for the backoff itself.
  if (
    ts.isObjectLiteralExpression(node) &&
    ts.isNewExpression(node.parent) &&
    calleeName(node.parent) === 'ExponentialBackoff'
  ) {
    node = node.parent;
  }
  if (ts.isNewExpression(node) && calleeName(node) === 'ConstantBackoff') {
    return plan(
      'library',
      description,
      { start: source.start(node), end: node.end, newText: fromConstant(node) },
      ...extra,
    );
  }
  if (ts.isNewExpression(node) && calleeName(node) === 'ExponentialBackoff') {
    const object = objectArgument(node);
    const generator = object === undefined ? undefined : findProperty(object, 'generator');
    const words =
      'Drop the `generator` option: without it cockatiel uses `decorrelatedJitterGenerator`, which randomises every wait.';
    if (object === undefined || generator === undefined)
      return refuse('library', 'no `generator` option to remove', words);
    return plan('library', words, removeProperty(source, object, generator));
  }
  const object = optionsObject(node);
  if (object === undefined)
    return refuse('library', 'the cockatiel retry options were not found', description);
  const backoff = findProperty(object, 'backoff');
  if (backoff === undefined) {
    const words = `Give the retry policy a jittered backoff: \`new ExponentialBackoff()\` waits with decorrelated jitter (cockatiel's default without a \`backoff\` retries after 0 ms, all at once).`;
    return plan('library', words, addProperty(source, object, `backoff: new ${exponential}()`), ...extra);
  }
  if (ts.isPropertyAssignment(backoff)) {
    const value = unwrap(backoff.initializer);
    if (ts.isNewExpression(value) && calleeName(value) === 'ConstantBackoff') {
      return plan('library', description, replaceValue(source, backoff, fromConstant(value)), ...extra);
    }
  }
  return refuse('library', 'the backoff is not a `ConstantBackoff` this rewrite understands', description);
};

const exponentialBackoff: LibraryRewrite = (context) => {
  const q = context.source.quote;
  return planOption(
    context,
    'jitter',
    `${q}full${q}`,
    "Turn on exponential-backoff's full jitter (`jitter: 'full'`): each wait becomes a random time between 0 and the computed delay.",
  );
};

const bullmq: LibraryRewrite = (context) => {
  const { source } = context;
  const description = `Add \`jitter: ${BULLMQ_JITTER}\` to the job's backoff: each retry then waits a random time between half and all of the computed delay (bullmq 5.54 or later; \`jitter: 1\` is full jitter).`;
  const object = optionsObject(context.target);
  if (object === undefined) return refuse('library', 'the job options were not found', description);
  const backoff = findProperty(object, 'backoff');
  if (backoff !== undefined && ts.isPropertyAssignment(backoff)) {
    const value = unwrap(backoff.initializer);
    if (ts.isObjectLiteralExpression(value)) {
      const edit = setProperty(context, value, 'jitter', BULLMQ_JITTER);
      if (edit === undefined) return refuse('library', 'the backoff already has jitter', description);
      return plan('library', description, edit);
    }
    // `backoff: 5000` is shorthand for a fixed backoff; spell it out to add jitter.
    const q = source.quote;
    const spelled = `{ type: ${q}fixed${q}, delay: ${source.textOf(backoff.initializer)}, jitter: ${BULLMQ_JITTER} }`;
    return plan('library', description, replaceValue(source, backoff, spelled));
  }
  if (findProperty(object, 'type') !== undefined) {
    const edit = setProperty(context, object, 'jitter', BULLMQ_JITTER);
    if (edit === undefined) return refuse('library', 'the backoff already has jitter', description);
    return plan('library', description, edit);
  }
  if (findProperty(object, 'attempts') !== undefined) {
    // Retried at once: give the job a backoff to spread, jittered from the start.
    const q = source.quote;
    return plan(
      'library',
      `Give the job an exponential backoff with jitter (\`backoff: { type: 'exponential', delay: ${BULLMQ_FIRST_DELAY_MS}, jitter: ${BULLMQ_JITTER} }\`): failed jobs then wait a growing, random time instead of retrying together at once (jitter needs bullmq 5.54 or later).`,
      addProperty(
        source,
        object,
        `backoff: { type: ${q}exponential${q}, delay: ${BULLMQ_FIRST_DELAY_MS}, jitter: ${BULLMQ_JITTER} }`,
      ),
    );
  }
  return refuse('library', 'no `backoff` option was found', description);
};

function jitter(context: LibraryContext, current: ts.Expression, attempt?: string) {
  return jitterCode({
    language: context.finding.language,
    delay: context.finding.delay,
    current: context.source.textOf(current),
    currentIsCapped: isCappedExpression(current),
    ...(attempt === undefined ? {} : { attempt }),
    unitScale: 1,
    options: context.options,
  });
}

function isFunction(node: ts.Expression): node is ts.ArrowFunction | ts.FunctionExpression {
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node);
}

/** The expression a function returns: an arrow's expression body or a block's single `return`. */
function returnedExpression(fn: ts.ArrowFunction | ts.FunctionExpression): ts.Expression | undefined {
  if (!ts.isBlock(fn.body)) return fn.body;
  const returns = descendants(fn.body, ts.isReturnStatement).filter(
    (statement) => statement.expression !== undefined,
  );
  return returns.length === 1 ? returns[0]!.expression : undefined;
}

const rxjs: LibraryRewrite = (context) => {
  const { source, target } = context;
  const words = 'Randomise the retry delay with a `delay` function that returns a jittered `timer`.';
  const node = ts.isExpression(target) ? unwrap(target) : target;
  // `retryWhen((errors) => errors.pipe(delay(N)))` or a bare `timer(N)`: no retry count in scope.
  if (
    ts.isCallExpression(node) &&
    ['delay', 'timer'].includes(calleeName(node) ?? '') &&
    node.arguments.length > 0
  ) {
    const argument = node.arguments[0]!;
    const code = jitter(context, argument);
    if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
    return plan(code.strategy, code.description, {
      start: source.start(argument),
      end: argument.end,
      newText: code.expression,
    });
  }
  const object = optionsObject(node);
  const delay = object === undefined ? undefined : findProperty(object, 'delay');
  if (delay === undefined || !ts.isPropertyAssignment(delay)) {
    return refuse(context.options.strategy, 'no `delay` option was found in the retry config', words);
  }
  const value = unwrap(delay.initializer);
  if (isFunction(value)) {
    const timerCall = descendants(value, ts.isCallExpression).find(
      (call) => calleeName(call) === 'timer' && call.arguments.length > 0,
    );
    if (timerCall === undefined)
      return refuse(context.options.strategy, 'the delay function does not return a `timer`', words);
    const argument = timerCall.arguments[0]!;
    const code = jitter(context, argument);
    if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
    return plan(code.strategy, code.description, {
      start: source.start(argument),
      end: argument.end,
      newText: code.expression,
    });
  }
  // `delay: N`: rxjs passes the 1-based retry count to a delay function.
  const code = jitter(context, value, 'retryCount - 1');
  if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
  const timer = ensureNamedImport(source, 'rxjs', 'timer');
  const edits: PlannedEdit[] = [
    replaceValue(source, delay, `(_error, retryCount) => ${timer.expression}(${code.expression})`),
  ];
  if (timer.edit !== undefined) edits.push(timer.edit);
  return plan(code.strategy, code.description, ...edits);
};

const got: LibraryRewrite = (context) => {
  const { source } = context;
  const words =
    "Randomise got's retry delay: return a jittered value from `calculateDelay`, or drop `noise: 0`.";
  let object = optionsObject(context.target);
  const nested = object === undefined ? undefined : findProperty(object, 'retry');
  if (
    nested !== undefined &&
    ts.isPropertyAssignment(nested) &&
    ts.isObjectLiteralExpression(unwrap(nested.initializer))
  ) {
    object = unwrap(nested.initializer) as ts.ObjectLiteralExpression;
  }
  if (object === undefined)
    return refuse(context.options.strategy, 'the got retry options were not found', words);
  const calculate = findProperty(object, 'calculateDelay');
  if (calculate !== undefined) {
    const fn = ts.isPropertyAssignment(calculate) ? unwrap(calculate.initializer) : undefined;
    const returned = fn !== undefined && isFunction(fn) ? returnedExpression(fn) : undefined;
    if (returned === undefined)
      return refuse(context.options.strategy, '`calculateDelay` is not a single returned expression', words);
    const code = jitter(context, returned);
    if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
    return plan(code.strategy, code.description, {
      start: source.start(returned),
      end: returned.end,
      newText: code.expression,
    });
  }
  const noise = findProperty(object, 'noise');
  if (noise !== undefined) {
    return plan(
      'library',
      'Drop `noise: 0`: got then adds up to 100 ms of random noise to each computed delay (got 12 or later).',
      removeProperty(source, object, noise),
    );
  }
  return refuse(context.options.strategy, 'neither `calculateDelay` nor `noise` was found', words);
};

const ky: LibraryRewrite = (context) => {
  const { source } = context;
  const description =
    "Turn on ky's `jitter: true` (ky 1.13 or later): each retry then waits a random time between 0 and the computed delay.";
  const object = optionsObject(context.target);
  if (object === undefined) return refuse('library', 'the ky options were not found', description);
  const retry = findProperty(object, 'retry');
  if (retry !== undefined && ts.isPropertyAssignment(retry)) {
    const value = unwrap(retry.initializer);
    if (ts.isObjectLiteralExpression(value)) {
      const edit = setProperty(context, value, 'jitter', 'true');
      if (edit === undefined) return refuse('library', '`jitter` is already on', description);
      return plan('library', description, edit);
    }
    return plan(
      'library',
      description,
      replaceValue(source, retry, `{ limit: ${source.textOf(retry.initializer)}, jitter: true }`),
    );
  }
  const edit = setProperty(context, object, 'jitter', 'true');
  if (edit === undefined) return refuse('library', '`jitter` is already on', description);
  return plan('library', description, edit);
};

/** socket.io's own default: each reconnect waits its delay ± 50 %. */
const SOCKET_IO_RANDOMIZATION = '0.5';
/** socket.io's `reconnectionDelayMax` when none is given. */
const SOCKET_IO_DELAY_MAX = '5000';

/**
 * socket.io spreads each wait by ± `randomizationFactor` before it caps it at `reconnectionDelayMax`,
 * so with the delay already at the cap the factor alone would leave half the clients on the cap: the
 * cap then moves to 1.5 × the wait (the wait itself stays), so the first reconnect is spread in full.
 */
const socketIo: LibraryRewrite = (context) => {
  const { source, finding } = context;
  const object = optionsObject(context.target);
  const growing = finding.delay.kind !== 'fixed';
  const description = growing
    ? `Set \`randomizationFactor: ${SOCKET_IO_RANDOMIZATION}\` (socket.io's default): each reconnect then waits its delay ± 50 %, so clients dropped together do not reconnect together.`
    : `Set \`randomizationFactor: ${SOCKET_IO_RANDOMIZATION}\` and raise \`reconnectionDelayMax\` to 1.5 × the wait: socket.io spreads each wait by ± 50 % before capping it, so the first reconnect of clients dropped together is spread over the whole window.`;
  if (object === undefined) return refuse('library', 'the socket.io options were not found', description);
  const factor = setProperty(context, object, 'randomizationFactor', SOCKET_IO_RANDOMIZATION);
  if (factor === undefined) return refuse('library', '`randomizationFactor` is already set', description);
  if (growing) return plan('library', description, factor);
  const max = findProperty(object, 'reconnectionDelayMax');
  const waitText =
    max !== undefined && ts.isPropertyAssignment(max) ? source.textOf(max.initializer) : SOCKET_IO_DELAY_MAX;
  const raisedMax = /^\d+$/.test(waitText) ? String(Number(waitText) * 1.5) : `${waitText} * 1.5`;
  const edits = [factor, setProperty(context, object, 'reconnectionDelayMax', raisedMax)];
  // A delay above the cap waited the cap; it becomes the delay, so the wait stays what it was.
  const delay = findProperty(object, 'reconnectionDelay');
  if (delay !== undefined && ts.isPropertyAssignment(delay) && source.textOf(delay.initializer) !== waitText)
    edits.push(setProperty(context, object, 'reconnectionDelay', waitText));
  return plan('library', description, ...edits.filter((edit): edit is PlannedEdit => edit !== undefined));
};

const awsSdk: LibraryRewrite = (context) => {
  const { source, target } = context;
  const words =
    "Give `ConfiguredRetryStrategy` a randomised backoff function, or drop it: the SDK's default standard retry mode already uses full jitter.";
  const node = ts.isExpression(target) ? unwrap(target) : target;
  if (!ts.isNewExpression(node) || calleeName(node) !== 'ConfiguredRetryStrategy') {
    return refuse(context.options.strategy, 'the `new ConfiguredRetryStrategy(…)` call was not found', words);
  }
  const args = node.arguments ?? ts.factory.createNodeArray();
  const backoff = args[1] === undefined ? undefined : unwrap(args[1]);
  const suffix = ' The SDK passes the 1-based retry count.';
  if (backoff !== undefined && isFunction(backoff) && backoff.parameters.length > 0) {
    // Already a function of the attempt (unjittered growth): randomise what it returns.
    const returned = returnedExpression(backoff);
    if (returned === undefined)
      return refuse(context.options.strategy, 'the backoff function has several returns', words);
    const code = jitter(context, returned);
    if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
    return plan(code.strategy, code.description, {
      start: source.start(returned),
      end: returned.end,
      newText: code.expression,
    });
  }
  const constant =
    backoff === undefined ? undefined : isFunction(backoff) ? returnedExpression(backoff) : backoff;
  const base = constant === undefined ? SMITHY_DEFAULT_DELAY_MS : source.textOf(constant);
  const code = jitterCode({
    language: context.finding.language,
    delay: context.finding.delay,
    current: base,
    currentIsCapped: false,
    attempt: 'attempt - 1',
    unitScale: 1,
    options: context.options,
  });
  if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
  const fn = `(attempt) => ${code.expression}`;
  const first = args[0];
  if (first === undefined) return refuse(code.strategy, '`ConfiguredRetryStrategy` has no arguments', words);
  const edit: PlannedEdit =
    backoff !== undefined
      ? { start: source.start(args[1]!), end: args[1]!.end, newText: fn }
      : { start: first.end, end: first.end, newText: `, ${fn}` };
  return plan(code.strategy, code.description + suffix, edit);
};

/**
 * TanStack Query's `retryDelay: N` waits the same N before every retry; a function of the failure count
 * lets each retry draw its own wait (its signature is `(failureCount, error) => ms`).
 */
const reactQuery: LibraryRewrite = (context) => {
  const { source, target } = context;
  const words = 'Make `retryDelay` a function of the failure count that returns a random wait (full jitter).';
  const node = ts.isExpression(target) ? unwrap(target) : target;
  const code = jitterCode({
    language: context.finding.language,
    delay: context.finding.delay,
    current: source.textOf(node),
    currentIsCapped: false,
    attempt: 'failureCount',
    unitScale: 1,
    options: context.options,
  });
  if (code === null) return refuse(context.options.strategy, 'no jitter template', words);
  return plan(code.strategy, code.description, {
    start: source.start(node),
    end: node.end,
    newText: `(failureCount) => ${code.expression}`,
  });
};

/** One rewrite per retry library, following the "suggest" column of RULES §3. */
export const LIBRARY_REWRITES: Partial<Record<RetryLibrary, LibraryRewrite>> = {
  'p-retry': randomize,
  'promise-retry': randomize,
  retry: randomize,
  'async-retry': asyncRetry,
  'axios-retry': axiosRetry,
  cockatiel,
  'exponential-backoff': exponentialBackoff,
  bullmq,
  rxjs,
  got,
  ky,
  'socket.io': socketIo,
  'aws-sdk': awsSdk,
  'react-query': reactQuery,
};

export function rewriteLibraryOption(
  finding: Finding,
  form: LibraryForm,
  source: EcmaSource,
  options: SuggestOptions,
): RewriteResult {
  const target = source.nodeAt(form.target.startOffset, form.target.endOffset);
  if (target === undefined) {
    return refuse(
      'library',
      'the library options are not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  }
  const rewrite = LIBRARY_REWRITES[form.library];
  if (rewrite === undefined) {
    return refuse(
      'library',
      `${form.library} is not a JavaScript library`,
      `Turn on ${form.library}'s jitter.`,
    );
  }
  return rewrite({ finding, form, source, options, target });
}
