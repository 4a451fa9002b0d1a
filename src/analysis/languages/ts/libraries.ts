import { posix } from 'node:path';
import { ts } from 'ts-morph';
import type { DelayValue } from '../../delay.js';
import type { RetryLibrary, RuleId } from '../../finding.js';
import { isFunctionNode, type Resolver } from './resolve.js';
import { importsOf, lookup, returnedExpression, unwrap } from './scope.js';

/**
 * Retry libraries configured without jitter (RULES.md section 3). Each check reads one library's
 * options with that library's own defaults.
 */
export interface LibraryFinding {
  library: RetryLibrary;
  rule: RuleId;
  delay: DelayValue;
  /** Where the comment goes: the offending option, or the call when an option is missing. */
  anchor: ts.Node;
  /** What a patch rewrites: the options object, or the call / `new` expression. */
  target: ts.Node;
  evidence: string;
  /** For a delay callback with no jitter switch of its own: the returned expression, which a patch randomises. */
  returned?: ts.Expression;
}

/** Options of Redis clients that compute the wait before reconnecting (node-redis v3 and v4, ioredis). */
const REDIS_STRATEGIES = new Set(['retry_strategy', 'retryStrategy', 'reconnectStrategy']);
const REDIS_PACKAGES = ['redis', 'ioredis', '@redis/client'];
/** Redis options are often declared in a config module that imports no client. */
const REDIS_OPTION_TEXT = /retryStrategy|retry_strategy|reconnectStrategy/;
/** TanStack Query (react-query) in every framework binding: `retryDelay` in query options. */
const QUERY_PACKAGES = [
  'react-query',
  '@tanstack/react-query',
  '@tanstack/vue-query',
  '@tanstack/solid-query',
  '@tanstack/svelte-query',
  '@tanstack/angular-query-experimental',
  '@tanstack/query-core',
  'vue-query',
];

type Imports = ReturnType<typeof importsOf>;

interface LibraryCheckContext {
  file: ts.SourceFile;
  imports: Imports;
  valueOf: ValueOf;
  resolver: Resolver;
}

/**
 * How a library check reads a value: followed through the repository by the value-flow engine, in
 * the scope of `node` in `file`. `counters` are names that count attempts (a delay function's
 * parameter); `bindings` are values a name has while a delay function is read (got's `computedValue`).
 */
export type ValueOf = (
  node: ts.Expression,
  file: ts.SourceFile,
  options?: { counters?: ReadonlySet<string>; bindings?: ReadonlyMap<string, DelayValue> },
) => Promise<DelayValue>;

/** Local names bound to `specifier` (optionally only a given import). */
function localNames(
  imports: Imports,
  specifiers: readonly string[],
  imported?: readonly string[],
): Set<string> {
  const names = new Set<string>();
  for (const [local, binding] of imports) {
    if (!specifiers.includes(binding.specifier)) continue;
    if (imported && !imported.includes(binding.imported)) continue;
    names.add(local);
  }
  return names;
}

