import { formatDuration } from '../../simulate/duration.js';
import { JITTER_NAME, SERVER_HINT_NAME } from '../context.js';
import { combine, joinValues, minMax, RANDOM, spanOf, UNKNOWN, type DelayValue } from '../delay.js';
import type {
  AssignmentFact,
  CallFact,
  ClassFact,
  Expr,
  FileFacts,
  FunctionFact,
  ParamFact,
  SettingsConvention,
} from './ir.js';
import { contains, mentions, show } from './ir.js';
import type { ModuleHost } from '../analyzer.js';
import { Program, type FrontEnd, type Site } from './program.js';
import { absorb, isDeterministic, newDraws, type Draws } from './draws.js';
import { runRecurrence } from './recurrence.js';
import {
  conventionFiles,
  exampleSiblings,
  isSettingsFile,
  lookupSetting,
  settingsPathCandidates,
  settingValue,
} from './settings.js';

/**
 * The one value-flow engine: what delay an expression can have, resolved through the repository —
 * locals, module constants and imports, parameters (their defaults and every call site), fields (their
 * initialisers, constructor arguments, setters and outside assignments), configuration objects by
 * their class, and helpers whose returns compute the delay. Every language's front end hands it the
 * same facts (`ir.ts`); nothing here knows a language.
 *
 * Evaluation is in the expression's own unit; the caller scales by the wait's unit.
 */

/** How far a chain of hops (parameter → caller → field → constructor …) is followed before it is unknown. */
export const MAX_HOPS = 10;
/** How deep one expression is walked before it is unknown (a hostile `((((…))))`). */
export const MAX_EXPRESSION_NESTING = 400;
/** Call sites or assignments named in the evidence of one hop; the rest are counted. */
const MAX_SITES_LISTED = 3;

const CONVENTION_NAMES: Record<SettingsConvention, string> = {
  spring: 'Spring Boot',
  'node-config': 'the `config` package',
};

/** A value that a path of the program never produces (a setter nobody calls): dropped from joins. */
const NEVER = UNKNOWN('∅ no path');
/** A value that refers back to itself (a recursive call passing its own parameter): dropped from joins. */
const CYCLE = UNKNOWN('⟲ cycle');

export interface Scope {
  facts: FileFacts;
  fn?: FunctionFact;
  /** The class whose receiver `self`/`this` is. */
  className?: string;
  /** Parameter values while a helper's returns are evaluated for one call. */
  bindings?: ReadonlyMap<string, DelayValue>;
  /** Names that change from one attempt to the next. */
  counters: ReadonlySet<string>;
  /**
   * Set while the assignments to a field are followed: a function nobody calls (a setter) contributes
   * nothing, instead of an unknown value.
   */
  uncalledIsNever?: boolean;
}

/** What one evaluation learned on the way, for the finding's evidence. */
export interface Trail {
  evidence: string[];
  hops: number;
  /** Keys of parameters, fields and constants being resolved on this path. */
  resolving: ReadonlySet<string>;
  /** The random draws met, shared by every hop of one evaluation. */
  draws: Draws;
}

export function newTrail(): Trail {
  return { evidence: [], hops: 0, resolving: new Set(), draws: newDraws() };
}

/** A trail for a side evaluation whose evidence and draws are kept only if it turns out to matter. */
function probeOf(trail: Trail): Trail {
  return { ...trail, evidence: [], draws: newDraws() };
}

interface ClassRef {
  facts: FileFacts;
  cls: ClassFact;
}

interface FunctionRef {
  facts: FileFacts;
  fn: FunctionFact;
}

function where(facts: FileFacts, line: number): string {
  return `${facts.path}:${line}`;
}

function describe(value: DelayValue): string {
  switch (value.kind) {
    case 'const':
      return String(value.ms);
    case 'counter':
      return `the attempt counter \`${value.name}\``;
    case 'linear':
      return 'a linear backoff';
    case 'exponential':
      return 'an exponential backoff';
    case 'random':
      return 'a random value';
    case 'server':
      return 'a server hint';
    case 'unknown':
      return 'unknown';
  }
}

function isGrowing(value: DelayValue): boolean {
  return value.kind === 'counter' || value.kind === 'linear' || value.kind === 'exponential';
}

/** The scope of code in function `fnId` of a file (undefined: module level). */
export function scopeIn(facts: FileFacts, fnId: number | undefined, extra: Partial<Scope> = {}): Scope {
  const fn = fnId === undefined ? undefined : facts.functions[fnId];
  return { facts, fn, className: fn?.className, counters: new Set(), ...extra };
}

/** The name calls of `fn` use: a constructor is called by its class's name (`Client(…)`, `new Client(…)`). */
function calledAs(fn: FunctionFact): string {
  return fn.isConstructor && fn.className ? fn.className : fn.name;
}

/** The class `name` if a file declares it. */
function classIn(facts: FileFacts, name: string): ClassRef | null {
  const cls = facts.classes.find((c) => c.name === name);
  return cls ? { facts, cls } : null;
}

/** The top-level function `name` if a file declares it. */
function functionIn(facts: FileFacts, name: string): FunctionRef | null {
  const fn = facts.functions.find((f) => f.parent === undefined && !f.className && f.name === name);
  return fn ? { facts, fn } : null;
}

/**
 * What one assignment contributes to a field's values: the value it stores, or for an update
 * (`+=`, `*=`) the growth it makes. A random step keeps the whole quiet; a step that is never set
 * (`@interval += @increment if @increment`, nil by default) changes nothing.
 */
function contribution(op: AssignmentFact['op'], value: DelayValue): DelayValue | null {
  if (op === '=' || op === 'each') return value;
  if (value.kind === 'random') return RANDOM;
  if (value.kind === 'unknown') return null;
  return { kind: op === '+=' || op === '-=' ? 'linear' : 'exponential' };
}

export class FlowEngine {
  private nesting = 0;
  private readonly constants = new Map<
    string,
    Promise<{ value: DelayValue; evidence: string[]; draws: Draws }>
  >();
  /** Call sites reaching each function, looked up once per review (every parameter of it shares them). */
  private readonly callers = new Map<string, Promise<Site<CallFact>[]>>();

  constructor(readonly program: Program) {}

  /** A folded constant as evidence shows it: a duration when the language says what one unit is. */
  private amount(value: number): string {
    const unitMs = this.program.front.unitMs;
    return unitMs === undefined ? String(value) : formatDuration(value * unitMs);
  }

  async evaluate(expr: Expr, scope: Scope, trail: Trail): Promise<DelayValue> {
    if (this.nesting >= MAX_EXPRESSION_NESTING) return UNKNOWN('expression nested too deeply');
    this.nesting += 1;
    try {
      return await this.evaluateExpr(expr, scope, trail);
    } finally {
      this.nesting -= 1;
    }
  }

  private async evaluateExpr(expr: Expr, scope: Scope, trail: Trail): Promise<DelayValue> {
    switch (expr.k) {
      case 'num':
        return Number.isFinite(expr.value)
          ? { kind: 'const', ms: expr.value }
          : UNKNOWN('not a finite number');
      case 'neg': {
        const inner = await this.evaluate(expr.inner, scope, trail);
        if (inner.kind === 'random') return combine('-', { kind: 'const', ms: 0 }, inner);
        return inner.kind === 'const' ? { kind: 'const', ms: -inner.ms } : inner;
      }
      case 'binary': {
        const left = await this.evaluate(expr.left, scope, trail);
        const right = await this.evaluate(expr.right, scope, trail);
        if (left === CYCLE || right === CYCLE) return grownFromItself(expr, left === CYCLE ? right : left);
        return combine(expr.op, left, right);
      }
      case 'minmax': {
        const values: DelayValue[] = [];
        for (const arg of expr.args) values.push(await this.evaluate(arg, scope, trail));
        return minMax(expr.which, values);
      }
      case 'either': {
        // An option that never holds a value (`null`, a setter nobody calls) is no value the wait sees.
        const values: DelayValue[] = [];
        for (const option of expr.options) {
          const value = await this.evaluate(option, scope, trail);
          if (value !== NEVER) values.push(value);
        }
        return values.length === 0 ? NEVER : joinValues(values);
      }
      case 'table':
        return this.table(expr, scope, trail);
      case 'option':
        return this.option(expr, scope, trail);
      case 'setting':
        return this.setting(expr, scope, trail);
      case 'random':
        return this.random(expr, scope, trail);
      case 'generator':
        return this.generator(expr, scope, trail);
      case 'server':
        return { kind: 'server' };
      case 'external':
        return { kind: 'unknown', reason: expr.what, external: true };
      case 'todo':
        return UNKNOWN(expr.what);
      case 'none':
        return NEVER;
      case 'self':
        return UNKNOWN('the receiver is not a delay');
      case 'name':
      case 'member': {
        const imported = this.importedSetting(expr, scope);
        if (imported) return this.setting(imported, scope, trail);
        // What the program sets wins over what a name says: `retry_after = 5` is the code's own
        // delay; a `retry_after` the program cannot follow is the server's hint.
        const value =
          expr.k === 'name'
            ? await this.name(expr.name, expr.line, scope, trail)
            : await this.member(expr, scope, trail);
        return value.kind === 'unknown' && SERVER_HINT_NAME.test(expr.name) ? { kind: 'server' } : value;
      }
      case 'call':
        return this.call(expr, scope, trail);
    }
  }

