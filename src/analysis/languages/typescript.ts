import { ts } from 'ts-morph';
import {
  UnanalysableFile,
  type AnalysisOptions,
  type JitterHelperCandidate,
  type LanguageAnalyzer,
  type ModuleHost,
  type SourceInput,
} from '../analyzer.js';
import { findJitterHelpers } from './ts/jitter-helpers.js';
import { callsOfFile, MAX_SYNTAX_DEPTH } from './ts/calls.js';
import { classifyDelay, toDelay, UNKNOWN, type DelayValue } from '../delay.js';
import type { Lockstep } from '../finding.js';
import { lockstepMessage } from '../lockstep.js';
import {
  fingerprintOf,
  levelOf,
  type Confidence,
  type Delay,
  type Finding,
  type Language,
  type RuleId,
  type SourceRange,
  type WaitForm,
} from '../finding.js';
import {
  absorb,
  fakeJitterOf,
  isDeterministic,
  newDraws,
  type Draws,
  type FakeJitter,
} from '../flow/draws.js';
import { FlowEngine, newTrail, scopeIn, type Scope } from '../flow/engine.js';
import { fakeJitterMessage, fakeJitterRule } from './tree-sitter/findings.js';
import type { Expr } from '../flow/ir.js';
import { JITTER_NAME, RESTART_NAME } from '../context.js';
import { Program } from '../flow/program.js';
import { retryThroughCallers } from '../flow/waits.js';
import { containsRandom } from './ts/random.js';
import { enclosingFunction, functionName, isFunctionBoundary, isLoop } from './ts/scope.js';
import { extractTsFacts, type TsFacts, type TsWalk } from './ts/facts.js';
import { functionAt, tsFrontEnd } from './ts/front-end.js';
import { lowerTs, type LowerContext } from './ts/lower.js';
import { findLibraryRetries, type LibraryFinding, type ValueOf } from './ts/libraries.js';
import { ModuleGraph, TS_JS_EXTENSIONS } from './ts/modules.js';
import { Resolver } from './ts/resolve.js';
import { retryContext, type RetryContext } from './ts/retry-context.js';
import { isGlobalSetTimeout, mayWait, WaitFinder, type ComputedWait, type Wait } from './ts/waits.js';

/**
 * Cheap gate before parsing: a file with none of these words cannot hold a retry we would report,
 * and most files in a large tree have none of them.
 */
const MAYBE_RETRY =
  /catch|retry|backoff|setTimeout|error|\berr\b|\.ok\b|status|close|disconnect|bullmq|cockatiel|rxjs|\bgot\b|\bky\b|RetryStrategy|randomizationFactor|throttl|\b(429|50[234])\b/i;

export { MAX_SYNTAX_DEPTH } from './ts/calls.js';

const JS_EXTENSIONS = new Set(['.js', '.jsx', '.mjs', '.cjs']);

/** Per-host state: files parsed while following imports are shared by every file of one scan. */
class ScanState {
  readonly graph: ModuleGraph;
  readonly resolver: Resolver;
  readonly waits: WaitFinder;
  /** The analysed file's facts for the value-flow engine, built on first need. */
  walk: { file: ts.SourceFile; walk: TsWalk | null } | null = null;
  /** The value-flow engine of this review; its index reads files nearest the file being analysed first. */
  readonly engine: FlowEngine;
  current = '';

  constructor(host: ModuleHost) {
    this.graph = new ModuleGraph(host);
    const front = tsFrontEnd(
      (path, text) => this.graph.parsed(path, text),
      (fromPath, module) => this.graph.resolve(fromPath, module),
    );
    this.engine = new FlowEngine(new Program(host, front, () => this.current));
    this.resolver = new Resolver(this.graph);
    this.waits = new WaitFinder(this.resolver);
  }
}

