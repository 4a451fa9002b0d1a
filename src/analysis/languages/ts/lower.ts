import { ts } from 'ts-morph';
import type { ArithmeticOp } from '../../delay.js';
import { JITTER_NAME, SERVER_HINT_NAME } from '../../context.js';
import { MAX_EXPRESSION_NESTING } from '../../flow/engine.js';
import { randomDraw, type DrawSource } from '../../flow/draw-range.js';
import type { Expr } from '../../flow/ir.js';
import { isRandomCallee } from './random.js';
import { unwrap } from './scope.js';

/**
 * TS/JS expression syntax → the engine's expressions. Only syntax is decided here: what a name, a
 * call or a property means is the engine's business. Object literals become the classes the facts
 * walk made of them (`objectClass`), so `CONFIG.retry.delay` and `{ ...DEFAULTS, ...opts }.delay`
 * are fields the engine follows.
 */

export interface LowerContext {
  /** The synthetic class the facts walk recorded for an object literal (null: not recorded). */
  objectClass?: (node: ts.ObjectLiteralExpression) => string | null;
  /** Callees that hand back their first argument in this context (rxjs `timer(ms)` in a delay function). */
  passThrough?: ReadonlySet<string>;
}

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

/** Rounding and conversions do not change a delay's shape. */
const PASS_THROUGH_MATH = new Set(['floor', 'ceil', 'round', 'trunc', 'abs']);
const NUMBER_COERCIONS = new Set(['Number', 'parseInt', 'parseFloat']);
const NOT_A_DELAY = new Set(['undefined', 'Infinity', 'NaN', 'null']);
const ENVIRONMENT = /^process\.env\b|\bimport\.meta\.env\b|^Deno\.env\b/;
/** An expression that reads the environment somewhere (`Number(process.env.RETRY_MS)`). */
const ENVIRONMENT_READ = /\bprocess\.env\b|\bimport\.meta\.env\b|\bDeno\.env\b/;

export function lowerTs(
  node: ts.Expression,
  file: ts.SourceFile,
  context: LowerContext = {},
  depth = 0,
): Expr {
  if (depth > MAX_EXPRESSION_NESTING) return { k: 'todo', what: 'expression nested too deeply' };
  const lower = (n: ts.Expression): Expr => lowerTs(n, file, context, depth + 1);
  const line = (n: ts.Node): number => file.getLineAndCharacterOfPosition(n.getStart(file)).line + 1;
  const expr = unwrap(node);
  if (ts.isNumericLiteral(expr)) {
    const value = Number(expr.text.replace(/_/g, ''));
    return Number.isFinite(value) ? { k: 'num', value } : { k: 'todo', what: expr.text };
  }
  if (ts.isPrefixUnaryExpression(expr)) {
    if (expr.operator === ts.SyntaxKind.MinusToken) return { k: 'neg', inner: lower(expr.operand) };
    if (expr.operator === ts.SyntaxKind.PlusToken) return lower(expr.operand);
    // `2 ** this.attempts++`: the value stepped (the walk records the step as an update).
    if (expr.operator === ts.SyntaxKind.PlusPlusToken || expr.operator === ts.SyntaxKind.MinusMinusToken)
      return lower(expr.operand);
    return { k: 'todo', what: 'operator' };
  }
  if (ts.isPostfixUnaryExpression(expr)) return lower(expr.operand);
  if (ts.isBinaryExpression(expr)) {
    const kind = expr.operatorToken.kind;
    const op = ARITHMETIC[kind];
    if (op) return { k: 'binary', op, left: lower(expr.left), right: lower(expr.right) };
    // `a ?? b`, `a || b`: either may be the value.
    if (kind === ts.SyntaxKind.QuestionQuestionToken || kind === ts.SyntaxKind.BarBarToken) {
      // `process.env.RETRY_MS ?? 1500`: the project's own default is what runs without the variable.
      if (ENVIRONMENT_READ.test(unwrap(expr.left).getText(file))) return lower(expr.right);
      return { k: 'either', options: [lower(expr.left), lower(expr.right)] };
    }
    if (kind === ts.SyntaxKind.CommaToken) return lower(expr.right);
    return { k: 'todo', what: 'operator' };
  }
  if (ts.isConditionalExpression(expr))
    return { k: 'either', options: [lower(expr.whenTrue), lower(expr.whenFalse)] };
  if (ts.isIdentifier(expr)) {
    if (NOT_A_DELAY.has(expr.text)) return { k: 'todo', what: expr.text };
    return { k: 'name', name: expr.text, line: line(expr) };
  }
  if (expr.kind === ts.SyntaxKind.ThisKeyword) return { k: 'self' };
  if (ts.isPropertyAccessExpression(expr)) {
    const text = expr.getText(file);
    if (ENVIRONMENT.test(text)) return { k: 'external', what: 'an environment variable' };
    if (SERVER_HINT_NAME.test(expr.name.text)) return { k: 'server', what: text };
    const setting = nodeConfigProperty(expr, file, line(expr));
    if (setting) return setting;
    return { k: 'member', object: lower(expr.expression), name: expr.name.text, line: line(expr) };
  }
  if (ts.isElementAccessExpression(expr)) {
    const text = expr.getText(file);
    if (ENVIRONMENT.test(text)) return { k: 'external', what: 'an environment variable' };
    if (SERVER_HINT_NAME.test(text)) return { k: 'server', what: text };
    const index = unwrap(expr.argumentExpression);
    if (ts.isStringLiteral(index) || ts.isNoSubstitutionTemplateLiteral(index))
      return { k: 'member', object: lower(expr.expression), name: index.text, line: line(expr) };
    const table = unwrap(expr.expression);
    if (ts.isArrayLiteralExpression(table))
      return { k: 'table', items: table.elements.map(lower), index: lower(index) };
    return { k: 'table', items: [], index: lower(index), of: lower(table) };
  }
  if (ts.isArrayLiteralExpression(expr)) return { k: 'table', items: expr.elements.map(lower) };
  if (ts.isObjectLiteralExpression(expr)) {
    const name = context.objectClass?.(expr);
    return name
      ? { k: 'call', callee: { k: 'name', name, line: line(expr) }, args: [], named: [], line: line(expr) }
      : { k: 'todo', what: 'an object' };
  }
  if (ts.isCallExpression(expr) || ts.isNewExpression(expr)) return lowerCall(expr, file, context, depth);
  if (ts.isAwaitExpression(expr)) return lower(expr.expression);
  return { k: 'todo', what: `cannot evaluate ${ts.SyntaxKind[expr.kind]}` };
}

