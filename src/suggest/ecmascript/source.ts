import { ts } from 'ts-morph';
import { LineIndex } from '../edits.js';
import { calleeName as calleeNameOf, unwrap } from '../../analysis/languages/ts/scope.js';

export { unwrap };

/** A parsed TS/JS file with the lookups rewrites need. Parsing only: no program, no type checker. */
export class EcmaSource {
  readonly file: ts.SourceFile;
  readonly lines: LineIndex;

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    this.file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, scriptKindOf(path));
    this.lines = new LineIndex(text);
  }

  start(node: ts.Node): number {
    return node.getStart(this.file);
  }

  textOf(node: ts.Node): string {
    return this.text.slice(this.start(node), node.end);
  }

  /**
   * The node spanning exactly [start, end) — the innermost one when wrappers share the span — or else
   * the smallest node enclosing the range.
   */
  nodeAt(start: number, end: number): ts.Node | undefined {
    let exact: ts.Node | undefined;
    let enclosing: ts.Node | undefined;
    const visit = (node: ts.Node): void => {
      const nodeStart = this.start(node);
      if (nodeStart > start || node.end < end) return;
      if (nodeStart === start && node.end === end) exact = node;
      enclosing = node;
      ts.forEachChild(node, visit);
    };
    ts.forEachChild(this.file, visit);
    return exact ?? enclosing;
  }

  /** True when the node's first and last tokens sit on different lines. */
  isMultiLine(node: ts.Node): boolean {
    return this.lines.lineOf(this.start(node)) !== this.lines.lineOf(node.end);
  }

  /** The file is CommonJS when it has `require(` and no import declarations, or is `.cjs`. */
  get isCommonJs(): boolean {
    const hasImport = this.file.statements.some(ts.isImportDeclaration);
    if (hasImport) return false;
    return /\.c[jt]s$/.test(this.path) || /\brequire\s*\(/.test(this.text);
  }

  /** The quote character the file's imports use (single by default). */
  get quote(): string {
    const specifier = this.file.statements.find(ts.isImportDeclaration)?.moduleSpecifier;
    return specifier !== undefined && this.text[this.start(specifier)] === '"' ? '"' : "'";
  }

  /** Whether the file ends its statements with semicolons (judged by its first import or statement). */
  get usesSemicolons(): boolean {
    const sample = this.file.statements.find(ts.isImportDeclaration) ?? this.file.statements[0];
    return sample === undefined || this.text[sample.end - 1] === ';';
  }
}

export function scriptKindOf(path: string): ts.ScriptKind {
  if (/\.tsx$/i.test(path)) return ts.ScriptKind.TSX;
  if (/\.jsx$/i.test(path)) return ts.ScriptKind.JSX;
  if (/\.[cm]?js$/i.test(path)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/** The name of a property (identifier, string or numeric literal key); undefined for computed keys. */
export function propertyName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isNoSubstitutionTemplateLiteral(name)) return name.text;
  return undefined;
}

export type NamedProperty = ts.PropertyAssignment | ts.ShorthandPropertyAssignment | ts.MethodDeclaration;

export function findProperty(object: ts.ObjectLiteralExpression, name: string): NamedProperty | undefined {
  for (const property of object.properties) {
    if (
      (ts.isPropertyAssignment(property) ||
        ts.isShorthandPropertyAssignment(property) ||
        ts.isMethodDeclaration(property)) &&
      propertyName(property.name) === name
    ) {
      return property;
    }
  }
  return undefined;
}

/** The name a call or `new` expression invokes: `retry`, `operation` in `retry.operation`, … */
export function calleeName(node: ts.CallExpression | ts.NewExpression): string | undefined {
  return calleeNameOf(node) ?? undefined;
}

/** The first object literal among a call's arguments. */
export function objectArgument(
  node: ts.CallExpression | ts.NewExpression,
): ts.ObjectLiteralExpression | undefined {
  for (const argument of node.arguments ?? []) {
    const inner = unwrap(argument);
    if (ts.isObjectLiteralExpression(inner)) return inner;
  }
  return undefined;
}

/** Walks up from `node` (inclusive) to the first ancestor matching `test`. */
export function closest<T extends ts.Node>(
  node: ts.Node,
  test: (candidate: ts.Node) => candidate is T,
): T | undefined {
  for (let current: ts.Node | undefined = node; current !== undefined; current = current.parent) {
    if (test(current)) return current;
  }
  return undefined;
}

/** Every node under `root` (inclusive) that matches `test`, in source order. */
export function descendants<T extends ts.Node>(
  root: ts.Node,
  test: (candidate: ts.Node) => candidate is T,
): T[] {
  const found: T[] = [];
  const visit = (node: ts.Node): void => {
    if (test(node)) found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

/** A numeric literal's value (underscores allowed), or undefined for anything else. */
export function numericValue(node: ts.Expression): number | undefined {
  const inner = unwrap(node);
  if (!ts.isNumericLiteral(inner)) return undefined;
  const value = Number(inner.text.replace(/_/g, ''));
  return Number.isFinite(value) ? value : undefined;
}
