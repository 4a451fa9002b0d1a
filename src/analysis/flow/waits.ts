import type { AnalysisOptions } from '../analyzer.js';
import { CONNECT_CALL, FAILURE_CALLBACK, JITTER_NAME, RESTART_NAME } from '../context.js';
import { UNKNOWN, type DelayValue } from '../delay.js';
import { scaled } from '../languages/tree-sitter/durations.js';
import {
  waitDraft,
  type Draft,
  type Snippet,
  type WaitDraftInput,
} from '../languages/tree-sitter/findings.js';
import { fakeJitterOf, isDeterministic, type FakeJitter } from './draws.js';
import { CYCLE_VALUE, NEVER_VALUE, newTrail, scopeIn, type FlowEngine, type Scope } from './engine.js';
import {
  mentions,
  show,
  type CallFact,
  type Expr,
  type FailurePath,
  type FileFacts,
  type FunctionFact,
  type RetryFrame,
} from './ir.js';

/**
 * Is a call of the analysed file a wait between attempts, and with what delay? Written once for every
 * language: the front end says which calls the language itself knows to wait (`time.sleep`,
 * `Thread.sleep`) and what the tree shows around them; here the rest is decided — a call of a
 * repository function that sleeps its argument is a wait too, a wait with no retry around it is one
 * when its function is called from a retry (a `reconnect()` called from the `catch` of a loop), and
 * the delay is followed through the repository.
 */

export interface CallSite {
  call: CallFact;
  anchor: Snippet;
  args: Snippet[];
  named: [string, Snippet][];
  /** A wait the language provides; `byNameOnly` when only its name says so (used when it resolves to nothing). */
  direct?: {
    delay: Expr;
    argument: Snippet;
    unitMs: number;
    confidence: 'high' | 'medium';
    byNameOnly: boolean;
  };
  /**
   * A wait that is a retry only if one of these calls starts the work again (a task scheduled from a
   * lost-connection handler calling `client.createBootstrap(…)`): it is when a callee's body connects.
   */
  restartVia?: { callees: Expr[]; frame: RetryFrame };
}

/** Names of functions whose whole job is to get a lost connection back. */
const RECONNECTING = /reconnect|restart|retry/i;

/**
 * Classes whose job is getting the work back (`ReconnectController`, `RetryScheduler`, `Reconnector`),
 * not the retry buttons and banners of a user interface (`RetryView`, `RetryDialog`).
 */
const RECONNECTOR_CLASS =
  /(Reconnect|Retry|Restart)(or|er|Controller|Scheduler|Manager|Handler|Helper|Queue|Service|Strategy|Loop|Worker|Executor|Timer)?$|Retrier$/;

/** Names of delays, not of attempt counts. */
const DELAY_NAME =
  /delay|wait|interval|sleep|pause|timeout|backoff|period|duration|seconds|secs|millis|between|cooldown/i;

interface Wait {
  delay: Expr;
  argument: Snippet;
  unitMs: number;
  confidence: 'high' | 'medium';
  helper?: { name: string; path: string };
  /** Where the delay is read, when not at the call (a pause helper's own delay). */
  scope?: Scope;
  /** The repository's sleep or pause helper the call waits through. */
  through?: { facts: FileFacts; fn: FunctionFact };
}

