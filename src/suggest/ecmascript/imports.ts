import { ts } from 'ts-morph';
import { inlineCode } from '../inline-code.js';
import type { PlannedEdit } from '../plan.js';
import { unwrap, type EcmaSource } from './source.js';

/** How a module's export is reachable in a file. */
export interface Binding {
  /** The expression to write: `timer`, `rx.timer`, `axiosRetry`. */
  expression: string;
  kind: 'default' | 'named' | 'namespace';
}

function isModule(specifier: ts.Expression, modules: readonly string[]): boolean {
  return ts.isStringLiteralLike(specifier) && modules.includes(specifier.text);
}

function requiredModule(initializer: ts.Expression | undefined, modules: readonly string[]): boolean {
  if (initializer === undefined) return false;
  let inner = unwrap(initializer);
  // `require('axios-retry').default`
  if (ts.isPropertyAccessExpression(inner) && inner.name.text === 'default') inner = unwrap(inner.expression);
  return (
    ts.isCallExpression(inner) &&
    ts.isIdentifier(inner.expression) &&
    inner.expression.text === 'require' &&
    inner.arguments.length === 1 &&
    isModule(inner.arguments[0]!, modules)
  );
}

/**
 * Finds how `exported` ('default' for the default export) of one of `modules` is bound in the file,
 * through ESM imports or CommonJS `require`.
 */
export function findBinding(
  source: EcmaSource,
  modules: readonly string[],
  exported: string,
): Binding | undefined {
  for (const statement of source.file.statements) {
    if (ts.isImportDeclaration(statement) && isModule(statement.moduleSpecifier, modules)) {
      const clause = statement.importClause;
      if (clause === undefined || clause.isTypeOnly) continue;
      if (exported === 'default' && clause.name !== undefined)
        return { expression: clause.name.text, kind: 'default' };
      const bindings = clause.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) {
        const member = exported === 'default' ? 'default' : exported;
        return { expression: `${bindings.name.text}.${member}`, kind: 'namespace' };
      }
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const imported = (element.propertyName ?? element.name).text;
          if (imported === exported && !element.isTypeOnly)
            return { expression: element.name.text, kind: 'named' };
        }
      }
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (!requiredModule(declaration.initializer, modules)) continue;
        if (ts.isIdentifier(declaration.name)) {
          const whole = declaration.name.text;
          return exported === 'default'
            ? { expression: whole, kind: 'default' }
            : { expression: `${whole}.${exported}`, kind: 'namespace' };
        }
        if (ts.isObjectBindingPattern(declaration.name)) {
          for (const element of declaration.name.elements) {
            const key = element.propertyName ?? element.name;
            if (ts.isIdentifier(key) && key.text === exported && ts.isIdentifier(element.name)) {
              return { expression: element.name.text, kind: 'named' };
            }
          }
        }
      }
    }
  }
  return undefined;
}

/** Where a new import line goes: after the last import, else before the first statement (after directives). */
function newImportPosition(source: EcmaSource): { offset: number; after: boolean } {
  const { statements } = source.file;
  const imports = statements.filter(
    (statement) =>
      ts.isImportDeclaration(statement) ||
      (ts.isVariableStatement(statement) &&
        statement.declarationList.declarations.some((declaration) =>
          /^require\s*\(/.test(declaration.initializer?.getText(source.file) ?? ''),
        )),
  );
  const lastImport = imports[imports.length - 1];
  if (lastImport !== undefined) {
    return { offset: source.lines.lineContentEnd(source.lines.lineOf(lastImport.end)), after: true };
  }
  const firstCode = statements.find(
    (statement) => !(ts.isExpressionStatement(statement) && ts.isStringLiteral(statement.expression)),
  );
  if (firstCode === undefined) return { offset: source.text.length, after: true };
  return { offset: source.lines.lineStart(source.lines.lineOf(source.start(firstCode))), after: false };
}

/** An edit that adds a whole import statement (ESM or CommonJS, matching the file). */
export function addImportStatement(source: EcmaSource, statement: string, note: string): PlannedEdit {
  const position = newImportPosition(source);
  const newText = position.after ? `\n${statement}` : `${statement}\n`;
  return { start: position.offset, end: position.offset, newText, note };
}

/**
 * Makes the named export `name` of `module` usable in the file: reuses an existing binding, extends an
 * existing import from the module, or adds an import statement.
 */
export function ensureNamedImport(
  source: EcmaSource,
  module: string,
  name: string,
): { expression: string; edit?: PlannedEdit } {
  const existing = findBinding(source, [module], name);
  if (existing !== undefined) return { expression: existing.expression };
  const q = source.quote;
  const semi = source.usesSemicolons ? ';' : '';
  for (const statement of source.file.statements) {
    if (!ts.isImportDeclaration(statement) || !isModule(statement.moduleSpecifier, [module])) continue;
    const clause = statement.importClause;
    if (clause === undefined || clause.isTypeOnly) continue;
    const line = source.lines.lineOf(source.start(statement));
    const note = `add \`${name}\` to the \`${module}\` import on line ${line}`;
    const bindings = clause.namedBindings;
    if (bindings !== undefined && ts.isNamedImports(bindings)) {
      const last = bindings.elements[bindings.elements.length - 1];
      if (last === undefined) {
        return {
          expression: name,
          edit: { start: source.start(bindings) + 1, end: bindings.end - 1, newText: ` ${name} `, note },
        };
      }
      return { expression: name, edit: { start: last.end, end: last.end, newText: `, ${name}`, note } };
    }
    if (bindings === undefined && clause.name !== undefined) {
      return {
        expression: name,
        edit: { start: clause.name.end, end: clause.name.end, newText: `, { ${name} }`, note },
      };
    }
  }
  const statement = source.isCommonJs
    ? `const { ${name} } = require(${q}${module}${q})${semi}`
    : `import { ${name} } from ${q}${module}${q}${semi}`;
  return {
    expression: name,
    edit: addImportStatement(source, statement, `add ${inlineCode(statement)} at the top of the file`),
  };
}

/** True when `name` is declared or imported anywhere at the top level of the file. */
export function declaresTopLevel(source: EcmaSource, name: string): boolean {
  for (const statement of source.file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.name?.text === name) return true;
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings) && bindings.name.text === name)
        return true;
      if (
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.some((e) => e.name.text === name)
      ) {
        return true;
      }
    }
    if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name?.text === name
    ) {
      return true;
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name) return true;
        if (
          ts.isObjectBindingPattern(declaration.name) &&
          declaration.name.elements.some((e) => ts.isIdentifier(e.name) && e.name.text === name)
        ) {
          return true;
        }
      }
    }
  }
  return false;
}
