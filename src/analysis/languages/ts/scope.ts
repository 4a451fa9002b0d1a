import { ts } from 'ts-morph';

/**
 * Name lookup without a type checker: walk outward through the scopes of the syntax tree to the
 * declaration a name refers to. Enough for constants, helpers and counters, which is all a delay needs.
 */

export type Declaration =
  | { kind: 'variable'; node: ts.VariableDeclaration; element?: ts.BindingElement; isConst: boolean }
  | { kind: 'parameter'; node: ts.ParameterDeclaration; owner: ts.SignatureDeclaration }
  | { kind: 'loop-variable'; node: ts.VariableDeclaration; loop: ts.IterationStatement }
  | { kind: 'function'; node: ts.FunctionDeclaration }
  | { kind: 'class'; node: ts.ClassDeclaration }
  | { kind: 'enum'; node: ts.EnumDeclaration }
  | { kind: 'import'; specifier: string; imported: string /* 'default' | '*' | exported name */ };

export function isFunctionBoundary(node: ts.Node): node is ts.SignatureDeclaration & ts.Node {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

export function lookup(name: string, from: ts.Node): Declaration | null {
  for (let scope: ts.Node | undefined = from; scope; scope = scope.parent) {
    if (isFunctionBoundary(scope)) {
      for (const parameter of scope.parameters) {
        const found = matchBindingName(parameter.name, name);
        if (found) return { kind: 'parameter', node: parameter, owner: scope };
      }
      if (ts.isFunctionExpression(scope) && scope.name?.text === name) return null;
    }
    if (
      (ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) &&
      scope.initializer &&
      ts.isVariableDeclarationList(scope.initializer)
    ) {
      for (const declaration of scope.initializer.declarations) {
        if (matchBindingName(declaration.name, name))
          return { kind: 'loop-variable', node: declaration, loop: scope };
      }
    }
    if (
      ts.isCatchClause(scope) &&
      scope.variableDeclaration &&
      matchBindingName(scope.variableDeclaration.name, name)
    ) {
      return null;
    }
    const statements = statementsOf(scope);
    if (statements) {
      const found = lookupInStatements(statements, name);
      if (found) return found;
    }
  }
  return null;
}

function statementsOf(node: ts.Node): ts.NodeArray<ts.Statement> | null {
  if (
    ts.isBlock(node) ||
    ts.isSourceFile(node) ||
    ts.isModuleBlock(node) ||
    ts.isCaseClause(node) ||
    ts.isDefaultClause(node)
  ) {
    return node.statements;
  }
  return null;
}

export function lookupInStatements(statements: readonly ts.Statement[], name: string): Declaration | null {
  for (const statement of statements) {
    if (ts.isVariableStatement(statement)) {
      const isConst = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        const element = matchBindingName(declaration.name, name);
        if (!element) continue;
        const required = requireOf(declaration, element);
        if (required) return required;
        return {
          kind: 'variable',
          node: declaration,
          element: ts.isBindingElement(element) ? element : undefined,
          isConst,
        };
      }
    } else if (ts.isFunctionDeclaration(statement) && statement.name?.text === name) {
      return { kind: 'function', node: statement };
    } else if (ts.isClassDeclaration(statement) && statement.name?.text === name) {
      return { kind: 'class', node: statement };
    } else if (ts.isEnumDeclaration(statement) && statement.name.text === name) {
      return { kind: 'enum', node: statement };
    } else if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const imported = importedName(statement, name);
      if (imported) return { kind: 'import', specifier: statement.moduleSpecifier.text, imported };
    } else if (ts.isImportEqualsDeclaration(statement) && statement.name.text === name) {
      const reference = statement.moduleReference;
      if (ts.isExternalModuleReference(reference) && ts.isStringLiteral(reference.expression)) {
        return { kind: 'import', specifier: reference.expression.text, imported: '*' };
      }
    }
  }
  return null;
}

function importedName(statement: ts.ImportDeclaration, name: string): string | null {
  const clause = statement.importClause;
  if (!clause) return null;
  if (clause.name?.text === name) return 'default';
  const bindings = clause.namedBindings;
  if (!bindings) return null;
  if (ts.isNamespaceImport(bindings)) return bindings.name.text === name ? '*' : null;
  for (const element of bindings.elements) {
    if (element.name.text === name) return (element.propertyName ?? element.name).text;
  }
  return null;
}

/** `const x = require('m')`, `const { a: x } = require('m')`: CommonJS imports. */
function requireOf(declaration: ts.VariableDeclaration, element: ts.Node): Declaration | null {
  const required = requiredModule(declaration.initializer);
  if (!required) return null;
  if (ts.isIdentifier(element) && ts.isIdentifier(declaration.name)) {
    return { kind: 'import', specifier: required.specifier, imported: required.imported };
  }
  const argument = { text: required.specifier };
  if (ts.isBindingElement(element)) {
    const property = element.propertyName ?? element.name;
    if (ts.isIdentifier(property))
      return { kind: 'import', specifier: argument.text, imported: property.text };
  }
  return null;
}