  /** A random draw, with the range it falls in when its bounds are known at every attempt. */
  private async draw(expr: Extract<Expr, { k: 'random' }>, scope: Scope, trail: Trail): Promise<DelayValue> {
    if (!expr.range) return RANDOM;
    const lo = spanOf(await this.evaluate(expr.range[0], scope, trail));
    const hi = spanOf(await this.evaluate(expr.range[1], scope, trail));
    if (!lo || !hi) return RANDOM;
    return { kind: 'random', span: lo.map(([low], i) => [low, Math.max(low, hi[i]![1])] as const) };
  }

  /** A literal list of delays walked or indexed by the attempt: its shape is the schedule's. */
  private async table(expr: Extract<Expr, { k: 'table' }>, scope: Scope, trail: Trail): Promise<DelayValue> {
    if (expr.of) {
      // `DELAYS[attempt]` with `DELAYS = [1, 2, 4]` in the function, one around it, or at module level.
      const name = expr.of.k === 'name' ? expr.of.name : null;
      const visible = new Set<number | undefined>([undefined]);
      for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : scope.facts.functions[fn.parent])
        visible.add(fn.id);
      const writes = name
        ? scope.facts.assignments.filter(
            (a) => visible.has(a.fn) && a.target.kind === 'name' && a.target.name === name,
          )
        : [];
      // A table set once is a schedule; one the code rebuilds (`fib = [fib[1], fib[0] + fib[1]]`) a recurrence.
      if (name && writes.length > 1) return this.recurrence(name, writes, expr.index, scope, trail);
      const write = writes[0];
      if (write?.value.k === 'table')
        // The index is read where the table is indexed (a local counter), the items where they are.
        return this.table({ ...write.value, index: expr.index }, { ...scope, bindings: undefined }, trail);
      const table = write ? null : await this.tableField(expr.of, scope);
      if (table) return this.table({ ...table, index: expr.index }, { ...scope, bindings: undefined }, trail);
      return UNKNOWN(`\`${show(expr.of)}[…]\` is read at run time`);
    }
    const values: DelayValue[] = [];
    for (const item of expr.items) values.push(await this.evaluate(item, scope, trail));
    if (values.length === 0) return UNKNOWN('empty schedule');
    if (values.some((v) => v.kind !== 'const')) return joinValues(values);
    const numbers = values.map((v) => (v as { ms: number }).ms);
    const index = expr.index ? await this.evaluate(expr.index, scope, trail) : UNKNOWN('walked');
    if (index.kind === 'const')
      return { kind: 'const', ms: numbers[index.ms] ?? numbers[numbers.length - 1]! };
    if (numbers.every((n) => n === numbers[0])) return { kind: 'const', ms: numbers[0]! };
    // Equal steps (1 s, 3 s, 5 s) are linear, however large the first ratio.
    const steps = numbers.slice(1).map((n, i) => n - numbers[i]!);
    if (steps.length > 1 && steps.every((d) => d > 0 && d === steps[0]))
      return { kind: 'linear', baseMs: numbers[0] };
    const ratios = numbers.slice(1).map((n, i) => n / numbers[i]!);
    const geometric = ratios.length > 0 && ratios.every((r) => r >= 1.5);
    return geometric ? { kind: 'exponential', baseMs: numbers[0] } : { kind: 'linear', baseMs: numbers[0] };
  }

  /**
   * `DELAYS[attempt]` where `DELAYS` is a field of the enclosing class (`static int[] DELAYS = {…}`,
   * read bare in Java and C#, as `this.DELAYS`, or as `Client.DELAYS`): the literal list it is given once and never
   * replaced. Its items are read from the class, like the index.
   */
  private async tableField(of: Expr, scope: Scope): Promise<Extract<Expr, { k: 'table' }> | null> {
    const own = scope.className ? scope.facts.classes.find((c) => c.name === scope.className) : undefined;
    const owner =
      of.k === 'name' || (of.k === 'member' && of.object.k === 'self')
        ? own && { facts: scope.facts, cls: own }
        : of.k === 'member' && of.object.k === 'name'
          ? await this.classNamed(of.object.name, scope.facts)
          : null;
    if (!owner || (of.k !== 'name' && of.k !== 'member')) return null;
    const writes = await this.fieldWrites(owner, of.name);
    const only = writes.length === 1 ? writes[0]! : null;
    if (!only || only.write.op !== '=' || only.write.value.k !== 'table' || only.write.value.of) return null;
    // Replaced from outside (`Uploader.backoffMs = options.backoffMs`): not the list it starts with.
    if ((await this.program.memberAssignments(of.name, owner.facts)).length > 0) return null;
    return only.write.value;
  }

  /** `fib[1]` of a table set once and then rebuilt from its own elements: how the element read grows. */
  private async recurrence(
    name: string,
    writes: AssignmentFact[],
    index: Expr | undefined,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    const [first, ...updates] = [...writes].sort((a, b) => a.line - b.line);
    const unknown = UNKNOWN(`\`${name}[…]\` is read at run time`);
    if (!first || first.value.k !== 'table' || !index) return unknown;
    const tables = updates.map((w) => (w.op === '=' && w.value.k === 'table' ? w.value.items : null));
    // One way of rebuilding it: a table also reset elsewhere, or rebuilt two ways, is not followed.
    if (tables.length !== 1 || !tables[0]) return unknown;
    const initial: number[] = [];
    for (const item of first.value.items) {
      const value = await this.evaluate(item, { ...scope, bindings: undefined }, trail);
      if (value.kind !== 'const') return unknown;
      initial.push(value.ms);
    }
    const at = await this.evaluate(index, scope, trail);
    const run = at.kind === 'const' ? runRecurrence(name, initial, tables[0], at.ms) : null;
    if (!run) return unknown;
    trail.evidence.push(
      `\`${name}\` is rebuilt each round (${where(scope.facts, updates[0]!.line)}): the element read runs ${run.terms.join(', ')}, …`,
    );
    return run.value;
  }

  // ---- names -------------------------------------------------------------------------------

  private async name(name: string, line: number, scope: Scope, trail: Trail): Promise<DelayValue> {
    const bound = scope.bindings?.get(name);
    if (bound) return bound;
    if (scope.counters.has(name)) return { kind: 'counter', name };
    const { facts } = scope;
    for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
      const index = fn.params.findIndex((p) => p.name === name);
      if (index < 0 && fn.enclosingNames?.includes(name)) continue;
      const writes = facts.assignments.filter(
        (a) =>
          a.target.kind === 'name' &&
          a.target.name === name &&
          a.fn !== undefined &&
          (a.fn === fn!.id || rebinds(facts, a.fn, fn!.id, name)),
      );
      if (index >= 0) {
        if (scope.bindings && fn === scope.fn) return UNKNOWN(`\`${name}\` is not passed`);
        const ref = { facts, fn };
        const passed = () => this.parameter(ref, index, trail, !!scope.uncalledIsNever);
        // A parameter the body sets again (`sleep = sleep + jitter`): what it is passed, then each write.
        return writes.some((a) => a.fn === ref.fn.id)
          ? this.local(name, writes, { ...scope, fn }, trail, passed)
          : passed();
      }
      if (writes.some((a) => a.fn === fn!.id)) return this.local(name, writes, { ...scope, fn }, trail);
    }
    const value = await this.moduleName(facts, name, line, trail);
    if (value.kind !== 'unknown') return value;
    const inherited = await this.inheritedConstant(name, line, scope, trail);
    if (inherited) return inherited;
    // A bare name that is a method taking no arguments is a call in languages that call without parentheses.
    const method = await this.functionOf({ k: 'name', name, line }, scope);
    if (method && method.fn.params.every((p) => p.default))
      return this.call(
        { k: 'call', callee: { k: 'name', name, line }, args: [], named: [], line },
        scope,
        trail,
      );
    return value;
  }

  /** A constant a class inherits from its bases (Ruby `RETRY_DELAY` of the superclass, a Java interface constant). */
  private async inheritedConstant(
    name: string,
    line: number,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue | null> {
    if (!scope.className || trail.hops >= MAX_HOPS) return null;
    const own = await this.classNamed(scope.className, scope.facts);
    let cls = own && (await this.baseOf(own));
    for (let depth = 0; cls && depth < MAX_HOPS; depth += 1) {
      if (declares(cls.facts, name))
        return this.moduleName(cls.facts, name, line, { ...trail, hops: trail.hops + 1 });
      cls = await this.baseOf(cls);
    }
    return null;
  }

  /** A variable of a function: the sequence of its assignments, as the loop around the wait sees it. */
  private async local(
    name: string,
    writes: AssignmentFact[],
    scope: Scope,
    trail: Trail,
    initial?: () => Promise<DelayValue>,
  ): Promise<DelayValue> {
    const key = `l:${scope.facts.path}:${scope.fn?.id}:${name}`;
    // Read again while it is being resolved: a call passing it back to where it came from (a callback
    // that calls the function around it again with the same options). The first call's value stands.
    if (trail.resolving.has(key)) return CYCLE;
    const inner: Trail = { ...trail, resolving: new Set([...trail.resolving, key]) };
    let value: DelayValue | null = initial ? await initial() : null;
    for (const write of [...writes].sort((a, b) => a.line - b.line)) {
      if (write.op === 'each') {
        const schedule = write.value.k === 'table' ? write.value : null;
        value = schedule ? await this.table(schedule, scope, inner) : UNKNOWN(`\`${name}\` is a loop value`);
        continue;
      }
      const counting: Scope = { ...scope, counters: new Set([...scope.counters, name]) };
      if (write.op === '=') {
        const rhs = await this.evaluate(write.value, scope, inner);
        if (value === null) {
          value = rhs;
          continue;
        }
        if (mentions(write.value, name)) {
          // `delay = delay * 2`, `delay = min(delay * 2, cap)`: grows from its previous value.
          const grown = await this.evaluate(write.value, counting, inner);
          // Growing from itself, the range of one step is not the range of the value.
          if (grown.kind === 'random') value = RANDOM;
          // A start nothing in the repository sets still doubles without randomness, as
          // `delay * 2 ** attempt` does with an unknown `delay`. Only a product: a name read again
          // through a call of itself (Rust's `let retry_after = retry_after.parse()`) is no growth.
          else if (isGrowing(grown))
            value =
              value.kind === 'unknown' && growthOf(write.value) === 'exponential'
                ? { kind: 'exponential' }
                : joinValues([value, { kind: growthOf(write.value) }]);
          else value = joinValues([value, grown]);
        } else {
          value = joinValues([value, rhs]);
        }
        continue;
      }
      const rhs = await this.evaluate(write.value, counting, inner);
      const base: DelayValue = value ?? UNKNOWN(`\`${name}\` is used before it is set`);
      if (rhs.kind === 'random') value = RANDOM;
      else if (write.op === '*=' || write.op === '**=' || write.op === '<<=') {
        const growth: DelayValue = { kind: 'exponential', factor: rhs.kind === 'const' ? rhs.ms : undefined };
        value =
          rhs.kind === 'const' && rhs.ms === 1
            ? base
            : base.kind === 'unknown'
              ? growth
              : joinValues([base, growth]);
      } else if (write.op === '+=' || write.op === '-=') {
        value = rhs.kind === 'const' && rhs.ms === 0 ? base : joinValues([base, { kind: 'linear' }]);
      } else value = joinValues([base, UNKNOWN(`\`${name}\` is reassigned`)]);
    }
    return value ?? UNKNOWN(`\`${name}\` is never set`);
  }

  /** A name at module level: a constant bound once, or something imported from another module. */
  async moduleName(facts: FileFacts, name: string, line: number, trail: Trail): Promise<DelayValue> {
    const writes = facts.assignments.filter(
      (a) => a.fn === undefined && a.target.kind === 'name' && a.target.name === name,
    );
    if (writes.length > 0) {
      if (writes.length > 1 || writes[0]!.op !== '=') {
        // Module state that functions update (`let attempts = 1` … `attempts += 1`): read as a local is.
        if (!this.program.front.moduleState) return UNKNOWN(`\`${name}\` is rebound`);
        return this.local(name, writes, { facts, counters: new Set() }, trail);
      }
      return this.constant(facts, writes[0]!, name, trail);
    }
    const imported = facts.imports.find((i) => i.local === name);
    if (imported?.name !== undefined) {
      if (trail.hops >= MAX_HOPS) return UNKNOWN('resolution too deep');
      const target = await this.program.module(facts.path, imported.module);
      if (!target)
        return UNKNOWN(`\`${name}\` comes from \`${imported.module}\`, which is not in the repository`);
      const value = await this.moduleName(target, imported.name, line, { ...trail, hops: trail.hops + 1 });
      return value;
    }
    // Everything a file pulls in whole (`require`, `import pkg.*`, a dot import): looked up there.
    if (trail.hops < MAX_HOPS) {
      for (const whole of facts.imports.filter((i) => i.local === '*')) {
        const target = await this.program.module(facts.path, whole.module);
        if (!target || target === facts) continue;
        if (!declares(target, name)) continue;
        return this.moduleName(target, name, line, { ...trail, hops: trail.hops + 1 });
      }
      for (const mate of await this.program.packageDeclaring(facts, `n:${name}`)) {
        if (declares(mate, name))
          return this.moduleName(mate, name, line, { ...trail, hops: trail.hops + 1 });
      }
      // Constants loaded by name (Ruby's autoloading, a gem's module): `Shared::Retry::DELAY` is
      // declared in a file that declares its owner, wherever that is; written inside `module Shared`
      // it may be named from there (`Retry::DELAY`), unless two namespaces declare one of that name.
      const owner = this.program.front.typesAnywhere ? /(\w+)::\w+$/.exec(name)?.[1] : undefined;
      const found: { facts: FileFacts; name: string }[] = [];
      for (const declaring of owner ? await this.program.typeDeclarations(owner, facts) : []) {
        const declared = declaredName(declaring, name);
        if (declared) found.push({ facts: declaring, name: declared });
      }
      const chosen =
        found.find((f) => f.name === name) ??
        (new Set(found.map((f) => f.name)).size === 1 ? found[0] : undefined);
      if (chosen) return this.moduleName(chosen.facts, chosen.name, line, { ...trail, hops: trail.hops + 1 });
    }
    return UNKNOWN(`\`${name}\` is not defined here`);
  }

  /** Folds a module-level constant once per review; its evidence is replayed wherever it is used. */
  private async constant(
    facts: FileFacts,
    write: AssignmentFact,
    name: string,
    trail: Trail,
  ): Promise<DelayValue> {
    const key = `k:${facts.path}:${name}`;
    if (trail.resolving.has(key)) return UNKNOWN(`\`${name}\` is defined in terms of itself`);
    let pending = this.constants.get(key);
    if (!pending) {
      pending = (async () => {
        const inner: Trail = {
          evidence: [],
          hops: trail.hops + 1,
          resolving: new Set([...trail.resolving, key]),
          draws: newDraws(),
        };
        const value = await this.evaluate(write.value, { facts, counters: new Set() }, inner);
        const evidence = [...inner.evidence];
        if (value.kind === 'const' && write.value.k !== 'num')
          evidence.push(
            `\`${name}\` = \`${show(write.value)}\` = ${this.amount(value.ms)} (${where(facts, write.line)})`,
          );
        else if (value.kind === 'const')
          evidence.push(`\`${name}\` = ${this.amount(value.ms)} (${where(facts, write.line)})`);
        return { value, evidence, draws: inner.draws };
      })();
      this.constants.set(key, pending);
    }
    const { value, evidence, draws } = await pending;
    absorb(trail.draws, draws);
    for (const line of evidence) if (!trail.evidence.includes(line)) trail.evidence.push(line);
    return value;
  }

  // ---- parameters ---------------------------------------------------------------------------

  /**
   * A parameter's value is its default joined with what every call site in the repository passes.
   * `uncalledIsNever`: a function nobody calls contributes nothing (a setter never called), instead
   * of an unknown (an entry point called from outside).
   */
  private async parameter(
    ref: FunctionRef,
    index: number,
    trail: Trail,
    uncalledIsNever: boolean,
    property?: string,
  ): Promise<DelayValue> {
    const { facts, fn } = ref;
    const declared = fn.params[index]!;
    // `opts.delay` of an options parameter: the property of what each caller passes, or of the default.
    const project = (expr: Expr): Expr =>
      property === undefined ? expr : { k: 'member', object: expr, name: property, line: fn.line };
    const param =
      property === undefined
        ? declared
        : {
            ...declared,
            name: `${declared.name}.${property}`,
            ...(declared.default ? { default: project(declared.default) } : {}),
          };
    const key = `p:${facts.path}:${fn.id}:${index}${property === undefined ? '' : `.${property}`}`;
    if (trail.resolving.has(key)) return CYCLE;
    if (trail.hops >= MAX_HOPS) return UNKNOWN('resolution too deep');
    const inner: Trail = { ...trail, hops: trail.hops + 1, resolving: new Set([...trail.resolving, key]) };
    const values: DelayValue[] = [];
    const notes: string[] = [];
    const home: Scope = { facts, className: fn.className, counters: new Set() };
    if (param.default) {
      const value = await this.evaluate(param.default, home, inner);
      values.push(value);
      notes.push(`\`${param.name}\` defaults to \`${show(param.default)}\` (${where(facts, fn.line)})`);
    }
    const sites = await this.callersOf(ref);
    let passing = 0;
    for (const site of sites) {
      const call = site.fact;
      const given = argumentFor(call, declared, index, fn);
      if (given === OPAQUE) {
        values.push(
          UNKNOWN(`\`${fn.name}\` is called with spread arguments (${where(site.facts, call.line)})`),
        );
        continue;
      }
      if (!given) continue;
      const arg = project(given);
      passing += 1;
      // Counters of a retry around the call stay counters inside it (`backoff(attempt)`).
      const callerScope = scopeIn(site.facts, call.fn, { counters: new Set(call.retry?.counters ?? []) });
      if (site.facts === facts && call.fn === fn.id) {
        // A recursive call passing the parameter on: unchanged it is the same value, changed it grows.
        if (!mentions(arg, declared.name)) values.push(await this.evaluate(arg, callerScope, inner));
        else {
          const grown = await this.evaluate(
            arg,
            { ...callerScope, counters: new Set([declared.name]) },
            inner,
          );
          if (grown.kind === 'random') values.push(RANDOM);
          // Passed on as it is (`retry(fn, delay)`), the value stays what the first call gave it.
          else if (isGrowing(grown) && grown.kind !== 'counter') values.push({ kind: growthOf(arg) });
          // Changed in a way not followed (`fibonacci(delay + 2)`): not the first call's value either.
          else if (grown.kind === 'unknown' && grown !== CYCLE)
            values.push(
              UNKNOWN(`\`${show(arg)}\` is passed back to \`${fn.name}\` (${where(site.facts, call.line)})`),
            );
        }
        continue;
      }
      const value = await this.evaluate(arg, callerScope, inner);
      values.push(value);
      if (passing <= MAX_SITES_LISTED)
        notes.push(
          `\`${fn.name}(…)\` is passed \`${show(arg)}\`${value.kind === 'const' && arg.k !== 'num' ? ` = ${this.amount(value.ms)}` : ''} (${where(site.facts, call.line)})`,
        );
    }
    if (passing > MAX_SITES_LISTED) notes.push(`and ${passing - MAX_SITES_LISTED} more call sites`);
    const own = values.filter((v) => v !== CYCLE && v !== NEVER);
    if (own.length === 0) {
      if (sites.length === 0 && uncalledIsNever) {
        trail.evidence.push(`no call to \`${fn.name}\` in the repository`);
        return NEVER;
      }
      // No caller's options object sets the property: the code's own fallback for it decides. (An
      // anonymous function is a callback: what it is handed comes from code that is not in view.)
      if (property !== undefined && fn.name !== '') {
        trail.evidence.push(
          values.includes(CYCLE)
            ? `\`${fn.name}\` is only called again with its own \`${property}\``
            : `no call of \`${fn.name}\` in the repository sets \`${property}\``,
        );
        return NEVER;
      }
      // Defaults to no value and no caller passes one: it holds none.
      if (param.default?.k === 'none' && passing === 0) return NEVER;
      return UNKNOWN(
        `\`${param.name}\` is a parameter of \`${fn.name}\` and no caller in the repository passes it`,
      );
    }
    if (!param.default && passing === 0) notes.push(`no caller passes \`${param.name}\``);
    const value = joinValues(own);
    if (sites.length === 0 && param.default)
      notes.push(`no call site of \`${fn.name}\` passes another value`);
    trail.evidence.push(
      ...notes,
      ...inner.evidence.filter((line) => !trail.evidence.includes(line) && !notes.includes(line)),
    );
    return value;
  }

  /**
   * A key of an options map: the code's fallback, and what each caller of the function the map comes
   * from sets the key to. A caller handing over a whole map we cannot see may set anything.
   */
  private async option(
    expr: Extract<Expr, { k: 'option' }>,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    const values = [await this.evaluate(expr.fallback, scope, trail)];
    const notes = [
      `\`${show(expr)}\` falls back to \`${show(expr.fallback)}\` (${where(scope.facts, expr.line)})`,
    ];
    const origin = expr.of ? await this.parameterBehind(expr.of, scope, 0) : null;
    const receiving = origin ?? (scope.fn ? { facts: scope.facts, fn: scope.fn, index: -1 } : null);
    if (expr.key !== undefined && receiving && trail.hops < MAX_HOPS) {
      const inner: Trail = { ...trail, hops: trail.hops + 1 };
      const param = receiving.fn.params[receiving.index];
      for (const site of await this.callersOf(receiving)) {
        const call = site.fact;
        const set = call.named.find(([n]) => n === expr.key)?.[1];
        if (set) {
          values.push(await this.evaluate(set, scopeIn(site.facts, call.fn), inner));
          notes.push(`\`${expr.key}\` is set to \`${show(set)}\` (${where(site.facts, call.line)})`);
        } else if (
          param &&
          (call.spread || call.args[receiving.index] || call.named.some(([n]) => n === param.name))
        ) {
          values.push(
            UNKNOWN(`the options passed at ${where(site.facts, call.line)} may set \`${expr.key}\``),
          );
        }
      }
      for (const line of inner.evidence) if (!trail.evidence.includes(line)) trail.evidence.push(line);
    }
    const value = joinValues(values);
    if (value.kind !== 'unknown') trail.evidence.push(...notes.slice(0, MAX_SITES_LISTED + 1));
    return value;
  }

  /**
   * A key of the project's configuration: the first justified file that sets it (see `settingsFiles`),
   * else the code's own fallback. A key no file sets is a value read at run time.
   */
  private async setting(
    expr: Extract<Expr, { k: 'setting' }>,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    for (const file of await this.settingsFiles(expr, scope)) {
      const settings = await this.program.settings(file.path);
      const entry = settings && lookupSetting(settings, expr.key, expr.convention === 'spring');
      if (!entry) continue;
      const at = `${file.path}:${entry.line}`;
      const value = settingValue(entry.value);
      if (value.kind === 'other') return UNKNOWN(`\`${expr.key}\` (${at}) is not a number`);
      trail.evidence.push(
        value.kind === 'random'
          ? `\`${entry.key}\` is drawn at random (${at})`
          : `\`${entry.key}\` = ${this.amount(value.value)} (${at})`,
        file.why,
      );
      return value.kind === 'random' ? RANDOM : { kind: 'const', ms: value.value };
    }
    if (expr.fallback) return this.evaluate(expr.fallback, scope, trail);
    return {
      kind: 'unknown',
      reason: `\`${expr.key}\` is read from configuration that no file of the repository sets`,
      external: true,
    };
  }

  /**
   * `config.retry.delay` of `import config from './config.json'` (or `require`, or `import { retry }`):
   * a key of the config file the import names, which the file's literals then place.
   */
  private importedSetting(
    expr: Extract<Expr, { k: 'name' | 'member' }>,
    scope: Scope,
  ): Extract<Expr, { k: 'setting' }> | null {
    const path: string[] = [];
    let root: Expr = expr;
    for (; root.k === 'member'; root = root.object) path.unshift(root.name);
    if (root.k !== 'name') return null;
    const name = root.name;
    const imported = scope.facts.imports.find((i) => i.local === name);
    if (!imported || !isSettingsFile(imported.module) || this.shadowed(name, scope)) return null;
    if (imported.name !== undefined && imported.name !== 'default') path.unshift(imported.name);
    return path.length === 0 ? null : { k: 'setting', key: path.join('.'), line: expr.line };
  }

  /**
   * The config files a key may come from, as the code justifies them: the framework's own files, and
   * the files named in string literals of the code that holds the object read (its module or class)
   * and of the reading file. A named file the repository does not hold (an ignored `config.json`) is
   * stood for by its committed example (`config.example.json`).
   */
  private async settingsFiles(
    expr: Extract<Expr, { k: 'setting' }>,
    scope: Scope,
  ): Promise<{ path: string; why: string }[]> {
    const files: { path: string; why: string }[] = [];
    const add = async (path: string, why: string) => {
      if (files.some((f) => f.path === path)) return true;
      if (!(await this.program.exists(path))) return false;
      files.push({ path, why });
      return true;
    };
    if (expr.convention)
      for (const path of conventionFiles(expr.convention, scope.facts.path))
        await add(path, `${CONVENTION_NAMES[expr.convention]} reads \`${path}\` by convention`);
    const holders = new Set<string>();
    const { of } = expr;
    if (of?.k === 'name') {
      const imported = scope.facts.imports.find((i) => i.local === of.name);
      const module = imported && (await this.program.module(scope.facts.path, imported.module));
      if (module) holders.add(module.path);
    }
    const owner = of ? await this.typeOf(of, scope, newTrail()) : null;
    if (owner) holders.add(owner.facts.path);
    holders.add(scope.facts.path);
    for (const holder of holders) {
      for (const { literal, line } of await this.program.settingsNamedIn(holder)) {
        for (const path of settingsPathCandidates(holder, literal)) {
          const named = `named at ${holder}:${line}`;
          if (await add(path, `\`${path}\` is ${named}`)) break;
          const example = await this.program.firstPresent(exampleSiblings(path));
          if (!example) continue;
          await add(
            example,
            `\`${path}\` (${named}) is not committed; \`${example}\` beside it is its documented default`,
          );
          break;
        }
      }
    }
    return files;
  }

  /** The parameter an options map was handed in through: directly, by a local, or by a field set once. */
  private async parameterBehind(
    expr: Expr,
    scope: Scope,
    depth: number,
  ): Promise<(FunctionRef & { index: number }) | null> {
    if (depth > MAX_HOPS) return null;
    const { facts } = scope;
    if (expr.k === 'name') {
      for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
        const index = fn.params.findIndex((p) => p.name === expr.name);
        if (index >= 0) return { facts, fn, index };
        const writes = facts.assignments.filter(
          (a) => a.fn === fn!.id && a.target.kind === 'name' && a.target.name === expr.name,
        );
        if (writes.length === 1 && writes[0]!.op === '=')
          return this.parameterBehind(writes[0]!.value, { ...scope, fn }, depth + 1);
        if (writes.length > 0) return null;
      }
      return null;
    }
    if (expr.k === 'member' && expr.object.k === 'self' && scope.className) {
      const cls = facts.classes.find((c) => c.name === scope.className);
      const writes = cls ? await this.fieldWrites({ facts, cls }, expr.name) : [];
      if (writes.length !== 1 || writes[0]!.write.op !== '=') return null;
      const { facts: at, write } = writes[0]!;
      return this.parameterBehind(
        write.value,
        scopeIn(at, write.fn, { className: scope.className }),
        depth + 1,
      );
    }
    return null;
  }

  /**
   * A function a module passes on whole from another (`pub use retry::*;` in `utils/mod.rs`, `export *
   * from './retry'`), so that `use crate::utils::retry` names the function in `utils/retry.rs`.
   */
  private async reexported(module: FileFacts, name: string): Promise<FunctionRef | null> {
    for (const whole of module.imports.filter((i) => i.local === '*')) {
      const target = await this.program.module(module.path, whole.module);
      const found = target && target !== module ? functionIn(target, name) : null;
      if (found) return found;
    }
    return null;
  }

  /** Call sites in the repository that reach `ref` (constructors: calls of the class). */
  callersOf(ref: FunctionRef): Promise<Site<CallFact>[]> {
    const key = `${ref.facts.path}:${ref.fn.id}`;
    let pending = this.callers.get(key);
    if (!pending) {
      pending = this.findCallers(ref);
      this.callers.set(key, pending);
    }
    return pending;
  }

  private async findCallers({ facts, fn }: FunctionRef): Promise<Site<CallFact>[]> {
    const reaching: Site<CallFact>[] = [];
    for (const site of await this.program.callsNamed(calledAs(fn), facts)) {
      const target = await this.functionOf(
        site.fact.callee,
        scopeIn(site.facts, site.fact.fn),
        true,
        site.fact.spread ? undefined : site.fact.args.length,
      );
      if (target && target.facts.path === facts.path && target.fn.id === fn.id) reaching.push(site);
      else if (target?.fn.abstract && (await this.mayOverride({ facts, fn }, target))) reaching.push(site);
      else if (
        !target &&
        (fn.className || fn.receiverType) &&
        site.fact.callee.k === 'member' &&
        !fn.isConstructor
      ) {
        // `client.fetch(…)` with `client` of a type we cannot see: a call of this method (or extension) unless proven otherwise.
        reaching.push(site);
      }
    }
    return reaching;
  }

  /**
   * Whether a method may be what a call of an abstract one runs (`nextWait()` of an interface, in its
   * default `run()`): same name and arity, in a class whose bases reach the abstract method's class —
   * or, for a method declared as an override, leave what the repository shows before they do (a base
   * we cannot read may implement it).
   */
  private async mayOverride(method: FunctionRef, declared: FunctionRef): Promise<boolean> {
    const { fn } = method;
    if (!fn.className || fn.abstract || fn.params.length !== declared.fn.params.length) return false;
    const own = await this.classNamed(fn.className, method.facts);
    const queue = own ? [own] : [];
    for (let step = 0; step < queue.length && step < MAX_HOPS; step += 1) {
      const cls = queue[step]!;
      if (cls.cls.name === declared.fn.className) return true;
      for (const base of cls.cls.bases) {
        const found = await this.classNamed(base, cls.facts);
        if (!found && fn.overrides) return true;
        if (found) queue.push(found);
      }
    }
    return false;
  }

  // ---- members and fields -------------------------------------------------------------------

  private async member(
    expr: Extract<Expr, { k: 'member' }>,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    const text = show(expr);
    if (scope.counters.has(text)) return { kind: 'counter', name: text };
    const bound = scope.bindings?.get(text);
    if (bound) return bound;
    const object = expr.object;
    if (object.k === 'name') {
      const imported = scope.facts.imports.find((i) => i.local === object.name);
      if (imported && !this.shadowed(object.name, scope)) {
        if (trail.hops >= MAX_HOPS) return UNKNOWN('resolution too deep');
        const reference =
          imported.name === undefined
            ? imported.module
            : this.program.front.submodule(imported.module, imported.name);
        const module = await this.program.module(scope.facts.path, reference);
        if (module) {
          const value = await this.moduleName(module, expr.name, expr.line, {
            ...trail,
            hops: trail.hops + 1,
          });
          // Not a name of the module: a static field of the class the import names (`Config.delay`).
          if (value.kind !== 'unknown' || declares(module, expr.name)) return value;
        } else {
          const known = this.program.front.libraryConstant?.(reference, expr.name);
          if (known !== undefined) {
            trail.evidence.push(`\`${text}\` is the library's own constant, ${this.amount(known)}`);
            return { kind: 'const', ms: known };
          }
        }
      }
    }
    if (object.k === 'name' && !scope.bindings) {
      const param = this.parameterNamed(object.name, scope);
      if (param) {
        const type = param.fn.params[param.index]!.type;
        const declared = type ? await this.classNamed(type, scope.facts) : null;
        if (declared) return this.field(declared, expr.name, trail, text);
        return this.parameter(param, param.index, trail, !!scope.uncalledIsNever, expr.name);
      }
      // `policy.delayMillis` of a `policy: RetryPolicy` interface: the property of what each caller passes.
      const typed = await this.typedParameter(object.name, scope);
      if (typed && !(await this.setsField(typed.cls, expr.name)))
        return this.parameter(typed, typed.index, trail, !!scope.uncalledIsNever, expr.name);
    }
    const owner = await this.typeOf(object, scope, trail);
    if (owner) return this.field(owner, expr.name, trail, text);
    return UNKNOWN(`\`${text}\` is read at run time`);
  }

  /**
   * The parameter a name is, in the function of the scope or one it is nested in, when the language
   * passes options objects whose properties can be followed through the callers.
   */
  private parameterNamed(name: string, scope: Scope): (FunctionRef & { index: number }) | null {
    const { facts } = scope;
    if (!this.program.front.objectLiterals) return null;
    for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
      const index = fn.params.findIndex((p) => p.name === name);
      if (index >= 0) return { facts, fn, index };
      if (
        facts.assignments.some((a) => a.fn === fn!.id && a.target.kind === 'name' && a.target.name === name)
      )
        return null;
    }
    return null;
  }

  /** The parameter a name is, with the class its declared type names (an interface, a base class). */
  private async typedParameter(
    name: string,
    scope: Scope,
  ): Promise<(FunctionRef & { index: number; cls: ClassRef }) | null> {
    const { facts, fn } = scope;
    const index = fn ? fn.params.findIndex((p) => p.name === name) : -1;
    const type = index >= 0 ? fn!.params[index]!.type : undefined;
    const rebound = facts.assignments.some(
      (a) => a.fn === fn?.id && a.target.kind === 'name' && a.target.name === name,
    );
    if (!fn || !type || rebound) return null;
    const cls = await this.classNamed(type, facts);
    return cls ? { facts, fn, index, cls } : null;
  }

  /** Whether a class or one of its bases gives field `name` a value (an interface's property has none). */
  private async setsField(owner: ClassRef, name: string): Promise<boolean> {
    for (let cls: ClassRef | null = owner, depth = 0; cls && depth < MAX_HOPS; depth += 1) {
      if ((await this.fieldWrites(cls, name)).length > 0 || cls.cls.recordFields?.includes(name)) return true;
      cls = await this.baseOf(cls);
    }
    return (await this.program.memberAssignments(name, owner.facts)).length > 0;
  }

  private shadowed(name: string, scope: Scope): boolean {
    return (
      !!scope.fn &&
      (scope.fn.params.some((p) => p.name === name) ||
        scope.facts.assignments.some(
          (a) => a.fn === scope.fn!.id && a.target.kind === 'name' && a.target.name === name,
        ))
    );
  }

  /**
   * A field's value: every assignment to it in its class (class body, constructor, methods — a
   * constructor parameter then resolves through the constructor's call sites), its base classes,
   * record constructor arguments, and `obj.field = …` anywhere in the repository.
   */
  private async field(owner: ClassRef, name: string, trail: Trail, text: string): Promise<DelayValue> {
    const key = `f:${owner.facts.path}:${owner.cls.name}:${name}`;
    if (trail.resolving.has(key)) return CYCLE;
    if (trail.hops >= MAX_HOPS) return UNKNOWN('resolution too deep');
    const inner: Trail = { ...trail, hops: trail.hops + 1, resolving: new Set([...trail.resolving, key]) };
    const bound = owner.cls.settings;
    if (bound) {
      // What the framework binds from the config file replaces the field's own default.
      const setting: Expr = {
        k: 'setting',
        key: `${bound.prefix}.${name}`,
        convention: bound.convention,
        line: owner.cls.line,
      };
      const value = await this.setting(setting, scopeIn(owner.facts, undefined), trail);
      if (value.kind !== 'unknown') return value;
    }
    const values: DelayValue[] = [];
    const notes: string[] = [];
    let found = false;
    for (let cls: ClassRef | null = owner, depth = 0; cls && depth < MAX_HOPS; depth += 1) {
      for (const { facts: at, write } of await this.fieldWrites(cls, name)) {
        found = true;
        const scope = scopeIn(at, write.fn, { className: cls.cls.name, uncalledIsNever: true });
        // `self._delay = min(self._delay + 1, 30)`: an update of the field from its own value.
        const own = write.op === '=' && mentionsField(write.value, name);
        const value = own
          ? await this.evaluate(write.value, { ...scope, counters: new Set([`self.${name}`]) }, inner)
          : await this.evaluate(write.value, scope, inner);
        const contributed =
          own && isGrowing(value) ? { kind: growthOf(write.value) } : contribution(write.op, value);
        if (contributed) values.push(contributed);
        if (value.kind !== 'unknown')
          notes.push(
            `\`${text}\` ${write.op === '=' ? '=' : write.op} \`${show(write.value)}\`${value.kind === 'const' && write.value.k !== 'num' ? ` = ${this.amount(value.ms)}` : ''} (${where(at, write.line)})`,
          );
      }
      const record = cls.cls.recordFields?.indexOf(name) ?? -1;
      if (record >= 0) {
        found = true;
        for (const site of await this.program.callsNamed(cls.cls.name, cls.facts)) {
          const arg = site.fact.named.find(([n]) => n === name)?.[1] ?? site.fact.args[record];
          if (!arg) continue;
          const value = await this.evaluate(arg, scopeIn(site.facts, site.fact.fn), inner);
          values.push(value);
          notes.push(
            `\`${cls.cls.name}(…)\` sets \`${name}\` to \`${show(arg)}\` (${where(site.facts, site.fact.line)})`,
          );
        }
      }
      if (found) break;
      if (cls.cls.literal) {
        // `{ ...DEFAULTS, ...opts }`: what the spread objects hold; a property none of them has is absent.
        const scope = scopeIn(cls.facts, cls.cls.literal.fn);
        for (const spread of cls.cls.literal.spreads) {
          const value = await this.evaluate(
            { k: 'member', object: spread, name, line: cls.cls.line },
            scope,
            inner,
          );
          if (value === NEVER || value === CYCLE) continue;
          found = true;
          values.push(value);
        }
        if (!found) {
          const outside = await this.program.memberAssignments(name, owner.facts);
          if (!outside.some((site) => site.fact.target.kind === 'member')) return NEVER;
        }
        break;
      }
      cls = await this.baseOf(cls);
    }
    for (const site of await this.program.memberAssignments(name, owner.facts)) {
      const write = site.fact;
      if (write.target.kind !== 'member') continue;
      // Like a setter of the class: a function nobody calls (an option nobody passes) sets nothing.
      const scope = scopeIn(site.facts, write.fn, { uncalledIsNever: true });
      const type = await this.typeOf(write.target.object, scope, inner);
      if (type && (type.cls.name !== owner.cls.name || type.facts.path !== owner.facts.path)) continue;
      found = true;
      const value = await this.evaluate(write.value, scope, inner);
      const contributed = contribution(write.op, value);
      if (contributed) values.push(contributed);
      notes.push(
        `\`${show(write.target.object)}.${name}\` = \`${show(write.value)}\` (${where(site.facts, write.line)})`,
      );
    }
    if (!found) return UNKNOWN(`\`${text}\` is never set in the repository`);
    const own = values.filter((v) => v !== CYCLE && v !== NEVER);
    // Set only to the value being resolved (`{ delay }` handed back): it adds nothing of its own.
    if (own.length === 0 && values.includes(CYCLE)) return CYCLE;
    if (own.length === 0) return UNKNOWN(`\`${text}\` is set only where no value can be followed`);
    trail.evidence.push(
      ...notes.slice(0, MAX_SITES_LISTED + 1),
      ...inner.evidence.filter((l) => !trail.evidence.includes(l)),
    );
    return joinValues(own);
  }

  private async baseOf(ref: ClassRef): Promise<ClassRef | null> {
    for (const base of ref.cls.bases) {
      const found = await this.classNamed(base, ref.facts);
      if (found) return found;
    }
    return null;
  }

  /**
   * The class a name refers to in a file: defined there, imported from a module of the repository
   * (or that module's package), declared in the file's own package, or — for languages whose types
   * are found anywhere — declared in the nearest file of the repository.
   */
  async classNamed(name: string, facts: FileFacts): Promise<ClassRef | null> {
    // `app.config.Settings`, `MarketplaceClients::Base`: the last segment names the class.
    const segments = name.split(/::|\./);
    const simple = segments[segments.length - 1]!;
    const local = classIn(facts, simple);
    if (local) return local;
    const imported = facts.imports.find((i) => i.local === simple || i.local === segments[0]);
    if (imported) {
      const module = await this.program.module(facts.path, imported.module);
      const found =
        module &&
        (await this.inPackage(module, `c:${imported.name ?? simple}`, (f) =>
          classIn(f, imported.name ?? simple),
        ));
      if (found) return found;
      if (imported.name !== undefined && imported.name !== simple && module) {
        const inner = await this.inPackage(module, `c:${simple}`, (f) => classIn(f, simple));
        if (inner) return inner;
      }
      return null;
    }
    for (const whole of facts.imports.filter((i) => i.local === '*')) {
      const module = await this.program.module(facts.path, whole.module);
      const found = module && (await this.inPackage(module, `c:${simple}`, (f) => classIn(f, simple)));
      if (found) return found;
    }
    const mate = await this.inPackage(facts, `c:${simple}`, (f) => classIn(f, simple));
    if (mate) return mate;
    if (this.program.front.typesAnywhere) {
      for (const declaring of await this.program.typeDeclarations(simple, facts)) {
        const found = classIn(declaring, simple);
        if (found) return found;
      }
    }
    return null;
  }

  /**
   * The first hit of `find` in a file, then in the other files of its package that declare `key`
   * (the package's declarations are indexed once, so a miss reads nothing).
   */
  private async inPackage<T>(
    facts: FileFacts,
    key: string,
    find: (f: FileFacts) => T | null,
  ): Promise<T | null> {
    const own = find(facts);
    if (own) return own;
    for (const mate of await this.program.packageDeclaring(facts, key)) {
      const found = find(mate);
      if (found) return found;
    }
    return null;
  }

  /** Assignments to field `name` of a class, in its file and the other files of its package. */
  private async fieldWrites(
    owner: ClassRef,
    name: string,
  ): Promise<{ facts: FileFacts; write: AssignmentFact }[]> {
    const writes: { facts: FileFacts; write: AssignmentFact }[] = [];
    const mates = await this.program.packageDeclaring(owner.facts, `m:${owner.cls.name}`);
    for (const facts of [owner.facts, ...mates]) {
      for (const write of facts.assignments) {
        const target = write.target;
        if (target.kind === 'field' && target.className === owner.cls.name && target.name === name)
          writes.push({ facts, write });
      }
    }
    return writes;
  }

  /**
   * The class of the value an expression holds, when the program says: the receiver, a parameter's
   * declared type or default, a variable or field assigned a constructor call.
   */
  async typeOf(expr: Expr, scope: Scope, trail: Trail, depth = 0): Promise<ClassRef | null> {
    if (depth > MAX_HOPS) return null;
    switch (expr.k) {
      case 'self': {
        const cls = scope.className ? scope.facts.classes.find((c) => c.name === scope.className) : undefined;
        return cls ? { facts: scope.facts, cls } : null;
      }
      case 'call': {
        const callee = expr.callee;
        const named =
          callee.k === 'name'
            ? await this.classNamed(callee.name, scope.facts)
            : callee.k === 'member' && callee.object.k === 'name'
              ? await this.classNamed(`${callee.object.name}.${callee.name}`, scope.facts)
              : null;
        if (named) return named;
        // A factory (`DefaultConfig()`, `config.Default()`, `FixedDelay::new(ms)`): the class of what it
        // returns. Only plain and imported functions, and functions of a class named as the receiver:
        // following a method would need the receiver's type, which may be this call's.
        const plain =
          callee.k === 'name' ||
          (callee.k === 'member' &&
            callee.object.k === 'name' &&
            (scope.facts.imports.some((i) => i.local === (callee.object as { name: string }).name) ||
              !!(await this.classNamed(callee.object.name, scope.facts))));
        const factory = plain ? await this.functionOf(callee, scope) : null;
        if (factory?.fn.isConstructor && factory.fn.className && callee.k === 'member')
          return this.classNamed(factory.fn.className, factory.facts);
        if (!factory || factory.fn.isConstructor) return null;
        for (const ret of factory.fn.returns) {
          const found = await this.typeOf(ret, scopeIn(factory.facts, factory.fn.id), trail, depth + 1);
          if (found) return found;
        }
        return null;
      }
      case 'name': {
        for (
          let fn = scope.fn;
          fn;
          fn = fn.parent === undefined ? undefined : scope.facts.functions[fn.parent]
        ) {
          const param = fn.params.find((p) => p.name === expr.name);
          if (param) {
            const declared = param.type ? await this.classNamed(param.type, scope.facts) : null;
            if (declared || param.default)
              return declared ?? this.typeOf(param.default!, scope, trail, depth + 1);
            return this.typeFromCallers({ facts: scope.facts, fn }, fn.params.indexOf(param), trail, depth);
          }
          const writes = scope.facts.assignments.filter(
            (a) => a.fn === fn!.id && a.target.kind === 'name' && a.target.name === expr.name,
          );
          for (const write of writes) {
            const found = await this.typeOf(write.value, { ...scope, fn }, trail, depth + 1);
            if (found) return found;
          }
          if (writes.length > 0) return null;
        }
        const global = scope.facts.assignments.find(
          (a) => a.fn === undefined && a.target.kind === 'name' && a.target.name === expr.name,
        );
        if (global)
          return this.typeOf(global.value, { facts: scope.facts, counters: new Set() }, trail, depth + 1);
        return this.classNamed(expr.name, scope.facts);
      }
      case 'either': {
        // `retry or RetryConfig()`, `opts ?? new Defaults()`: what a caller hands over is of the class
        // the code falls back to (its constructions elsewhere are followed with the class's fields).
        let found: ClassRef | null = null;
        for (const option of expr.options) {
          const type = await this.typeOf(option, scope, trail, depth + 1);
          if (type && found && type.cls !== found.cls) return null;
          found = type ?? found;
        }
        return found;
      }
      case 'member': {
        const owner = await this.typeOf(expr.object, scope, trail, depth + 1);
        if (!owner) return null;
        for (let cls: ClassRef | null = owner, d = 0; cls && d < MAX_HOPS; d += 1) {
          const declared = cls.cls.fieldTypes?.[expr.name];
          if (declared) return this.classNamed(declared, cls.facts);
          const writes = await this.fieldWrites(cls, expr.name);
          for (const { facts: at, write } of writes) {
            const scope = scopeIn(at, write.fn, { className: cls.cls.name });
            const found = await this.typeOf(write.value, scope, trail, depth + 1);
            if (found) return found;
          }
          if (writes.length > 0) return null;
          cls = await this.baseOf(cls);
        }
        return null;
      }
      default:
        return null;
    }
  }

  /**
   * The class a parameter of no class type holds (a generic `I: IntoIterator<Item = Duration>`): the
   * one class every call by its name passes, when they agree. Calls are matched by name and arity,
   * not resolved: resolving them reads types, which may lead back here.
   */
  private async typeFromCallers(
    { facts, fn }: FunctionRef,
    index: number,
    trail: Trail,
    depth: number,
  ): Promise<ClassRef | null> {
    const key = `t:${facts.path}:${fn.id}:${index}`;
    if (trail.resolving.has(key)) return null;
    const inner: Trail = { ...trail, resolving: new Set([...trail.resolving, key]) };
    let found: ClassRef | null = null;
    for (const site of await this.program.callsNamed(calledAs(fn), facts)) {
      const call = site.fact;
      if (call.spread || call.args.length !== fn.params.length) continue;
      const type = await this.typeOf(call.args[index]!, scopeIn(site.facts, call.fn), inner, depth + 1);
      if (!type || (found && found.cls !== type.cls)) return null;
      found = type;
    }
    return found;
  }

  // ---- calls --------------------------------------------------------------------------------

  /** What a helper returns for these arguments: its returns, with the parameters bound. */
  private async call(expr: Extract<Expr, { k: 'call' }>, scope: Scope, trail: Trail): Promise<DelayValue> {
    const target = await this.functionOf(
      expr.callee,
      scope,
      false,
      expr.spread ? undefined : expr.args.length,
    );
    if (!target) {
      // Calling a generator, or a method of one, draws from it (`rng()` of `const rng =
      // seedrandom('retry')`, `prng.next()` of `new Prando(42)`).
      const generator = generatorCalled(expr.callee);
      const source = generator ? await this.generatorSource(generator, scope, trail) : null;
      if (source === 'own') trail.draws.genuine = true;
      return source ? { kind: 'random' } : UNKNOWN(`\`${show(expr.callee)}\` could not be followed`);
    }
    const { facts, fn } = target;
    if (fn.random) {
      trail.evidence.push(`\`${fn.name}\` draws a random number (${where(facts, fn.line)})`);
      // What it returns says where its draws come from (a generator every process seeds alike, or
      // not) and how widely they fall; a helper that draws is random whatever else it returns.
      const probe = probeOf(trail);
      const value = await this.returned(expr, target, scope, probe);
      if (value.kind === 'random' && !probe.draws.genuine && probe.draws.seeded.length > 0) {
        absorb(trail.draws, probe.draws);
        for (const line of probe.evidence) if (!trail.evidence.includes(line)) trail.evidence.push(line);
      } else trail.draws.genuine = true;
      return value.kind === 'random' ? value : RANDOM;
    }
    const named = JITTER_NAME.test(fn.name) ? await this.namedOnlyJitter(expr, scope, trail, target) : null;
    return named ?? this.returned(expr, target, scope, trail);
  }

  /** What a helper of the repository returns for the arguments of one call of it. */
  private async returned(
    expr: Extract<Expr, { k: 'call' }>,
    { facts, fn }: FunctionRef,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    if (fn.returns.length === 0 || fn.isConstructor)
      return UNKNOWN(`\`${fn.name}\` returns no delay that can be followed`);
    if (trail.hops >= MAX_HOPS) return UNKNOWN('resolution too deep');
    const key = `c:${facts.path}:${fn.id}`;
    if (trail.resolving.has(key)) return UNKNOWN(`\`${fn.name}\` calls itself`);
    const inner: Trail = { ...trail, hops: trail.hops + 1, resolving: new Set([...trail.resolving, key]) };
    const bindings = new Map<string, DelayValue>();
    for (const [index, param] of fn.params.entries()) {
      const given = argumentFor(expr, param, index, fn);
      const arg = given === OPAQUE ? undefined : given;
      if (arg) bindings.set(param.name, await this.evaluate(arg, scope, inner));
      else if (param.default)
        bindings.set(
          param.name,
          await this.evaluate(param.default, { facts, className: fn.className, counters: new Set() }, inner),
        );
      else bindings.set(param.name, UNKNOWN(`\`${param.name}\` is not passed to \`${fn.name}\``));
    }
    const values: DelayValue[] = [];
    for (const ret of fn.returns) {
      values.push(
        await this.evaluate(
          ret,
          { facts, fn, className: fn.className, bindings, counters: new Set() },
          inner,
        ),
      );
    }
    const value = joinValues(values);
    if (value.kind !== 'unknown' && value.kind !== 'random')
      trail.evidence.push(`\`${fn.name}(…)\` returns ${describe(value)} (${where(facts, fn.line)})`);
    for (const line of inner.evidence) if (!trail.evidence.includes(line)) trail.evidence.push(line);
    return value;
  }

  /**
   * A random draw. It is jitter only if it differs between processes: a draw from a generator seeded
   * with a constant is the same for every client, and a helper only named as jitter is followed to
   * what it really returns.
   */
  private async random(
    expr: Extract<Expr, { k: 'random' }>,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    if (expr.via) {
      const followed = await this.namedOnlyJitter(expr.via, scope, trail);
      if (followed) return followed;
    }
    const source = expr.from ? await this.generatorSource(expr.from, scope, trail) : null;
    if (source !== 'seeded') trail.draws.genuine = true;
    return this.draw(expr, scope, trail);
  }

  /**
   * What generator `expr` holds: `seeded` when on every path it is one seeded with a constant (its
   * making is then recorded in the trail's draws), `own` when it is one seeding itself or seeded at
   * run time, null when no generator's making reaches it.
   */
  private async generatorSource(expr: Expr, scope: Scope, trail: Trail): Promise<'seeded' | 'own' | null> {
    const probe = probeOf(trail);
    const value = await this.evaluate(expr, scope, probe);
    if (value.kind !== 'const' || probe.draws.seeded.length === 0)
      return probe.draws.generator ? 'own' : null;
    absorb(trail.draws, probe.draws);
    for (const at of probe.draws.seeded)
      trail.evidence.push(`${at} is seeded with a constant: every process draws the same sequence from it`);
    return 'seeded';
  }

  /**
   * A generator being made, evaluated as its seed: a constant seed is one every process shares (the
   * making is recorded); a generator that seeds itself, or a seed read at run time, differs.
   */
  private async generator(
    expr: Extract<Expr, { k: 'generator' }>,
    scope: Scope,
    trail: Trail,
  ): Promise<DelayValue> {
    trail.draws.generator = true;
    if (!expr.seed) return UNKNOWN(`\`${expr.what}\` seeds itself`);
    const seed = await this.evaluate(expr.seed, scope, probeOf(trail));
    if (seed.kind !== 'const') return UNKNOWN(`the seed of \`${expr.what}\` is not a constant`);
    trail.draws.seeded.push(`\`${expr.what}\` (${where(scope.facts, expr.line)})`);
    return seed;
  }

  /**
   * A call that only its name says draws (`with_jitter(delay)`), of a helper of the repository whose
   * body draws nothing: what it returns, when that is a delay every client shares.
   */
  private async namedOnlyJitter(
    call: Extract<Expr, { k: 'call' }>,
    scope: Scope,
    trail: Trail,
    resolved?: FunctionRef,
  ): Promise<DelayValue | null> {
    const target =
      resolved ??
      (await this.functionOf(call.callee, scope, false, call.spread ? undefined : call.args.length));
    if (!target || target.fn.random || target.fn.isConstructor || target.fn.returns.length === 0) return null;
    const probe = probeOf(trail);
    const value = await this.returned(call, target, scope, probe);
    if (!isDeterministic(value) || probe.draws.genuine) return null;
    absorb(trail.draws, probe.draws);
    const at = `\`${target.fn.name}\` (${where(target.facts, target.fn.line)})`;
    if (!trail.draws.namedOnly.includes(at)) trail.draws.namedOnly.push(at);
    trail.evidence.push(
      `${at} is named as jitter but draws no random number: it returns ${value.kind === 'const' ? this.amount(value.ms) : describe(value)}`,
    );
    for (const line of probe.evidence) if (!trail.evidence.includes(line)) trail.evidence.push(line);
    return value;
  }

  /**
   * The function a callee names: a nested or module-level function, a method of the receiver's
   * class (or its bases), a function of an imported module, a method of an object whose class the
   * program shows. `constructors`: a class name resolves to its constructor.
   */
  async functionOf(
    callee: Expr,
    scope: Scope,
    constructors = false,
    /** Arguments the call passes: among overloads of a method or constructor, the one taking as many. */
    arity?: number,
  ): Promise<FunctionRef | null> {
    const { facts } = scope;
    if (callee.k === 'name') {
      const name = callee.name;
      for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
        const nested = facts.functions.find((f) => f.parent === fn!.id && f.name === name && !f.className);
        if (nested) return { facts, fn: nested };
      }
      const top = functionIn(facts, name);
      if (top) return top;
      const cls = await this.classNamed(name, facts);
      if (cls) return constructors ? this.constructorOf(cls, arity) : null;
      const imported = facts.imports.find((i) => i.local === name);
      if (imported?.name !== undefined) {
        const module = await this.program.module(facts.path, imported.module);
        if (!module) return null;
        const found = await this.inPackage(module, `f:${imported.name}`, (f) =>
          functionIn(f, imported.name!),
        );
        return found ?? (await this.reexported(module, imported.name));
      }
      // Languages with an implicit receiver call their own methods by bare name.
      const own = scope.className ? facts.classes.find((c) => c.name === scope.className) : undefined;
      const method = own ? await this.methodOf({ facts, cls: own }, name) : null;
      if (method) return method;
      return this.inPackage(facts, `f:${name}`, (f) => functionIn(f, name));
    }
    if (callee.k === 'member') {
      if (callee.object.k === 'self' && scope.className) {
        const cls = facts.classes.find((c) => c.name === scope.className);
        return cls ? this.methodOf({ facts, cls }, callee.name, arity) : null;
      }
      if (callee.object.k === 'name') {
        const imported = facts.imports.find((i) => i.local === (callee.object as { name: string }).name);
        if (imported && !this.shadowed(imported.local, scope)) {
          const reference =
            imported.name === undefined
              ? imported.module
              : this.program.front.submodule(imported.module, imported.name);
          const module = await this.program.module(facts.path, reference);
          const fn =
            module && (await this.inPackage(module, `f:${callee.name}`, (f) => functionIn(f, callee.name)));
          if (fn) return fn;
        }
      }
      const owner = await this.typeOf(callee.object, scope, newTrail());
      if (owner) return this.methodOf(owner, callee.name, arity);
    }
    return null;
  }

  private async methodOf(owner: ClassRef, name: string, arity?: number): Promise<FunctionRef | null> {
    for (let cls: ClassRef | null = owner, depth = 0; cls && depth < MAX_HOPS; depth += 1) {
      const className = cls.cls.name;
      const method = await this.inPackage(cls.facts, `m:${className}`, (facts) => {
        const fn = overload(
          facts.functions.filter((f) => f.className === className && f.name === name),
          arity,
        );
        return fn ? { facts, fn } : null;
      });
      if (method) return method;
      cls = await this.baseOf(cls);
    }
    return null;
  }

  private constructorOf(owner: ClassRef, arity?: number): FunctionRef | null {
    const fn = overload(
      owner.facts.functions.filter((f) => f.className === owner.cls.name && f.isConstructor),
      arity,
    );
    return fn ? { facts: owner.facts, fn } : null;
  }
}

