import { ts } from 'ts-morph';
import { MAX_RESOLUTION_DEPTH, type ModuleGraph } from './modules.js';
import { lookup, lookupInStatements, unwrap, type Declaration } from './scope.js';

/**
 * A value-producing node found by following a name, with the file it lives in. `expression` is a
 * constant's initializer, `fn` a function a call would run.
 */
export type Resolved =
  | { kind: 'expression'; file: ts.SourceFile; node: ts.Expression; via: string[] }
  | { kind: 'function'; file: ts.SourceFile; node: FunctionNode; via: string[] }
  | { kind: 'enum'; file: ts.SourceFile; node: ts.EnumDeclaration; via: string[] }
  | { kind: 'class'; file: ts.SourceFile; node: ts.ClassDeclaration; via: string[] }
  | { kind: 'module'; file: ts.SourceFile; via: string[] }
  | { kind: 'package'; specifier: string; imported: string; via: string[] }
  | { kind: 'parameter'; node: ts.ParameterDeclaration; owner: ts.SignatureDeclaration; via: string[] }
  | { kind: 'loop-variable'; node: ts.VariableDeclaration; loop: ts.IterationStatement; via: string[] }
  | { kind: 'mutable'; file: ts.SourceFile; node: ts.VariableDeclaration; via: string[] };

export type FunctionNode =
  ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;

export function isFunctionNode(node: ts.Node): node is FunctionNode {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node)
  );
}

export class Resolver {
  constructor(readonly graph: ModuleGraph) {}

  /** Follows `name` as seen at `at` in `file` to what it denotes, across files when imported. */
  async identifier(name: string, at: ts.Node, file: ts.SourceFile, depth = 0): Promise<Resolved | null> {
    const declaration = lookup(name, at);
    return declaration ? this.declaration(declaration, file, depth) : null;
  }

  async declaration(declaration: Declaration, file: ts.SourceFile, depth: number): Promise<Resolved | null> {
    const via: string[] = [];
    switch (declaration.kind) {
      case 'parameter':
        return { kind: 'parameter', node: declaration.node, owner: declaration.owner, via };
      case 'loop-variable':
        return { kind: 'loop-variable', node: declaration.node, loop: declaration.loop, via };
      case 'function':
        return { kind: 'function', file, node: declaration.node, via };
      case 'class':
        return { kind: 'class', file, node: declaration.node, via };
      case 'enum':
        return { kind: 'enum', file, node: declaration.node, via };
      case 'import':
        return this.imported(file.fileName, declaration.specifier, declaration.imported, depth);
      case 'variable': {
        const init = declaration.node.initializer;
        if (!init) return null;
        if (!declaration.isConst) return { kind: 'mutable', file, node: declaration.node, via };
        if (declaration.element) {
          // `const { retryDelay } = config`: the property of the initializer's object.
          const property = declaration.element.propertyName ?? declaration.element.name;
          if (!ts.isIdentifier(property)) return null;
          const object = await this.objectOf(init, file, depth);
          const value = object ? propertyOf(object.node, property.text) : null;
          if (value) return this.fromExpression(value, object!.file, depth, object!.via);
          if (declaration.element.initializer)
            return this.fromExpression(declaration.element.initializer, file, depth, via);
          return null;
        }
        return this.fromExpression(init, file, depth, via);
      }
    }
  }

