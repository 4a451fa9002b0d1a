import { ts } from 'ts-morph';
import { MAX_RESOLUTION_DEPTH } from './modules.js';
import { containsRandom } from './random.js';
import { isFunctionNode, type FunctionNode, type Resolver } from './resolve.js';
import { calleeName, functionName, lookup, mentionsName, unwrap } from './scope.js';

/** Packages whose default or named export sleeps its first argument in milliseconds. */
const SLEEP_PACKAGES: Record<string, readonly string[]> = {
  delay: ['default'],
  'sleep-promise': ['default'],
  'await-sleep': ['default'],
  'timers/promises': ['setTimeout'],
  'node:timers/promises': ['setTimeout'],
  bluebird: [],
  'redux-saga': ['delay'],
  'redux-saga/effects': ['delay'],
};
const TIMERS_PROMISES = new Set(['timers/promises', 'node:timers/promises']);

/** Packages whose `delay`/`wait` mean something else (rxjs's `delay` is an operator, handled as a library). */
const NOT_SLEEP_PACKAGES = new Set(['rxjs', 'rxjs/operators', 'lodash', 'lodash-es', 'underscore']);

/** Unresolvable callees with these names are taken as sleeps, at lower confidence. */
const SLEEP_NAME =
  /^(sleep\w*|delay|delayMs|delayMillis|wait|waitMs|waitMillis|pause|pauseMs|snooze|nap|backoffSleep|waitFor(Ms|Millis)?)$/i;

export type WaitCall = 'sleep-helper' | 'promise-timeout' | 'timers-promises' | 'timeout-callback';

/** A place that waits, and the expression that says how long. */
export interface Wait {
  call: WaitCall;
  /** The node a comment anchors to (`new Promise(…)`, `sleep(…)`, `setTimeout(…)`). */
  anchor: ts.Expression;
  delay: ts.Expression;
  /** For `setTimeout(cb, N)` scheduling work: the callback. */
  callback?: ts.Expression;
  /** The helper already randomises the wait (followed into its body): never a finding. */
  jittered: boolean;
  /** Where the sleep helper was found, for evidence. */
  helper?: { name: string; path: string };
  /** A helper that computes its wait from its arguments (`backoff(attempt)`): evaluate its body, not the argument. */
  computed?: ComputedWait;
  confidence: 'high' | 'medium';
}

/** Where a helper's own timer delay lives, to evaluate it with the call's arguments bound. */
export interface ComputedWait {
  fn: FunctionNode;
  file: ts.SourceFile;
  delay: ts.Expression;
}

/** What a callee is, once followed to its definition. */
export type SleepKind = {
  argIndex: number;
  jittered: boolean;
  path?: string;
  confidence: 'high' | 'medium';
  call: WaitCall;
  computed?: ComputedWait;
};

export class WaitFinder {
  private readonly helperCache = new WeakMap<ts.Node, Promise<SleepKind | null>>();
  private readonly inProgress = new Set<ts.Node>();
  /** One answer per call: the analyser asks again once a call has proved to sit in a retry. */
  private readonly callCache = new WeakMap<ts.CallExpression, Promise<Wait | null>>();

  constructor(private readonly resolver: Resolver) {}

  /** Every wait in `file`. Calls are classified lazily: most files have none worth following. */
  async find(file: ts.SourceFile, candidates: readonly ts.CallExpression[]): Promise<Wait[]> {
    const waits: Wait[] = [];
    for (const call of candidates) {
      let pending = this.callCache.get(call);
      if (!pending) {
        pending = this.classify(call, file);
        this.callCache.set(call, pending);
      }
      const wait = await pending;
      if (wait) waits.push(wait);
    }
    return waits;
  }

