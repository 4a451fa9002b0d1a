import { NestingGuardedEvaluator } from '../tree-sitter/nesting-guard.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import { SERVER_HINT_NAME } from '../../context.js';
import { constMs, foldBinary, numericLiteral } from '../tree-sitter/durations.js';
import { MAX_RESOLUTION_DEPTH, withFragment, type SummaryCache } from '../tree-sitter/modules.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import {
  keywordArguments,
  mentionsName,
  modulePaths,
  parameterNames,
  positionalArguments,
  qualifiedCallee,
  RANDOM_CALL,
  type PyFunction,
  type PyImport,
  type PyModule,
} from './module.js';

/**
 * Constant folding of Python delay expressions, in the expression's own unit (seconds for
 * `time.sleep`, milliseconds for `retrying`): literals, arithmetic, module constants, class
 * attributes, names imported from other modules of the repository, `min`/`max`, `timedelta`, and
 * small helpers whose single `return` can be inlined.
 */

export interface PyEnv {
  module: PyModule;
  /** The function the expression sits in (its local assignments are in scope); null for module level. */
  fn: Node | null;
  /** Name of the enclosing class, for `self.X` and `cls.X`. */
  cls: string | null;
  /** Names that change between attempts. */
  counters: ReadonlySet<string>;
  /** Parameter values while a helper's `return` is inlined. */
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  /** Facts established while resolving, for the finding's evidence. */
  evidence: string[];
  /** Locals and constants being resolved on this path: a name that refers back to itself is unknown. */
  resolving?: ReadonlySet<string>;
}

/** Evaluations run one at a time: two concurrent chains through the constant cache could wait on each other. */
async function sequential<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await run(item));
  return out;
}

function resolvingWith(env: PyEnv, key: string): ReadonlySet<string> {
  return new Set([...(env.resolving ?? []), key]);
}