export async function findLibraryRetries(
  file: ts.SourceFile,
  valueOf: ValueOf,
  resolver: Resolver,
): Promise<LibraryFinding[]> {
  const imports = importsOf(file);
  if (imports.size === 0 && !REDIS_OPTION_TEXT.test(file.text)) return [];
  const ctx: LibraryCheckContext = { file, imports, valueOf, resolver };
  const libs = {
    pRetry: localNames(imports, ['p-retry'], ['default', '*', 'pRetry']),
    promiseRetry: localNames(imports, ['promise-retry'], ['default', '*']),
    nodeRetry: localNames(imports, ['retry'], ['default', '*']),
    asyncRetry: localNames(imports, ['async-retry'], ['default', '*']),
    axiosRetry: localNames(imports, ['axios-retry'], ['default', '*']),
    cockatiel: localNames(imports, ['cockatiel']),
    expBackoff: localNames(imports, ['exponential-backoff'], ['backOff']),
    rxjs: localNames(imports, ['rxjs', 'rxjs/operators']),
    got: localNames(imports, ['got'], ['default', '*']),
    ky: localNames(imports, ['ky'], ['default', '*']),
    aws: localNames(imports, ['@smithy/util-retry', '@aws-sdk/util-retry'], ['ConfiguredRetryStrategy']),
    socketIo: localNames(imports, SOCKET_IO_PACKAGES),
  };
  const usesBullmq = [...imports.values()].some((b) => b.specifier === 'bullmq');
  const usesRedis = [...imports.values()].some((b) => REDIS_PACKAGES.includes(b.specifier));
  const usesQuery = [...imports.values()].some((b) => QUERY_PACKAGES.includes(b.specifier));
  const mayHoldRedisOptions = REDIS_OPTION_TEXT.test(file.text);
  const usesAxiosRetryTypes = [...imports.values()].some((b) => b.specifier === 'axios-retry');
  const usesBull = [...imports.values()].some((b) => b.specifier === 'bull');
  if (
    !usesBullmq &&
    !usesBull &&
    !usesRedis &&
    !usesQuery &&
    !mayHoldRedisOptions &&
    !usesAxiosRetryTypes &&
    Object.values(libs).every((set) => set.size === 0)
  ) {
    return [];
  }

  const found: LibraryFinding[] = [];
  const pending: Promise<LibraryFinding | LibraryFinding[] | null>[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = unwrap(node.expression);
      const name = ts.isIdentifier(callee) ? callee.text : null;
      const object =
        ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)
          ? callee.expression.text
          : null;
      const method = ts.isPropertyAccessExpression(callee) ? callee.name.text : null;
      if (name && libs.pRetry.has(name)) pending.push(retryFamily(ctx, 'p-retry', node, node.arguments[1]));
      if (name && libs.promiseRetry.has(name))
        pending.push(
          retryFamily(
            ctx,
            'promise-retry',
            node,
            node.arguments.find((a) => ts.isObjectLiteralExpression(unwrap(a))),
          ),
        );
      if (object && libs.nodeRetry.has(object) && (method === 'operation' || method === 'timeouts'))
        pending.push(retryFamily(ctx, 'retry', node, node.arguments[0]));
      if (name && libs.asyncRetry.has(name)) pending.push(asyncRetry(ctx, node));
      if (name && libs.axiosRetry.has(name)) pending.push(axiosRetry(ctx, node));
      if (name && libs.expBackoff.has(name)) pending.push(exponentialBackoff(ctx, node));
      if (name && libs.cockatiel.has(name) && ctx.imports.get(name)?.imported === 'retry')
        pending.push(cockatielRetry(ctx, node));
      if (name && libs.rxjs.has(name)) pending.push(rxjs(ctx, node, ctx.imports.get(name)!.imported));
      if ((name && libs.got.has(name)) || (object && libs.got.has(object)))
        pending.push(gotOptions(ctx, node));
      if ((name && libs.ky.has(name)) || (object && libs.ky.has(object))) pending.push(kyOptions(ctx, node));
      if ((name && libs.socketIo.has(name)) || (object && libs.socketIo.has(object) && method !== 'on'))
        pending.push(socketIoOptions(ctx, node));
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
      const name = node.expression.text;
      if (libs.cockatiel.has(name))
        pending.push(cockatielBackoff(ctx, node, ctx.imports.get(name)!.imported));
      if (libs.aws.has(name)) pending.push(awsStrategy(ctx, node));
      if (libs.socketIo.has(name) && ctx.imports.get(name)?.imported === 'Manager')
        pending.push(socketIoOptions(ctx, node));
    }
    if (
      (ts.isPropertyAssignment(node) || ts.isMethodDeclaration(node)) &&
      REDIS_STRATEGIES.has(propertyName(node) ?? '') &&
      (usesRedis || countsAttempts(node))
    ) {
      pending.push(redisStrategy(ctx, node));
    }
    if (
      ts.isVariableDeclaration(node) &&
      node.type &&
      /\bIAxiosRetryConfig\b/.test(node.type.getText(file)) &&
      node.initializer &&
      ts.isObjectLiteralExpression(unwrap(node.initializer))
    ) {
      const options = unwrap(node.initializer) as ts.ObjectLiteralExpression;
      // A declared config only matters for what it sets; a missing `retryDelay` is judged where it is used.
      if (findProperty(options, 'retryDelay')) pending.push(axiosRetryOptions(ctx, options, node));
    }
    if (
      usesQuery &&
      (ts.isPropertyAssignment(node) || ts.isMethodDeclaration(node)) &&
      propertyName(node) === 'retryDelay'
    ) {
      pending.push(queryRetryDelay(ctx, node));
    }
    if (usesBull && !usesBullmq && ts.isPropertyAssignment(node) && propertyName(node) === 'backoff') {
      pending.push(
        bullmqBackoff(ctx, node).then((found) =>
          found
            ? { ...found, library: 'bull' as const, evidence: found.evidence.replace('bullmq', 'bull') }
            : null,
        ),
      );
    }
    if (usesBullmq && ts.isPropertyAssignment(node) && propertyName(node) === 'backoff')
      pending.push(bullmqBackoff(ctx, node));
    if ((usesBull || usesBullmq) && ts.isPropertyAssignment(node) && propertyName(node) === 'attempts')
      pending.push(immediateJobRetry(ctx, node, usesBullmq ? 'bullmq' : 'bull'));
    ts.forEachChild(node, visit);
  };
  visit(file);
  for (const result of await Promise.all(pending)) {
    if (Array.isArray(result)) found.push(...result);
    else if (result) found.push(result);
  }
  return found;
}

function propertyName(property: ts.ObjectLiteralElementLike): string | null {
  const name = property.name;
  if (!name) return null;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return null;
}