export class TypeScriptAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'typescript';
  readonly extensions = TS_JS_EXTENSIONS;
  private readonly states = new WeakMap<ModuleHost, ScanState>();

  async analyze(input: SourceInput, host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text)) return [];
    let state = this.states.get(host);
    if (!state) {
      state = new ScanState(host);
      this.states.set(host, state);
    }
    let file: ts.SourceFile;
    try {
      file = await state.graph.parsed(input.path, input.text);
    } catch (error) {
      // The compiler's parser recurses; thousands of nested blocks exhaust the stack before any of our code runs.
      if (error instanceof RangeError) throw new UnanalysableFile('nesting too deep to parse');
      throw error;
    }
    const language: Language = JS_EXTENSIONS.has(extensionOf(input.path)) ? 'javascript' : 'typescript';
    const drafts: Draft[] = [];
    const calls = callsOfFile(file)?.withArguments;
    if (!calls) throw new UnanalysableFile(`syntax nested deeper than ${MAX_SYNTAX_DEPTH} levels`);
    const engine = state.engine;
    state.current = input.path;
    state.walk = null;
    for (const call of calls) {
      // Checked here, not inside the async draft: most calls stop at it, and each await costs a turn.
      if (!mayWait(call)) continue;
      const draft = await this.waitDraft(call, file, state, engine, options);
      if (draft) drafts.push(draft);
    }
    for (const found of await findLibraryRetries(file, this.valueReader(state, engine), state.resolver)) {
      const draft = libraryDraft(found, file, options);
      if (draft) drafts.push(draft);
    }
    return toFindings(drafts, file, input.path, language);
  }

  jitterHelpers(input: SourceInput): JitterHelperCandidate[] {
    return findJitterHelpers(input.path, input.text);
  }

  private async waitDraft(
    call: ts.CallExpression,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
    options: AnalysisOptions,
  ): Promise<Draft | null> {
    // The failure-path test is pure syntax, so it runs before anything is resolved across files.
    const probe: Wait = isGlobalSetTimeout(call.expression, call)
      ? ((await state.waits.find(file, [call]))[0] ?? null)!
      : {
          call: 'sleep-helper',
          anchor: call,
          delay: call.arguments[0]!,
          jittered: false,
          confidence: 'high',
        };
    if (!probe || !probe.delay) return null;
    const context =
      retryContext(probe, file) ??
      (mayBeRetriedByCallers(call, probe, file)
        ? await this.retriedByCallers(call, probe, file, state, engine)
        : null);
    if (!context) return null;
    const wait = probe.call === 'sleep-helper' ? (await state.waits.find(file, [call]))[0] : probe;
    if (!wait || wait.jittered) return null;
    const evidence = [...context.evidence];
    if (wait.helper) evidence.push(`\`${wait.helper.name}\` (${wait.helper.path}) waits its argument`);
    const followed = wait.computed
      ? await this.computed(call, wait.computed, file, state, engine, context.counters)
      : await this.evaluateAt(wait.delay, file, state, engine, { counters: context.counters });
    const value = followed.value;
    if (value.kind !== 'unknown') evidence.push(...followed.evidence);
    const fake =
      fakeJitterOf(value, followed.draws) ??
      (wait.call === 'sleep-helper' ? await this.namedOnlySleep(call, file, state, engine, value) : null);
    const classified =
      fakeJitterRule(value, fake, options) ??
      classifyDelay(value, options, await this.attempts(context, file, state, engine));
    if (!classified) return null;
    const confidence: Confidence = classified.unknown ? 'low' : wait.confidence;
    return {
      ...(fake ? { fake } : {}),
      rule: classified.rule,
      anchor: wait.anchor,
      delay: toDelay(value, wait.delay.getText(file), classified.lockstep),
      ...(classified.lockstep ? { lockstep: classified.lockstep } : {}),
      trigger: context.trigger,
      form: {
        kind: 'call-argument',
        call: wait.call,
        argument: rangeOf(wait.delay, file),
        argumentText: wait.delay.getText(file),
        ...(wait.computed
          ? { computedBy: { name: calleeText(call, file), path: wait.computed.file.fileName } }
          : {}),
      },
      attemptVar: context.attemptVar,
      evidence: classified.unknown
        ? [
            ...evidence,
            `the delay could not be resolved (${value.kind === 'unknown' ? value.reason : value.kind})`,
          ]
        : evidence,
      confidence,
      level: classified.unknown ? 'note' : undefined,
    };
  }

  /** How many values the loop's attempt counter takes, when its bound is a known number. */
  private async attempts(
    context: RetryContext,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
  ): Promise<number | undefined> {
    if (!context.loopBound) return undefined;
    const { value } = await this.evaluateAt(context.loopBound.bound, file, state, engine);
    if (value.kind !== 'const' || value.ms < 0) return undefined;
    return Math.ceil(value.ms) + (context.loopBound.inclusive ? 1 : 0);
  }

  /** The analysed file's facts, extracted once the engine is first needed for it. */
  private factsFor(file: ts.SourceFile, state: ScanState, engine: FlowEngine): TsWalk | null {
    if (state.walk?.file !== file) {
      const walk = extractTsFacts(file.fileName, file);
      if (walk) engine.program.put(walk.facts);
      state.walk = { file, walk };
    }
    return state.walk.walk;
  }

  /**
   * A value followed through the repository by the value-flow engine, in the scope of `node` (in the
   * analysed file, or in another file of the repository).
   */
  private async evaluateAt(
    node: ts.Expression,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
    options: {
      counters?: ReadonlySet<string>;
      bindings?: ReadonlyMap<string, DelayValue>;
      context?: LowerContext;
    } = {},
  ): Promise<Followed> {
    const expr = lowerTs(node, file, options.context);
    // Literals and arithmetic on them need no facts: most waits are written that way.
    if (closed(expr)) {
      const trail = newTrail();
      return { value: await engine.evaluate(expr, CLOSED_SCOPE, trail), evidence: [], draws: trail.draws };
    }
    const scope = await this.scopeAt(node, file, state, engine, {
      counters: options.counters ?? new Set(),
      ...(options.bindings ? { bindings: options.bindings } : {}),
    });
    if (!scope) return unfollowed(UNKNOWN('the file could not be read for facts'));
    const trail = newTrail();
    const value = await engine.evaluate(expr, scope, trail);
    return { value, evidence: trail.evidence, draws: trail.draws };
  }

  /** The engine's scope at a node: the facts of its file and the function around it. */
  private async scopeAt(
    node: ts.Node,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
    extra: Partial<Scope> = {},
  ): Promise<Scope | null> {
    const facts =
      file.fileName === state.current
        ? this.factsFor(file, state, engine)?.facts
        : ((await engine.program.facts(file.fileName)) as TsFacts | null);
    if (!facts) return null;
    const fn = functionAt(facts, node.getStart(file));
    const className = fn === undefined ? undefined : facts.thisClass.get(fn);
    return scopeIn(facts, fn, { ...(className ? { className } : {}), ...extra });
  }

  /**
   * A sleep helper named as jitter (`sleepWithJitter(ms)`) whose body draws nothing: the delay it
   * waits is one every client shares.
   */
  private async namedOnlySleep(
    call: ts.CallExpression,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
    value: DelayValue,
  ): Promise<FakeJitter | null> {
    if (!JITTER_NAME.test(calleeText(call, file)) || !isDeterministic(value)) return null;
    const scope = await this.scopeAt(call, file, state, engine);
    const target = scope && (await engine.functionOf(lowerTs(call.expression, file), scope));
    if (!target || target.fn.random) return null;
    return {
      kind: 'named-only',
      sources: [`\`${target.fn.name}\` (${target.facts.path}:${target.fn.line})`],
    };
  }

  /** A helper that computes its own wait from its arguments: its delay with the call's arguments bound. */
  private async computed(
    call: ts.CallExpression,
    helper: ComputedWait,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
    counters: ReadonlySet<string>,
  ): Promise<Followed> {
    if (helper.fn.body && containsRandom(helper.fn.body)) return unfollowed({ kind: 'random' });
    const bindings = new Map<string, DelayValue>();
    const evidence: string[] = [];
    const draws = newDraws();
    for (const [index, parameter] of helper.fn.parameters.entries()) {
      if (!ts.isIdentifier(parameter.name)) continue;
      const arg = call.arguments[index];
      const bound = arg
        ? await this.evaluateAt(arg, file, state, engine, { counters })
        : parameter.initializer
          ? await this.evaluateAt(parameter.initializer, helper.file, state, engine)
          : unfollowed(UNKNOWN(`\`${parameter.name.text}\` is not passed`));
      bindings.set(parameter.name.text, bound.value);
      evidence.push(...bound.evidence);
      absorb(draws, bound.draws);
    }
    const inner = await this.evaluateAt(helper.delay, helper.file, state, engine, { bindings });
    absorb(draws, inner.draws);
    return { value: inner.value, evidence: [...evidence, ...inner.evidence], draws };
  }

  /** How the library checks read a value: through the engine, a delay function's attempt fields counted. */
  private valueReader(state: ScanState, engine: FlowEngine): ValueOf {
    return async (node, file, options = {}) => {
      const counters = new Set<string>();
      for (const name of options.counters ?? []) {
        counters.add(name);
        // `(ctx) => ctx.attempt * 100`: the attempt fields of a delay callback's argument count too.
        for (const field of ATTEMPT_FIELDS) counters.add(`${name}.${field}`);
      }
      const followed = await this.evaluateAt(node, file, state, engine, {
        counters,
        ...(options.bindings ? { bindings: options.bindings } : {}),
        context: LIBRARY_LOWERING,
      });
      return followed.value;
    };
  }

  /**
   * A wait with no retry around it in its own function is the pause of a retry when that function is
   * called from one: a `reconnect()` in the `catch` of a loop.
   */
  private async retriedByCallers(
    call: ts.CallExpression,
    probe: Wait,
    file: ts.SourceFile,
    state: ScanState,
    engine: FlowEngine,
  ): Promise<RetryContext | null> {
    if (!mayBeRetriedByCallers(call, probe, file)) return null;
    // Cheap before the file's facts: a function called in this file must be called from a retry
    // there; one called from nowhere in it is followed to other files only when it is a restart.
    // Anonymous callbacks (`new Promise((r) => setTimeout(r, ms))`) run on behalf of the function around them.
    let own = enclosingFunction(call);
    while (own && !functionName(own)) own = enclosingFunction(own);
    const name = own ? functionName(own) : null;
    if (!own || !name) return null;
    // Sites written `name(…)` or `x.name(…)` as they stand, outside the function itself.
    const sites = (callsOfFile(file)?.byName.get(name) ?? []).filter(
      (site) => isPlainCallee(site.expression) && (site.pos < own!.pos || site.pos >= own!.end),
    );
    if (sites.length > 0) {
      // Callers in this file: one must sit where a retry waits (syntax only, before any facts).
      if (!sites.some((site) => retryContext({ ...probe, anchor: site, delay: NOTHING }, file))) return null;
    } else if (!RESTART_NAME.test(name)) return null;
    // Whether the call waits at all is answered (and kept) by the wait finder: before the file's facts,
    // which most calls that get this far never need.
    if (probe.call === 'sleep-helper') {
      const wait = (await state.waits.find(file, [call]))[0];
      if (!wait || wait.jittered) return null;
    }
    const walk = this.factsFor(file, state, engine);
    const fact = walk?.callOf.get(call);
    if (!walk || !fact || fact.fn === undefined || walk.facts.waiters.has(fact.fn)) return null;
    const frame = await retryThroughCallers(engine, walk.facts, fact);
    return frame
      ? { trigger: frame.trigger, counters: new Set(frame.counters), evidence: frame.evidence }
      : null;
  }
}