export async function judgeWait(
  engine: FlowEngine,
  facts: FileFacts,
  site: CallSite,
  options: AnalysisOptions,
): Promise<Draft | null> {
  const { call } = site;
  const scope = scopeIn(facts, call.fn);
  const wait =
    call.args.length === 0 && !site.direct
      ? await pauseOf(engine, site, scope)
      : await waitOf(engine, site, scope);
  if (!wait) return null;
  const frame =
    call.retry ??
    (await restartedVia(engine, site, scope)) ??
    (await retryThroughCallers(engine, facts, call)) ??
    retriedInLine(facts, call) ??
    reconnectInFailureCallback(facts, call);
  if (!frame) return null;
  const trail = newTrail();
  // A parameter named `retry_delay` is no attempt counter, whatever its name says about retries.
  const counters = new Set(frame.counters.filter((name) => !DELAY_NAME.test(name)));
  let value = await engine.evaluate(wait.delay, { ...(wait.scope ?? scope), counters }, trail);
  if (value === NEVER_VALUE || value === CYCLE_VALUE) value = UNKNOWN('no value reaches the wait');
  const evidence = [...frame.evidence];
  if (wait.helper)
    evidence.push(
      `\`${wait.helper.name}\` (${wait.helper.path}) ${wait.scope ? `waits \`${show(wait.delay)}\`, and is called where nothing failed too: this call is the retry's wait` : 'waits its argument'}`,
    );
  for (const line of trail.evidence) if (!evidence.includes(line)) evidence.push(line);
  const input: WaitDraftInput = {
    value: scaled(value, wait.unitMs),
    unitMs: wait.unitMs,
    attempts: await attemptsOf(engine, frame, { ...(wait.scope ?? scope), counters }),
    anchor: site.anchor,
    argument: wait.argument,
    trigger: frame.trigger,
    attemptVar: frame.attemptVar,
    evidence,
    confidence: wait.confidence,
    fake: fakeJitterOf(value, trail.draws) ?? namedOnlyWait(value, wait.through ?? scope),
  };
  // The pause is written inside the helper: a patch there would change the polling too.
  if (wait.helper && wait.scope) input.computedBy = wait.helper;
  return waitDraft(input, options);
}

/** How many attempts the retry's counter runs through, when its limit is a known number. */
async function attemptsOf(engine: FlowEngine, frame: RetryFrame, scope: Scope): Promise<number | undefined> {
  if (!frame.limit) return undefined;
  const at = { ...scope, counters: new Set<string>() };
  let limit = await engine.evaluate(frame.limit, at, newTrail());
  // A bound read off a loop header by its text is a bare name even where it is a field of the class
  // (`retry <= MaxRetries` in a C# method).
  if (limit.kind === 'unknown') limit = await engine.evaluate(asField(frame.limit), at, newTrail());
  return limit.kind === 'const' && limit.ms >= 0 ? Math.ceil(limit.ms) : undefined;
}

function asField(expr: Expr): Expr {
  if (expr.k === 'name') return { k: 'member', object: { k: 'self' }, name: expr.name, line: expr.line };
  if (expr.k === 'binary') return { ...expr, left: asField(expr.left) };
  return expr;
}

/**
 * A wait that runs through a function named as jitter (`jittered_sleep(attempt)` sleeping
 * `1 + 0.5 * (attempt % 3)`, or a wait written inside one) whose body draws nothing: fake jitter
 * when the delay is one every client shares.
 */
function namedOnlyWait(
  value: DelayValue,
  through: { facts: FileFacts; fn?: FunctionFact },
): FakeJitter | null {
  const { fn } = through;
  if (!fn || fn.random || !JITTER_NAME.test(fn.name) || !isDeterministic(value)) return null;
  return { kind: 'named-only', sources: [`\`${fn.name}\` (${through.facts.path}:${fn.line})`] };
}

/** The site's retry when a callee it names is followed to a body that connects (in any file). */
async function restartedVia(engine: FlowEngine, site: CallSite, scope: Scope): Promise<RetryFrame | null> {
  if (!site.restartVia) return null;
  for (const callee of site.restartVia.callees) {
    const target = await engine.functionOf(callee, scope);
    if (!target?.fn.connects) continue;
    const { frame } = site.restartVia;
    return {
      ...frame,
      evidence: [
        ...frame.evidence,
        `\`${target.fn.name}\` connects (${target.facts.path}:${target.fn.line}): the task starts the work again`,
      ],
    };
  }
  return null;
}

/** Whether a call may be of a repository function: a name this file defines or imports, or a method of the receiver. */
function repositoryCallee(call: CallFact, scope: Scope): boolean {
  const callee = call.callee;
  return (
    (callee.k === 'name' &&
      (scope.facts.functions.some((f) => f.name === callee.name) ||
        scope.facts.imports.some((i) => i.local === callee.name) ||
        // A function of another file of the package: read the package only for a call on a retry path.
        (scope.facts.packageName !== undefined && !!call.retry))) ||
    (callee.k === 'member' &&
      (callee.object.k === 'self' ||
        (callee.object.k === 'name' &&
          scope.facts.imports.some((i) => i.local === (callee.object as { name: string }).name))))
  );
}

/**
 * A call of a pause helper on a retry path (`catch (…) { pause(); }`) is the retry's wait when the
 * helper also serves polling: the wait inside it is no retry's, so the finding is this call.
 */
