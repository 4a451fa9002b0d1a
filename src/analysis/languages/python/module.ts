import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import {
  descendantsOfTypes,
  field,
  namedChildren,
  repeatedCalls,
  scopedIndex,
  type ScopedIndex,
} from '../tree-sitter/syntax.js';

/**
 * What a Python module declares, as plain data: its imports, module-level constants (as source
 * text), functions (as the facts analysis needs) and class attributes. Built from a tree once; the
 * tree is freed afterwards.
 */

/** `import a.b as c` → { module: 'a.b' }; `from .x import y as z` → { module: '.x', name: 'y' }. */
export interface PyImport {
  module: string;
  /** The imported attribute; absent when the whole module is bound. */
  name?: string;
}

export interface PyFunction {
  params: string[];
  /** The single expression the function returns, when its body is that simple. */
  returns?: string;
  /** The body draws a random number (`random.*`, `secrets.*`, a `jitter` helper). */
  random: boolean;
  /** The function waits one of its parameters (a sleep helper): that parameter's index and unit. */
  sleeps?: { param: number; unitMs: number };
  /** The body computes or waits a delay (for jitter-helper discovery). */
  delayLike: boolean;
}

export interface PyModule {
  path: string;
  imports: Map<string, PyImport>;
  /** Module-level `NAME = expr` bound exactly once. */
  constants: Map<string, string>;
  functions: Map<string, PyFunction>;
  /** Class name → class-body `NAME = expr` and `self.NAME = expr` set once in `__init__`. */
  classes: Map<string, Map<string, string>>;
  /** Class name → its methods (parameters include `self`). */
  methods: Map<string, Map<string, PyFunction>>;
}

/** Modules whose `sleep` waits its first argument in seconds. */
export const SLEEP_MODULES = new Set(['time', 'asyncio', 'gevent', 'eventlet', 'trio', 'anyio', 'curio']);

export const SECOND_MS = 1_000;

const IMPORT_TYPES = new Set(['import_statement', 'import_from_statement']);
const LOOPS = new Set(['for_statement', 'while_statement']);

/** `f(…)` → `f`, `self.f(…)` → `f`. */
function calledName(call: Node): string | undefined {
  const callee = field(call, 'function');
  return callee?.type === 'attribute' ? field(callee, 'attribute')?.text : callee?.text;
}

/** Calls that draw a random number: the `random` module, `secrets`, numpy's generator, a jitter helper. */
export const RANDOM_CALL =
  /(^|\.)(random|uniform|randint|randrange|choice|triangular|gauss|normalvariate|expovariate|betavariate|SystemRandom|token_bytes|randbelow)$|^secrets\.|^(np|numpy)\.random\.|jitter/i;

/** Functions bigger than this are not sleep helpers (a retry wrapper that also sleeps is not a way of waiting). */
const MAX_HELPER_CALLS = 4;

export function summarise(path: string, root: Node): PyModule {
  return summariseIndexed(path, root).module;
}

/**
 * The module summary and, from the same pass, every call of the file (for retry libraries) and the
 * calls that can be a pause between attempts (inside a loop or a function that calls itself).
 */
export function summariseIndexed(
  path: string,
  root: Node,
): { module: PyModule; calls: Node[]; repeated: Node[] } {
  const module: PyModule = {
    path,
    imports: new Map(),
    constants: new Map(),
    functions: new Map(),
    classes: new Map(),
    methods: new Map(),
  };
  const assigned = new Map<string, number>();
  const index = scopedIndex(root, INDEX_TYPES, FUNCTION_BOUNDARIES);
  // Imports inside functions are common in Python (lazy imports); they bind the same names.
  for (const statement of index.all)
    if (IMPORT_TYPES.has(statement.type)) collectImports(statement, module.imports);
  for (const statement of namedChildren(root)) {
    const definition = unwrapDecorated(statement);
    if (definition.type === 'function_definition') {
      const name = field(definition, 'name')?.text;
      if (name) module.functions.set(name, functionFacts(definition, module.imports, index));
    } else if (definition.type === 'class_definition') {
      const name = field(definition, 'name')?.text;
      if (name) {
        module.classes.set(name, classAttributes(definition));
        module.methods.set(name, classMethods(definition, module.imports, index));
      }
    } else if (statement.type === 'expression_statement') {
      const assignment = statement.namedChild(0);
      if (assignment?.type === 'assignment') {
        const left = field(assignment, 'left');
        const right = field(assignment, 'right');
        if (left?.type === 'identifier' && right) {
          assigned.set(left.text, (assigned.get(left.text) ?? 0) + 1);
          module.constants.set(left.text, right.text);
        }
      } else if (assignment?.type === 'augmented_assignment') {
        const left = field(assignment, 'left');
        if (left?.type === 'identifier') assigned.set(left.text, 2);
      }
    }
  }
  // A module-level name rebound later is not a constant.
  for (const [name, count] of assigned) if (count > 1) module.constants.delete(name);
  return {
    module,
    calls: index.all.filter((node) => node.type === 'call'),
    repeated: repeatedCalls(index, 'call', LOOPS, calledName),
  };
}

