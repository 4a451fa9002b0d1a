import { NestingGuardedEvaluator } from '../tree-sitter/nesting-guard.js';
import { SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, UNKNOWN, type DelayValue } from '../../delay.js';
import { constMs, foldBinary, numericLiteral, unitMs } from '../tree-sitter/durations.js';
import { MAX_RESOLUTION_DEPTH, withFragment, type SummaryCache } from '../tree-sitter/modules.js';
import type { Node } from '../tree-sitter/runtime.js';
import { field, namedChildren, some } from '../tree-sitter/syntax.js';
import { isRandomCall, type RbFile, type RbMethod } from './module.js';

/**
 * Constant folding of Ruby delays, in seconds (what `sleep` takes): literals, arithmetic, constants
 * of the file (bare or `Scope::NAME`) and of the files it requires, ActiveSupport durations
 * (`5.seconds`), `[a, b].min`, conversions, and small methods whose body is one expression.
 */

export interface RbEnv {
  file: RbFile;
  /** The method the expression sits in; null for constants. */
  method: Node | null;
  counters: ReadonlySet<string>;
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  evidence: string[];
  resolving?: ReadonlySet<string>;
}

const PASS_THROUGH = new Set(['to_i', 'to_f', 'to_r', 'round', 'ceil', 'floor', 'abs', 'freeze']);
const SCOPE_BOUNDARIES = new Set(['method', 'singleton_method', 'class', 'module']);
const SECONDS_PER_MS = 0.001;

export class RbEvaluator extends NestingGuardedEvaluator<RbEnv> {
  private readonly constants = new Map<string, Promise<DelayValue>>();

  constructor(readonly files: SummaryCache<RbFile>) {
    super();
  }