async function pauseOf(engine: FlowEngine, site: CallSite, scope: Scope): Promise<Wait | null> {
  const { call } = site;
  if (!call.retry || !repositoryCallee(call, scope)) return null;
  const target = await engine.functionOf(call.callee, scope, false, 0);
  const pause = target?.fn.pauses;
  if (!target || !pause || target.fn.random || !(await servesPolling(engine, target))) return null;
  return {
    delay: pause.delay,
    argument: site.anchor,
    unitMs: pause.unitMs,
    confidence: 'high',
    helper: { name: call.calleeName, path: target.facts.path },
    scope: scopeIn(target.facts, target.fn.id),
    through: target,
  };
}

/** A pause helper called from a retry and also in a loop where nothing failed (`if (queue.isEmpty()) { pause(); continue; }`). */
async function servesPolling(
  engine: FlowEngine,
  ref: { facts: FileFacts; fn: FunctionFact },
): Promise<boolean> {
  const sites = await engine.callersOf(ref);
  return (
    sites.some((s) => s.fact.retry) && sites.some((s) => s.fact.repeats && !s.fact.retry && !s.fact.failure)
  );
}

async function waitOf(engine: FlowEngine, site: CallSite, scope: Scope): Promise<Wait | null> {
  const { direct, call } = site;
  if (direct && !direct.byNameOnly) return direct;
  // Only names this file defines or imports, or methods of the receiver, can be the repository's sleep helpers.
  const target = repositoryCallee(call, scope)
    ? await engine.functionOf(call.callee, scope, false, call.args.length)
    : null;
  if (target?.fn.sleeps) {
    if (target.fn.random) return null;
    const param = target.fn.params[target.fn.sleeps.param];
    const index = target.fn.sleeps.param;
    const namedAt = param ? site.named.findIndex(([n]) => n === param.name) : -1;
    const delay = namedAt >= 0 ? call.named[namedAt]![1] : call.args[index];
    const argument = namedAt >= 0 ? site.named[namedAt]![1] : site.args[index];
    if (!delay || !argument) return null;
    const wait: Wait = {
      delay,
      argument,
      unitMs: target.fn.sleeps.unitMs,
      confidence: 'high',
      through: target,
    };
    if (target.facts.path !== scope.facts.path)
      wait.helper = { name: call.calleeName, path: target.facts.path };
    return wait;
  }
  if (target) return null;
  return direct ?? null;
}

/**
 * A wait with no retry of its own is the pause of a retry when its function is called from one: a
 * call on a failure path with the work run again (a `reconnect()` in the `except` of a loop).
 */
export async function retryThroughCallers(
  engine: FlowEngine,
  facts: FileFacts,
  call: CallFact,
): Promise<RetryFrame | null> {
  const fn = scopeIn(facts, call.fn).fn;
  if (!fn || fn.sleeps) return null;
  // A pause helper that polling calls too is judged at its calls from a retry (`pauseOf`).
  if (fn.pauses && (await servesPolling(engine, { facts, fn }))) return null;
  // `def reconnect; sleep(delay); connect; end` called from a `rescue`: the wait precedes the work again
  // when the call after it, or the function, is named for connecting or retrying (`startActivity` after
  // an error's pause is navigation, not another attempt).
  const restart = facts.calls.find(
    (c) =>
      c.fn === fn.id &&
      c.line >= call.line &&
      c !== call &&
      RESTART_NAME.test(c.calleeName) &&
      (RECONNECTING.test(fn.name) || RECONNECTING.test(c.calleeName) || CONNECT_CALL.test(c.calleeName)),
  );
  for (const site of await engine.callersOf({ facts, fn })) {
    const frame = site.fact.retry;
    if (frame)
      return {
        trigger: frame.trigger,
        counters: [],
        evidence: [
          `\`${fn.name}\` waits, and is called from a retry (${site.facts.path}:${site.fact.line}): it ${frame.evidence.join('; ')}`,
        ],
      };
    // `while True: consumer.run(); self._maybe_reconnect()`: a method named for reconnecting, run
    // in a loop each time the work returns, waits before connecting again.
    if (site.fact.repeats && RECONNECTING.test(fn.name))
      return {
        trigger: { kind: 'exception', detail: 'reconnect' },
        counters: [],
        evidence: [
          `\`${fn.name}\` waits before reconnecting, and is called in a loop (${site.facts.path}:${site.fact.line})`,
        ],
      };
    const failure = site.fact.failure;
    // A method of a class named for reconnecting (`ReconnectController.schedule`) waits to get the work back.
    const reconnector = fn.className && RECONNECTOR_CLASS.test(fn.className) ? fn.className : null;
    // `catch (e) { delayedAttempt(…) }` where `delayedAttempt` waits, then calls `process` — the very
    // function whose failure called it — again: a retry through two functions.
    const caller = failure ? scopeIn(site.facts, site.fact.fn).fn : undefined;
    const callsBack =
      caller && caller !== fn
        ? facts.calls.find(
            (c) => c.fn === fn.id && c.line >= call.line && c !== call && c.calleeName === caller.name,
          )
        : undefined;
    if (failure && callsBack)
      return {
        trigger: failure.trigger,
        counters: [],
        evidence: [
          `\`${fn.name}\` is called after a failure in \`${caller!.name}\` (${site.facts.path}:${site.fact.line}): it ${failure.evidence}`,
          `it waits, then calls \`${caller!.name}\` again (line ${callsBack.line})`,
        ],
      };
    if (failure && (restart || reconnector))
      return {
        trigger: failure.trigger,
        counters: [],
        evidence: [
          `\`${fn.name}\` is called after a failure (${site.facts.path}:${site.fact.line}): it ${failure.evidence}`,
          restart
            ? `it waits, then runs \`${restart.calleeName}\` again (line ${restart.line})`
            : `it waits in \`${reconnector}\`, named for getting the work back`,
        ],
      };
  }
  return retryTwoCallsUp(engine, { facts, fn });
}