  private async classify(call: ts.CallExpression, file: ts.SourceFile): Promise<Wait | null> {
    let callee = unwrap(call.expression);
    let args: readonly ts.Expression[] = call.arguments;
    // redux-saga's `yield call(fn, ...args)` calls `fn` with `args`.
    if (ts.isIdentifier(callee) && callee.text === 'call' && args[0]) {
      const declaration = lookup('call', callee);
      if (declaration?.kind === 'import' && declaration.specifier.startsWith('redux-saga')) {
        callee = unwrap(args[0]);
        args = args.slice(1);
      }
    }
    if (isGlobalSetTimeout(callee, call)) return this.globalTimeout(call);
    const sleep = await this.sleepKind(callee, file, 0);
    if (!sleep) return null;
    const delay = args[sleep.argIndex];
    if (!delay) return null;
    return {
      call: sleep.call,
      anchor: call,
      delay,
      jittered: sleep.jittered,
      helper: sleep.path ? { name: callee.getText(file), path: sleep.path } : undefined,
      computed: sleep.computed,
      confidence: sleep.confidence,
    };
  }

  /** `setTimeout(resolve, N)` inside `new Promise` is a sleep; elsewhere it schedules a callback. */
  private globalTimeout(call: ts.CallExpression): Wait | null {
    const [callback, delay] = call.arguments;
    if (!callback || !delay) return null;
    const executor = isInterval(call) ? null : enclosingPromiseExecutor(call);
    if (executor) {
      const [resolveParam, rejectParam] = executor.fn.parameters;
      const rejectName = rejectParam && ts.isIdentifier(rejectParam.name) ? rejectParam.name.text : null;
      // A timer that rejects is a timeout, not a pause.
      if (rejectName && callsName(callback, rejectName)) return null;
      const resolveName = resolveParam && ts.isIdentifier(resolveParam.name) ? resolveParam.name.text : null;
      if (resolveName && (isName(callback, resolveName) || callsName(callback, resolveName))) {
        // `new Promise(r => setTimeout(r, N));` as a bare statement waits for nothing (a missing await).
        if (isDiscarded(executor.promise)) return null;
        return {
          call: 'promise-timeout',
          anchor: executor.promise,
          delay,
          jittered: false,
          confidence: 'high',
        };
      }
      // A timer that neither resolves nor rejects schedules other work: `setTimeout(() => retry(…), N)`.
    }
    return { call: 'timeout-callback', anchor: call, delay, callback, jittered: false, confidence: 'high' };
  }

