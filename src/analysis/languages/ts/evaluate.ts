import { ts } from 'ts-morph';
import {
  combine,
  dominant,
  minMax,
  power,
  UNKNOWN,
  type ArithmeticOp,
  type DelayValue,
} from '../../delay.js';
import { SERVER_HINT_NAME } from '../../context.js';
import { MAX_RESOLUTION_DEPTH } from './modules.js';
import { isFunctionNode, propertyOf, type FunctionNode, type Resolved, type Resolver } from './resolve.js';
import {
  calleeName,
  enclosingFunction,
  functionName,
  isFunctionBoundary,
  mentionsName,
  unwrap,
} from './scope.js';

/** Everything evaluating one delay needs: where it is, which names count as the attempt counter. */
export interface EvalEnv {
  file: ts.SourceFile;
  counters: ReadonlySet<string>;
  /** Parameter values while a helper's body is being inlined. */
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  /** Facts established while resolving, for the finding's evidence. */
  evidence: string[];
  /** Steps left for this delay, shared across the whole evaluation: hostile input cannot make it run long. */
  budget?: { steps: number };
}

/** Evaluation steps per delay; real delays need tens. */
export const MAX_EVALUATION_STEPS = 2_000;

const ARITHMETIC: Partial<Record<ts.SyntaxKind, ArithmeticOp>> = {
  [ts.SyntaxKind.PlusToken]: '+',
  [ts.SyntaxKind.MinusToken]: '-',
  [ts.SyntaxKind.AsteriskToken]: '*',
  [ts.SyntaxKind.SlashToken]: '/',
  [ts.SyntaxKind.PercentToken]: '%',
  [ts.SyntaxKind.AsteriskAsteriskToken]: '**',
  [ts.SyntaxKind.LessThanLessThanToken]: '<<',
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: '>>',
};

const RANDOM_CALLEES =
  /^(random|randomInt|getRandomValues|randomBytes|randomFillSync|randomUUID|nextDouble|sample|shuffle)$/;
/** Fields of a callback's argument that count attempts: `options.attempt`, `{ attemptCount }`, `times_connected`. */
const ATTEMPT_FIELD =
  /^(attempt|attempts|attemptCount|attemptNumber|retryCount|retries|times|times_connected|count)$/;
const PASS_THROUGH_MATH = new Set(['floor', 'ceil', 'round', 'trunc', 'abs']);
const NUMBER_COERCIONS = new Set(['Number', 'parseInt', 'parseFloat']);