/** The longest function a retry may reach a wait through (`check(e)` choosing between raise and delay). */
const MAX_GO_BETWEEN_LINES = 12;

/**
 * A function that waits, called from a short function that a retry's failure path calls: `rescue => e; check(e); retry` with `check` raising past the limit and calling `delay`
 * otherwise. One function in between, no more, and only a short one without recursion.
 */
async function retryTwoCallsUp(
  engine: FlowEngine,
  helper: { facts: FileFacts; fn: FunctionFact },
): Promise<RetryFrame | null> {
  for (const site of await engine.callersOf(helper)) {
    const between = scopeIn(site.facts, site.fact.fn).fn;
    if (!between || between === helper.fn || between.recursive) continue;
    if (between.endLine - between.line > MAX_GO_BETWEEN_LINES) continue;
    for (const outer of await engine.callersOf({ facts: site.facts, fn: between })) {
      const frame = outer.fact.retry;
      if (!frame) continue;
      return {
        trigger: frame.trigger,
        counters: [],
        evidence: [
          `\`${helper.fn.name}\` waits, and is called from \`${between.name}\` (${site.facts.path}:${site.fact.line}), which a retry calls (${outer.facts.path}:${outer.fact.line}): it ${frame.evidence.join('; ')}`,
        ],
      };
    }
  }
  return null;
}

/** A method named `close` or `error` is the code closing or reporting on purpose, not being told of it. */
const DELIBERATE = /^_*(close|closed|error)$/i;

/**
 * `def clientConnectionFailed(self, connector, reason): time.sleep(10); connector.connect()`: the
 * callback a connection calls when it fails or drops is itself the failure path, and connecting again
 * after the wait runs the work again. A wait there that gives up (`reactor.stop()`) is no retry.
 */
export function reconnectInFailureCallback(facts: FileFacts, call: CallFact): RetryFrame | null {
  const fn = scopeIn(facts, call.fn).fn;
  if (!fn || !FAILURE_CALLBACK.test(fn.name) || DELIBERATE.test(fn.name)) return null;
  const again = facts.calls.find(
    (c) => c.fn === fn.id && c.line > call.line && CONNECT_CALL.test(c.calleeName),
  );
  if (!again) return null;
  return {
    trigger: { kind: 'error-event', detail: `\`${fn.name}\` callback` },
    counters: [],
    evidence: [
      `waits in \`${fn.name}\` (line ${fn.line}), called when the connection is lost or fails`,
      `then connects again with \`${again.calleeName}\` (line ${again.line})`,
    ],
  };
}

/** Calls that only log or wait: the same message or sleep before and after a wait repeats no work. */
const NOT_WORK =
  /^(println|print|printf|eprintln|format|sleep)$|(^|\.)(log|logger|logging|Log|LOG|LOGGER|fmt|time|tracing)\.|^[A-Z]/;

