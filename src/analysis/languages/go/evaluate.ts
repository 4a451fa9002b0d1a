import { NestingGuardedEvaluator } from '../tree-sitter/nesting-guard.js';
import type { ModuleHost } from '../../analyzer.js';
import { posix } from 'node:path';
import { SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import { constMs, foldBinary, numericLiteral, unitMs } from '../tree-sitter/durations.js';
import { MAX_RESOLUTION_DEPTH, withFragment, type SummaryCache } from '../tree-sitter/modules.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren } from '../tree-sitter/syntax.js';
import {
  callArguments,
  isRandomCall,
  mentions,
  parameterNames,
  qualified,
  type GoConstant,
  type GoFile,
  type GoFunction,
} from './package.js';

/**
 * Constant folding of Go durations, in nanoseconds (a `time.Duration`'s unit): literals, `time.Second`
 * and friends, arithmetic and shifts, conversions, package-level constants from any file of the
 * package, constants of other packages of the same module (through `go.mod`), and small helpers.
 */

/** Nanoseconds per millisecond: findings speak milliseconds. */
export const NS_PER_MS = 1_000_000;

export interface GoPackage {
  dir: string;
  constants: Map<string, GoConstant>;
  functions: Map<string, GoFunction>;
  /** Methods by name (receiver type ignored): `s.sleep(d)` inside the package. */
  methods: Map<string, GoFunction>;
  files: Map<string, GoFile>;
  /**
   * The whole package, loaded on first need: analysis starts from the file alone and reads the rest
   * of the directory only when a name is not declared in the file itself.
   */
  rest?: () => Promise<GoPackage>;
}

/** `pick(pkg)` has `name` in the file's own declarations, or else in the whole package. */
async function inPackage<T>(
  pkg: GoPackage,
  pick: (p: GoPackage) => Map<string, T>,
  name: string,
): Promise<{ value: T; pkg: GoPackage } | null> {
  const own = pick(pkg).get(name);
  if (own !== undefined) return { value: own, pkg };
  if (!pkg.rest) return null;
  const whole = await pkg.rest();
  const found = pick(whole).get(name);
  return found === undefined ? null : { value: found, pkg: whole };
}

export interface GoEnv {
  pkg: GoPackage;
  /** The file the expression is written in: its imports qualify selectors. */
  file: GoFile;
  fn: Node | null;
  counters: ReadonlySet<string>;
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  evidence: string[];
  resolving?: ReadonlySet<string>;
}

const CONVERSIONS =
  /^(time\.Duration|float64|float32|int|int64|int32|uint|uint64|uint32|math\.(Round|Ceil|Floor|Trunc|Abs))$/;
const ENVIRONMENT = /os\.(Getenv|LookupEnv)|viper\.|flag\.|\.Getenv\(/;
const SCOPE_BOUNDARIES = new Set(['func_literal', 'function_declaration', 'method_declaration']);
const LOCAL_WRITES = new Set([
  'short_var_declaration',
  'assignment_statement',
  'var_spec',
  'inc_statement',
  'dec_statement',
  'range_clause',
]);
const CALL = new Set(['call_expression']);
const FRAGMENT_PREFIX = 'package p\nvar _ = ';

async function sequential<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await run(item));
  return out;
}

export class GoEvaluator extends NestingGuardedEvaluator<GoEnv> {
  private readonly constants = new Map<string, Promise<DelayValue>>();
  private readonly goMods = new Map<string, Promise<{ module: string; root: string } | null>>();

  constructor(
    private readonly host: ModuleHost,
    private readonly packages: (dir: string) => Promise<GoPackage | null>,
    readonly files: SummaryCache<GoFile>,
  ) {
    super();
  }

