import type { Node, Tree } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, namedChildren } from '../tree-sitter/syntax.js';
import { directoryOf, joinPath, type TreeCache } from './tree-cache.js';

/**
 * Where Java names are declared: locals and parameters of the enclosing methods, fields of the
 * enclosing classes, and classes of the same package or imported ones, found as files under the
 * source root that the package declaration implies (`src/main/java/com/acme/Config.java`).
 */

export const JAVA_FUNCTIONS = new Set([
  'method_declaration',
  'constructor_declaration',
  'compact_constructor_declaration',
  'lambda_expression',
  'static_initializer',
]);

const TYPE_DECLARATIONS = new Set([
  'class_declaration',
  'interface_declaration',
  'enum_declaration',
  'record_declaration',
  'annotation_type_declaration',
]);

export type JavaDeclaration =
  | { kind: 'local'; declarator: Node; scope: Node }
  | { kind: 'parameter' }
  | { kind: 'field'; declarator: Node; owner: Node; constant: boolean };

/** A file of the scan with its path, so names in it resolve against its own imports. */
export interface JavaFile {
  tree: Tree;
  path: string;
}

export function enclosingTypes(node: Node): Node[] {
  const types: Node[] = [];
  for (let current = node.parent; current; current = current.parent) {
    if (TYPE_DECLARATIONS.has(current.type)) types.push(current);
  }
  return types;
}

function modifiersText(declaration: Node): string {
  return namedChildren(declaration).find((child) => child.type === 'modifiers')?.text ?? '';
}