function findProperty(
  object: ts.ObjectLiteralExpression | null,
  name: string,
): ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration | null {
  if (!object) return null;
  for (const property of object.properties) {
    if (propertyName(property) !== name) continue;
    if (
      ts.isPropertyAssignment(property) ||
      ts.isShorthandPropertyAssignment(property) ||
      ts.isMethodDeclaration(property)
    )
      return property;
  }
  return null;
}

function valueOf(
  property: ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration,
): ts.Expression | ts.MethodDeclaration {
  if (ts.isPropertyAssignment(property)) return property.initializer;
  if (ts.isShorthandPropertyAssignment(property)) return property.name;
  return property;
}

async function objectArg(
  ctx: LibraryCheckContext,
  arg: ts.Expression | undefined,
): Promise<ts.ObjectLiteralExpression | null> {
  if (!arg) return null;
  const found = await ctx.resolver.objectOf(arg, ctx.file, 0);
  return found && found.file === ctx.file ? found.node : (found?.node ?? null);
}

async function numberOption(
  ctx: LibraryCheckContext,
  object: ts.ObjectLiteralExpression | null,
  name: string,
): Promise<DelayValue | null> {
  const property = findProperty(object, name);
  if (!property) return null;
  const value = valueOf(property);
  if (ts.isMethodDeclaration(value)) return null;
  return ctx.valueOf(value, ctx.file);
}

function booleanOption(object: ts.ObjectLiteralExpression | null, name: string): boolean | null {
  const property = findProperty(object, name);
  if (!property || !ts.isPropertyAssignment(property)) return null;
  const kind = unwrap(property.initializer).kind;
  if (kind === ts.SyntaxKind.TrueKeyword) return true;
  if (kind === ts.SyntaxKind.FalseKeyword) return false;
  return null;
}

function isConst(value: DelayValue | null): value is { kind: 'const'; ms: number } {
  return !!value && value.kind === 'const';
}

function isConstEqual(value: DelayValue | null, ms: number): boolean {
  return isConst(value) && value.ms === ms;
}

/** What a delay function returns per attempt: `(n) => 2 ** n * 100`, `() => 1000`, `({ attemptCount }) => …`. */
async function delayFunction(
  ctx: LibraryCheckContext,
  node: ts.Node,
  counterParam: number,
): Promise<DelayValue | null> {
  let fn: ts.Node = ts.isPropertyAssignment(node) ? unwrap(node.initializer) : node;
  let file = ctx.file;
  if (ts.isIdentifier(fn)) {
    const resolved = await ctx.resolver.identifier(fn.text, fn, ctx.file, 0);
    if (resolved?.kind !== 'function') return null;
    fn = resolved.node;
    file = resolved.file;
  }
  if (!isFunctionNode(fn)) return null;
  const returned = returnedExpression(fn);
  if (!returned) return null;
  const counters = new Set<string>();
  // got passes its own computed delay, which already carries random noise.
  const bindings = new Map<string, DelayValue>([['computedValue', { kind: 'random' }]]);
  const parameter = fn.parameters[counterParam];
  if (parameter) {
    if (ts.isIdentifier(parameter.name)) counters.add(parameter.name.text);
    else
      for (const element of parameter.name.elements)
        if (!ts.isOmittedExpression(element) && ts.isIdentifier(element.name))
          counters.add(element.name.text);
  }
  return ctx.valueOf(returned, file, { counters, bindings });
}

/** p-retry, promise-retry and node `retry` share node-retry's options: factor 2, randomize false, minTimeout 1000. */
async function retryFamily(
  ctx: LibraryCheckContext,
  library: RetryLibrary,
  call: ts.CallExpression,
  optionsArg: ts.Expression | undefined,
): Promise<LibraryFinding | null> {
  const options = await objectArg(ctx, optionsArg);
  if (booleanOption(options, 'randomize') === true) return null;
  const retries = await numberOption(ctx, options, 'retries');
  if (isConstEqual(retries, 0)) return null;
  const factor = await numberOption(ctx, options, 'factor');
  const minTimeout = await numberOption(ctx, options, 'minTimeout');
  const target = options ?? call;
  if (isConstEqual(factor, 1)) {
    return {
      library,
      rule: 'fixed-delay-retry',
      delay: { kind: 'const', ms: isConst(minTimeout) ? minTimeout.ms : 1000 },
      anchor: findProperty(options, 'factor')!,
      target,
      evidence: `${library} with \`factor: 1\` and no \`randomize: true\` waits the same time before every attempt`,
    };
  }
  if (factor && factor.kind !== 'const') return null;
  return {
    library,
    rule: 'unjittered-backoff',
    delay: {
      kind: 'exponential',
      baseMs: isConst(minTimeout) ? minTimeout.ms : 1000,
      factor: isConst(factor) ? factor.ms : 2,
    },
    anchor: findProperty(options, 'randomize') ?? call,
    target,
    evidence: `${library} backs off exponentially but \`randomize\` is off (its default), so every client waits the same schedule`,
  };
}