/** Fields of a delay callback's argument that count attempts: `options.attempt`, `{ attemptCount }`. */
const ATTEMPT_FIELDS = [
  'attempt',
  'attempts',
  'attemptCount',
  'attemptNumber',
  'retryCount',
  'retries',
  'times',
  'times_connected',
  'count',
];

/** Inside a retry library's delay function, rxjs `timer(ms)` waits its argument. */
const LIBRARY_LOWERING: LowerContext = { passThrough: new Set(['timer']) };

/** Expressions with nothing to look up: folded without the file's facts. */
function closed(expr: Expr): boolean {
  switch (expr.k) {
    case 'random':
      // Where a draw comes from, or the helper only its name makes a draw, is followed in the file.
      return !expr.from && !expr.via;
    case 'num':
    case 'server':
    case 'external':
    case 'todo':
      return true;
    case 'neg':
      return closed(expr.inner);
    case 'binary':
      return closed(expr.left) && closed(expr.right);
    case 'minmax':
      return expr.args.every(closed);
    case 'either':
      return expr.options.every(closed);
    case 'table':
      return !expr.of && expr.items.every(closed) && (!expr.index || closed(expr.index));
    default:
      return false;
  }
}

const CLOSED_SCOPE: Scope = {
  facts: { path: '', imports: [], functions: [], classes: [], assignments: [], calls: [] },
  counters: new Set(),
};