export function unwrapDecorated(node: Node): Node {
  return node.type === 'decorated_definition' ? (field(node, 'definition') ?? node) : node;
}

export function collectImports(statement: Node, imports: Map<string, PyImport>): void {
  if (statement.type === 'import_statement') {
    for (const name of statement.childrenForFieldName('name')) {
      if (!name) continue;
      if (name.type === 'aliased_import') {
        const dotted = field(name, 'name')?.text ?? '';
        const alias = field(name, 'alias')?.text;
        if (alias) imports.set(alias, { module: dotted });
      } else {
        // `import a.b` binds `a`; attribute access walks the rest.
        imports.set(name.text.split('.')[0]!, { module: name.text.split('.')[0]! });
        if (name.text.includes('.')) imports.set(name.text, { module: name.text });
      }
    }
  } else if (statement.type === 'import_from_statement') {
    const module = field(statement, 'module_name')?.text ?? '';
    for (const name of statement.childrenForFieldName('name')) {
      if (!name) continue;
      if (name.type === 'aliased_import') {
        const imported = field(name, 'name')?.text ?? '';
        const alias = field(name, 'alias')?.text;
        if (alias) imports.set(alias, { module, name: imported });
      } else {
        imports.set(name.text, { module, name: name.text });
      }
    }
  }
}

/** The parameter names of a function, `self`/`cls` included (callers skip them for methods). */
export function parameterNames(fn: Node): string[] {
  const parameters = field(fn, 'parameters');
  if (!parameters) return [];
  return namedChildren(parameters).map((p) => {
    if (p.type === 'identifier') return p.text;
    const name = field(p, 'name') ?? p.namedChild(0);
    return name?.type === 'identifier' ? name.text : '';
  });
}

const FUNCTION_BOUNDARIES = new Set(['function_definition', 'lambda', 'class_definition']);
/** What a function's facts are read from: its calls, returns, and control flow a helper would not have. */
const ASSIGNMENT_TYPES = new Set(['assignment', 'augmented_assignment']);
const FACT_TYPES = new Set(['call', 'return_statement', 'try_statement', 'while_statement', 'for_statement']);
const INDEX_TYPES = new Set([...FACT_TYPES, 'import_statement', 'import_from_statement']);

export function functionFacts(
  fn: Node,
  imports: ReadonlyMap<string, PyImport>,
  index?: ScopedIndex,
): PyFunction {
  const params = parameterNames(fn);
  const body = field(fn, 'body');
  const facts: PyFunction = { params, random: false, delayLike: false };
  if (!body) return facts;
  let calls = 0;
  let control = false;
  const returns: Node[] = [];
  let sleepCall: Node | null = null;
  const inside = index?.inScope.get(fn.id) ?? descendantsOfTypes(body, FACT_TYPES, FUNCTION_BOUNDARIES);
  for (const node of inside) {
    if (!FACT_TYPES.has(node.type) && !FUNCTION_BOUNDARIES.has(node.type)) continue;
    if (node.type === 'call') {
      calls += 1;
      const callee = field(node, 'function');
      const name = callee ? qualifiedCallee(callee, imports) : '';
      if (RANDOM_CALL.test(name)) facts.random = true;
      if (!sleepCall && isModuleSleep(name)) sleepCall = node;
    } else if (node.type === 'return_statement') {
      returns.push(node);
    } else if (!FUNCTION_BOUNDARIES.has(node.type)) {
      control = true;
    }
  }
  if (returns.length === 1) {
    const value = returns[0]!.namedChild(0);
    if (value) facts.returns = value.text;
  }
  const text = body.text;
  facts.delayLike = /\*\*|\bmin\(|<<|\bsleep\b|\bdelay\b|backoff/.test(text);
  if (sleepCall && !control && calls <= MAX_HELPER_CALLS) {
    const argument = firstArgument(sleepCall, ['seconds', 'delay', 'secs']);
    const index = argument ? params.findIndex((p) => p !== '' && mentionsName(argument, p)) : -1;
    if (index >= 0) facts.sleeps = { param: index, unitMs: SECOND_MS };
  }
  return facts;
}

function classMethods(
  cls: Node,
  imports: ReadonlyMap<string, PyImport>,
  index: ScopedIndex,
): Map<string, PyFunction> {
  const methods = new Map<string, PyFunction>();
  const body = field(cls, 'body');
  for (const statement of body ? namedChildren(body) : []) {
    const definition = unwrapDecorated(statement);
    const name = definition.type === 'function_definition' ? field(definition, 'name')?.text : undefined;
    if (name) methods.set(name, functionFacts(definition, imports, index));
  }
  return methods;
}

function classAttributes(cls: Node): Map<string, string> {
  const attributes = new Map<string, string>();
  const counts = new Map<string, number>();
  const body = field(cls, 'body');
  if (!body) return attributes;
  const record = (name: string, value: string) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    attributes.set(name, value);
  };
  for (const statement of namedChildren(body)) {
    if (statement.type === 'expression_statement') {
      const assignment = statement.namedChild(0);
      const left = assignment && field(assignment, 'left');
      const right = assignment && field(assignment, 'right');
      if (assignment?.type === 'assignment' && left?.type === 'identifier' && right)
        record(left.text, right.text);
    }
  }
  // `self.NAME = expr` anywhere in the class: set once (usually in `__init__`), it is as good as a constant.
  for (const node of descendantsOfTypes(body, ASSIGNMENT_TYPES)) {
    const left = field(node, 'left');
    const right = field(node, 'right');
    if (left?.type === 'attribute' && field(left, 'object')?.text === 'self') {
      const name = field(left, 'attribute')?.text ?? '';
      record(name, node.type === 'assignment' && right ? right.text : '');
    }
  }
  for (const [name, count] of counts) if (count > 1) attributes.delete(name);
  return attributes;
}