/** async-retry randomizes by default (1.3.x); only `randomize: false` removes the jitter. */
async function asyncRetry(ctx: LibraryCheckContext, call: ts.CallExpression): Promise<LibraryFinding | null> {
  const options = await objectArg(ctx, call.arguments[1]);
  if (booleanOption(options, 'randomize') !== false) return null;
  const retries = await numberOption(ctx, options, 'retries');
  if (isConstEqual(retries, 0)) return null;
  const factor = await numberOption(ctx, options, 'factor');
  const minTimeout = await numberOption(ctx, options, 'minTimeout');
  const randomize = findProperty(options, 'randomize')!;
  if (isConstEqual(factor, 1)) {
    return {
      library: 'async-retry',
      rule: 'fixed-delay-retry',
      delay: { kind: 'const', ms: isConst(minTimeout) ? minTimeout.ms : 1000 },
      anchor: findProperty(options, 'factor')!,
      target: options!,
      evidence: 'async-retry with `factor: 1, randomize: false` waits the same time before every attempt',
    };
  }
  return {
    library: 'async-retry',
    rule: 'unjittered-backoff',
    delay: { kind: 'exponential', baseMs: isConst(minTimeout) ? minTimeout.ms : 1000 },
    anchor: randomize,
    target: options!,
    evidence: 'async-retry with `randomize: false` backs off on the same schedule for every client',
  };
}

async function axiosRetry(ctx: LibraryCheckContext, call: ts.CallExpression): Promise<LibraryFinding | null> {
  return axiosRetryOptions(ctx, await objectArg(ctx, call.arguments[1]), call);
}

/** The options object of axios-retry, whether passed to `axiosRetry(…)` here or declared as `IAxiosRetryConfig`. */
async function axiosRetryOptions(
  ctx: LibraryCheckContext,
  options: ts.ObjectLiteralExpression | null,
  call: ts.Node,
): Promise<LibraryFinding | null> {
  const retries = await numberOption(ctx, options, 'retries');
  if (isConstEqual(retries, 0)) return null;
  const property = findProperty(options, 'retryDelay');
  if (!property) {
    return {
      library: 'axios-retry',
      rule: 'fixed-delay-retry',
      delay: { kind: 'const', ms: 0 },
      anchor: call,
      target: options ?? call,
      evidence: 'axios-retry without `retryDelay` retries at once (0 ms) unless the server sends Retry-After',
    };
  }
  const value = valueOf(property);
  const text = value.getText(ctx.file);
  if (/exponentialDelay/.test(text)) return null;
  if (/linearDelay/.test(text)) {
    return {
      library: 'axios-retry',
      rule: 'unjittered-backoff',
      delay: { kind: 'linear' },
      anchor: property,
      target: options!,
      evidence: '`axiosRetry.linearDelay` grows the wait without randomness',
    };
  }
  const delay = await delayFunction(ctx, ts.isMethodDeclaration(value) ? value : property, 0);
  return fromDelay(ctx, 'axios-retry', delay, property, options!, 'the `retryDelay` function');
}

function fromDelay(
  _ctx: LibraryCheckContext,
  library: RetryLibrary,
  delay: DelayValue | null,
  anchor: ts.Node,
  target: ts.Node,
  what: string,
): LibraryFinding | null {
  if (!delay) return null;
  if (delay.kind === 'const')
    return {
      library,
      rule: 'fixed-delay-retry',
      delay,
      anchor,
      target,
      evidence: `${what} returns the same ${delay.ms} ms for every attempt`,
    };
  if (delay.kind === 'linear' || delay.kind === 'exponential' || delay.kind === 'counter') {
    return {
      library,
      rule: 'unjittered-backoff',
      delay: delay.kind === 'counter' ? { kind: 'linear' } : delay,
      anchor,
      target,
      evidence: `${what} grows the wait without randomness`,
    };
  }
  return null;
}

/** exponential-backoff: `jitter: 'none'` is the default. */
async function exponentialBackoff(
  ctx: LibraryCheckContext,
  call: ts.CallExpression,
): Promise<LibraryFinding | null> {
  const options = await objectArg(ctx, call.arguments[1]);
  const jitter = findProperty(options, 'jitter');
  if (jitter && ts.isPropertyAssignment(jitter) && /full/.test(jitter.initializer.getText(ctx.file)))
    return null;
  if (jitter && ts.isPropertyAssignment(jitter) && !/none/.test(jitter.initializer.getText(ctx.file)))
    return null;
  const multiple = await numberOption(ctx, options, 'timeMultiple');
  const starting = await numberOption(ctx, options, 'startingDelay');
  const base = isConst(starting) ? starting.ms : 100;
  if (isConstEqual(multiple, 1)) {
    return {
      library: 'exponential-backoff',
      rule: 'fixed-delay-retry',
      delay: { kind: 'const', ms: base },
      anchor: findProperty(options, 'timeMultiple')!,
      target: options!,
      evidence: '`timeMultiple: 1` with no jitter waits the same time before every attempt',
    };
  }
  return {
    library: 'exponential-backoff',
    rule: 'unjittered-backoff',
    delay: { kind: 'exponential', baseMs: base },
    anchor: jitter ?? call,
    target: options ?? call,
    evidence: "exponential-backoff's default `jitter: 'none'` gives every client the same schedule",
  };
}