/** A probe's delay that mentions nothing: a call is never the wait at the top of a recursive retry. */
const NOTHING = ts.factory.createIdentifier('');

/** The syntax checks before a wait is followed out to its callers: synchronous, as most calls stop here. */
function mayBeRetriedByCallers(call: ts.CallExpression, probe: Wait, file: ts.SourceFile): boolean {
  // A timer scheduling a callback is judged by what it calls back (`scheduledRetry`), not by callers.
  if (probe.call === 'timeout-callback') return false;
  if (probe.call !== 'promise-timeout' && !MAYBE_SLEEP.test(calleeText(call, file))) return false;
  // A wait inside a loop of its own function is that loop's pause (a poll), not its callers' retry.
  return !inLoopOfItsFunction(call);
}

function inLoopOfItsFunction(node: ts.Node): boolean {
  for (let current = node.parent; current && !isFunctionBoundary(current); current = current.parent)
    if (isLoop(current)) return true;
  return false;
}

/** Callees that may be waits: only these are followed out to their function's callers. */
const MAYBE_SLEEP = /sleep|delay|wait|pause|timeout|backoff/i;

/** A value followed through the engine, with what justified it and the random draws it met. */
interface Followed {
  value: DelayValue;
  evidence: string[];
  draws: Draws;
}