/** What a call that follows to no function may draw from: the callee itself, or the object of a method (a name or a field). */
function generatorCalled(callee: Expr): Expr | null {
  const plain = (e: Expr) => e.k === 'name' || (e.k === 'member' && e.object.k === 'self');
  if (plain(callee)) return callee;
  return callee.k === 'member' && plain(callee.object) ? callee.object : null;
}

/** Of functions sharing a name (overloads), the one taking `arity` parameters, else the first. */
/** A call whose splat may supply the parameter: what it passes cannot be seen. */
const OPAQUE = Symbol('opaque');

/**
 * What a call passes for a parameter: by name, else by position. A splat hides positions, but a
 * splat of positional arguments cannot supply a keyword-only parameter, so its default stands.
 */
function argumentFor(
  call: Pick<CallFact, 'args' | 'named' | 'callee'> & Partial<Pick<CallFact, 'spread' | 'positionalSpread'>>,
  param: ParamFact,
  index: number,
  fn: FunctionFact,
): Expr | undefined | typeof OPAQUE {
  const named = call.named.find(([n]) => n === param.name)?.[1];
  if (named) return named;
  // `task.Retry(5, 200)` of `Retry(this Task task, int n, int wait)`: the receiver, then the rest.
  const callee = call.callee;
  if (
    fn.extension &&
    callee.k === 'member' &&
    !(callee.object.k === 'name' && callee.object.name === fn.className)
  ) {
    if (index === 0) return callee.object;
    index -= 1;
  }
  if (param.keywordOnly) return call.spread && !call.positionalSpread ? OPAQUE : undefined;
  return call.spread ? OPAQUE : call.args[index];
}