async function cockatielBackoff(
  ctx: LibraryCheckContext,
  node: ts.NewExpression,
  imported: string,
): Promise<LibraryFinding | null> {
  if (imported === 'ConstantBackoff') {
    const [arg] = node.arguments ?? [];
    const delay = arg ? await ctx.valueOf(arg, ctx.file) : null;
    if (delay && delay.kind !== 'const') return null;
    return {
      library: 'cockatiel',
      rule: 'fixed-delay-retry',
      delay: delay ?? { kind: 'const', ms: 0 },
      anchor: node,
      target: node,
      evidence: '`ConstantBackoff` waits the same time before every attempt',
    };
  }
  if (imported === 'ExponentialBackoff') {
    const options = await objectArg(ctx, node.arguments?.[0]);
    const generator = findProperty(options, 'generator');
    if (generator && /noJitterGenerator/.test(generator.getText(ctx.file))) {
      const initial = await numberOption(ctx, options, 'initialDelay');
      return {
        library: 'cockatiel',
        rule: 'unjittered-backoff',
        delay: { kind: 'exponential', baseMs: isConst(initial) ? initial.ms : 128 },
        anchor: generator,
        target: options!,
        evidence: '`noJitterGenerator` turns off the jitter cockatiel adds by default',
      };
    }
  }
  return null;
}

/** cockatiel `retry(policy, { maxAttempts })` with no `backoff` uses `ConstantBackoff(0)`. */
async function cockatielRetry(
  ctx: LibraryCheckContext,
  call: ts.CallExpression,
): Promise<LibraryFinding | null> {
  const options = await objectArg(ctx, call.arguments[1]);
  if (!options || findProperty(options, 'backoff')) return null;
  return {
    library: 'cockatiel',
    rule: 'fixed-delay-retry',
    delay: { kind: 'const', ms: 0 },
    anchor: call,
    target: options,
    evidence: 'a cockatiel `retry` policy with no `backoff` retries at once (`ConstantBackoff(0)`)',
  };
}

/** bullmq job options: `backoff: N`, `{ type: 'fixed' | 'exponential', delay }`; `jitter` (0–1) spreads them. */
async function bullmqBackoff(
  ctx: LibraryCheckContext,
  property: ts.PropertyAssignment,
): Promise<LibraryFinding | null> {
  const value = unwrap(property.initializer);
  const parent = property.parent;
  if (ts.isObjectLiteralExpression(value)) {
    const jitter = await numberOption(ctx, value, 'jitter');
    if (jitter && !isConstEqual(jitter, 0)) return null;
    const type = findProperty(value, 'type');
    const typeText = type && ts.isPropertyAssignment(type) ? type.initializer.getText(ctx.file) : '';
    const delay = await numberOption(ctx, value, 'delay');
    const ms = isConst(delay) ? delay.ms : undefined;
    if (/exponential/.test(typeText)) {
      return {
        library: 'bullmq',
        rule: 'unjittered-backoff',
        delay: { kind: 'exponential', baseMs: ms },
        anchor: property,
        target: value,
        evidence:
          "bullmq's exponential backoff without `jitter` retries every failed job on the same schedule",
      };
    }
    if (/fixed/.test(typeText)) {
      return {
        library: 'bullmq',
        rule: 'fixed-delay-retry',
        delay: ms === undefined ? { kind: 'unknown', reason: 'delay' } : { kind: 'const', ms },
        anchor: property,
        target: value,
        evidence: "bullmq's fixed backoff without `jitter` retries every failed job after the same delay",
      };
    }
    return null;
  }
  if (!ts.isObjectLiteralExpression(parent)) return null;
  const delay = await ctx.valueOf(value, ctx.file);
  if (delay.kind !== 'const') return null;
  return {
    library: 'bullmq',
    rule: 'fixed-delay-retry',
    delay,
    anchor: property,
    target: property,
    evidence: 'bullmq `backoff: N` is a fixed backoff without jitter',
  };
}

/**
 * bull and bullmq retry a failed job at once when its options set `attempts` but no `backoff` ("If
 * you do not specify a back-off function, the jobs will be retried without delay as soon as they
 * fail"): a fixed 0 ms. Only options the file shows whole count: a queue's `defaultJobOptions`, or a
 * job added to a queue made in this file, with no `backoff` anywhere in the file (a queue default or
 * a shared options object would apply one).
 */