/**
 * Seeded generator libraries, seeded by their first argument (autoseeded without one): seedrandom and
 * its algorithms (`seedrandom.alea(…)`, `new Math.seedrandom(…)`), Prando, Chance, MersenneTwister.
 */
const SEEDED_GENERATOR =
  /(^|\.)(seedrandom|alea|xor128|xorwow|xorshift7|xor4096|tychei)$|^(Prando|Chance|MersenneTwister)$/;

function lowerCall(
  node: ts.CallExpression | ts.NewExpression,
  file: ts.SourceFile,
  context: LowerContext,
  depth: number,
): Expr {
  const lower = (n: ts.Expression): Expr => lowerTs(n, file, context, depth + 1);
  const callee = unwrap(node.expression);
  const args = node.arguments ?? ts.factory.createNodeArray<ts.Expression>();
  const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  // A random draw (`Math.random()`, `crypto.randomInt`, a `jitter` helper) makes the result random;
  // a random argument is found as it is lowered below.
  const name = ts.isIdentifier(callee)
    ? callee.text
    : ts.isPropertyAccessExpression(callee)
      ? callee.name.text
      : '';
  if (SEEDED_GENERATOR.test(callee.getText(file))) {
    const seed = args[0] && unwrap(args[0]);
    // A string seed (`seedrandom('retry')`) is as constant as a number: only its being one matters.
    const lowered =
      seed && ts.isStringLiteralLike(seed)
        ? { k: 'num' as const, value: 0, text: seed.getText(file) }
        : seed && lower(seed);
    return { k: 'generator', what: node.getText(file), line, ...(lowered ? { seed: lowered } : {}) };
  }
  if (isRandomCallee(name)) {
    const source: DrawSource = {};
    // A draw from a generator object (`rng.random()`): which generator decides whether it is jitter.
    if (
      ts.isPropertyAccessExpression(callee) &&
      !/^(Math|crypto|_|lodash)$/.test(callee.expression.getText(file))
    )
      source.from = lower(callee.expression);
    if (JITTER_NAME.test(name))
      source.via = { k: 'call', callee: lower(callee), args: args.map(lower), named: [], line };
    const drawn = args.filter((a) => !ts.isSpreadElement(a)).map(lower);
    return randomDraw(callee.getText(file), name, drawn, source);
  }
  if (SERVER_HINT_NAME.test(callee.getText(file))) return { k: 'server', what: callee.getText(file) };
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(callee)) {
    const object = unwrap(callee.expression);
    const method = callee.name.text;
    // `headers.get('Retry-After')`: the server's hint.
    if (method === 'get' && args[0] && SERVER_HINT_NAME.test(args[0].getText(file)))
      return { k: 'server', what: args[0].getText(file) };
    const setting = configRead(object, method, args, file, lower);
    if (setting) return setting;
    if (ts.isIdentifier(object) && object.text === 'Math') {
      if (PASS_THROUGH_MATH.has(method) && args[0]) return lower(args[0]);
      if (method === 'pow' && args[0] && args[1])
        return { k: 'binary', op: '**', left: lower(args[0]), right: lower(args[1]) };
      if ((method === 'min' || method === 'max') && args.length > 0)
        return { k: 'minmax', which: method, args: args.map(lower) };
      return { k: 'todo', what: `Math.${method}` };
    }
  }
  if (ts.isCallExpression(node) && ts.isIdentifier(callee) && NUMBER_COERCIONS.has(callee.text) && args[0]) {
    const inner = unwrap(args[0]);
    if (ts.isStringLiteral(inner)) {
      const value = Number(inner.text);
      return Number.isFinite(value) ? { k: 'num', value } : { k: 'todo', what: 'a string' };
    }
    return lower(args[0]);
  }
  if (ts.isIdentifier(callee) && context.passThrough?.has(callee.text) && args[0]) return lower(args[0]);
  // `Object.assign({}, DEFAULTS, opts)` is the object the walk recorded for it.
  if (ts.isCallExpression(node) && isObjectAssign(callee) && context.objectClass) {
    const name = context.objectClass(node as unknown as ts.ObjectLiteralExpression);
    if (name) return { k: 'call', callee: { k: 'name', name, line }, args: [], named: [], line };
  }
  const spread = args.some((a) => ts.isSpreadElement(a));
  const positional = args.filter((a) => !ts.isSpreadElement(a)).map(lower);
  const random = positional.find((a) => a.k === 'random');
  if (random) return random;
  return {
    k: 'call',
    callee: lower(callee),
    args: positional,
    named: [],
    line,
    spread,
  };
}