  /** An expression that may itself be a function or an alias of another name. */
  async fromExpression(
    expression: ts.Expression,
    file: ts.SourceFile,
    depth: number,
    via: string[],
  ): Promise<Resolved | null> {
    const node = unwrap(expression);
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node))
      return { kind: 'function', file, node, via };
    if (ts.isIdentifier(node) && depth < MAX_RESOLUTION_DEPTH) {
      const next = await this.identifier(node.text, node, file, depth + 1);
      return next ? { ...next, via: [...via, ...next.via] } : null;
    }
    return { kind: 'expression', file, node, via };
  }

  /** What `export <imported>` of `specifier` is, seen from `fromPath`. */
  async imported(
    fromPath: string,
    specifier: string,
    imported: string,
    depth: number,
  ): Promise<Resolved | null> {
    if (depth >= MAX_RESOLUTION_DEPTH) return null;
    const target = await this.graph.resolve(fromPath, specifier);
    if (!target) return { kind: 'package', specifier, imported, via: [] };
    const file = await this.graph.source(target);
    if (!file) return null;
    if (imported === '*') return { kind: 'module', file, via: [target] };
    const found = await this.exported(file, imported, depth + 1);
    return found ? { ...found, via: [target, ...found.via.filter((path) => path !== target)] } : null;
  }

  /** The declaration behind `export … name` in `file`: direct, default, re-exported, or CommonJS. */
  async exported(file: ts.SourceFile, name: string, depth: number): Promise<Resolved | null> {
    if (depth >= MAX_RESOLUTION_DEPTH) return null;
    const starTargets: string[] = [];
    for (const statement of file.statements) {
      if (name === 'default' && ts.isExportAssignment(statement)) {
        return this.fromExpression(statement.expression, file, depth, []);
      }
      if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) {
        const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword);
        if (
          ts.isFunctionDeclaration(statement) &&
          (isDefault ? name === 'default' : statement.name?.text === name)
        ) {
          return { kind: 'function', file, node: statement, via: [] };
        }
        if (ts.isVariableStatement(statement) || ts.isEnumDeclaration(statement)) {
          const found = lookupInStatements([statement], name);
          if (found) return this.declaration(found, file, depth);
        }
      }
      if (ts.isExportDeclaration(statement)) {
        const from =
          statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
            ? statement.moduleSpecifier.text
            : null;
        const clause = statement.exportClause;
        if (!clause) {
          if (from) starTargets.push(from);
          continue;
        }
        if (ts.isNamedExports(clause)) {
          for (const element of clause.elements) {
            if (element.name.text !== name) continue;
            const local = (element.propertyName ?? element.name).text;
            if (from) return this.imported(file.fileName, from, local, depth);
            const found = lookupInStatements(file.statements, local);
            return found ? this.declaration(found, file, depth) : null;
          }
        }
      }
      const commonJs = commonJsExport(statement, name);
      if (commonJs) return this.fromExpression(commonJs, file, depth, []);
    }
    for (const from of starTargets) {
      const found = await this.imported(file.fileName, from, name, depth);
      if (found && found.kind !== 'package') return found;
    }
    return null;
  }

  /** An object literal an expression denotes (`config`, `config.retry`, `{ … } as const`). */
  async objectOf(
    expression: ts.Expression,
    file: ts.SourceFile,
    depth: number,
  ): Promise<{ node: ts.ObjectLiteralExpression; file: ts.SourceFile; via: string[] } | null> {
    if (depth >= MAX_RESOLUTION_DEPTH) return null;
    const node = unwrap(expression);
    if (ts.isObjectLiteralExpression(node)) return { node, file, via: [] };
    if (ts.isIdentifier(node)) {
      const resolved = await this.identifier(node.text, node, file, depth + 1);
      if (resolved?.kind === 'expression') {
        const inner = await this.objectOf(resolved.node, resolved.file, depth + 1);
        return inner ? { ...inner, via: [...resolved.via, ...inner.via] } : null;
      }
      return null;
    }
    if (ts.isPropertyAccessExpression(node)) {
      const parent = await this.objectOf(node.expression, file, depth + 1);
      const value = parent ? propertyOf(parent.node, node.name.text) : null;
      if (!value || !parent) return null;
      const inner = await this.objectOf(value, parent.file, depth + 1);
      return inner ? { ...inner, via: [...parent.via, ...inner.via] } : null;
    }
    return null;
  }
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return (
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === kind)
  );
}

function propertyOf(object: ts.ObjectLiteralExpression, name: string): ts.Expression | null {
  for (const property of object.properties) {
    const key =
      property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
        ? property.name.text
        : null;
    if (key !== name) continue;
    if (ts.isPropertyAssignment(property)) return property.initializer;
    if (ts.isShorthandPropertyAssignment(property)) return property.name;
    if (ts.isMethodDeclaration(property)) return null;
  }
  return null;
}

/** `module.exports = …`, `module.exports.name = …`, `exports.name = …`, `module.exports = { name }`. */
function commonJsExport(statement: ts.Statement, name: string): ts.Expression | null {
  if (!ts.isExpressionStatement(statement)) return null;
  const expression = statement.expression;
  if (!ts.isBinaryExpression(expression) || expression.operatorToken.kind !== ts.SyntaxKind.EqualsToken)
    return null;
  const target = expression.left.getText();
  if (target === 'module.exports') {
    if (name === 'default') return expression.right;
    const right = unwrap(expression.right);
    return ts.isObjectLiteralExpression(right) ? propertyOf(right, name) : null;
  }
  if (target === `module.exports.${name}` || target === `exports.${name}`) return expression.right;
  return null;
}