async function immediateJobRetry(
  ctx: LibraryCheckContext,
  property: ts.PropertyAssignment,
  library: 'bull' | 'bullmq',
): Promise<LibraryFinding | null> {
  const options = property.parent;
  if (BACKOFF_WORD.test(ctx.file.text) || !isJobOptions(ctx, options)) return null;
  const attempts = await ctx.valueOf(property.initializer, ctx.file);
  if (!isConst(attempts) || attempts.ms <= 1) return null;
  return {
    library,
    rule: 'fixed-delay-retry',
    delay: { kind: 'const', ms: 0 },
    anchor: property,
    target: options,
    evidence: `${library} retries a failed job at once (0 ms) when its \`attempts\` come without a \`backoff\``,
  };
}

const BACKOFF_WORD = /\bbackoff\b/i;

/** `queue.add(name?, data, { attempts })` on a queue made here, or `new Queue(name, { defaultJobOptions: { attempts } })`. */
function isJobOptions(ctx: LibraryCheckContext, options: ts.Node): boolean {
  const holder = options.parent;
  if (ts.isPropertyAssignment(holder) && propertyName(holder) === 'defaultJobOptions')
    return isQueueConstruction(ctx, holder.parent.parent);
  if (!ts.isCallExpression(holder) || holder.arguments[0] === options) return false;
  const callee = unwrap(holder.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'add') return false;
  const queue = unwrap(callee.expression);
  if (!ts.isIdentifier(queue)) return false;
  const declaration = lookup(queue.text, queue);
  return (
    declaration?.kind === 'variable' &&
    !!declaration.node.initializer &&
    isQueueConstruction(ctx, unwrap(declaration.node.initializer))
  );
}

/** `new Queue(…)` or `Queue(…)` with `Queue` imported from bull or bullmq. */
function isQueueConstruction(ctx: LibraryCheckContext, node: ts.Node): boolean {
  if (!ts.isNewExpression(node) && !ts.isCallExpression(node)) return false;
  const callee = unwrap(node.expression);
  const specifier = ts.isIdentifier(callee) ? ctx.imports.get(callee.text)?.specifier : undefined;
  return specifier === 'bull' || specifier === 'bullmq';
}

/** rxjs `retry({ delay })` and `retryWhen(e => e.pipe(delay(N)))`. */
async function rxjs(
  ctx: LibraryCheckContext,
  call: ts.CallExpression,
  imported: string,
): Promise<LibraryFinding | LibraryFinding[] | null> {
  if (imported === 'retry') {
    const options = await objectArg(ctx, call.arguments[0]);
    const property = findProperty(options, 'delay');
    if (!property) return null;
    const value = valueOf(property);
    if (!ts.isMethodDeclaration(value) && !isFunctionNode(unwrap(value)) && !ts.isIdentifier(unwrap(value))) {
      const delay = await ctx.valueOf(value, ctx.file);
      return fromDelay(ctx, 'rxjs', delay, property, options!, '`retry({ delay })`');
    }
    const delay = await delayFunction(ctx, ts.isMethodDeclaration(value) ? value : property, 1);
    return fromDelay(ctx, 'rxjs', delay, property, options!, 'the `retry` delay function');
  }
  if (imported === 'retryWhen') {
    const results: LibraryFinding[] = [];
    const delayNames = localNames(ctx.imports, ['rxjs', 'rxjs/operators'], ['delay']);
    const calls: ts.CallExpression[] = [];
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        delayNames.has(node.expression.text)
      )
        calls.push(node);
      ts.forEachChild(node, visit);
    };
    if (call.arguments[0]) visit(call.arguments[0]);
    for (const inner of calls) {
      const [arg] = inner.arguments;
      if (!arg) continue;
      const delay = await ctx.valueOf(arg, ctx.file);
      const finding = fromDelay(ctx, 'rxjs', delay, inner, inner, '`retryWhen(… delay(N))`');
      if (finding) results.push(finding);
    }
    return results;
  }
  return null;
}

/** got: `retry.calculateDelay` returning a constant, or growth with `noise: 0`. Its default adds noise. */
async function gotOptions(ctx: LibraryCheckContext, call: ts.CallExpression): Promise<LibraryFinding | null> {
  for (const arg of call.arguments) {
    const options = await objectArg(ctx, arg);
    const retry = findProperty(options, 'retry');
    if (!retry || !ts.isPropertyAssignment(retry)) continue;
    const retryOptions = await objectArg(ctx, retry.initializer);
    const calculate = findProperty(retryOptions, 'calculateDelay');
    if (calculate) {
      const delay = await delayFunction(ctx, calculate, 0);
      return fromDelay(ctx, 'got', delay, calculate, retryOptions!, '`retry.calculateDelay`');
    }
    const noise = await numberOption(ctx, retryOptions, 'noise');
    if (isConstEqual(noise, 0)) {
      return {
        library: 'got',
        rule: 'unjittered-backoff',
        delay: { kind: 'exponential', baseMs: 1000 },
        anchor: findProperty(retryOptions, 'noise')!,
        target: retryOptions!,
        evidence: '`retry.noise: 0` removes the random noise got adds to its backoff',
      };
    }
  }
  return null;
}