  protected async evaluateNode(node: Node, env: RbEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    switch (node.type) {
      case 'integer':
      case 'float': {
        const value = numericLiteral(node.text);
        return value === null ? UNKNOWN(`\`${node.text}\``) : constMs(value);
      }
      case 'parenthesized_statements': {
        const last = namedChildren(node).pop();
        return last ? this.evaluate(last, env) : UNKNOWN('empty');
      }
      case 'unary': {
        const operand = field(node, 'operand');
        const inner = operand ? await this.evaluate(operand, env) : UNKNOWN('operand');
        const operator = field(node, 'operator')?.text;
        if (operator === '-' && inner.kind === 'const') return constMs(-inner.ms);
        return operator === '+' || operator === '-' ? inner : UNKNOWN('operator');
      }
      case 'binary': {
        const operator = field(node, 'operator')?.text ?? '';
        const left = await this.evaluate(field(node, 'left')!, env);
        const right = await this.evaluate(field(node, 'right')!, env);
        if (operator === '||' || operator === 'or') return dominant(left, right);
        return foldBinary(operator, left, right);
      }
      case 'conditional': {
        const a = await this.evaluate(field(node, 'consequence')!, env);
        const b = await this.evaluate(field(node, 'alternative')!, env);
        if (a.kind === 'const' && b.kind === 'const') return constMs(Math.max(a.ms, b.ms));
        return dominant(a, b);
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'constant':
      case 'scope_resolution':
        return this.constant(node.text, env);
      case 'call':
        return this.call(node, env);
      case 'element_reference':
        return this.element(node, env);
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async identifier(node: Node, env: RbEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    if (SERVER_HINT_NAME.test(name)) return { kind: 'server' };
    if (isRandomCall(node)) return { kind: 'random' };
    if (env.resolving?.has(name)) return UNKNOWN(`\`${name}\` refers to itself`);
    if (env.method) {
      const local = await this.local(name, env.method, env);
      if (local) return local;
    }
    const method = env.file.methods.get(name);
    if (method) return this.inline(method, [], env);
    return UNKNOWN(`\`${name}\` is not a constant`);
  }

  /** A constant of this file, or of a file it requires. */
  private async constant(name: string, env: RbEnv): Promise<DelayValue> {
    const local = this.lookup(env.file, name);
    if (local !== null) return this.folded(env.file, local, name, env);
    for (const candidates of env.file.requires) {
      for (const path of candidates) {
        const required = await this.files.get(path);
        if (!required) continue;
        const text = this.lookup(required, name);
        if (text === null) break;
        const value = await this.folded(required, text, name, env);
        if (value.kind === 'const') env.evidence.push(`\`${name}\` is ${value.ms} (${required.path})`);
        return value;
      }
    }
    return UNKNOWN(`\`${name}\` is not defined in a file that could be read`);
  }

  private lookup(file: RbFile, name: string): string | null {
    if (file.constants.has(name)) return file.constants.get(name)!;
    const bare = name.split('::').pop()!;
    return name.includes('::') ? null : (file.constants.get(bare) ?? null);
  }

  private folded(file: RbFile, text: string, name: string, env: RbEnv): Promise<DelayValue> {
    const key = `${file.path}\0${name}`;
    if (env.resolving?.has(key)) return Promise.resolve(UNKNOWN(`\`${name}\` is defined in terms of itself`));
    let pending = this.constants.get(key);
    if (!pending) {
      pending = this.fragment(text, {
        ...env,
        file,
        method: null,
        bindings: undefined,
        counters: new Set(),
        depth: env.depth + 1,
        evidence: [],
        resolving: new Set([...(env.resolving ?? []), key]),
      });
      this.constants.set(key, pending);
    }
    return pending;
  }

  async fragment(text: string, env: RbEnv): Promise<DelayValue> {
    const value = await withFragment('ruby', '', text, '\n', (node) => this.evaluate(node, env)).catch(
      () => null,
    );
    return value ?? UNKNOWN('expression could not be parsed');
  }

  /** Local variables: constant assignments stay constant; `delay *= 2` is a backoff; `+=` linear. */
  private async local(name: string, method: Node, env: RbEnv): Promise<DelayValue | null> {
    const params = field(method, 'parameters');
    if (params && some(params, (p) => p.type === 'identifier' && p.text === name))
      return UNKNOWN(`\`${name}\` is a parameter`);
    const body = field(method, 'body');
    if (!body) return null;
    const writes: Node[] = [];
    some(
      body,
      (node) => {
        if (
          (node.type === 'assignment' || node.type === 'operator_assignment') &&
          field(node, 'left')?.type === 'identifier' &&
          field(node, 'left')!.text === name
        )
          writes.push(node);
        return false;
      },
      SCOPE_BOUNDARIES,
    );
    if (writes.length === 0) return null;
    let value: DelayValue | null = null;
    for (const write of writes) {
      const right = field(write, 'right');
      if (!right) continue;
      const inner = {
        ...env,
        counters: new Set([...env.counters, name]),
        depth: env.depth + 1,
        resolving: new Set([...(env.resolving ?? []), name]),
      };
      if (write.type === 'assignment') {
        const rhs = await this.evaluate(right, { ...inner, counters: env.counters });
        if (value === null) {
          value = rhs;
          continue;
        }
        const selfReferencing = await this.evaluate(right, inner);
        if (
          selfReferencing.kind === 'linear' &&
          /\*|<</.test(right.text) &&
          some(right, (n) => n.type === 'identifier' && n.text === name)
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
      const operator = field(write, 'operator')?.text ?? '';
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

  private async call(node: Node, env: RbEnv): Promise<DelayValue> {
    if (isRandomCall(node) || some(node, (n) => n !== node && isRandomCall(n))) return { kind: 'random' };
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    if (/\bENV\b/.test(node.text)) return UNKNOWN('environment variable');
    const method = field(node, 'method')?.text ?? '';
    const receiver = field(node, 'receiver');
    const list = field(node, 'arguments');
    const args = list ? namedChildren(list) : [];
    // ActiveSupport durations: `5.seconds`, `500.milliseconds`, `2.minutes` — in seconds, what `sleep` takes.
    const unit = unitMs(method);
    if (
      receiver &&
      unit !== null &&
      !args.length &&
      /^(second|seconds|minute|minutes|hour|hours|millisecond|milliseconds|day|days)$/.test(method)
    ) {
      return foldBinary('*', await this.evaluate(receiver, env), constMs(unit * SECONDS_PER_MS));
    }
    if (receiver && PASS_THROUGH.has(method)) return this.evaluate(receiver, env);
    if (!receiver && (method === 'Integer' || method === 'Float') && args[0])
      return this.evaluate(args[0], env);
    if (receiver?.type === 'array' && (method === 'min' || method === 'max')) {
      const values: DelayValue[] = [];
      for (const element of namedChildren(receiver)) values.push(await this.evaluate(element, env));
      return minMax(method, values);
    }
    if (receiver && method === 'clamp') return this.evaluate(receiver, env);
    if (!receiver || receiver.text === 'self') {
      const target = env.file.methods.get(method);
      if (target) return this.inline(target, args, env);
    }
    return UNKNOWN(`\`${node.text}\` could not be followed`);
  }

  /** `DELAYS[attempt]` with `DELAYS = [1, 2, 4]`: the schedule's shape. */
  private async element(node: Node, env: RbEnv): Promise<DelayValue> {
    const object = field(node, 'object');
    if (!object || (object.type !== 'constant' && object.type !== 'scope_resolution'))
      return UNKNOWN('indexed value');
    const text = this.lookup(env.file, object.text);
    if (text === null) return UNKNOWN('indexed value');
    const index = node.namedChildren.find((c) => c && !c.equals(object));
    const indexValue = index ? await this.evaluate(index, env) : UNKNOWN('index');
    const folded = await withFragment('ruby', '', text, '\n', async (array) => {
      if (array.type !== 'array') return UNKNOWN('not a literal schedule');
      const values: DelayValue[] = [];
      for (const element of namedChildren(array))
        values.push(await this.evaluate(element, { ...env, method: null }));
      if (values.length === 0 || values.some((v) => v.kind !== 'const'))
        return values.reduce(dominant, UNKNOWN('schedule'));
      const numbers = values.map((v) => (v as { ms: number }).ms);
      if (indexValue.kind === 'const') return constMs(numbers[indexValue.ms] ?? numbers[numbers.length - 1]!);
      if (numbers.every((n) => n === numbers[0])) return constMs(numbers[0]!);
      const geometric = numbers.slice(1).every((n, i) => n / numbers[i]! >= 1.5);
      return (
        geometric ? { kind: 'exponential', baseMs: numbers[0] } : { kind: 'linear', baseMs: numbers[0] }
      ) as DelayValue;
    }).catch(() => null);
    return folded ?? UNKNOWN('indexed value');
  }

  private async inline(method: RbMethod, args: Node[], env: RbEnv): Promise<DelayValue> {
    if (method.random) return { kind: 'random' };
    if (!method.returns) return UNKNOWN('method body too complex to evaluate');
    const bindings = new Map<string, DelayValue>();
    for (const [index, param] of method.params.entries()) {
      const arg = args[index];
      if (param) bindings.set(param, arg ? await this.evaluate(arg, env) : UNKNOWN('missing argument'));
    }
    return this.fragment(method.returns, { ...env, method: null, bindings, depth: env.depth + 1 });
  }
}