function overload(candidates: FunctionFact[], arity: number | undefined): FunctionFact | undefined {
  return (
    (arity === undefined ? undefined : candidates.find((f) => f.params.length === arity)) ?? candidates[0]
  );
}

/** Whether function `inner`, nested in `outer`, assigns `name` of `outer` (a `nonlocal` delay or counter). */
function rebinds(facts: FileFacts, inner: number, outer: number, name: string): boolean {
  const fn = facts.functions[inner];
  if (!fn?.enclosingNames?.includes(name)) return false;
  for (let up = fn.parent; up !== undefined; up = facts.functions[up]?.parent) if (up === outer) return true;
  return false;
}

/**
 * The full name under which `facts` declares the constant written `name`: `name` itself, or `name`
 * inside further modules (`Outer::name`), whichever is longest (a file declares a constant under each
 * of its nestings).
 */
function declaredName(facts: FileFacts, name: string): string | undefined {
  let longest: string | undefined;
  for (const a of facts.assignments) {
    if (a.fn !== undefined || a.target.kind !== 'name') continue;
    const declared = a.target.name;
    if ((declared === name || declared.endsWith(`::${name}`)) && declared.length > (longest?.length ?? 0))
      longest = declared;
  }
  return longest;
}

/** Whether a file binds `name` at module level (a constant or a function). */
function declares(facts: FileFacts, name: string): boolean {
  return facts.assignments.some(
    (a) => a.fn === undefined && a.target.kind === 'name' && a.target.name === name,
  );
}