  /** Whether calling `callee` sleeps, and on which argument. Follows helpers across files. */
  async sleepKind(callee: ts.Expression, file: ts.SourceFile, depth: number): Promise<SleepKind | null> {
    if (depth > MAX_RESOLUTION_DEPTH) return null;
    if (ts.isIdentifier(callee)) {
      const declaration = lookup(callee.text, callee);
      if (declaration?.kind === 'import') {
        const fromPackage = packageSleep(declaration.specifier, declaration.imported);
        if (fromPackage) return fromPackage;
      }
      const resolved = declaration ? await this.resolver.declaration(declaration, file, depth) : null;
      if (resolved?.kind === 'function')
        return this.helperKind(
          resolved.node,
          resolved.file,
          depth,
          resolved.file === file ? undefined : resolved.file.fileName,
        );
      if (resolved?.kind === 'expression') {
        const promisified = promisifiedTimeout(resolved.node);
        if (promisified)
          return {
            argIndex: 0,
            jittered: false,
            confidence: 'high',
            call: 'sleep-helper',
            path: resolved.file === file ? undefined : resolved.file.fileName,
          };
      }
      if (resolved?.kind === 'package') {
        const fromPackage = packageSleep(resolved.specifier, resolved.imported);
        if (fromPackage) return fromPackage;
      }
      const nonSleepPackage = resolved?.kind === 'package' && NOT_SLEEP_PACKAGES.has(resolved.specifier);
      if (!nonSleepPackage && (!declaration || resolved?.kind === 'package' || resolved === null)) {
        return SLEEP_NAME.test(callee.text)
          ? { argIndex: 0, jittered: false, confidence: 'medium', call: 'sleep-helper' }
          : null;
      }
      return null;
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const name = callee.name.text;
      const object = unwrap(callee.expression);
      if (ts.isIdentifier(object)) {
        const declaration = lookup(object.text, object);
        // `timers.setTimeout(ms)` from `import * as timers from 'node:timers/promises'`; `scheduler.wait(ms)`.
        if (
          declaration?.kind === 'import' &&
          TIMERS_PROMISES.has(declaration.specifier) &&
          (name === 'setTimeout' || name === 'wait')
        ) {
          return { argIndex: 0, jittered: false, confidence: 'high', call: 'timers-promises' };
        }
        if (declaration?.kind === 'import' && declaration.imported === '*') {
          const resolved = await this.resolver.imported(file.fileName, declaration.specifier, '*', depth + 1);
          if (resolved?.kind === 'module') {
            const exported = await this.resolver.exported(resolved.file, name, depth + 1);
            if (exported?.kind === 'function')
              return this.helperKind(exported.node, exported.file, depth, exported.file.fileName);
          }
        }
        const owner = await this.classOf(object, file, depth);
        if (owner) {
          const method = staticMethod(owner.node, name);
          if (method)
            return this.helperKind(
              method,
              owner.file,
              depth,
              owner.file === file ? undefined : owner.file.fileName,
            );
        }
        if (object.text === 'scheduler' && name === 'wait')
          return { argIndex: 0, jittered: false, confidence: 'high', call: 'timers-promises' };
        if (
          (object.text === 'Promise' || object.text === 'Bluebird' || object.text === 'BPromise') &&
          name === 'delay'
        ) {
          return { argIndex: 0, jittered: false, confidence: 'high', call: 'sleep-helper' };
        }
      }
      if (object.kind === ts.SyntaxKind.ThisKeyword) {
        const method = classMethod(callee, name);
        if (method) return this.helperKind(method, file, depth, undefined);
      }
      return SLEEP_NAME.test(name)
        ? { argIndex: 0, jittered: false, confidence: 'medium', call: 'sleep-helper' }
        : null;
    }
    return null;
  }

  /** The class an identifier names: declared here, imported, or a CommonJS module whose export is a class. */
  private async classOf(
    identifier: ts.Identifier,
    file: ts.SourceFile,
    depth: number,
  ): Promise<{ node: ts.ClassLikeDeclaration; file: ts.SourceFile } | null> {
    const resolved = await this.resolver.identifier(identifier.text, identifier, file, depth + 1);
    if (resolved?.kind === 'class') return { node: resolved.node, file: resolved.file };
    if (resolved?.kind === 'module') {
      const exported = await this.resolver.exported(resolved.file, 'default', depth + 1);
      if (exported?.kind === 'class') return { node: exported.node, file: exported.file };
    }
    return null;
  }

  /** A function sleeps when its body waits on one of its parameters; it jitters when that wait is random. */
  private helperKind(
    fn: FunctionNode,
    file: ts.SourceFile,
    depth: number,
    path: string | undefined,
  ): Promise<SleepKind | null> {
    // A helper that calls itself (a recursive retry) would otherwise await its own pending analysis.
    if (this.inProgress.has(fn)) return Promise.resolve(null);
    let pending = this.helperCache.get(fn);
    if (!pending) {
      this.inProgress.add(fn);
      pending = this.analyseHelper(fn, file, depth, path).finally(() => this.inProgress.delete(fn));
      this.helperCache.set(fn, pending);
    }
    return pending;
  }

