import { SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import type { Node, Tree } from '../tree-sitter/runtime.js';
import { constMs, foldBinary, numericLiteral, scaled, unitMs } from '../tree-sitter/durations.js';
import { descendantsOfTypes, namedChildren, some } from '../tree-sitter/syntax.js';
import { stepped } from '../java/evaluate.js';
import { directoryOf, joinPath, type TreeCache } from '../java/tree-cache.js';

/**
 * Constant folding of C# delay expressions into milliseconds: literals, `const` and `static readonly`
 * fields (of this class or a class in a sibling `.cs` file), locals, `TimeSpan.FromSeconds(5)`,
 * `new TimeSpan(h, m, s)`, arithmetic, `Math.Pow`/`Min`/`Max` and shifts.
 */

export interface CSharpFile {
  tree: Tree;
  path: string;
}

export interface CSharpEnv {
  file: CSharpFile;
  counters: ReadonlySet<string>;
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  evidence: string[];
  budget: { steps: number };
}

export const MAX_EVALUATION_STEPS = 2_000;
const MAX_RESOLUTION_DEPTH = 8;

export const CSHARP_FUNCTIONS = new Set([
  'method_declaration',
  'constructor_declaration',
  'local_function_statement',
  'lambda_expression',
  'anonymous_method_expression',
  'accessor_declaration',
]);

const TYPE_DECLARATIONS = new Set([
  'class_declaration',
  'struct_declaration',
  'record_declaration',
  'interface_declaration',
]);
const RANDOM_NAME = /^(Next|NextDouble|NextInt64|NextSingle|GetInt32|NextBytes)$|jitter/i;
const PASS_THROUGH_MATH = new Set(['Round', 'Floor', 'Ceiling', 'Abs', 'Truncate']);

/** `new TimeSpan(…)` arguments: ticks, (h, m, s), (d, h, m, s), (d, h, m, s, ms). */
const TIMESPAN_PARTS: Record<number, number[]> = {
  3: [3_600_000, 60_000, 1_000],
  4: [86_400_000, 3_600_000, 60_000, 1_000],
  5: [86_400_000, 3_600_000, 60_000, 1_000, 1],
};
const MS_PER_TICK = 1e-4;

export function containsRandom(node: Node): boolean {
  return some(node, (current) => {
    if (current.type === 'identifier' && /^(Random|RandomNumberGenerator)$/.test(current.text)) return true;
    if (current.type !== 'invocation_expression') return false;
    const fn = current.childForFieldName('function');
    const name = fn?.type === 'member_access_expression' ? fn.childForFieldName('name')?.text : fn?.text;
    return RANDOM_NAME.test(name ?? '');
  });
}

/** The expressions of a call's arguments (`ref`/`out`/named arguments keep their expression). */
export function argumentsOf(call: Node): Node[] {
  const list = call.childForFieldName('arguments');
  if (!list) return [];
  return namedChildren(list)
    .map((argument) => (argument.type === 'argument' ? (namedChildren(argument).pop() ?? null) : argument))
    .filter((node): node is Node => node !== null);
}

/** The initial value of a `variable_declarator` (the child after its name). */
export function declaratorValue(declarator: Node): Node | null {
  const name = declarator.childForFieldName('name');
  return (
    namedChildren(declarator).find(
      (child) => !name?.equals(child) && child.type !== 'bracketed_argument_list',
    ) ?? null
  );
}

type Declaration =
  | { kind: 'local'; declarator: Node; scope: Node }
  | { kind: 'parameter' }
  | { kind: 'field'; declarator: Node; constant: boolean };

function fieldOf(type: Node, name: string): Declaration | null {
  const body = type.childForFieldName('body');
  if (!body) return null;
  for (const member of namedChildren(body)) {
    if (member.type !== 'field_declaration') continue;
    const modifiers = namedChildren(member)
      .filter((c) => c.type === 'modifier')
      .map((c) => c.text);
    const variable = namedChildren(member).find((c) => c.type === 'variable_declaration');
    for (const declarator of variable ? namedChildren(variable) : []) {
      if (declarator.type !== 'variable_declarator' || declarator.childForFieldName('name')?.text !== name)
        continue;
      return {
        kind: 'field',
        declarator,
        constant: modifiers.includes('const') || modifiers.includes('readonly'),
      };
    }
  }
  return null;
}

export function declarationOf(name: string, node: Node): Declaration | null {
  for (let scope = node.parent; scope; scope = scope.parent) {
    if (scope.type === 'block' || scope.type === 'for_statement' || scope.type === 'switch_section') {
      for (const statement of descendantsOfTypes(
        scope,
        new Set(['variable_declaration']),
        new Set(['block', 'lambda_expression']),
      )) {
        for (const declarator of namedChildren(statement)) {
          if (
            declarator.type === 'variable_declarator' &&
            declarator.childForFieldName('name')?.text === name
          ) {
            return { kind: 'local', declarator, scope: functionOf(scope) ?? scope };
          }
        }
      }
    }
    if (
      CSHARP_FUNCTIONS.has(scope.type) ||
      scope.type === 'catch_clause' ||
      scope.type === 'foreach_statement'
    ) {
      const names = descendantsOfTypes(
        scope.childForFieldName('parameters') ?? scope,
        new Set(['parameter', 'implicit_parameter', 'catch_declaration']),
        new Set(['block']),
      ).map((p) => (p.type === 'implicit_parameter' ? p.text : (p.childForFieldName('name')?.text ?? '')));
      if (scope.type === 'foreach_statement') names.push(scope.childForFieldName('left')?.text ?? '');
      if (names.includes(name)) return { kind: 'parameter' };
    }
    if (TYPE_DECLARATIONS.has(scope.type)) {
      const field = fieldOf(scope, name);
      if (field) return field;
    }
  }
  return null;
}

function functionOf(node: Node): Node | null {
  for (let current: Node | null = node; current; current = current.parent)
    if (CSHARP_FUNCTIONS.has(current.type)) return current;
  return null;
}

function typeInFile(root: Node, name: string): Node | null {
  return (
    descendantsOfTypes(root, TYPE_DECLARATIONS).find(
      (type) => type.childForFieldName('name')?.text === name,
    ) ?? null
  );
}

export class CSharpEvaluator {
  constructor(private readonly files: TreeCache) {}

  async evaluate(node: Node, env: CSharpEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    if (--env.budget.steps < 0) return UNKNOWN('expression too large to evaluate');
    if (node.type === 'integer_literal' || node.type === 'real_literal') {
      const value = numericLiteral(node.text);
      return value === null ? UNKNOWN('not a number') : constMs(value);
    }
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    switch (node.type) {
      case 'parenthesized_expression':
      case 'checked_expression':
        return node.namedChild(0) ? this.evaluate(node.namedChild(0)!, env) : UNKNOWN('empty');
      case 'cast_expression':
        return node.childForFieldName('value')
          ? this.evaluate(node.childForFieldName('value')!, env)
          : UNKNOWN('cast');
      case 'prefix_unary_expression': {
        const operand = node.namedChild(0);
        if (!operand) return UNKNOWN('operator');
        if (/^(\+\+|--)/.test(node.text)) return { kind: 'counter', name: operand.text };
        const value = await this.evaluate(operand, env);
        if (node.text.startsWith('-') && value.kind === 'const') return { kind: 'const', ms: -value.ms };
        return /^[+-]/.test(node.text) ? value : UNKNOWN('operator');
      }
      case 'postfix_unary_expression':
        return { kind: 'counter', name: node.namedChild(0)?.text ?? '' };
      case 'binary_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        const operator = node.childForFieldName('operator')?.text ?? '';
        if (!left || !right) return UNKNOWN('operator');
        const l = await this.evaluate(left, env);
        const r = await this.evaluate(right, env);
        return operator === '??' ? dominant(l, r) : foldBinary(operator, l, r);
      }
      case 'conditional_expression': {
        const whenTrue = await this.evaluate(node.childForFieldName('consequence')!, env);
        const whenFalse = await this.evaluate(node.childForFieldName('alternative')!, env);
        if (whenTrue.kind === 'const' && whenFalse.kind === 'const')
          return { kind: 'const', ms: Math.max(whenTrue.ms, whenFalse.ms) };
        return dominant(whenTrue, whenFalse);
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'member_access_expression':
        return this.member(node, env);
      case 'invocation_expression':
        return this.call(node, env);
      case 'object_creation_expression':
        return this.creation(node, env);
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async identifier(node: Node, env: CSharpEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    const declaration = declarationOf(name, node);
    if (!declaration) return UNKNOWN(`\`${name}\` is not declared in this file`);
    return this.declared(name, declaration, env.file, env);
  }

  private async declared(
    name: string,
    declaration: Declaration,
    file: CSharpFile,
    env: CSharpEnv,
  ): Promise<DelayValue> {
    if (declaration.kind === 'parameter') return UNKNOWN(`\`${name}\` is a parameter`);
    const value = declaratorValue(declaration.declarator);
    const inner: CSharpEnv = { ...env, file, bindings: undefined, depth: env.depth + 1 };
    if (declaration.kind === 'field') {
      if (!declaration.constant) return UNKNOWN(`the field \`${name}\` may change at run time`);
      return value ? this.evaluate(value, inner) : UNKNOWN(`\`${name}\` has no initial value`);
    }
    let result = value ? await this.evaluate(value, inner) : UNKNOWN('uninitialised');
    for (const assignment of descendantsOfTypes(
      declaration.scope,
      new Set(['assignment_expression', 'postfix_unary_expression', 'prefix_unary_expression']),
    )) {
      if (assignment.type !== 'assignment_expression') {
        if (assignment.namedChild(0)?.text === name && /\+\+|--/.test(assignment.text))
          result = dominant(result, { kind: 'linear' });
        continue;
      }
      if (assignment.childForFieldName('left')?.text !== name) continue;
      const right = assignment.childForFieldName('right')!;
      const rhs = await this.evaluate(right, { ...inner, counters: new Set([...env.counters, name]) });
      result = stepped(result, assignment.childForFieldName('operator')?.text ?? '=', rhs, right.text, name);
    }
    return result;
  }

  private async member(node: Node, env: CSharpEnv): Promise<DelayValue> {
    const object = node.childForFieldName('expression');
    const name = node.childForFieldName('name')?.text ?? '';
    if (!object) return UNKNOWN('member');
    if (/^Total(Milliseconds|Seconds|Minutes)$/.test(name)) {
      const unit = unitMs(name.replace('Total', '')) ?? 1;
      return scaled(await this.evaluate(object, env), 1 / unit);
    }
    if (object.type === 'this_expression' || object.text === 'this') {
      const type = enclosingType(node);
      const declaration = type ? fieldOf(type, name) : null;
      return declaration
        ? this.declared(name, declaration, env.file, env)
        : UNKNOWN(`\`${node.text}\` may change at run time`);
    }
    const className =
      object.type === 'identifier'
        ? object.text
        : object.type === 'member_access_expression'
          ? (object.childForFieldName('name')?.text ?? '')
          : '';
    if (className === '' || (object.type === 'identifier' && declarationOf(className, object)))
      return UNKNOWN(`\`${node.text}\` is read at run time`);
    const found = await this.findType(env.file, className);
    const declaration = found ? fieldOf(found.type, name) : null;
    if (!found || !declaration) return UNKNOWN(`\`${node.text}\` could not be followed`);
    const value = await this.declared(name, declaration, found.file, env);
    if (value.kind === 'const' && found.file.path !== env.file.path)
      env.evidence.push(`\`${node.text}\` is ${value.ms} (${found.file.path})`);
    return value;
  }

  /** A class of this file, or of `ClassName.cs` beside it (C# namespaces do not map to folders). */
  private async findType(file: CSharpFile, name: string): Promise<{ file: CSharpFile; type: Node } | null> {
    const local = typeInFile(file.tree.rootNode, name);
    if (local) return { file, type: local };
    const path = joinPath(directoryOf(file.path), `${name}.cs`);
    const tree = await this.files.tree(path);
    const type = tree ? typeInFile(tree.rootNode, name) : null;
    return tree && type ? { file: { tree, path }, type } : null;
  }

  private async call(node: Node, env: CSharpEnv): Promise<DelayValue> {
    if (containsRandom(node)) return { kind: 'random' };
    const fn = node.childForFieldName('function');
    const args = argumentsOf(node);
    if (fn?.type !== 'member_access_expression') return UNKNOWN(`\`${node.text}\` could not be followed`);
    const object = fn.childForFieldName('expression')?.text ?? '';
    const name = fn.childForFieldName('name')?.text ?? '';
    if (object === 'Environment' || /Configuration|GetValue|GetSection/.test(node.text))
      return UNKNOWN('configuration read at run time');
    if (object === 'TimeSpan' && args[0]) {
      const unit = unitMs(name);
      return unit === null ? UNKNOWN(`TimeSpan.${name}`) : scaled(await this.evaluate(args[0], env), unit);
    }
    if (object === 'Math' || object === 'MathF') {
      if (PASS_THROUGH_MATH.has(name) && args[0]) return this.evaluate(args[0], env);
      if (name === 'Pow' && args[0] && args[1])
        return power(await this.evaluate(args[0], env), await this.evaluate(args[1], env));
      if ((name === 'Min' || name === 'Max') && args.length > 0) {
        return minMax(
          name === 'Min' ? 'min' : 'max',
          await Promise.all(args.map((a) => this.evaluate(a, env))),
        );
      }
    }
    if (
      /^(Convert|int|long|double)$/.test(object) &&
      /^(ToInt32|ToInt64|ToDouble|Parse)$/.test(name) &&
      args[0]
    )
      return this.evaluate(args[0], env);
    return UNKNOWN(`\`${fn.text}\` could not be followed`);
  }

  private async creation(node: Node, env: CSharpEnv): Promise<DelayValue> {
    if (node.childForFieldName('type')?.text !== 'TimeSpan') return UNKNOWN('object');
    const args = argumentsOf(node);
    if (args.length === 1) return scaled(await this.evaluate(args[0]!, env), MS_PER_TICK);
    const parts = TIMESPAN_PARTS[args.length];
    if (!parts) return UNKNOWN('TimeSpan');
    let total: DelayValue = { kind: 'const', ms: 0 };
    for (const [index, arg] of args.entries())
      total = foldBinary('+', total, scaled(await this.evaluate(arg, env), parts[index]!));
    return total;
  }
}

function enclosingType(node: Node): Node | null {
  for (let current = node.parent; current; current = current.parent)
    if (TYPE_DECLARATIONS.has(current.type)) return current;
  return null;
}
