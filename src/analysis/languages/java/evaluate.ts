import { SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import type { Node } from '../tree-sitter/runtime.js';
import { constMs, foldBinary, numericLiteral, scaled, unitMs } from '../tree-sitter/durations.js';
import { descendantsOfTypes, namedChildren, some } from '../tree-sitter/syntax.js';
import {
  declarationOf,
  enclosingTypes,
  fieldOf,
  findType,
  methodsOf,
  staticImportField,
  type JavaDeclaration,
  type JavaFile,
} from './scope.js';
import type { TreeCache } from './tree-cache.js';

/**
 * Constant folding of Java delay expressions into milliseconds (RULES.md section 2): literals,
 * `static final` and effectively constant fields, locals, `Duration.ofSeconds(5)`,
 * `TimeUnit.SECONDS.toMillis(5)`, arithmetic, `Math.pow`/`min`/`max`, shifts, constants of other
 * classes of the repository, and small helper methods with one `return`.
 */

export interface JavaEnv {
  file: JavaFile;
  counters: ReadonlySet<string>;
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  evidence: string[];
  budget: { steps: number };
}

/** Evaluation steps per delay; real delays need tens. */
export const MAX_EVALUATION_STEPS = 2_000;
/** Declarations followed through other names, fields and helpers. */
export const MAX_RESOLUTION_DEPTH = 8;

const NUMBER_LITERALS = new Set([
  'decimal_integer_literal',
  'hex_integer_literal',
  'octal_integer_literal',
  'binary_integer_literal',
  'decimal_floating_point_literal',
  'hex_floating_point_literal',
]);

/** Calls that draw a random number (java.util.Random, ThreadLocalRandom, SecureRandom, commons-lang). */
export const RANDOM_CALL =
  /^(random|nextInt|nextLong|nextDouble|nextFloat|nextGaussian|nextExponential|ints|longs|doubles|randomLong|randomInt|randomDouble)$/;
const RANDOM_TEXT = /\b(ThreadLocalRandom|SecureRandom|Math\.random|RandomUtils|RandomGenerator|jitter)\b/i;

const PASS_THROUGH_MATH = new Set(['round', 'floor', 'ceil', 'abs', 'toIntExact', 'rint']);
const PARSE_NUMBER = new Set(['parseLong', 'parseInt', 'valueOf', 'parseDouble']);
const DURATION_SCALE: Record<string, number> = {
  toMillis: 1,
  toSeconds: 0.001,
  getSeconds: 0.001,
  toNanos: 1e6,
};

export function containsRandom(node: Node): boolean {
  return some(node, (current) => {
    if (current.type === 'method_invocation') {
      const name = current.childForFieldName('name')?.text ?? '';
      if (RANDOM_CALL.test(name) || /jitter/i.test(name)) return true;
    }
    return current.type === 'identifier' && RANDOM_TEXT.test(current.text);
  });
}

export class JavaEvaluator {
  constructor(private readonly files: TreeCache) {}

  async evaluate(node: Node, env: JavaEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    if (--env.budget.steps < 0) return UNKNOWN('expression too large to evaluate');
    if (NUMBER_LITERALS.has(node.type)) {
      const value = numericLiteral(node.text);
      return value === null ? UNKNOWN('not a number') : constMs(value);
    }
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    switch (node.type) {
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.evaluate(node.namedChild(0)!, env) : UNKNOWN('empty');
      case 'cast_expression':
        return node.childForFieldName('value')
          ? this.evaluate(node.childForFieldName('value')!, env)
          : UNKNOWN('cast');
      case 'unary_expression': {
        const operand = node.childForFieldName('operand');
        const operator = node.childForFieldName('operator')?.text;
        if (!operand) return UNKNOWN('operator');
        const value = await this.evaluate(operand, env);
        if (operator === '-' && value.kind === 'const') return { kind: 'const', ms: -value.ms };
        return operator === '+' || operator === '-' ? value : UNKNOWN('operator');
      }
      case 'update_expression':
        // `2 << retries++`: a value stepped on every use is the attempt counter.
        return { kind: 'counter', name: node.namedChild(0)?.text ?? '' };
      case 'binary_expression':
        return this.binary(node, env);
      case 'ternary_expression': {
        const whenTrue = await this.evaluate(node.childForFieldName('consequence')!, env);
        const whenFalse = await this.evaluate(node.childForFieldName('alternative')!, env);
        if (whenTrue.kind === 'const' && whenFalse.kind === 'const') {
          return { kind: 'const', ms: Math.max(whenTrue.ms, whenFalse.ms) };
        }
        return dominant(whenTrue, whenFalse);
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'field_access':
        return this.fieldAccess(node, env);
      case 'method_invocation':
        return this.call(node, env);
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async binary(node: Node, env: JavaEnv): Promise<DelayValue> {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const operator = node.childForFieldName('operator')?.text ?? '';
    if (!left || !right) return UNKNOWN('operator');
    return foldBinary(operator, await this.evaluate(left, env), await this.evaluate(right, env));
  }

  private async identifier(node: Node, env: JavaEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    const declaration = declarationOf(name, node);
    if (declaration) return this.declared(name, declaration, env.file, env);
    const imported = await staticImportField(env.file, name, this.files);
    if (imported) {
      const value = await this.declared(name, imported.declaration, imported.file, env);
      if (value.kind === 'const') env.evidence.push(`\`${name}\` is ${value.ms} (${imported.file.path})`);
      return value;
    }
    return UNKNOWN(`\`${name}\` is not declared in a file that could be read`);
  }

  private async declared(
    name: string,
    declaration: JavaDeclaration,
    file: JavaFile,
    env: JavaEnv,
  ): Promise<DelayValue> {
    if (declaration.kind === 'parameter') return UNKNOWN(`\`${name}\` is a parameter`);
    const value = declaration.declarator.childForFieldName('value');
    const inner: JavaEnv = { ...env, file, bindings: undefined, depth: env.depth + 1 };
    if (declaration.kind === 'field') {
      if (!declaration.constant) return UNKNOWN(`the field \`${name}\` may change at run time`);
      return value ? this.evaluate(value, inner) : UNKNOWN(`\`${name}\` has no initial value`);
    }
    return this.local(name, declaration.declarator, declaration.scope, inner, env.counters);
  }

  /**
   * `long delay = 1000; … delay *= 2;`: a local that grows between attempts is a backoff; one only ever
   * assigned constants is as fixed as a constant.
   */
  private async local(
    name: string,
    declarator: Node,
    scope: Node,
    env: JavaEnv,
    counters: ReadonlySet<string>,
  ): Promise<DelayValue> {
    const initial = declarator.childForFieldName('value');
    let value = initial ? await this.evaluate(initial, env) : UNKNOWN('uninitialised');
    for (const assignment of descendantsOfTypes(
      scope,
      new Set(['assignment_expression', 'update_expression']),
    )) {
      if (assignment.type === 'update_expression') {
        if (assignment.namedChild(0)?.text === name) value = dominant(value, { kind: 'linear' });
        continue;
      }
      if (assignment.childForFieldName('left')?.text !== name) continue;
      const operator = assignment.childForFieldName('operator')?.text ?? '=';
      const right = assignment.childForFieldName('right')!;
      const rhs = await this.evaluate(right, { ...env, counters: new Set([...counters, name]) });
      value = stepped(value, operator, rhs, right.text, name);
    }
    return value;
  }

  private async fieldAccess(node: Node, env: JavaEnv): Promise<DelayValue> {
    const object = node.childForFieldName('object');
    const field = node.childForFieldName('field')?.text ?? '';
    if (!object) return UNKNOWN('field access');
    if (object.type === 'this') {
      const [type] = enclosingTypes(node);
      const declaration = type ? fieldOf(type, field) : null;
      if (declaration) return this.declared(field, declaration, env.file, env);
      // A field the class steps (`this.attempts++`) counts attempts.
      return UNKNOWN(`\`this.${field}\` is not a constant field`);
    }
    const className =
      object.type === 'identifier'
        ? object.text
        : object.type === 'field_access'
          ? (object.childForFieldName('field')?.text ?? '')
          : '';
    if (className === '' || (object.type === 'identifier' && declarationOf(className, object))) {
      return UNKNOWN(`\`${node.text}\` is read at run time`);
    }
    const found = await findType(env.file, className, this.files);
    const declaration = found ? fieldOf(found.type, field) : null;
    if (!found || !declaration) return UNKNOWN(`\`${node.text}\` could not be followed`);
    const value = await this.declared(field, declaration, found.file, env);
    if (value.kind === 'const' && found.file.path !== env.file.path)
      env.evidence.push(`\`${node.text}\` is ${value.ms} (${found.file.path})`);
    return value;
  }

  private async call(node: Node, env: JavaEnv): Promise<DelayValue> {
    if (containsRandom(node)) return { kind: 'random' };
    const object = node.childForFieldName('object');
    const name = node.childForFieldName('name')?.text ?? '';
    const args = argumentsOf(node);
    const objectText =
      object?.text.replace(/^java\.time\./, '').replace(/^java\.util\.concurrent\./, '') ?? '';
    if (
      /^(System|Integer|Long)$/.test(objectText) &&
      /^(getenv|getProperty|getInteger|getLong)$/.test(name)
    ) {
      return UNKNOWN('configuration read at run time');
    }
    if (objectText === 'Math' || objectText === 'StrictMath') return this.math(name, args, env);
    if (objectText === 'Duration') return this.duration(name, args, env);
    const timeUnit = /^(?:TimeUnit\.)?([A-Z]+)$/.exec(objectText);
    if (timeUnit && name === 'toMillis' && args[0]) {
      const ms = unitMs(timeUnit[1]!);
      if (ms !== null) return scaled(await this.evaluate(args[0], env), ms);
    }
    if (/^(Long|Integer|Double)$/.test(objectText) && PARSE_NUMBER.has(name) && args[0]) {
      const literal =
        args[0].type === 'string_literal' ? numericLiteral(args[0].text.replace(/"/g, '')) : null;
      return literal !== null ? constMs(literal) : this.evaluate(args[0], env);
    }
    if (object && name in DURATION_SCALE && args.length === 0) {
      return scaled(await this.evaluate(object, env), DURATION_SCALE[name]!);
    }
    if (object && /^(multipliedBy|dividedBy|plus|minus|plusMillis|plusSeconds)$/.test(name) && args[0]) {
      const operator =
        name === 'multipliedBy' ? '*' : name === 'dividedBy' ? '/' : name.startsWith('minus') ? '-' : '+';
      const unit = name === 'plusSeconds' ? 1_000 : 1;
      return foldBinary(
        operator,
        await this.evaluate(object, env),
        scaled(await this.evaluate(args[0], env), unit),
      );
    }
    if (!object || object.type === 'this') return this.ownMethod(node, name, args, env);
    return UNKNOWN(`\`${clipCall(node)}\` could not be followed`);
  }

  private async math(name: string, args: Node[], env: JavaEnv): Promise<DelayValue> {
    if (PASS_THROUGH_MATH.has(name) && args[0]) return this.evaluate(args[0], env);
    if (name === 'pow' && args[0] && args[1])
      return power(await this.evaluate(args[0], env), await this.evaluate(args[1], env));
    if ((name === 'min' || name === 'max') && args.length > 0) {
      return minMax(name, await Promise.all(args.map((a) => this.evaluate(a, env))));
    }
    if (name === 'multiplyExact' && args[0] && args[1]) {
      return foldBinary('*', await this.evaluate(args[0], env), await this.evaluate(args[1], env));
    }
    return UNKNOWN(`Math.${name}`);
  }

  /** `Duration.ofSeconds(5)`, `Duration.of(5, ChronoUnit.SECONDS)`, `Duration.ofMillis(…)`: milliseconds. */
  private async duration(name: string, args: Node[], env: JavaEnv): Promise<DelayValue> {
    if (name === 'of' && args[0] && args[1]) {
      const unit = unitMs(/(\w+)$/.exec(args[1].text)?.[1] ?? '');
      return unit === null ? UNKNOWN('unit') : scaled(await this.evaluate(args[0], env), unit);
    }
    const unit = unitMs(name);
    if (unit !== null && args[0]) return scaled(await this.evaluate(args[0], env), unit);
    return UNKNOWN(`Duration.${name}`);
  }

  /** `backoff(attempt)` declared in the same class with a single `return`: its body with the arguments bound. */
  private async ownMethod(node: Node, name: string, args: Node[], env: JavaEnv): Promise<DelayValue> {
    const [type] = enclosingTypes(node);
    const method = type
      ? methodsOf(type, name).find((m) => parameterList(m).length === args.length)
      : undefined;
    if (!method) return UNKNOWN(`\`${name}\` could not be followed`);
    const body = method.childForFieldName('body');
    if (!body) return UNKNOWN(`\`${name}\` has no body`);
    if (containsRandom(body)) return { kind: 'random' };
    const returns = descendantsOfTypes(
      body,
      new Set(['return_statement']),
      new Set(['lambda_expression', 'class_body']),
    );
    const returned = returns.length === 1 ? returns[0]!.namedChild(0) : null;
    if (!returned) return UNKNOWN(`\`${name}\` is too complex to evaluate`);
    const bindings = new Map<string, DelayValue>();
    const parameters = parameterList(method);
    for (const [index, parameter] of parameters.entries())
      bindings.set(parameter, await this.evaluate(args[index]!, env));
    return this.evaluate(returned, { ...env, bindings, depth: env.depth + 1 });
  }
}

/** The argument expressions of a call (comments excluded). */
export function argumentsOf(call: Node): Node[] {
  const list = call.childForFieldName('arguments');
  return list ? namedChildren(list) : [];
}

function parameterList(method: Node): string[] {
  const parameters = method.childForFieldName('parameters');
  if (!parameters) return [];
  return namedChildren(parameters)
    .filter((p) => p.type === 'formal_parameter' || p.type === 'spread_parameter')
    .map((p) => p.childForFieldName('name')?.text ?? '');
}

/** How an assignment changes a local between attempts (`*=` grows it exponentially, `+=` linearly). */
export function stepped(
  value: DelayValue,
  operator: string,
  rhs: DelayValue,
  rhsText: string,
  name: string,
): DelayValue {
  if (operator === '*=' || operator === '<<=') {
    return dominant(
      value,
      rhs.kind === 'const' && rhs.ms === 1
        ? value
        : { kind: 'exponential', ...(rhs.kind === 'const' ? { factor: rhs.ms } : {}) },
    );
  }
  if (operator === '+=' || operator === '-=') {
    return dominant(
      value,
      rhs.kind === 'const' && rhs.ms === 0 ? value : rhs.kind === 'const' ? { kind: 'linear' } : rhs,
    );
  }
  if (operator === '=') {
    if (rhs.kind === 'counter') return value;
    const mentionsSelf = new RegExp(`\\b${name}\\b`).test(rhsText);
    if (rhs.kind === 'linear' && mentionsSelf && /\*|<</.test(rhsText)) return { kind: 'exponential' };
    return dominant(value, rhs);
  }
  return dominant(value, UNKNOWN('reassigned'));
}

function clipCall(node: Node): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