/** A value known without following anything (a draw made in the helper's own body, a missing argument). */
function unfollowed(value: DelayValue): Followed {
  // A random value nothing followed is a draw of the language's shared source.
  return { value, evidence: [], draws: { ...newDraws(), genuine: value.kind === 'random' } };
}

interface Draft {
  fake?: FakeJitter;
  rule: RuleId;
  anchor: ts.Node;
  delay: Delay;
  trigger: Finding['trigger'];
  form: WaitForm;
  attemptVar?: string;
  evidence: string[];
  confidence: Confidence;
  level?: Finding['level'];
  lockstep?: Lockstep;
}

function libraryDraft(found: LibraryFinding, file: ts.SourceFile, options: AnalysisOptions): Draft | null {
  const value = found.delay;
  if (value.kind === 'const' && value.ms < options.minDelayMs && value.ms !== 0) return null;
  if (value.kind === 'unknown' && !options.reportUnknown) return null;
  const anchorText = found.anchor.getText(file);
  return {
    rule: found.rule,
    anchor: headOf(found.anchor, file),
    delay: toDelay(value, anchorText),
    trigger: { kind: 'library', detail: found.returned ? 'redis' : found.library },
    form: found.returned
      ? {
          kind: 'call-argument',
          call: 'delay-function',
          argument: rangeOf(found.returned, file),
          argumentText: found.returned.getText(file),
        }
      : {
          kind: 'library-option',
          library: found.library,
          target: rangeOf(found.target, file),
          targetText: found.target.getText(file),
        },
    evidence: [found.evidence],
    confidence: value.kind === 'unknown' ? 'low' : 'high',
  };
}