  protected async evaluateNode(node: Node, env: GoEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    switch (node.type) {
      case 'int_literal':
      case 'float_literal': {
        const value = numericLiteral(node.text);
        return value === null ? UNKNOWN(`\`${node.text}\``) : constMs(value);
      }
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.evaluate(node.namedChild(0)!, env) : UNKNOWN('empty');
      case 'unary_expression': {
        const operand = field(node, 'operand');
        const inner = operand ? await this.evaluate(operand, env) : UNKNOWN('operand');
        const operator = field(node, 'operator')?.text;
        if (operator === '-' && inner.kind === 'const') return constMs(-inner.ms);
        return operator === '+' || operator === '-' ? inner : UNKNOWN('operator');
      }
      case 'binary_expression': {
        const left = await this.evaluate(field(node, 'left')!, env);
        const right = await this.evaluate(field(node, 'right')!, env);
        return foldBinary(field(node, 'operator')?.text ?? '', left, right);
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'selector_expression':
        return this.selector(node, env);
      case 'call_expression':
        return this.call(node, env);
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async identifier(node: Node, env: GoEnv): Promise<DelayValue> {
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
    return this.packageName(env.pkg, name, env);
  }

  private async packageName(scope: GoPackage, name: string, env: GoEnv): Promise<DelayValue> {
    const found = await inPackage(scope, (p) => p.constants, name);
    if (!found) return UNKNOWN(`\`${name}\` is not a constant`);
    const { value: constant, pkg } = found;
    const key = `${constant.path}\0${name}`;
    if (env.resolving?.has(key)) return UNKNOWN(`\`${name}\` is defined in terms of itself`);
    let pending = this.constants.get(key);
    if (!pending) {
      const file = pkg.files.get(constant.path) ?? env.file;
      pending = this.fragment(constant.text, {
        ...env,
        pkg,
        file,
        fn: null,
        bindings: undefined,
        counters: new Set(),
        depth: env.depth + 1,
        evidence: [],
        resolving: new Set([...(env.resolving ?? []), key]),
      });
      this.constants.set(key, pending);
    }
    return pending.then((value) => {
      if (value.kind === 'const' && constant.path !== env.file.path)
        env.evidence.push(`\`${name}\` is ${formatNs(value.ms)} (${constant.path})`);
      return value;
    });
  }

  async fragment(text: string, env: GoEnv): Promise<DelayValue> {
    const value = await withFragment('go', FRAGMENT_PREFIX, text, '\n', (node) =>
      this.evaluate(node, env),
    ).catch(() => null);
    return value ?? UNKNOWN('expression could not be parsed');
  }

  /** Local variables: `d := 2 * time.Second`, `var d = …`, `d *= 2`, and `for _, d := range []time.Duration{…}`. */
  private async local(name: string, fn: Node, env: GoEnv): Promise<DelayValue | null> {
    if (parameterNames(fn).includes(name)) return UNKNOWN(`\`${name}\` is a parameter`);
    const body = field(fn, 'body');
    if (!body) return null;
    const writes: { node: Node; value: Node | null; operator: string }[] = [];
    let schedule: Node | null = null;
    for (const node of descendantsOfTypes(body, LOCAL_WRITES, SCOPE_BOUNDARIES)) {
      if (node.type === 'short_var_declaration' || node.type === 'assignment_statement') {
        const left = namedChildren(field(node, 'left') ?? node);
        const right = namedChildren(field(node, 'right') ?? node);
        const index = left.findIndex((n) => n.type === 'identifier' && n.text === name);
        if (index >= 0)
          writes.push({
            node,
            value: right.length === left.length ? (right[index] ?? null) : null,
            operator: field(node, 'operator')?.text ?? ':=',
          });
      } else if (node.type === 'var_spec') {
        const names = node.childrenForFieldName('name');
        const index = names.findIndex((n) => n?.text === name);
        const values = field(node, 'value');
        if (index >= 0)
          writes.push({
            node,
            value: values ? (namedChildren(values)[index] ?? null) : null,
            operator: '=',
          });
      } else if (
        (node.type === 'inc_statement' || node.type === 'dec_statement') &&
        node.namedChild(0)?.text === name
      ) {
        writes.push({ node, value: null, operator: '++' });
      } else if (node.type === 'range_clause') {
        const left = namedChildren(field(node, 'left') ?? node);
        if (left[1]?.text === name) schedule = field(node, 'right');
      }
    }
    if (schedule) return this.table(schedule, env);
    if (writes.length === 0) return null;
    let value: DelayValue | null = null;
    for (const write of writes) {
      const inner = {
        ...env,
        counters: new Set([...env.counters, name]),
        depth: env.depth + 1,
        resolving: new Set([...(env.resolving ?? []), name]),
      };
      if (write.operator === '++') {
        value = dominant(value ?? UNKNOWN('uninitialised'), { kind: 'linear' });
        continue;
      }
      if (!write.value) {
        value = dominant(
          value ?? UNKNOWN('uninitialised'),
          UNKNOWN('assigned from a call with several results'),
        );
        continue;
      }
      if (write.operator === '=' || write.operator === ':=') {
        const rhs = await this.evaluate(write.value, { ...inner, counters: env.counters });
        if (value === null) {
          value = rhs;
          continue;
        }
        const selfReferencing = await this.evaluate(write.value, inner);
        if (
          selfReferencing.kind === 'linear' &&
          /\*|<</.test(write.value.text) &&
          mentions(write.value, name)
        ) {
          value = dominant(value, { kind: 'exponential' });
        } else {
          value =
            rhs.kind === 'const' && value.kind === 'const'
              ? constMs(Math.max(rhs.ms, value.ms))
              : dominant(value, rhs);
        }
        continue;
      }
      const rhs = await this.evaluate(write.value, inner);
      const base: DelayValue = value ?? UNKNOWN('uninitialised');
      if (write.operator === '*=' || write.operator === '<<=') {
        value =
          rhs.kind === 'const' && rhs.ms === (write.operator === '*=' ? 1 : 0)
            ? base
            : dominant(base, {
                kind: 'exponential',
                factor: write.operator === '*=' && rhs.kind === 'const' ? rhs.ms : 2,
              });
      } else if (write.operator === '+=' || write.operator === '-=') {
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

  /** `[]time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}` walked by the loop: a schedule. */
  private async table(node: Node, env: GoEnv): Promise<DelayValue> {
    const body = node.type === 'composite_literal' ? field(node, 'body') : null;
    if (!body) return UNKNOWN('not a literal schedule');
    const elements = namedChildren(body).map((element) =>
      element.type === 'literal_element' ? (element.namedChild(0) ?? element) : element,
    );
    const values = await sequential(elements, (element) => this.evaluate(element, env));
    if (values.length === 0) return UNKNOWN('empty schedule');
    if (values.some((v) => v.kind !== 'const')) return values.reduce(dominant);
    const numbers = values.map((v) => (v as { ms: number }).ms);
    if (numbers.every((n) => n === numbers[0])) return constMs(numbers[0]!);
    const geometric = numbers.slice(1).every((n, i) => n / numbers[i]! >= 1.5);
    return geometric ? { kind: 'exponential', baseMs: numbers[0] } : { kind: 'linear', baseMs: numbers[0] };
  }

  private async selector(node: Node, env: GoEnv): Promise<DelayValue> {
    const text = node.text;
    if (env.counters.has(text)) return { kind: 'counter', name: text };
    if (SERVER_HINT_NAME.test(text)) return { kind: 'server' };
    const name = qualified(node, env.file.imports);
    const time = /^time\.(\w+)$/.exec(name);
    if (time) {
      const ms = unitMs(time[1]!);
      return ms === null ? UNKNOWN(`\`${text}\``) : constMs(ms * NS_PER_MS);
    }
    const operand = field(node, 'operand');
    const member = field(node, 'field')?.text ?? '';
    if (operand?.type === 'identifier' && env.file.imports.has(operand.text)) {
      const pkg = await this.importedPackage(
        env.file.path,
        env.file.imports.get(operand.text)!,
        env.depth + 1,
      );
      if (!pkg) return UNKNOWN(`\`${text}\` comes from a package outside the repository`);
      const value = await this.packageName(pkg, member, {
        ...env,
        pkg,
        fn: null,
        bindings: undefined,
        depth: env.depth + 1,
      });
      if (value.kind === 'const') env.evidence.push(`\`${text}\` is ${formatNs(value.ms)} (${pkg.dir})`);
      return value;
    }
    return UNKNOWN(`\`${text}\` is read at run time`);
  }

  private async call(node: Node, env: GoEnv): Promise<DelayValue> {
    const callee = field(node, 'function');
    if (!callee) return UNKNOWN('call');
    if (
      isRandomCall(callee, env.file.imports) ||
      descendantsOfTypes(node, CALL).some((n) => {
        const inner = field(n, 'function');
        return !!inner && isRandomCall(inner, env.file.imports);
      })
    ) {
      return { kind: 'random' };
    }
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    if (ENVIRONMENT.test(node.text)) return UNKNOWN('environment or flag value');
    const name = qualified(callee, env.file.imports);
    const args = callArguments(node);
    if (CONVERSIONS.test(name) && args[0]) return this.evaluate(args[0], env);
    if (name === 'math.Pow' && args[0] && args[1])
      return power(await this.evaluate(args[0], env), await this.evaluate(args[1], env));
    if (/^(min|max|math\.(Min|Max))$/.test(name) && args.length > 0) {
      return minMax(
        /min/i.test(name) ? 'min' : 'max',
        await sequential(args, (arg) => this.evaluate(arg, env)),
      );
    }
    const target = await this.functionOf(callee, env);
    if (!target) return UNKNOWN(`\`${callee.text}\` could not be followed`);
    if (target.fn.random) return { kind: 'random' };
    if (!target.fn.returns) return UNKNOWN('helper body too complex to evaluate');
    const bindings = new Map<string, DelayValue>();
    for (const [index, param] of target.fn.params.entries()) {
      const arg = args[index];
      if (param) bindings.set(param, arg ? await this.evaluate(arg, env) : UNKNOWN('missing argument'));
    }
    const file = target.pkg.files.get(target.fn.path) ?? env.file;
    return this.fragment(target.fn.returns, {
      ...env,
      pkg: target.pkg,
      file,
      fn: null,
      bindings,
      depth: env.depth + 1,
    });
  }

  /** The function a callee names: one of this package, or of an imported package of the same module. */
  async functionOf(callee: Node, env: GoEnv): Promise<{ fn: GoFunction; pkg: GoPackage } | null> {
    if (callee.type === 'identifier') {
      const found = await inPackage(env.pkg, (p) => p.functions, callee.text);
      return found ? { fn: found.value, pkg: found.pkg } : null;
    }
    if (callee.type === 'selector_expression') {
      const operand = field(callee, 'operand');
      const member = field(callee, 'field')?.text ?? '';
      if (operand?.type === 'identifier' && env.file.imports.has(operand.text)) {
        const pkg = await this.importedPackage(
          env.file.path,
          env.file.imports.get(operand.text)!,
          env.depth + 1,
        );
        const fn = pkg?.functions.get(member);
        return pkg && fn ? { fn, pkg } : null;
      }
      const found = await inPackage(env.pkg, (p) => p.methods, member);
      return found ? { fn: found.value, pkg: found.pkg } : null;
    }
    return null;
  }

  /** The package an import path names, when it belongs to the module the importing file is in. */
  async importedPackage(fromPath: string, importPath: string, depth: number): Promise<GoPackage | null> {
    if (depth > MAX_RESOLUTION_DEPTH || !importPath.includes('.')) return null;
    const mod = await this.goModFor(posix.dirname(fromPath));
    if (!mod) return null;
    if (importPath !== mod.module && !importPath.startsWith(`${mod.module}/`)) return null;
    const rest = importPath.slice(mod.module.length).replace(/^\//, '');
    const dir = posix.normalize(posix.join(mod.root, rest || '.'));
    return this.packages(dir === '.' ? '' : dir);
  }

  /** The nearest `go.mod` at or above `dir`: the module path imports are resolved against. */
  private goModFor(dir: string): Promise<{ module: string; root: string } | null> {
    const key = dir === '.' ? '' : dir;
    let pending = this.goMods.get(key);
    if (!pending) {
      pending = (async () => {
        const text = await this.host.read(key === '' ? 'go.mod' : `${key}/go.mod`);
        const module = text ? /^module\s+(\S+)/m.exec(text)?.[1] : undefined;
        if (module) return { module, root: key === '' ? '.' : key };
        if (key === '') return null;
        return this.goModFor(posix.dirname(key));
      })();
      this.goMods.set(key, pending);
    }
    return pending;
  }
}

/** `5000000000` ns → `5s`, for evidence. */
export function formatNs(ns: number): string {
  const ms = ns / NS_PER_MS;
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