/** A receiver named for configuration: `config`, `conf`, `nconf`, `settings`, `this.config`. */
const CONFIG_RECEIVER = /(?:^|\.)(?:n?conf(?:ig)?|cfg|settings|configuration)$/i;

/**
 * `config.get('reconnectTimeout')`, `nconf.get('retry:delay')`, `config.get('retry.delay', 500)`: a
 * key of the project's configuration (a `Map`'s `get` has no config-named receiver). Read through the
 * node `config` package, the key comes from its `config/default.*` files.
 */
function configRead(
  object: ts.Expression,
  method: string,
  args: ts.NodeArray<ts.Expression>,
  file: ts.SourceFile,
  lower: (n: ts.Expression) => Expr,
): Expr | null {
  const key = args[0] && unwrap(args[0]);
  if (method !== 'get' || !key || !ts.isStringLiteralLike(key)) return null;
  const receiver = object.getText(file);
  if (!CONFIG_RECEIVER.test(receiver)) return null;
  const setting: Expr = {
    k: 'setting',
    key: key.text.replace(/:/g, '.'),
    of: lower(object),
    line: file.getLineAndCharacterOfPosition(object.getStart(file)).line + 1,
  };
  if (ts.isIdentifier(object) && importsPackage(file, object.text, 'config'))
    setting.convention = 'node-config';
  if (args[1]) setting.fallback = lower(args[1]);
  return setting;
}

/** `config.retry.delay` of the node `config` package (its config object is the files' keys): `retry.delay`. */
function nodeConfigProperty(
  expr: ts.PropertyAccessExpression,
  file: ts.SourceFile,
  line: number,
): Expr | null {
  const path: string[] = [];
  let root: ts.Expression = expr;
  for (; ts.isPropertyAccessExpression(root); root = unwrap(root.expression)) path.unshift(root.name.text);
  if (
    !ts.isIdentifier(root) ||
    !CONFIG_RECEIVER.test(root.text) ||
    !importsPackage(file, root.text, 'config')
  )
    return null;
  return { k: 'setting', key: path.join('.'), convention: 'node-config', line };
}

/** Whether `local` is bound by `import local from 'pkg'`, `import * as local …` or `require('pkg')`. */
function importsPackage(file: ts.SourceFile, local: string, pkg: string): boolean {
  return file.statements.some((statement) => {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const named = clause?.namedBindings;
      return (
        ts.isStringLiteral(statement.moduleSpecifier) &&
        statement.moduleSpecifier.text === pkg &&
        (clause?.name?.text === local ||
          (!!named && ts.isNamespaceImport(named) && named.name.text === local))
      );
    }
    if (!ts.isVariableStatement(statement)) return false;
    return statement.declarationList.declarations.some((d) => {
      const init = d.initializer && unwrap(d.initializer);
      return (
        ts.isIdentifier(d.name) &&
        d.name.text === local &&
        !!init &&
        ts.isCallExpression(init) &&
        init.expression.getText(file) === 'require' &&
        !!init.arguments[0] &&
        ts.isStringLiteral(init.arguments[0]) &&
        init.arguments[0].text === pkg
      );
    });
  });
}

export function isObjectAssign(callee: ts.Expression): boolean {
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Object' &&
    callee.name.text === 'assign'
  );
}