/**
 * A straight-line retry (`res = op(); if ok: return; sleep(d); op()`): no loop, but the wait runs
 * only after an attempt failed, and the same call — the same callee with the same arguments — that
 * made the attempt runs again after the wait (RULES.md section 1, "followed by a re-invocation of the
 * same work"). The attempt is a call on the lines of the failure test (a `try` body, an `if let
 * Err(e) = send()`), or the call that assigned a name the test reads (`err` of `err != nil`).
 */
export function retriedInLine(facts: FileFacts, call: CallFact): RetryFrame | null {
  const attempt = call.failure?.attempt;
  if (!attempt || call.repeats) return null;
  const mine = facts.calls.filter((c) => c.fn === call.fn && c !== call);
  // `let res = op(); if res.is_ok() …`: `op()` is the attempt, and `res.is_ok()` only reads its result.
  const results = new Map<string, Expr>();
  for (const name of attempt.names) {
    const set = facts.assignments.filter(
      (a) => a.fn === call.fn && a.target.kind === 'name' && a.target.name === name && a.line <= attempt.from,
    );
    const last = set[set.length - 1];
    if (last?.value.k === 'call') results.set(name, last.value);
  }
  const attempts: Expr[] = [
    ...results.values(),
    ...mine
      .filter((c) => c.line >= attempt.from && c.line <= attempt.to && c.line <= call.line)
      .filter((c) => ![...results.keys()].some((name) => mentions(c.callee, name)))
      .map((c): Expr => ({ k: 'call', callee: c.callee, args: c.args, named: c.named, line: c.line })),
  ].filter((a) => a.k === 'call' && !NOT_WORK.test(show(a.callee)));
  const made = new Set(attempts.map(callText));
  // A call after a `return` that follows the wait is not reached from it (`sleep(d); return Err(e)`).
  const exitsAt = call.failure?.exitsAt ?? Infinity;
  const again = mine.find(
    (c) =>
      c.line > call.line &&
      c.line <= exitsAt &&
      made.has(callText({ k: 'call', callee: c.callee, args: c.args, named: c.named, line: c.line })),
  );
  if (!again || !call.failure) return null;
  return {
    trigger: call.failure.trigger,
    counters: [],
    evidence: [call.failure.evidence, `then runs \`${show(again.callee)}(…)\` again (line ${again.line})`],
  };
}

/** A call as text, callee and arguments, to tell the same call made twice. */
function callText(expr: Expr): string {
  if (expr.k !== 'call') return show(expr);
  const named = expr.named.map(([name, value]) => `${name}=${show(value)}`);
  return `${show(expr.callee)}(${[...expr.args.map(show), ...named].join(', ')})`;
}

/** What a language's retry-context check says about one call (the tree is still alive while it runs). */
export interface RetryContextResult {
  trigger: RetryFrame['trigger'];
  counters: ReadonlySet<string>;
  attemptVar?: string;
  limit?: Expr;
  evidence: string[];
}

/**
 * Works out the retry frame of every call that may repeat (inside a loop, or in a function that
 * calls itself), once the walk knows which functions call themselves.
 */
export function attachRetryFrames<N>(
  pending: readonly { call: CallFact; node: N; state: { repeats: boolean; fn?: { recursive: boolean } } }[],
  retryContext: (node: N) => RetryContextResult | null,
  failures?: { facts: FileFacts; failureAt: (node: N) => FailurePath | null; sites?: readonly CallSite[] },
  /** A retry whose loop is the caller, told by the code around the call alone (`countedFailure`). */
  callerLoop?: (node: N) => RetryContextResult | null,
): void {
  for (const { call, node, state } of pending) {
    if (state.repeats) call.repeats = true;
    const context =
      state.repeats || state.fn?.recursive ? (retryContext(node) ?? callerLoop?.(node)) : callerLoop?.(node);
    if (!context) continue;
    call.retry = { trigger: context.trigger, counters: [...context.counters], evidence: context.evidence };
    if (context.attemptVar) call.retry.attemptVar = context.attemptVar;
    if (context.limit) call.retry.limit = context.limit;
  }
  if (!failures) return;
  // Calls of this file's functions, of a reconnect elsewhere, or of an object's method (a
  // `reconnector.schedule(…)` of another file's class) may run a wait after a failure (`reconnect()`
  // in a `rescue`, with no loop), and a wait itself may be one of a straight-line retry: where they
  // run only after one is kept too.
  const defined = new Set(failures.facts.functions.map((f) => f.name));
  const waits = new Set(failures.sites?.filter((site) => site.direct).map((site) => site.call));
  for (const { call, node } of pending) {
    const reaches =
      defined.has(call.calleeName) ||
      RESTART_NAME.test(call.calleeName) ||
      call.callee.k === 'member' ||
      waits.has(call);
    if (call.retry || !reaches) continue;
    const failure = failures.failureAt(node);
    if (failure) call.failure = failure;
  }
}