/**
 * A comment anchored on a whole multi-line call or method would highlight all of it; its head (the
 * callee, the option's name) says where the problem is.
 */
function headOf(node: ts.Node, file: ts.SourceFile): ts.Node {
  const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
  const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
  if (start === end) return node;
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) return node.expression;
  if ((ts.isPropertyAssignment(node) || ts.isMethodDeclaration(node)) && node.name) return node.name;
  return node;
}

function toFindings(drafts: Draft[], file: ts.SourceFile, path: string, language: Language): Finding[] {
  const seen = new Map<string, number>();
  const findings: Finding[] = [];
  const anchors = new Set<ts.Node>();
  for (const draft of drafts.sort((a, b) => a.anchor.getStart(file) - b.anchor.getStart(file))) {
    if (anchors.has(draft.anchor)) continue;
    anchors.add(draft.anchor);
    const code = draft.anchor.getText(file);
    const key = `${draft.rule}\0${code.replace(/\s+/g, ' ')}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    findings.push({
      rule: draft.rule,
      level: draft.level ?? levelOf(draft.rule),
      language,
      path,
      range: rangeOf(draft.anchor, file),
      delay: draft.delay,
      trigger: draft.trigger,
      form: draft.form,
      attemptVar: draft.attemptVar,
      ...(draft.lockstep ? { lockstep: draft.lockstep } : {}),
      evidence: draft.evidence,
      confidence: draft.confidence,
      message: messageFor(draft),
      fingerprint: fingerprintOf(draft.rule, path, code, occurrence),
    });
  }
  return findings;
}

function messageFor(draft: Draft): string {
  if (draft.fake) return fakeJitterMessage(draft.fake);
  if (draft.lockstep) return lockstepMessage(draft.lockstep, draft.attemptVar);
  const what = draft.form.kind === 'library-option' ? `${draft.form.library} retries` : 'This retry waits';
  if (draft.rule === 'fixed-delay-retry') {
    const ms =
      draft.delay.kind === 'fixed' && draft.delay.ms !== undefined
        ? `${draft.delay.ms} ms`
        : 'a delay that could not be resolved';
    const fixedText = draft.delay.kind === 'fixed' && draft.delay.ms !== undefined ? `a fixed ${ms}` : ms;
    return `${what} ${draft.form.kind === 'library-option' ? 'after' : ''} ${fixedText} between attempts: clients that fail together retry together. Add jitter.`.replace(
      /\s+/g,
      ' ',
    );
  }
  const shape = draft.delay.kind === 'linear' ? 'linearly' : 'exponentially';
  return `${draft.form.kind === 'library-option' ? `${what} with a delay that grows` : 'This retry backs off'} ${shape} without jitter: clients that fail together stay in lockstep. Add jitter.`;
}

export function rangeOf(node: ts.Node, file: ts.SourceFile): SourceRange {
  const startOffset = node.getStart(file);
  const endOffset = node.getEnd();
  const start = file.getLineAndCharacterOfPosition(startOffset);
  const end = file.getLineAndCharacterOfPosition(endOffset);
  return {
    startLine: start.line + 1,
    startColumn: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    startOffset,
    endOffset,
  };
}

function isPlainCallee(callee: ts.Expression): boolean {
  return ts.isIdentifier(callee) || ts.isPropertyAccessExpression(callee);
}

function calleeText(call: ts.CallExpression, file: ts.SourceFile): string {
  return call.expression.getText(file);
}

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? '' : path.slice(dot).toLowerCase();
}
