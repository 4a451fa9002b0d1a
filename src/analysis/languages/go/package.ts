import type { Node } from '../tree-sitter/runtime.js';
import {
  descendantsOfTypes,
  field,
  namedChildren,
  repeatedCalls,
  scopedIndex,
  some,
} from '../tree-sitter/syntax.js';

/**
 * What a Go file declares, as plain data: imports, package-level constants and variables (as source
 * text), and the facts analysis needs about its functions. A package is the union of the files of
 * one directory, so constants defined next door (`const retryDelay = 2 * time.Second` in
 * `config.go`) are in scope.
 */

export interface GoConstant {
  text: string;
  /** The file that declares it: its imports qualify the expression (`time.Second`). */
  path: string;
}

export interface GoFunction {
  params: string[];
  /** The single expression returned, when the body is that simple. */
  returns?: string;
  random: boolean;
  /** Waits one of its parameters (a sleep helper). */
  sleeps?: { param: number };
  delayLike: boolean;
  path: string;
}

export interface GoFile {
  path: string;
  packageName: string;
  /** Local name → import path. */
  imports: Map<string, string>;
  constants: Map<string, GoConstant>;
  functions: Map<string, GoFunction>;
  /** Methods by name, receiver type ignored: `c.sleep(d)` inside the package is followed like a function. */
  methods: Map<string, GoFunction>;
}

/** Functions bigger than this are not sleep helpers. */
const MAX_HELPER_CALLS = 4;
const FUNCTION_TYPES = new Set(['function_declaration', 'method_declaration', 'func_literal']);
/** What a function's facts are read from. */
const FACT_TYPES = new Set(['call_expression', 'for_statement', 'return_statement']);
const INDEX_TYPES = new Set([...FACT_TYPES, 'assignment_statement']);
const IDENTIFIER = new Set(['identifier']);
const LOOPS = new Set(['for_statement']);

/** `f(…)` → `f`, `c.f(…)` → `f`. */
function calledName(call: Node): string | undefined {
  const callee = field(call, 'function');
  return callee?.type === 'selector_expression' ? field(callee, 'field')?.text : callee?.text;
}

/** Whether `node` uses the name `name`. */
export function mentions(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return node.text.includes(name) && descendantsOfTypes(node, IDENTIFIER).some((n) => n.text === name);
}
const RANDOM_PACKAGES = new Set(['math/rand', 'math/rand/v2', 'crypto/rand', 'golang.org/x/exp/rand']);

/**
 * The name a package is used by when imported without an alias: the last path element, skipping a
 * major-version suffix (`/v4`) and the `go-` / `-go` decorations Go repositories like
 * (`go-retryablehttp` → `retryablehttp`, `retry-go` → `retry`).
 */
export function defaultImportName(importPath: string): string {
  const segments = importPath.split('/');
  let last = segments[segments.length - 1] ?? importPath;
  if (/^v\d+$/.test(last) && segments.length > 1) last = segments[segments.length - 2]!;
  return last
    .replace(/^go-/, '')
    .replace(/[-.]go$/, '')
    .replace(/\.v\d+$/, '')
    .replace(/-/g, '');
}

export function summariseGo(path: string, root: Node): GoFile {
  return summariseGoIndexed(path, root).file;
}

/** The file summary and, from the same pass, the calls in loops or recursive functions (the analyzer's candidates). */
export function summariseGoIndexed(path: string, root: Node): { file: GoFile; calls: Node[] } {
  const index = scopedIndex(root, INDEX_TYPES, FUNCTION_TYPES);
  const file: GoFile = {
    path,
    packageName: '',
    imports: new Map(),
    constants: new Map(),
    functions: new Map(),
    methods: new Map(),
  };
  for (const declaration of namedChildren(root)) {
    if (declaration.type === 'package_clause') file.packageName = declaration.namedChild(0)?.text ?? '';
    if (declaration.type === 'import_declaration') collectImports(declaration, file.imports);
    if (declaration.type === 'const_declaration' || declaration.type === 'var_declaration') {
      collectValues(declaration, path, file.constants);
    }
    if (declaration.type === 'function_declaration' || declaration.type === 'method_declaration') {
      const name = field(declaration, 'name')?.text;
      const into = declaration.type === 'function_declaration' ? file.functions : file.methods;
      if (name)
        into.set(name, functionFacts(declaration, path, file.imports, index.inScope.get(declaration.id)));
    }
  }
  // A package-level `var` assigned anywhere in a function of this file is not a constant.
  for (const node of index.all) {
    if (node.type !== 'assignment_statement') continue;
    for (const target of namedChildren(field(node, 'left') ?? node)) {
      if (target.type === 'identifier') file.constants.delete(target.text);
    }
  }
  return { file, calls: repeatedCalls(index, 'call_expression', LOOPS, calledName) };
}