/** The identifier or binding element that declares `name` inside a (possibly destructuring) pattern. */
function matchBindingName(pattern: ts.BindingName, name: string): ts.Node | null {
  if (ts.isIdentifier(pattern)) return pattern.text === name ? pattern : null;
  for (const element of pattern.elements) {
    if (ts.isOmittedExpression(element)) continue;
    if (ts.isIdentifier(element.name)) {
      if (element.name.text === name) return element;
    } else {
      const nested = matchBindingName(element.name, name);
      if (nested) return nested;
    }
  }
  return null;
}

/** `require('m')` → m and `*`; `require('m').default` / `require('m').name` → that export. */
function requiredModule(init: ts.Expression | undefined): { specifier: string; imported: string } | null {
  if (!init) return null;
  let expression = unwrap(init);
  let imported = '*';
  if (ts.isPropertyAccessExpression(expression)) {
    imported = expression.name.text;
    expression = unwrap(expression.expression);
  }
  if (
    !ts.isCallExpression(expression) ||
    !ts.isIdentifier(expression.expression) ||
    expression.expression.text !== 'require'
  )
    return null;
  const [argument] = expression.arguments;
  return argument && ts.isStringLiteral(argument) ? { specifier: argument.text, imported } : null;
}

/** Local name → module specifier and imported name, for every import of a file (ESM and CommonJS). */
export function importsOf(file: ts.SourceFile): Map<string, { specifier: string; imported: string }> {
  const result = new Map<string, { specifier: string; imported: string }>();
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const specifier = statement.moduleSpecifier.text;
      const clause = statement.importClause;
      if (!clause) continue;
      if (clause.name) result.set(clause.name.text, { specifier, imported: 'default' });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings))
        result.set(bindings.name.text, { specifier, imported: '*' });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          result.set(element.name.text, { specifier, imported: (element.propertyName ?? element.name).text });
        }
      }
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const required = requiredModule(declaration.initializer);
        if (!required) continue;
        const argument = { text: required.specifier };
        if (ts.isIdentifier(declaration.name)) {
          result.set(declaration.name.text, required);
        } else if (ts.isObjectBindingPattern(declaration.name)) {
          for (const element of declaration.name.elements) {
            const property = element.propertyName ?? element.name;
            if (ts.isIdentifier(element.name) && ts.isIdentifier(property)) {
              result.set(element.name.text, { specifier: argument.text, imported: property.text });
            }
          }
        }
      }
    }
  }
  return result;
}

/** Strips wrappers that do not change a value: parentheses, `as`, `satisfies`, `!`, `<T>x`. */
export function unwrap(expression: ts.Expression): ts.Expression {
  let current = expression;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isNonNullExpression(current) ||
    ts.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

export function enclosingFunction(node: ts.Node): (ts.SignatureDeclaration & ts.Node) | null {
  for (let current = node.parent; current; current = current.parent) {
    if (isFunctionBoundary(current)) return current;
  }
  return null;
}

/** The name a function can call itself by: its own name, or the variable/property it is assigned to. */
export function functionName(fn: ts.Node): string | null {
  if ((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name) return fn.name.text;
  if (ts.isMethodDeclaration(fn) && (ts.isIdentifier(fn.name) || ts.isPrivateIdentifier(fn.name)))
    return fn.name.text;
  const parent = fn.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  // `Client.prototype.reconnect = function () {…}`, `this.onClose = () => {…}`.
  if (
    parent &&
    ts.isBinaryExpression(parent) &&
    parent.right === fn &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isPropertyAccessExpression(parent.left)
  )
    return parent.left.name.text;
  return null;
}

/** The name of the function a call invokes: `f()` → f, `this.f()` / `obj.f()` → f. */
export function calleeName(call: ts.CallExpression | ts.NewExpression): string | null {
  const callee = unwrap(call.expression);
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return null;
}

export function isLoop(node: ts.Node): node is ts.IterationStatement {
  return (
    ts.isForStatement(node) ||
    ts.isForOfStatement(node) ||
    ts.isForInStatement(node) ||
    ts.isWhileStatement(node) ||
    ts.isDoStatement(node)
  );
}

/** Whether an identifier called `name` occurs anywhere under `node`. */
export function mentionsName(node: ts.Node, name: string): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(current) && current.text === name) found = true;
    else ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

/** The single expression a function returns, if it is that simple. */
export function returnedExpression(fn: ts.SignatureDeclaration): ts.Expression | null {
  const withBody =
    ts.isFunctionDeclaration(fn) ||
    ts.isFunctionExpression(fn) ||
    ts.isArrowFunction(fn) ||
    ts.isMethodDeclaration(fn);
  if (!withBody || !fn.body) return null;
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