/** `time.sleep` with `import time as t` → `time.sleep`: the callee named by what it was imported as. */
export function qualifiedCallee(callee: Node, imports: ReadonlyMap<string, PyImport>): string {
  if (callee.type === 'identifier') {
    const binding = imports.get(callee.text);
    if (!binding) return callee.text;
    return binding.name ? `${binding.module}.${binding.name}` : binding.module;
  }
  if (callee.type === 'attribute') {
    const object = field(callee, 'object');
    const attribute = field(callee, 'attribute')?.text ?? '';
    return object ? `${qualifiedCallee(object, imports)}.${attribute}` : attribute;
  }
  return callee.text;
}

/** `time.sleep`, `asyncio.sleep`, `gevent.sleep`, …: waits its first argument in seconds. */
export function isModuleSleep(qualified: string): boolean {
  const dot = qualified.lastIndexOf('.');
  return dot > 0 && qualified.slice(dot + 1) === 'sleep' && SLEEP_MODULES.has(qualified.slice(0, dot));
}

/** The first positional argument of a call, or the keyword argument with one of `keywords`. */
export function firstArgument(call: Node, keywords: readonly string[]): Node | null {
  const args = field(call, 'arguments');
  if (!args) return null;
  for (const arg of namedChildren(args)) {
    if (arg.type === 'keyword_argument') {
      if (keywords.includes(field(arg, 'name')?.text ?? '')) return field(arg, 'value');
      continue;
    }
    if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') return null;
    return arg;
  }
  return null;
}

/** Keyword arguments of a call by name. */
export function keywordArguments(call: Node): Map<string, { keyword: Node; value: Node }> {
  const found = new Map<string, { keyword: Node; value: Node }>();
  const args = field(call, 'arguments');
  if (!args) return found;
  for (const arg of namedChildren(args)) {
    if (arg.type !== 'keyword_argument') continue;
    const name = field(arg, 'name')?.text;
    const value = field(arg, 'value');
    if (name && value) found.set(name, { keyword: arg, value });
  }
  return found;
}

/** Positional arguments of a call (before any keyword). */
export function positionalArguments(call: Node): Node[] {
  const args = field(call, 'arguments');
  if (!args) return [];
  return namedChildren(args).filter(
    (arg) => arg.type !== 'keyword_argument' && arg.type !== 'dictionary_splat' && arg.type !== 'list_splat',
  );
}

export function mentionsName(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return (
    node.text.includes(name) && descendantsOfTypes(node, IDENTIFIER).some((current) => current.text === name)
  );
}

const IDENTIFIER = new Set(['identifier']);

/**
 * Repository paths a Python module reference may live at, most likely first. Relative imports
 * resolve against the importing file's package; absolute ones against the root, a `src/` layout, and
 * the importing file's ancestors (a repository whose code lives under `service/app/`).
 */
export function modulePaths(fromPath: string, module: string): string[] {
  const relative = /^(\.+)(.*)$/.exec(module);
  const candidates: string[] = [];
  const add = (base: string) => {
    if (base.startsWith('..') || base.startsWith('/')) return;
    candidates.push(`${base}.py`, `${base}/__init__.py`);
  };
  if (relative) {
    let dir = posix.dirname(fromPath);
    for (let level = 1; level < relative[1]!.length; level += 1) dir = posix.dirname(dir);
    const rest = relative[2]!.replace(/\./g, '/');
    add(posix.normalize(rest === '' ? dir : posix.join(dir, rest)));
    if (rest === '') return candidates.filter((c) => c.endsWith('__init__.py'));
    return candidates;
  }
  const rest = module.replace(/\./g, '/');
  add(rest);
  add(`src/${rest}`);
  const segments = posix.dirname(fromPath).split('/');
  for (let depth = segments.length; depth > 0; depth -= 1) {
    const dir = segments.slice(0, depth).join('/');
    if (dir && dir !== '.') add(`${dir}/${rest}`);
  }
  return [...new Set(candidates)];
}