/** The declaration `name` refers to at `node`, looking outwards: locals, parameters, then fields. */
export function declarationOf(name: string, node: Node): JavaDeclaration | null {
  for (let scope = node.parent; scope; scope = scope.parent) {
    if (
      scope.type === 'block' ||
      scope.type === 'switch_block_statement_group' ||
      scope.type === 'for_statement'
    ) {
      for (const child of namedChildren(scope)) {
        if (child.startIndex >= node.startIndex && scope.type !== 'for_statement') break;
        if (child.type !== 'local_variable_declaration') continue;
        for (const declarator of namedChildren(child)) {
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
      JAVA_FUNCTIONS.has(scope.type) ||
      scope.type === 'catch_clause' ||
      scope.type === 'enhanced_for_statement'
    ) {
      if (parameterNames(scope).includes(name)) return { kind: 'parameter' };
    }
    if (TYPE_DECLARATIONS.has(scope.type)) {
      const field = fieldOf(scope, name);
      if (field) return field;
    }
  }
  return null;
}

function functionOf(node: Node): Node | null {
  for (let current: Node | null = node; current; current = current.parent) {
    if (JAVA_FUNCTIONS.has(current.type)) return current;
  }
  return null;
}

function parameterNames(scope: Node): string[] {
  if (scope.type === 'enhanced_for_statement') return [scope.childForFieldName('name')?.text ?? ''];
  if (scope.type === 'catch_clause') {
    const parameter = namedChildren(scope).find((child) => child.type === 'catch_formal_parameter');
    return [parameter?.childForFieldName('name')?.text ?? ''];
  }
  const parameters = scope.childForFieldName('parameters');
  if (!parameters) return [];
  if (parameters.type === 'identifier') return [parameters.text];
  return namedChildren(parameters)
    .map((p) => (p.type === 'identifier' ? p.text : (p.childForFieldName('name')?.text ?? '')))
    .filter((n) => n !== '');
}

/** A field (or interface constant) named `name` declared directly in `type`. */
export function fieldOf(type: Node, name: string): JavaDeclaration | null {
  const body = type.childForFieldName('body');
  if (!body) return null;
  const isInterface = type.type === 'interface_declaration' || type.type === 'annotation_type_declaration';
  for (const member of namedChildren(body)) {
    if (member.type !== 'field_declaration' && member.type !== 'constant_declaration') continue;
    for (const declarator of namedChildren(member)) {
      if (declarator.type !== 'variable_declarator' || declarator.childForFieldName('name')?.text !== name)
        continue;
      const modifiers = modifiersText(member);
      // A non-final field is a constant only when nothing assigns or injects it.
      const constant =
        isInterface ||
        member.type === 'constant_declaration' ||
        /\bfinal\b/.test(modifiers) ||
        (!/@/.test(modifiers) && !assignsField(type, name));
      return { kind: 'field', declarator, owner: type, constant };
    }
  }
  return null;
}

function assignsField(type: Node, name: string): boolean {
  return descendantsOfTypes(type, new Set(['assignment_expression', 'update_expression'])).some(
    (assignment) => {
      const target = assignment.childForFieldName('left') ?? assignment.namedChild(0);
      if (!target) return false;
      return target.text === name || target.text === `this.${name}`;
    },
  );
}

/** A type declared in this file by simple name (top level or nested). */
export function typeInFile(root: Node, name: string): Node | null {
  return (
    descendantsOfTypes(root, TYPE_DECLARATIONS).find(
      (type) => type.childForFieldName('name')?.text === name,
    ) ?? null
  );
}

export function packageOf(root: Node): string {
  const declaration = namedChildren(root).find((child) => child.type === 'package_declaration');
  return declaration ? (namedChildren(declaration)[0]?.text ?? '').replace(/\s+/g, '') : '';
}

interface ImportLine {
  path: string;
  isStatic: boolean;
  wildcard: boolean;
}

export function importsOf(root: Node): ImportLine[] {
  return namedChildren(root)
    .filter((child) => child.type === 'import_declaration')
    .map((declaration) => {
      const text = declaration.text.replace(/\s+/g, ' ');
      const isStatic = /^import static /.test(text);
      const path = text
        .replace(/^import (static )?/, '')
        .replace(/;$/, '')
        .replace(/\s/g, '');
      return { path: path.replace(/\.\*$/, ''), isStatic, wildcard: path.endsWith('.*') };
    });
}

/** The directory the package's folders hang from, when the path agrees with the package declaration. */
function sourceRoot(file: JavaFile): string | null {
  const pkg = packageOf(file.tree.rootNode);
  const directory = directoryOf(file.path);
  if (pkg === '') return directory;
  const suffix = pkg.replace(/\./g, '/');
  if (directory === suffix) return '';
  return directory.endsWith(`/${suffix}`) ? directory.slice(0, -suffix.length - 1) : null;
}

/** Candidate paths of the file declaring class `name` as seen from `file`, most likely first. */
function classPaths(file: JavaFile, name: string, extension: string): string[] {
  const root = sourceRoot(file);
  const paths: string[] = [];
  for (const line of importsOf(file.tree.rootNode)) {
    if (line.isStatic) continue;
    const segments = line.path.split('.');
    if (!line.wildcard && segments[segments.length - 1] === name && root !== null) {
      paths.push(joinPath(root, `${segments.join('/')}${extension}`));
    }
    if (line.wildcard && root !== null)
      paths.push(joinPath(root, `${segments.join('/')}/${name}${extension}`));
  }
  paths.push(joinPath(directoryOf(file.path), `${name}${extension}`));
  return paths;
}

/** The declaration of class `name` visible from `file`: in the file itself, or in another file of the repository. */
export async function findType(
  file: JavaFile,
  name: string,
  files: TreeCache,
  extension = '.java',
): Promise<{ file: JavaFile; type: Node } | null> {
  const local = typeInFile(file.tree.rootNode, name);
  if (local) return { file, type: local };
  for (const path of classPaths(file, name, extension)) {
    if (path === file.path) continue;
    const tree = await files.tree(path);
    const type = tree ? typeInFile(tree.rootNode, name) : null;
    if (tree && type) return { file: { tree, path }, type };
  }
  return null;
}

/** `import static com.acme.Config.RETRY_DELAY;` (or `Config.*`): the class a statically imported name lives in. */
export function staticImportOwner(file: JavaFile, name: string): { classPath: string; className: string }[] {
  const owners: { classPath: string; className: string }[] = [];
  for (const line of importsOf(file.tree.rootNode)) {
    if (!line.isStatic) continue;
    const segments = line.path.split('.');
    if (!line.wildcard && segments[segments.length - 1] !== name) continue;
    const classSegments = line.wildcard ? segments : segments.slice(0, -1);
    const className = classSegments[classSegments.length - 1];
    if (className) owners.push({ classPath: classSegments.join('/'), className });
  }
  return owners;
}

export async function staticImportField(
  file: JavaFile,
  name: string,
  files: TreeCache,
): Promise<{ file: JavaFile; declaration: JavaDeclaration } | null> {
  const root = sourceRoot(file);
  if (root === null) return null;
  for (const owner of staticImportOwner(file, name)) {
    const path = joinPath(root, `${owner.classPath}.java`);
    const tree = await files.tree(path);
    const type = tree ? typeInFile(tree.rootNode, owner.className) : null;
    const declaration = type ? fieldOf(type, name) : null;
    if (tree && declaration) return { file: { tree, path }, declaration };
  }
  return null;
}

/** Methods named `name` declared in `type` (any arity). */
export function methodsOf(type: Node, name: string): Node[] {
  const body = type.childForFieldName('body');
  if (!body) return [];
  return namedChildren(body).filter(
    (member) => member.type === 'method_declaration' && member.childForFieldName('name')?.text === name,
  );
}