  private async analyseHelper(
    fn: FunctionNode,
    file: ts.SourceFile,
    depth: number,
    path: string | undefined,
  ): Promise<SleepKind | null> {
    if (!fn.body || !looksLikeSleepHelper(fn.body)) return null;
    // A function that calls itself is a recursive retry, not a way of waiting.
    const self = functionName(fn);
    if (self && callsItself(fn.body, self)) return null;
    const params = fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : ''));
    const inner: ts.CallExpression[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) inner.push(node);
      ts.forEachChild(node, visit);
    };
    visit(fn.body);
    for (const call of inner) {
      const callee = unwrap(call.expression);
      let delay: ts.Expression | undefined;
      if (isGlobalSetTimeout(callee, call)) {
        delay = call.arguments[1];
      } else {
        const kind = await this.sleepKind(callee, file, depth + 1);
        if (!kind) continue;
        if (kind.jittered)
          return {
            argIndex: Math.max(
              0,
              params.findIndex((p) => p && mentionsName(call, p)),
            ),
            jittered: true,
            confidence: 'high',
            call: 'sleep-helper',
            path,
          };
        delay = call.arguments[kind.argIndex];
      }
      if (!delay) continue;
      const waited = delay;
      const inputs = [waited, ...localInitializers(waited, fn.body)];
      const argIndex = params.findIndex((p) => p !== '' && inputs.some((input) => mentionsName(input, p)));
      if (argIndex < 0) {
        // A helper that always waits the same time whatever it is passed: the wait is its own.
        if (
          !inputs.some((input) => mentionsAny(input, params)) &&
          inner.length <= MAX_CONSTANT_HELPER_CALLS
        ) {
          return {
            argIndex: 0,
            jittered: containsRandom(fn.body),
            confidence: 'high',
            call: 'sleep-helper',
            path,
            computed: { fn, file, delay: waited },
          };
        }
        continue;
      }
      // `setTimeout(r, ms)`: the argument is the wait. `const d = 2 ** attempt * 100; setTimeout(r, d)`: computed.
      const direct =
        ts.isIdentifier(unwrap(waited)) && (unwrap(waited) as ts.Identifier).text === params[argIndex];
      return {
        argIndex,
        jittered: containsRandom(fn.body),
        confidence: 'high',
        call: 'sleep-helper',
        path,
        ...(direct ? {} : { computed: { fn, file, delay: waited } }),
      };
    }
    return null;
  }
}