/** ky: no jitter unless `retry.jitter` is set (ky ≥ 1.13); `retry.delay` returning a constant is a fixed wait. */
async function kyOptions(ctx: LibraryCheckContext, call: ts.CallExpression): Promise<LibraryFinding | null> {
  for (const arg of call.arguments) {
    const options = await objectArg(ctx, arg);
    const retry = findProperty(options, 'retry');
    if (!retry || !ts.isPropertyAssignment(retry)) continue;
    const retryValue = unwrap(retry.initializer);
    if (ts.isNumericLiteral(retryValue)) {
      if (Number(retryValue.text) === 0) return null;
      return {
        library: 'ky',
        rule: 'unjittered-backoff',
        delay: { kind: 'exponential', baseMs: 300 },
        anchor: retry,
        target: retry,
        evidence: "ky's default retry delay (0.3 s × 2ⁿ) has no jitter unless `retry.jitter` is set",
      };
    }
    const retryOptions = await objectArg(ctx, retry.initializer);
    if (!retryOptions || findProperty(retryOptions, 'jitter')) return null;
    const limit = await numberOption(ctx, retryOptions, 'limit');
    if (isConstEqual(limit, 0)) return null;
    const delayProperty = findProperty(retryOptions, 'delay');
    if (delayProperty) {
      const delay = await delayFunction(ctx, delayProperty, 0);
      return fromDelay(ctx, 'ky', delay, delayProperty, retryOptions, '`retry.delay`');
    }
    return {
      library: 'ky',
      rule: 'unjittered-backoff',
      delay: { kind: 'exponential', baseMs: 300 },
      anchor: retry,
      target: retryOptions,
      evidence: "ky's default retry delay (0.3 s × 2ⁿ) has no jitter unless `retry.jitter` is set",
    };
  }
  return null;
}

/** socket.io's client (`io(url, options)`, `io.connect`, `new Manager`) and its defaults. */
const SOCKET_IO_PACKAGES = ['socket.io-client'];
const SOCKET_IO_DELAY_MS = 1_000;
const SOCKET_IO_DELAY_MAX_MS = 5_000;
/** Before 3.0 the client read `randomizationFactor || 0.5`: a 0 there still meant 0.5. */
const SOCKET_IO_FIRST_ZERO_FACTOR_MAJOR = 3;

/**
 * socket.io reconnects after `reconnectionDelay · 2ⁿ`, spread by ± `randomizationFactor` (0.5 unless
 * set) and then capped at `reconnectionDelayMax`. `randomizationFactor: 0` takes the spread away —
 * from socket.io-client 3 on, so the version the nearest package.json declares must be 3 or later —
 * and every client then waits the same: one fixed wait when the delay is already at the cap. Zero
 * delays mean the defaults (the client reads them with `||`). The comment goes on the delay when it is
 * fixed, on the factor otherwise.
 */
async function socketIoOptions(
  ctx: LibraryCheckContext,
  node: ts.CallExpression | ts.NewExpression,
): Promise<LibraryFinding | null> {
  for (const arg of node.arguments ?? []) {
    const options = await objectArg(ctx, arg);
    const factor = findProperty(options, 'randomizationFactor');
    if (!options || !factor || !isConstEqual(await numberOption(ctx, options, 'randomizationFactor'), 0))
      continue;
    if (booleanOption(options, 'reconnection') === false) return null;
    const major = await ctx.resolver.graph.dependencyMajor(
      posix.dirname(ctx.file.fileName),
      'socket.io-client',
    );
    if (major === null || major < SOCKET_IO_FIRST_ZERO_FACTOR_MAJOR) return null;
    const delay = await numberOption(ctx, options, 'reconnectionDelay');
    const max = await numberOption(ctx, options, 'reconnectionDelayMax');
    if ((delay && !isConst(delay)) || (max && !isConst(max))) return null;
    const delayMs = delay?.ms || SOCKET_IO_DELAY_MS;
    const maxMs = max?.ms || SOCKET_IO_DELAY_MAX_MS;
    if (delayMs >= maxMs) {
      return {
        library: 'socket.io',
        rule: 'fixed-delay-retry',
        delay: { kind: 'const', ms: maxMs },
        anchor:
          findProperty(options, delayMs > maxMs ? 'reconnectionDelayMax' : 'reconnectionDelay') ?? factor,
        target: options,
        evidence: `\`randomizationFactor: 0\` with the reconnection delay at its cap: every reconnect waits ${maxMs} ms`,
      };
    }
    return {
      library: 'socket.io',
      rule: 'unjittered-backoff',
      delay: { kind: 'exponential', baseMs: delayMs },
      anchor: factor,
      target: options,
      evidence: '`randomizationFactor: 0` turns off the jitter socket.io adds to its reconnection backoff',
    };
  }
  return null;
}