/** Any source of randomness in a subtree (not following calls): `Math.random()`, `crypto.randomInt`, `_.random`. */
export function containsRandom(node: ts.Node): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(current)) {
      const callee = unwrap(current.expression);
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (RANDOM_CALLEES.test(name) || /jitter/i.test(name)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

export class DelayEvaluator {
  constructor(private readonly resolver: Resolver) {}

  async evaluate(expression: ts.Expression, env: EvalEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    env.budget ??= { steps: MAX_EVALUATION_STEPS };
    if (--env.budget.steps < 0) return UNKNOWN('expression too large to evaluate');
    const node = unwrap(expression);
    if (ts.isNumericLiteral(node)) return { kind: 'const', ms: Number(node.text.replace(/_/g, '')) };
    if (!isChoice(node) && SERVER_HINT_NAME.test(node.getText(env.file))) return { kind: 'server' };
    if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      // `2 ** this.attempts++`: a value stepped on every use is the attempt counter.
      return { kind: 'counter', name: node.operand.getText(env.file) };
    }
    if (ts.isPrefixUnaryExpression(node)) {
      const inner = await this.evaluate(node.operand, env);
      if (node.operator === ts.SyntaxKind.MinusToken && inner.kind === 'const')
        return { kind: 'const', ms: -inner.ms };
      return node.operator === ts.SyntaxKind.PlusToken || node.operator === ts.SyntaxKind.MinusToken
        ? inner
        : UNKNOWN('operator');
    }
    if (ts.isBinaryExpression(node)) return this.binary(node, env);
    if (ts.isConditionalExpression(node)) {
      const whenTrue = await this.evaluate(node.whenTrue, env);
      const whenFalse = await this.evaluate(node.whenFalse, env);
      // Either branch may run; the longer constant is the wait that matters.
      if (whenTrue.kind === 'const' && whenFalse.kind === 'const')
        return { kind: 'const', ms: Math.max(whenTrue.ms, whenFalse.ms) };
      return choice(whenTrue, whenFalse);
    }
    if (ts.isIdentifier(node)) return this.identifier(node, env);
    if (ts.isPropertyAccessExpression(node)) return this.property(node, env);
    if (ts.isElementAccessExpression(node)) return this.element(node, env);
    if (ts.isCallExpression(node)) return this.call(node, env);
    return UNKNOWN(`cannot evaluate ${ts.SyntaxKind[node.kind]}`);
  }

  private async binary(node: ts.BinaryExpression, env: EvalEnv): Promise<DelayValue> {
    const op = ARITHMETIC[node.operatorToken.kind];
    const left = await this.evaluate(node.left, env);
    const right = await this.evaluate(node.right, env);
    if (op) return combine(op, left, right);
    const kind = node.operatorToken.kind;
    if (kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken)
      return choice(left, right);
    return UNKNOWN('non-arithmetic operator');
  }

  private async identifier(node: ts.Identifier, env: EvalEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    if (name === 'Infinity' || name === 'undefined' || name === 'NaN') return UNKNOWN(name);
    const resolved = await this.resolver.identifier(name, node, env.file, env.depth);
    return this.resolved(name, resolved, env);
  }

  private async resolved(name: string, resolved: Resolved | null, env: EvalEnv): Promise<DelayValue> {
    if (!resolved) return UNKNOWN(`\`${name}\` is not declared in a file that could be read`);
    switch (resolved.kind) {
      case 'expression': {
        const value = await this.evaluate(resolved.node, {
          ...env,
          file: resolved.file,
          bindings: undefined,
          depth: env.depth + 1,
        });
        if (value.kind === 'const' && resolved.file !== env.file) {
          env.evidence.push(`\`${name}\` is ${value.ms} (${resolved.file.fileName})`);
        }
        return value;
      }
      case 'parameter':
        return recursiveGrowth(resolved.node, resolved.owner) ?? UNKNOWN(`\`${name}\` is a parameter`);
      case 'loop-variable':
        return { kind: 'counter', name };
      case 'mutable':
        return this.mutable(name, resolved.node, resolved.file, env);
      case 'package':
        return UNKNOWN(`\`${name}\` comes from the package ${resolved.specifier}`);
      default:
        return UNKNOWN(`\`${name}\` is not a number`);
    }
  }

  /**
   * `let delay = 1000; … delay *= 2`: a variable that grows between attempts is a backoff; one that is
   * only ever assigned constants is as fixed as a constant.
   */
  private async mutable(
    name: string,
    declaration: ts.VariableDeclaration,
    file: ts.SourceFile,
    env: EvalEnv,
  ): Promise<DelayValue> {
    const scope = enclosingFunction(declaration) ?? file;
    let value = declaration.initializer
      ? await this.evaluate(declaration.initializer, {
          ...env,
          file,
          bindings: undefined,
          depth: env.depth + 1,
        })
      : UNKNOWN('uninitialised');
    const assignments: ts.Node[] = [];
    const visit = (current: ts.Node): void => {
      if (ts.isBinaryExpression(current) && ts.isIdentifier(current.left) && current.left.text === name) {
        const kind = current.operatorToken.kind;
        if (kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment)
          assignments.push(current);
      } else if (
        (ts.isPrefixUnaryExpression(current) || ts.isPostfixUnaryExpression(current)) &&
        ts.isIdentifier(current.operand) &&
        current.operand.text === name
      ) {
        assignments.push(current);
      }
      ts.forEachChild(current, visit);
    };
    visit(scope);
    for (const assignment of assignments) {
      if (!ts.isBinaryExpression(assignment)) {
        value = dominant(value, { kind: 'linear' });
        continue;
      }
      const op = assignment.operatorToken.kind;
      const rhs = await this.evaluate(assignment.right, {
        ...env,
        file,
        bindings: undefined,
        counters: new Set([...env.counters, name]),
        depth: env.depth + 1,
      });
      if (
        op === ts.SyntaxKind.AsteriskEqualsToken ||
        op === ts.SyntaxKind.AsteriskAsteriskEqualsToken ||
        op === ts.SyntaxKind.LessThanLessThanEqualsToken
      ) {
        value = dominant(
          value,
          rhs.kind === 'const' && rhs.ms === 1
            ? value
            : { kind: 'exponential', factor: rhs.kind === 'const' ? rhs.ms : undefined },
        );
      } else if (op === ts.SyntaxKind.PlusEqualsToken || op === ts.SyntaxKind.MinusEqualsToken) {
        value = dominant(
          value,
          rhs.kind === 'const' && rhs.ms === 0 ? value : rhs.kind === 'const' ? { kind: 'linear' } : rhs,
        );
      } else if (op === ts.SyntaxKind.EqualsToken) {
        // `delay = delay * 2` and `delay = Math.min(delay * 2, MAX)` see `delay` itself as the counter.
        value =
          rhs.kind === 'counter'
            ? value
            : rhs.kind === 'linear' &&
                mentionsName(assignment.right, name) &&
                /\*|<</.test(assignment.right.getText(file))
              ? { kind: 'exponential' }
              : dominant(value, rhs);
      } else {
        value = dominant(value, UNKNOWN('reassigned'));
      }
    }
    return value;
  }

  private async property(node: ts.PropertyAccessExpression, env: EvalEnv): Promise<DelayValue> {
    const text = node.getText(env.file);
    if (/^process\.env\b/.test(text) || /\benv\./.test(text)) return UNKNOWN('environment variable');
    if (node.expression.kind === ts.SyntaxKind.ThisKeyword) return this.classField(node, env);
    // `options.attempt` where `options` is the attempt-describing argument of a delay callback.
    if (
      ts.isIdentifier(node.expression) &&
      env.counters.has(node.expression.text) &&
      ATTEMPT_FIELD.test(node.name.text)
    ) {
      return { kind: 'counter', name: text };
    }
    const object = await this.resolver.objectOf(node.expression, env.file, env.depth + 1);
    if (object) {
      const value = propertyOf(object.node, node.name.text);
      if (value) {
        const result = await this.evaluate(value, {
          ...env,
          file: object.file,
          bindings: undefined,
          depth: env.depth + 1,
        });
        if (result.kind === 'const' && object.file !== env.file)
          env.evidence.push(`\`${text}\` is ${result.ms} (${object.file.fileName})`);
        return result;
      }
      return UNKNOWN(`\`${text}\` is not set in the object`);
    }
    // Enum members and namespace imports: `Delays.Retry`, `config.RETRY_MS` from `import * as config`.
    const base = unwrap(node.expression);
    if (ts.isIdentifier(base)) {
      const resolved = await this.resolver.identifier(base.text, base, env.file, env.depth + 1);
      if (resolved?.kind === 'enum') {
        const member = resolved.node.members.find((m) => m.name.getText(resolved.file) === node.name.text);
        if (member?.initializer)
          return this.evaluate(member.initializer, {
            ...env,
            file: resolved.file,
            bindings: undefined,
            depth: env.depth + 1,
          });
      }
      if (resolved?.kind === 'class') {
        const member = resolved.node.members.find(
          (m) => ts.isPropertyDeclaration(m) && m.name.getText(resolved.file) === node.name.text,
        );
        if (member && ts.isPropertyDeclaration(member) && member.initializer && isReadonly(member)) {
          return this.evaluate(member.initializer, {
            ...env,
            file: resolved.file,
            bindings: undefined,
            depth: env.depth + 1,
          });
        }
      }
      if (resolved?.kind === 'module') {
        const exported = await this.resolver.exported(resolved.file, node.name.text, env.depth + 1);
        return this.resolved(text, exported, env);
      }
    }
    return UNKNOWN(`\`${text}\` is read at run time`);
  }

  /** `this.retryDelay` where the class declares `readonly retryDelay = 5000` (or a static). */
  private async classField(node: ts.PropertyAccessExpression, env: EvalEnv): Promise<DelayValue> {
    let owner: ts.Node | undefined = node.parent;
    while (owner && !ts.isClassLike(owner)) owner = owner.parent;
    if (!owner || !ts.isClassLike(owner)) return UNKNOWN('`this` outside a class');
    for (const member of owner.members) {
      if (!ts.isPropertyDeclaration(member) || member.name.getText(env.file) !== node.name.text) continue;
      if (member.initializer && isReadonly(member))
        return this.evaluate(member.initializer, { ...env, bindings: undefined, depth: env.depth + 1 });
    }
    // A field the class steps (`this.attempts++`, `this.attempts += 1`) counts attempts.
    const stepped = new RegExp(
      `this\\.${node.name.text}\\s*(\\+\\+|--|\\+=)|(\\+\\+|--)\\s*this\\.${node.name.text}\\b`,
    );
    if (stepped.test(owner.getText(env.file))) return { kind: 'counter', name: `this.${node.name.text}` };
    // Assigned exactly once in the whole class (the constructor, or the declaration): a constant per instance.
    const assignments = fieldAssignments(owner, node.name.text);
    const declared = owner.members.find(
      (m): m is ts.PropertyDeclaration =>
        ts.isPropertyDeclaration(m) && m.name.getText(env.file) === node.name.text,
    );
    const sources = [...assignments, ...(declared?.initializer ? [declared.initializer] : [])];
    if (sources.length === 1) {
      const value = await this.evaluate(sources[0]!, { ...env, bindings: undefined, depth: env.depth + 1 });
      if (value.kind === 'const') return value;
    }
    return UNKNOWN(`\`this.${node.name.text}\` may change at run time`);
  }

  /** `DELAYS[attempt]`: a table of waits indexed by the attempt is a schedule; its shape decides. */
  private async element(node: ts.ElementAccessExpression, env: EvalEnv): Promise<DelayValue> {
    const index = await this.evaluate(node.argumentExpression, env);
    const table = await this.arrayOf(node.expression, env);
    if (!table) return UNKNOWN('indexed value');
    const values = await Promise.all(
      table.elements.map((element) =>
        this.evaluate(element, { ...env, file: table.file, depth: env.depth + 1 }),
      ),
    );
    if (values.some((v) => v.kind !== 'const'))
      return values.reduce(dominant, { kind: 'const', ms: 0 } as DelayValue);
    const numbers = values.map((v) => (v as { ms: number }).ms);
    if (numbers.length === 0) return UNKNOWN('empty table');
    if (index.kind === 'const')
      return { kind: 'const', ms: numbers[index.ms] ?? numbers[numbers.length - 1]! };
    if (numbers.every((n) => n === numbers[0])) return { kind: 'const', ms: numbers[0]! };
    const ratios = numbers.slice(1).map((n, i) => n / numbers[i]!);
    const geometric = ratios.length > 0 && ratios.every((r) => r >= 1.5);
    return geometric ? { kind: 'exponential', baseMs: numbers[0] } : { kind: 'linear', baseMs: numbers[0] };
  }

  private async arrayOf(
    expression: ts.Expression,
    env: EvalEnv,
  ): Promise<{ elements: ts.Expression[]; file: ts.SourceFile } | null> {
    const node = unwrap(expression);
    if (ts.isArrayLiteralExpression(node)) return { elements: [...node.elements], file: env.file };
    if (ts.isIdentifier(node)) {
      const resolved = await this.resolver.identifier(node.text, node, env.file, env.depth + 1);
      if (resolved?.kind === 'expression') {
        const inner = unwrap(resolved.node);
        if (ts.isArrayLiteralExpression(inner)) return { elements: [...inner.elements], file: resolved.file };
      }
    }
    return null;
  }

  private async call(node: ts.CallExpression, env: EvalEnv): Promise<DelayValue> {
    if (containsRandom(node)) return { kind: 'random' };
    const callee = unwrap(node.expression);
    const args = node.arguments;
    if (
      ts.isPropertyAccessExpression(callee) &&
      ts.isIdentifier(callee.expression) &&
      callee.expression.text === 'Math'
    ) {
      const fn = callee.name.text;
      if (PASS_THROUGH_MATH.has(fn) && args[0]) return this.evaluate(args[0], env);
      if (fn === 'pow' && args[0] && args[1])
        return power(await this.evaluate(args[0], env), await this.evaluate(args[1], env));
      if (fn === 'min' || fn === 'max')
        return minMax(fn, await Promise.all(args.map((a) => this.evaluate(a, env))));
      return UNKNOWN(`Math.${fn}`);
    }
    if (ts.isIdentifier(callee) && NUMBER_COERCIONS.has(callee.text) && args[0])
      return this.evaluate(args[0], env);
    // rxjs `timer(ms)` inside a delay function waits its argument.
    if (ts.isIdentifier(callee) && callee.text === 'timer' && args[0]) return this.evaluate(args[0], env);
    const target = await this.callTarget(callee, env);
    if (!target) return UNKNOWN(`\`${callee.getText(env.file)}\` could not be followed`);
    return this.inline(target.node, target.file, args, env);
  }

  async callTarget(
    callee: ts.Expression,
    env: EvalEnv,
  ): Promise<{ node: FunctionNode; file: ts.SourceFile } | null> {
    if (ts.isIdentifier(callee)) {
      const resolved = await this.resolver.identifier(callee.text, callee, env.file, env.depth + 1);
      if (resolved?.kind === 'function') return { node: resolved.node, file: resolved.file };
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
      const resolved = await this.resolver.identifier(
        callee.expression.text,
        callee.expression,
        env.file,
        env.depth + 1,
      );
      if (resolved?.kind === 'module') {
        const exported = await this.resolver.exported(resolved.file, callee.name.text, env.depth + 1);
        if (exported?.kind === 'function') return { node: exported.node, file: exported.file };
      }
    }
    return null;
  }

  /** Evaluates `expression` inside helper `fn` with its parameters bound to the call's arguments. */
  async inlineExpression(
    fn: FunctionNode,
    file: ts.SourceFile,
    args: readonly ts.Expression[],
    expression: ts.Expression,
    env: EvalEnv,
  ): Promise<DelayValue> {
    if (fn.body && containsRandom(fn.body)) return { kind: 'random' };
    const bindings = await this.bind(fn, file, args, env);
    return this.evaluate(expression, { ...env, file, bindings, depth: env.depth + 1 });
  }

  private async bind(
    fn: FunctionNode,
    file: ts.SourceFile,
    args: readonly ts.Expression[],
    env: EvalEnv,
  ): Promise<Map<string, DelayValue>> {
    const bindings = new Map<string, DelayValue>();
    for (const [index, parameter] of fn.parameters.entries()) {
      if (!ts.isIdentifier(parameter.name)) continue;
      const arg = args[index];
      const value = arg
        ? await this.evaluate(arg, env)
        : parameter.initializer
          ? await this.evaluate(parameter.initializer, { ...env, file, depth: env.depth + 1 })
          : UNKNOWN('missing argument');
      bindings.set(parameter.name.text, value);
    }
    return bindings;
  }

  /** Evaluates what a helper returns for these arguments: `backoff(attempt)` → its body with `attempt` bound. */
  private async inline(
    fn: FunctionNode,
    file: ts.SourceFile,
    args: readonly ts.Expression[],
    env: EvalEnv,
  ): Promise<DelayValue> {
    if (fn.body && containsRandom(fn.body)) return { kind: 'random' };
    const returned = returnedExpression(fn);
    if (!returned) return UNKNOWN('helper body too complex to evaluate');
    const bindings = await this.bind(fn, file, args, env);
    return this.evaluate(returned, { ...env, file, bindings, depth: env.depth + 1 });
  }
}

/** `a ? b : c`, `a ?? b`, `a || b`: one of several values is used, so each is judged on its own. */
function isChoice(node: ts.Expression): boolean {
  if (ts.isConditionalExpression(node)) return true;
  if (!ts.isBinaryExpression(node)) return false;
  const kind = node.operatorToken.kind;
  return kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken;
}

/**
 * One of two values: a server hint (`Retry-After`) spreads clients only when the server sends it, so an
 * unjittered fallback for when it does not is still the herd. Randomness or an unknown value otherwise wins.
 */
function choice(a: DelayValue, b: DelayValue): DelayValue {
  if (a.kind === 'server' && isFallbackWait(b)) return b;
  if (b.kind === 'server' && isFallbackWait(a)) return a;
  return dominant(a, b);
}

/** A wait of its own when the server says nothing; `0` only means "no opinion" beside a server hint. */
function isFallbackWait(value: DelayValue): boolean {
  return (value.kind === 'const' && value.ms > 0) || value.kind === 'linear' || value.kind === 'exponential';
}

/**
 * A delay parameter of a function that calls itself again: `retry(fn, n - 1, delay * 2)` doubles it
 * (exponential), `delay + 1000` grows it linearly. Passed on unchanged it is whatever the caller chose.
 */
function recursiveGrowth(
  parameter: ts.ParameterDeclaration,
  owner: ts.SignatureDeclaration,
): DelayValue | null {
  if (!ts.isIdentifier(parameter.name)) return null;
  const name = parameter.name.text;
  const self = functionName(owner);
  const index = owner.parameters.indexOf(parameter);
  if (!self || index < 0) return null;
  let growth: DelayValue | null = null;
  const visit = (node: ts.Node): void => {
    if (growth) return;
    // `retryDelay *= 2` or `retryDelay = retryDelay * 2` before passing it on.
    if (ts.isBinaryExpression(node) && ts.isIdentifier(node.left) && node.left.text === name) {
      const op = node.operatorToken.kind;
      const right = unwrap(node.right);
      if (containsRandom(right)) growth = { kind: 'random' };
      else if (op === ts.SyntaxKind.AsteriskEqualsToken || op === ts.SyntaxKind.LessThanLessThanEqualsToken)
        growth = { kind: 'exponential' };
      else if (op === ts.SyntaxKind.PlusEqualsToken) growth = { kind: 'linear' };
      else if (
        op === ts.SyntaxKind.EqualsToken &&
        ts.isBinaryExpression(right) &&
        mentionsName(right, name)
      ) {
        const inner = right.operatorToken.kind;
        if (inner === ts.SyntaxKind.AsteriskToken || inner === ts.SyntaxKind.LessThanLessThanToken)
          growth = { kind: 'exponential' };
        else if (inner === ts.SyntaxKind.PlusToken) growth = { kind: 'linear' };
      }
    }
    if (ts.isCallExpression(node) && calleeName(node) === self) {
      const raw = node.arguments[index];
      const argument = raw ? unwrap(raw) : null;
      if (argument && containsRandom(argument)) growth = { kind: 'random' };
      else if (argument && ts.isBinaryExpression(argument) && mentionsName(argument, name)) {
        const op = argument.operatorToken.kind;
        if (op === ts.SyntaxKind.AsteriskToken || op === ts.SyntaxKind.LessThanLessThanToken)
          growth = { kind: 'exponential' };
        else if (op === ts.SyntaxKind.PlusToken) growth = { kind: 'linear' };
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(owner, visit);
  return growth;
}

/** Right-hand sides of `this.name = …` anywhere in a class. */
function fieldAssignments(owner: ts.ClassLikeDeclaration, name: string): ts.Expression[] {
  const found: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isPropertyAccessExpression(node.left) &&
      node.left.expression.kind === ts.SyntaxKind.ThisKeyword &&
      node.left.name.text === name
    ) {
      found.push(node.right);
    }
    ts.forEachChild(node, visit);
  };
  for (const member of owner.members) visit(member);
  return found;
}

function isReadonly(member: ts.PropertyDeclaration): boolean {
  return (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
}

/** The single expression a function returns, if it is that simple. */
export function returnedExpression(fn: ts.SignatureDeclaration): ts.Expression | null {
  if (!isFunctionNode(fn) || !fn.body) return null;
  if (!ts.isBlock(fn.body)) return fn.body;
  const returns: ts.ReturnStatement[] = [];
  const visit = (node: ts.Node): void => {
    if (isFunctionBoundary(node)) return;
    if (ts.isReturnStatement(node)) returns.push(node);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(fn.body, visit);
  return returns.length === 1 && returns[0]!.expression ? returns[0]!.expression : null;
}