/** Initializers of the helper's local constants an expression uses: `const delay = 2 ** attempt * 100`. */
function localInitializers(expression: ts.Expression, body: ts.Node): ts.Expression[] {
  const found: ts.Expression[] = [];
  const names = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) names.add(node.text);
    ts.forEachChild(node, collect);
  };
  collect(expression);
  const visit = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      names.has(node.name.text) &&
      node.initializer
    ) {
      found.push(node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** A helper that waits a constant is only a sleep when waiting is all it does (the timer and a resolve). */
const MAX_CONSTANT_HELPER_CALLS = 2;

/** Most calls a sleep helper makes besides its wait (logging, a resolve). */
const MAX_HELPER_CALLS = 4;

/**
 * A sleep helper is small: it waits and perhaps logs. A function that also loops, catches or does
 * more work (a retry wrapper that happens to sleep) is not a way of waiting, even if it mentions a parameter.
 */
function looksLikeSleepHelper(body: ts.Node): boolean {
  let calls = 0;
  let control = false;
  const visit = (node: ts.Node): void => {
    if (control) return;
    if (ts.isTryStatement(node) || ts.isIterationStatement(node, false)) {
      control = true;
      return;
    }
    if (ts.isCallExpression(node)) calls += 1;
    ts.forEachChild(node, visit);
  };
  visit(body);
  return !control && calls <= MAX_HELPER_CALLS;
}

/**
 * The callback timers: `setTimeout(fn, N)`, and `setInterval(fn, N)` — a reconnect loop run by an
 * interval is a retry as much as one run by a timeout. Only `setTimeout` can be a promise's sleep.
 */
const TIMER_NAMES = new Set(['setTimeout', 'setInterval']);

/**
 * Whether a call could be a wait at all, on its syntax alone: what `classify` follows is a name, or a
 * method of a name or of `this`; a method of anything else (`a.b.c(x)`, `f().g(x)`) waits only when
 * its own name says so. Most calls fail this, and skip the retry checks that would come first.
 */
export function mayWait(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return true;
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const object = unwrap(callee.expression);
  return (
    ts.isIdentifier(object) || object.kind === ts.SyntaxKind.ThisKeyword || SLEEP_NAME.test(callee.name.text)
  );
}

export function isGlobalSetTimeout(callee: ts.Expression, call: ts.CallExpression): boolean {
  if (call.arguments.length < 2) return false;
  if (ts.isIdentifier(callee)) {
    if (!TIMER_NAMES.has(callee.text)) return false;
    const declaration = lookup(callee.text, callee);
    return !declaration || (declaration.kind === 'import' && !TIMERS_PROMISES.has(declaration.specifier));
  }
  return (
    ts.isPropertyAccessExpression(callee) &&
    TIMER_NAMES.has(callee.name.text) &&
    ts.isIdentifier(callee.expression) &&
    ['window', 'global', 'globalThis', 'self'].includes(callee.expression.text)
  );
}

function isInterval(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : '';
  return name === 'setInterval';
}

function packageSleep(specifier: string, imported: string): SleepKind | null {
  const names = SLEEP_PACKAGES[specifier];
  if (!names || !names.includes(imported)) return null;
  return {
    argIndex: 0,
    jittered: false,
    confidence: 'high',
    call: TIMERS_PROMISES.has(specifier) ? 'timers-promises' : 'sleep-helper',
  };
}

/** `promisify(setTimeout)` / `util.promisify(setTimeout)`. */
function promisifiedTimeout(node: ts.Expression): boolean {
  const expression = unwrap(node);
  if (!ts.isCallExpression(expression)) return false;
  const callee = unwrap(expression.expression);
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : '';
  const [arg] = expression.arguments;
  return name === 'promisify' && !!arg && arg.getText() === 'setTimeout';
}

function enclosingPromiseExecutor(
  call: ts.CallExpression,
): { promise: ts.NewExpression; fn: FunctionNode } | null {
  for (let node: ts.Node | undefined = call.parent; node; node = node.parent) {
    if (isFunctionNode(node)) {
      const parent = node.parent;
      if (
        parent &&
        ts.isNewExpression(parent) &&
        ts.isIdentifier(parent.expression) &&
        parent.expression.text === 'Promise'
      ) {
        return { promise: parent, fn: node };
      }
      // A callback nested in the executor (`() => resolve()`) still belongs to it.
      if (parent && ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression)) continue;
      return null;
    }
  }
  return null;
}

function callsItself(body: ts.Node, name: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(node) && calleeName(node) === name) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

function mentionsAny(node: ts.Node, names: readonly string[]): boolean {
  return names.some((name) => name !== '' && mentionsName(node, name));
}

function isDiscarded(expression: ts.Expression): boolean {
  let node: ts.Node = expression;
  while (node.parent && ts.isParenthesizedExpression(node.parent)) node = node.parent;
  return !!node.parent && ts.isExpressionStatement(node.parent);
}

function isName(node: ts.Expression, name: string): boolean {
  const inner = unwrap(node);
  return ts.isIdentifier(inner) && inner.text === name;
}

function callsName(node: ts.Node, name: string): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(current) && isName(current.expression, name)) found = true;
    else ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

function staticMethod(owner: ts.ClassLikeDeclaration, name: string): FunctionNode | null {
  for (const member of owner.members) {
    const isStatic =
      ts.canHaveModifiers(member) &&
      (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
    if (isStatic && ts.isMethodDeclaration(member) && member.name.getText() === name) return member;
  }
  return null;
}

function classMethod(access: ts.PropertyAccessExpression, name: string): FunctionNode | null {
  let owner: ts.Node | undefined = access.parent;
  while (owner && !ts.isClassLike(owner)) owner = owner.parent;
  if (!owner || !ts.isClassLike(owner)) return null;
  for (const member of owner.members) {
    if (ts.isMethodDeclaration(member) && member.name.getText() === name) return member;
    if (ts.isPropertyDeclaration(member) && member.name.getText() === name && member.initializer) {
      const init = unwrap(member.initializer);
      if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
    }
  }
  return null;
}