/** Functions making more calls than this are not sleep helpers (a retry wrapper that also sleeps is not a way of waiting). */
export const MAX_HELPER_CALLS = 4;

/** What a front end counted in one function's own body, to tell a sleep helper. */
export interface BodyCount<N> {
  calls: number;
  /** A loop or `try` of its own. */
  control: boolean;
  /** Its first call of the language's own sleep, and that call's delay argument. */
  sleep: { argument: N | null } | null;
}

/**
 * A small function without loops or `try` that sleeps one of its parameters is a sleep helper:
 * calling it waits that argument. Which parameter, or -1.
 */
export function sleptParameter<N>(
  fn: FunctionFact,
  body: BodyCount<N>,
  mentions: (node: N, name: string) => boolean,
): number {
  const argument = helperSleep(fn, body);
  if (argument === null) return -1;
  return fn.params.findIndex((p) => p.name !== '' && mentions(argument, p.name));
}

/** A small function without loops or `try` that sleeps a delay none of its parameters give: what it sleeps, or null. */
export function pausedArgument<N>(
  fn: FunctionFact,
  body: BodyCount<N>,
  mentions: (node: N, name: string) => boolean,
): N | null {
  const argument = helperSleep(fn, body);
  if (argument === null || fn.params.some((p) => p.name !== '' && mentions(argument, p.name))) return null;
  return argument;
}

/** A function that calls itself again after its sleep is a retry, not a way of waiting. */
function helperSleep<N>(fn: FunctionFact, body: BodyCount<N>): N | null {
  if (!body.sleep?.argument || body.control || fn.recursive || body.calls > MAX_HELPER_CALLS) return null;
  return body.sleep.argument;
}

/** What a front end saw around a timer call (`call_later(d, fn)`, `EM.add_timer(d) { … }`). */
export interface ScheduledCall {
  /** Names the timer runs when it fires: the callable handed over, or the calls in its block. */
  runs: readonly string[];
  /** The file's facts so far, and the function the timer is set in. */
  facts: FileFacts;
  fn?: FunctionFact;
  /** The `except`/`rescue` clause or error branch the timer is set in, as the retry context reads it. */
  failure?: FailurePath | null;
}

/**
 * A timer is the pause of a retry when it runs the work again (a reconnect, or the function that set
 * it) and is set after a failure: in an `except`/`rescue`, or in the callback of a lost connection —
 * directly, or in a method that callback calls (`unbind` → `schedule_reconnect`).
 */
export function scheduledRetry({ runs, facts, fn, failure }: ScheduledCall): RetryContextResult | null {
  const again = runs.find((name) => RESTART_NAME.test(name) || name === fn?.name);
  if (!again) return null;
  const schedules = `schedules \`${again}\` to run again when the timer fires`;
  if (failure)
    return { trigger: failure.trigger, counters: new Set(), evidence: [failure.evidence, schedules] };
  if (!fn) return null;
  const callers = facts.calls
    .filter((c) => c.calleeName === fn.name && c.fn !== undefined && c.fn !== fn.id)
    .map((c) => ({ name: facts.functions[c.fn!]!.name, line: c.line }));
  const callback = FAILURE_CALLBACK.test(fn.name)
    ? { name: fn.name, via: '' }
    : callers
        .filter((c) => FAILURE_CALLBACK.test(c.name))
        .map((c) => ({ name: c.name, via: ` through \`${fn.name}\` (line ${c.line})` }))[0];
  if (!callback) return null;
  return {
    trigger: { kind: 'error-event', detail: `\`${callback.name}\` callback` },
    counters: new Set(),
    evidence: [
      `runs in \`${callback.name}\`, called when the connection is lost or fails${callback.via}`,
      schedules,
    ],
  };
}