/** `new ConfiguredRetryStrategy(attempts, backoff?)`: the default backoff is a constant 100 ms. */
async function awsStrategy(ctx: LibraryCheckContext, node: ts.NewExpression): Promise<LibraryFinding | null> {
  const backoff = node.arguments?.[1];
  if (!backoff) {
    return {
      library: 'aws-sdk',
      rule: 'fixed-delay-retry',
      delay: { kind: 'const', ms: 100 },
      anchor: node,
      target: node,
      evidence: '`ConfiguredRetryStrategy` without a backoff function waits a constant 100 ms',
    };
  }
  const value = unwrap(backoff);
  if (isFunctionNode(value) || ts.isIdentifier(value)) {
    const delay = await delayFunction(ctx, value, 0);
    return fromDelay(ctx, 'aws-sdk', delay, node, node, 'the `ConfiguredRetryStrategy` backoff');
  }
  const delay = await ctx.valueOf(value, ctx.file);
  return fromDelay(ctx, 'aws-sdk', delay, node, node, '`ConfiguredRetryStrategy`');
}

/**
 * A Redis client's reconnect strategy: every numeric `return` is a wait (others give up or return an
 * error). `options.attempt` (node-redis v3) and the first parameter (`times`, `retries`) count attempts.
 */
async function redisStrategy(
  ctx: LibraryCheckContext,
  property: ts.PropertyAssignment | ts.MethodDeclaration,
): Promise<LibraryFinding | null> {
  const fn = ts.isMethodDeclaration(property) ? property : unwrap(property.initializer);
  if (!isFunctionNode(fn) || !fn.body) return null;
  const first = fn.parameters[0];
  const counters = new Set<string>(first && ts.isIdentifier(first.name) ? [first.name.text] : []);
  const returns = numericReturns(fn.body);
  if (returns.length === 0) return null;
  let value: DelayValue | null = null;
  let returned: ts.Expression | null = null;
  for (const expression of returns) {
    const delay = await ctx.valueOf(expression, ctx.file, { counters });
    if (delay.kind === 'random' || delay.kind === 'unknown' || delay.kind === 'server') return null;
    if (!value || delay.kind !== 'const') {
      value = delay;
      returned = expression;
    }
  }
  const finding = fromDelay(
    ctx,
    'retry',
    value,
    property,
    property,
    `the Redis client's \`${propertyName(property)}\``,
  );
  return finding && returned ? { ...finding, returned } : null;
}

/** Expressions a function returns that can be a number of milliseconds (not errors, `undefined`, `null`). */
function numericReturns(body: ts.Node): ts.Expression[] {
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionNode(node)) return;
    if (ts.isReturnStatement(node) && node.expression) {
      const value = unwrap(node.expression);
      const text = value.getText();
      const notANumber =
        ts.isNewExpression(value) ||
        value.kind === ts.SyntaxKind.NullKeyword ||
        value.kind === ts.SyntaxKind.FalseKeyword ||
        value.kind === ts.SyntaxKind.TrueKeyword ||
        text === 'undefined' ||
        /err|Error/.test(text);
      if (!notANumber) found.push(node.expression);
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/**
 * TanStack Query's `retryDelay`: a number waits the same before every retry; a function gets the
 * failure count. Its default (`Math.min(1000 * 2 ** n, 30000)`) has no jitter but is left alone, as a
 * bare library default is elsewhere.
 */
async function queryRetryDelay(
  ctx: LibraryCheckContext,
  property: ts.PropertyAssignment | ts.MethodDeclaration,
): Promise<LibraryFinding | null> {
  const value = ts.isMethodDeclaration(property) ? property : unwrap(property.initializer);
  if (isFunctionNode(value) || ts.isIdentifier(value)) {
    const delay = await delayFunction(ctx, property, 0);
    const found = fromDelay(ctx, 'react-query', delay, property, property, 'the `retryDelay` function');
    const returned = isFunctionNode(value) ? returnedExpression(value) : null;
    return found && returned ? { ...found, returned } : found;
  }
  const delay = await ctx.valueOf(value, ctx.file);
  return fromDelay(ctx, 'react-query', delay, property, value, '`retryDelay`');
}

/** A strategy callback whose first parameter counts attempts (`times`, `retries`, `options` with `.attempt`). */
function countsAttempts(node: ts.PropertyAssignment | ts.MethodDeclaration): boolean {
  const fn = ts.isMethodDeclaration(node) ? node : unwrap(node.initializer);
  if (!isFunctionNode(fn)) return false;
  const first = fn.parameters[0];
  return (
    !!first &&
    ts.isIdentifier(first.name) &&
    /^(times|retries|attempt|attempts|count|retryCount|options|opts)$/.test(first.name.text)
  );
}