function collectImports(declaration: Node, imports: Map<string, string>): void {
  some(declaration, (node) => {
    if (node.type === 'import_spec') {
      const path = field(node, 'path')?.text.replace(/^["`]|["`]$/g, '') ?? '';
      const alias = field(node, 'name')?.text;
      if (alias === '_' || alias === '.') return false;
      imports.set(alias ?? defaultImportName(path), path);
    }
    return false;
  });
}

/** `const X = …`, `const ( A = …; B = … )`, `var Y = …`: names bound to one value each. */
function collectValues(declaration: Node, path: string, values: Map<string, GoConstant>): void {
  some(declaration, (node) => {
    if (node.type !== 'const_spec' && node.type !== 'var_spec') return false;
    const names = node.childrenForFieldName('name').filter((n): n is Node => !!n);
    const valueList = field(node, 'value');
    const exprs = valueList ? namedChildren(valueList) : [];
    names.forEach((name, index) => {
      const expr = exprs[index];
      if (expr) values.set(name.text, { text: expr.text, path });
    });
    return false;
  });
}

export function parameterNames(fn: Node): string[] {
  const parameters = field(fn, 'parameters');
  if (!parameters) return [];
  const names: string[] = [];
  for (const declaration of namedChildren(parameters)) {
    const declared = declaration.childrenForFieldName('name').filter((n): n is Node => !!n);
    if (declared.length === 0) names.push('');
    for (const name of declared) names.push(name.text);
  }
  return names;
}

/** `time.Sleep` with `import t "time"` → `time.Sleep`: a selector named by the import path. */
export function qualified(node: Node, imports: ReadonlyMap<string, string>): string {
  if (node.type === 'selector_expression') {
    const operand = field(node, 'operand');
    const member = field(node, 'field')?.text ?? '';
    if (operand?.type === 'identifier' && imports.has(operand.text))
      return `${imports.get(operand.text)}.${member}`;
    return `${operand?.text ?? ''}.${member}`;
  }
  return node.text;
}

export function isRandomCall(callee: Node, imports: ReadonlyMap<string, string>): boolean {
  const name = qualified(callee, imports);
  const dot = name.lastIndexOf('.');
  const pkg = dot > 0 ? name.slice(0, dot) : '';
  return RANDOM_PACKAGES.has(pkg) || /jitter|random/i.test(name.slice(dot + 1));
}

/** `time.Sleep(d)` or `time.After(d)` / `time.NewTimer(d)` (a wait when received from). */
export function isTimeWait(callee: Node, imports: ReadonlyMap<string, string>): boolean {
  return /^time\.(Sleep|After|NewTimer)$/.test(qualified(callee, imports));
}

export function functionFacts(
  fn: Node,
  path: string,
  imports: ReadonlyMap<string, string>,
  inside?: readonly Node[],
): GoFunction {
  const params = parameterNames(fn);
  const facts: GoFunction = { params, random: false, delayLike: false, path };
  const body = field(fn, 'body');
  if (!body) return facts;
  let calls = 0;
  let loops = false;
  let wait: Node | null = null;
  const returns: Node[] = [];
  for (const node of inside ?? descendantsOfTypes(body, FACT_TYPES, FUNCTION_TYPES)) {
    if (node.type === 'call_expression') {
      calls += 1;
      const callee = field(node, 'function');
      if (callee && isRandomCall(callee, imports)) facts.random = true;
      if (callee && !wait && isTimeWait(callee, imports)) wait = node;
    }
    if (node.type === 'for_statement') loops = true;
    if (node.type === 'return_statement') returns.push(node);
  }
  if (returns.length === 1) {
    const list = returns[0]!.namedChild(0);
    const values = list ? namedChildren(list) : [];
    if (values.length === 1) facts.returns = values[0]!.text;
  }
  facts.delayLike = /time\.(Duration|Second|Millisecond|Sleep|After)|<<|math\.Pow/.test(body.text);
  if (wait && !loops && calls <= MAX_HELPER_CALLS) {
    const argument = field(wait, 'arguments')?.namedChild(0);
    const index = argument ? params.findIndex((p) => p !== '' && mentions(argument, p)) : -1;
    if (index >= 0) facts.sleeps = { param: index };
  }
  return facts;
}

/** The arguments of a call expression (none when the list is missing in broken code). */
export function callArguments(call: Node): Node[] {
  const list = field(call, 'arguments');
  return list ? namedChildren(list) : [];
}