const PASS_THROUGH = new Set([
  'int',
  'float',
  'round',
  'abs',
  'math.ceil',
  'math.floor',
  'math.trunc',
  'Decimal',
  'decimal.Decimal',
]);
const ENVIRONMENT = /^os\.(environ|getenv)|\.environ\b|getenv|\bconfig\b.*\.get\(|settings\.get\(/;
/** `timedelta` keyword → seconds per unit. */
const TIMEDELTA_SECONDS: Record<string, number> = {
  weeks: 604_800,
  days: 86_400,
  hours: 3_600,
  minutes: 60,
  seconds: 1,
  milliseconds: 0.001,
  microseconds: 0.000_001,
};
const TIMEDELTA_ORDER = ['days', 'seconds', 'microseconds', 'milliseconds', 'minutes', 'hours', 'weeks'];
const LOOP_TYPES = new Set(['for_statement', 'while_statement']);
const SCOPE_BOUNDARIES = new Set(['function_definition', 'lambda', 'class_definition']);

/** Random draws anywhere in an expression (not following calls). */
export function containsRandom(node: Node, imports: ReadonlyMap<string, PyImport>): boolean {
  const calls =
    node.type === 'call' ? [node, ...descendantsOfTypes(node, CALL)] : descendantsOfTypes(node, CALL);
  return calls.some((call) => {
    const callee = field(call, 'function');
    return !!callee && RANDOM_CALL.test(qualifiedCallee(callee, imports));
  });
}

const CALL = new Set(['call']);
const LOCAL_WRITES = new Set(['assignment', 'augmented_assignment', 'for_statement']);

export class PyEvaluator extends NestingGuardedEvaluator<PyEnv> {
  /** Values of module constants, per module path and name: each is folded once per scan. */
  private readonly constants = new Map<string, Promise<DelayValue>>();

  constructor(readonly modules: SummaryCache<PyModule>) {
    super();
  }

  protected async evaluateNode(node: Node, env: PyEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    switch (node.type) {
      case 'integer':
      case 'float': {
        const value = numericLiteral(node.text.replace(/[jJ]$/, ''));
        return value === null ? UNKNOWN(`\`${node.text}\``) : constMs(value);
      }
      case 'parenthesized_expression':
      case 'expression_statement':
        return node.namedChild(0) ? this.evaluate(node.namedChild(0)!, env) : UNKNOWN('empty');
      case 'unary_operator': {
        const inner = await this.evaluate(field(node, 'argument')!, env);
        const operator = field(node, 'operator')?.text;
        if (operator === '-' && inner.kind === 'const') return constMs(-inner.ms);
        return operator === '+' || operator === '-' ? inner : UNKNOWN('operator');
      }
      case 'binary_operator': {
        const left = await this.evaluate(field(node, 'left')!, env);
        const right = await this.evaluate(field(node, 'right')!, env);
        return foldBinary(field(node, 'operator')?.text ?? '', left, right);
      }
      case 'boolean_operator': {
        // `delay or 5`: either may be the value.
        const left = await this.evaluate(field(node, 'left')!, env);
        const right = await this.evaluate(field(node, 'right')!, env);
        return dominant(left, right);
      }
      case 'conditional_expression': {
        const [whenTrue, , whenFalse] = namedChildren(node);
        if (!whenTrue || !whenFalse) return UNKNOWN('conditional');
        const a = await this.evaluate(whenTrue, env);
        const b = await this.evaluate(whenFalse, env);
        // Either branch may run; the longer constant is the wait that matters.
        if (a.kind === 'const' && b.kind === 'const') return constMs(Math.max(a.ms, b.ms));
        return dominant(a, b);
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'attribute':
        return this.attribute(node, env);
      case 'call':
        return this.call(node, env);
      case 'subscript':
        return this.subscript(node, env);
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async identifier(node: Node, env: PyEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    if (SERVER_HINT_NAME.test(name)) return { kind: 'server' };
    if (env.resolving?.has(name)) return UNKNOWN(`\`${name}\` refers to itself`);
    if (env.fn) {
      const local = await this.local(name, env.fn, env);
      if (local) return local;
    }
    return this.moduleName(env.module, name, env);
  }

  /** A name as the module sees it: a constant, or something imported from another module. */
  async moduleName(module: PyModule, name: string, env: PyEnv): Promise<DelayValue> {
    if (module.constants.has(name)) return this.constant(module, name, env);
    const imported = module.imports.get(name);
    if (imported?.name) {
      const target = await this.importedModule(module.path, imported.module, env.depth + 1);
      if (!target)
        return UNKNOWN(`\`${name}\` comes from \`${imported.module}\`, which is not in the repository`);
      const value = await this.moduleName(target, imported.name, {
        ...env,
        module: target,
        fn: null,
        cls: null,
        bindings: undefined,
        depth: env.depth + 1,
      });
      if (value.kind === 'const' && target.path !== env.module.path)
        env.evidence.push(`\`${name}\` is ${value.ms} (${target.path})`);
      return value;
    }
    return UNKNOWN(`\`${name}\` is not a constant`);
  }

  /** Folds a module-level constant once per scan. */
  private constant(module: PyModule, name: string, env: PyEnv): Promise<DelayValue> {
    const key = `${module.path}\0${name}`;
    if (env.resolving?.has(key)) return Promise.resolve(UNKNOWN(`\`${name}\` is defined in terms of itself`));
    let pending = this.constants.get(key);
    if (!pending) {
      const text = module.constants.get(name)!;
      pending = this.fragment(text, {
        ...env,
        module,
        fn: null,
        cls: null,
        bindings: undefined,
        counters: new Set(),
        depth: env.depth + 1,
        evidence: [],
        resolving: resolvingWith(env, key),
      });
      this.constants.set(key, pending);
    }
    return pending;
  }

  /** Evaluates expression text kept in a summary by parsing it on its own. */
  async fragment(text: string, env: PyEnv): Promise<DelayValue> {
    const value = await withFragment('python', '', text, '\n', (node) => this.evaluate(node, env)).catch(
      () => null,
    );
    return value ?? UNKNOWN('expression could not be parsed');
  }

  /** The summary of the module `reference` (`.settings`, `app.config`) imported from `fromPath`. */
  async importedModule(fromPath: string, reference: string, depth: number): Promise<PyModule | null> {
    if (depth > MAX_RESOLUTION_DEPTH) return null;
    for (const candidate of modulePaths(fromPath, reference)) {
      const summary = await this.modules.get(candidate);
      if (summary) return summary;
    }
    return null;
  }

  /**
   * A variable of the enclosing function: assigned constants stay constant, `delay *= 2` makes a
   * backoff, `delay += step` a linear one; a loop over a literal list of delays is a schedule.
   * Null when the function does not bind the name (it is then a module name).
   */
  private async local(name: string, fn: Node, env: PyEnv): Promise<DelayValue | null> {
    if (parameterNames(fn).includes(name)) {
      return UNKNOWN(`\`${name}\` is a parameter`);
    }
    const assignments: Node[] = [];
    let schedule: Node | null = null;
    const body = field(fn, 'body');
    if (!body) return null;
    for (const node of descendantsOfTypes(body, LOCAL_WRITES, SCOPE_BOUNDARIES)) {
      const left = field(node, 'left');
      if (node.type === 'for_statement') {
        if (left?.text === name) schedule = field(node, 'right');
      } else if (left?.type === 'identifier' && left.text === name) {
        assignments.push(node);
      }
    }
    if (schedule) return this.table(schedule, UNKNOWN('loop value'), env);
    if (assignments.length === 0) return null;
    let value: DelayValue | null = null;
    for (const assignment of assignments) {
      const right = field(assignment, 'right');
      if (!right) continue;
      const inner = {
        ...env,
        counters: new Set([...env.counters, name]),
        depth: env.depth + 1,
        resolving: resolvingWith(env, name),
      };
      if (assignment.type === 'assignment') {
        const rhs = await this.evaluate(right, { ...inner, counters: env.counters });
        if (value === null) {
          value = rhs;
          continue;
        }
        const selfReferencing = await this.evaluate(right, inner);
        // `delay = delay * 2`, `delay = min(delay * 2, cap)`: grows from its previous value.
        if (selfReferencing.kind === 'linear' && /\*|<</.test(right.text) && mentionsName(right, name)) {
          value = dominant(value, { kind: 'exponential' });
        } else {
          value =
            rhs.kind === 'const' && value.kind === 'const'
              ? constMs(Math.max(rhs.ms, value.ms))
              : dominant(value, rhs);
        }
        continue;
      }
      const operator =
        assignment.children.find((child) => child && !child.isNamed && /=$/.test(child.type))?.type ?? '';
      const rhs = await this.evaluate(right, inner);
      const base: DelayValue = value ?? UNKNOWN('uninitialised');
      if (operator === '*=' || operator === '**=' || operator === '<<=') {
        value =
          rhs.kind === 'const' && rhs.ms === 1
            ? base
            : dominant(base, { kind: 'exponential', factor: rhs.kind === 'const' ? rhs.ms : undefined });
      } else if (operator === '+=' || operator === '-=') {
        value =
          rhs.kind === 'const' && rhs.ms === 0
            ? base
            : dominant(base, rhs.kind === 'const' ? { kind: 'linear' } : rhs);
      } else {
        value = dominant(base, UNKNOWN('reassigned'));
      }
    }
    return value;
  }

  /** A literal list or tuple of delays walked or indexed by the attempt: its shape is the schedule's. */
  private async table(node: Node, index: DelayValue, env: PyEnv): Promise<DelayValue> {
    if (node.type !== 'list' && node.type !== 'tuple') return UNKNOWN('not a literal schedule');
    const values = await sequential(namedChildren(node), (element) => this.evaluate(element, env));
    if (values.length === 0) return UNKNOWN('empty schedule');
    if (values.some((v) => v.kind !== 'const')) return values.reduce(dominant);
    const numbers = values.map((v) => (v as { ms: number }).ms);
    if (index.kind === 'const') return constMs(numbers[index.ms] ?? numbers[numbers.length - 1]!);
    if (numbers.every((n) => n === numbers[0])) return constMs(numbers[0]!);
    const ratios = numbers.slice(1).map((n, i) => n / numbers[i]!);
    const geometric = ratios.length > 0 && ratios.every((r) => r >= 1.5);
    return geometric ? { kind: 'exponential', baseMs: numbers[0] } : { kind: 'linear', baseMs: numbers[0] };
  }

  private async subscript(node: Node, env: PyEnv): Promise<DelayValue> {
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    const value = field(node, 'value');
    const subscript = field(node, 'subscript');
    if (!value || !subscript) return UNKNOWN('subscript');
    const table: Node | null = value.type === 'list' || value.type === 'tuple' ? value : null;
    if (!table && value.type === 'identifier' && env.module.constants.has(value.text)) {
      const text = env.module.constants.get(value.text)!;
      const index = await this.evaluate(subscript, env);
      const folded = await withFragment('python', '', text, '\n', (literal) =>
        this.table(literal, index, { ...env, fn: null, depth: env.depth + 1 }),
      ).catch(() => null);
      return folded ?? UNKNOWN('indexed value');
    }
    if (!table) return UNKNOWN(`\`${node.text}\` is read at run time`);
    return this.table(table, await this.evaluate(subscript, env), env);
  }

  private async attribute(node: Node, env: PyEnv): Promise<DelayValue> {
    const text = node.text;
    if (ENVIRONMENT.test(text)) return UNKNOWN('environment variable');
    if (SERVER_HINT_NAME.test(text)) return { kind: 'server' };
    if (env.counters.has(text)) return { kind: 'counter', name: text };
    const object = field(node, 'object');
    const attribute = field(node, 'attribute')?.text ?? '';
    if (!object) return UNKNOWN('attribute');
    if ((object.text === 'self' || object.text === 'cls') && env.cls) {
      return this.classAttribute(env.module, env.cls, attribute, env);
    }
    if (object.type === 'identifier') {
      const name = object.text;
      if (env.module.classes.has(name)) return this.classAttribute(env.module, name, attribute, env);
      const imported = env.module.imports.get(name);
      if (imported) {
        // `import app.settings as settings`, `from app import settings` (a submodule), or a class imported by name.
        const reference = imported.name ? joinModule(imported.module, imported.name) : imported.module;
        const target = await this.importedModule(env.module.path, reference, env.depth + 1);
        if (target) {
          const value = await this.moduleName(target, attribute, {
            ...env,
            module: target,
            fn: null,
            cls: null,
            bindings: undefined,
            depth: env.depth + 1,
          });
          if (value.kind === 'const') env.evidence.push(`\`${text}\` is ${value.ms} (${target.path})`);
          return value;
        }
        if (imported.name) {
          const owner = await this.importedModule(env.module.path, imported.module, env.depth + 1);
          if (owner?.classes.has(imported.name))
            return this.classAttribute(owner, imported.name, attribute, env);
        }
      }
    }
    return UNKNOWN(`\`${text}\` is read at run time`);
  }

  private async classAttribute(
    module: PyModule,
    cls: string,
    attribute: string,
    env: PyEnv,
  ): Promise<DelayValue> {
    const text = module.classes.get(cls)?.get(attribute);
    if (text === undefined || text === '') return UNKNOWN(`\`${attribute}\` may change at run time`);
    return this.fragment(text, {
      ...env,
      module,
      fn: null,
      cls,
      bindings: undefined,
      counters: new Set(),
      depth: env.depth + 1,
    });
  }

  private async call(node: Node, env: PyEnv): Promise<DelayValue> {
    const callee = field(node, 'function');
    if (!callee) return UNKNOWN('call');
    const name = qualifiedCallee(callee, env.module.imports);
    if (RANDOM_CALL.test(name) || containsRandom(node, env.module.imports)) return { kind: 'random' };
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    if (ENVIRONMENT.test(name)) return UNKNOWN('environment variable');
    const args = positionalArguments(node);
    if (PASS_THROUGH.has(name) && args[0]) return this.evaluate(args[0], env);
    if ((name === 'min' || name === 'max') && args.length > 0) {
      return minMax(name, await sequential(args, (arg) => this.evaluate(arg, env)));
    }
    if ((name === 'pow' || name === 'math.pow') && args[0] && args[1]) {
      return power(await this.evaluate(args[0], env), await this.evaluate(args[1], env));
    }
    if (/(^|\.)timedelta$/.test(name)) return this.timedelta(node, env);
    // `timedelta(seconds=5).total_seconds()`
    if (callee.type === 'attribute' && field(callee, 'attribute')?.text === 'total_seconds') {
      const object = field(callee, 'object');
      return object ? this.evaluate(object, env) : UNKNOWN('total_seconds');
    }
    const target = await this.functionOf(callee, env);
    if (!target) return UNKNOWN(`\`${callee.text}\` could not be followed`);
    return this.inline(target.fn, target.module, node, env);
  }

  /** `timedelta(seconds=5)`, `timedelta(0, 5)`: in seconds, the unit Python sleeps take. */
  private async timedelta(node: Node, env: PyEnv): Promise<DelayValue> {
    let total: DelayValue = constMs(0);
    const positional = positionalArguments(node);
    for (const [index, arg] of positional.entries()) {
      const unit = TIMEDELTA_ORDER[index];
      if (!unit) return UNKNOWN('timedelta');
      total = foldBinary(
        '+',
        total,
        foldBinary('*', await this.evaluate(arg, env), constMs(TIMEDELTA_SECONDS[unit]!)),
      );
    }
    for (const [keyword, { value }] of keywordArguments(node)) {
      const seconds = TIMEDELTA_SECONDS[keyword];
      if (seconds === undefined) return UNKNOWN(`timedelta ${keyword}`);
      total = foldBinary('+', total, foldBinary('*', await this.evaluate(value, env), constMs(seconds)));
    }
    return total;
  }

  /** The function a callee names: one of this module, a method of the enclosing class, or imported. */
  async functionOf(callee: Node, env: PyEnv): Promise<{ fn: PyFunction; module: PyModule } | null> {
    if (callee.type === 'identifier') {
      const local = env.module.functions.get(callee.text);
      if (local) return { fn: local, module: env.module };
      const imported = env.module.imports.get(callee.text);
      if (imported?.name) {
        const target = await this.importedModule(env.module.path, imported.module, env.depth + 1);
        const fn = target?.functions.get(imported.name);
        if (target && fn) return { fn, module: target };
      }
      return null;
    }
    if (callee.type === 'attribute') {
      const object = field(callee, 'object');
      const attribute = field(callee, 'attribute')?.text ?? '';
      if (object?.type === 'identifier') {
        const imported = env.module.imports.get(object.text);
        if (imported) {
          const reference = imported.name ? joinModule(imported.module, imported.name) : imported.module;
          const target = await this.importedModule(env.module.path, reference, env.depth + 1);
          const fn = target?.functions.get(attribute);
          if (target && fn) return { fn, module: target };
        }
      }
    }
    return null;
  }

  /** What a helper returns for these arguments: its single `return` with the parameters bound. */
  private async inline(fn: PyFunction, module: PyModule, call: Node, env: PyEnv): Promise<DelayValue> {
    if (fn.random) return { kind: 'random' };
    if (!fn.returns) return UNKNOWN('helper body too complex to evaluate');
    const bindings = new Map<string, DelayValue>();
    const args = positionalArguments(call);
    const keywords = keywordArguments(call);
    const params = fn.params[0] === 'self' || fn.params[0] === 'cls' ? fn.params.slice(1) : fn.params;
    for (const [index, param] of params.entries()) {
      const arg = keywords.get(param)?.value ?? args[index];
      bindings.set(
        param,
        arg ? await this.evaluate(arg, env) : UNKNOWN(`\`${param}\` has its default value`),
      );
    }
    return this.fragment(fn.returns, { ...env, module, fn: null, cls: null, bindings, depth: env.depth + 1 });
  }
}

/** `from . import settings` → `.settings`; `from app import settings` → `app.settings`. */
export function joinModule(module: string, name: string): string {
  return /^\.*$/.test(module) ? `${module}${name}` : `${module}.${name}`;
}

export { LOOP_TYPES, SCOPE_BOUNDARIES };