/** Whether an expression reads field `name` of the receiver. */
function mentionsField(expr: Expr, name: string): boolean {
  return contains(expr, (e) => e.k === 'member' && e.object.k === 'self' && e.name === name);
}

/**
 * A value handed back changed (`{ delay: delay * 2 }` to the function it came from) is not the value it
 * came from: scaled by a constant each time it grows exponentially, stepped by one it grows linearly;
 * any other change is not followed.
 */
function grownFromItself(expr: Extract<Expr, { k: 'binary' }>, other: DelayValue): DelayValue {
  if (other.kind === 'random') return RANDOM;
  const step = other.kind === 'const' ? other.ms : 0;
  if ((expr.op === '*' && step > 1) || (expr.op === '<<' && step > 0)) return { kind: 'exponential' };
  if (expr.op === '+' && step > 0) return { kind: 'linear' };
  return UNKNOWN(`\`${show(expr)}\` is computed from itself`);
}

/**
 * Multiplying or shifting a value by itself each time is exponential; adding to it is linear, except
 * adding it to itself (`d = d + d` doubles it).
 */
function growthOf(expr: Expr): 'exponential' | 'linear' {
  if (expr.k === 'binary' && expr.op === '+' && show(expr.left) === show(expr.right)) return 'exponential';
  const text = show(expr);
  return /\*|<<|\bpow\b/.test(text) ? 'exponential' : 'linear';
}

export { NEVER as NEVER_VALUE, CYCLE as CYCLE_VALUE };

/**
 * One engine per review and language: a review hands every file the same `ModuleHost`, so facts and
 * the repository index built for one file serve the next. The index reads files nearest the file
 * being analysed first.
 */
export class EnginePerReview {
  private readonly engines = new WeakMap<ModuleHost, { engine: FlowEngine; current: { path: string } }>();

  /** One front end for every repository, or one built per repository (Go reads the host's `go.mod`). */
  constructor(private readonly front: FrontEnd | ((host: ModuleHost) => FrontEnd)) {}

  for(host: ModuleHost, path: string): FlowEngine {
    let state = this.engines.get(host);
    if (!state) {
      const current = { path };
      const front = typeof this.front === 'function' ? this.front(host) : this.front;
      state = { engine: new FlowEngine(new Program(host, front, () => current.path)), current };
      this.engines.set(host, state);
    }
    state.current.path = path;
    return state.engine;
  }
}
