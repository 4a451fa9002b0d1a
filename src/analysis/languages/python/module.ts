import { posix } from 'node:path';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, namedChildren, oncePerNode } from '../tree-sitter/syntax.js';

/**
 * Python syntax shared by the front end and the retry-library checks: imports and how they qualify
 * a callee, a module's constants as source text, arguments, sleeps and random draws by name, and
 * where an imported module lives in the repository.
 */

/** `import a.b as c` → { module: 'a.b' }; `from .x import y as z` → { module: '.x', name: 'y' }. */
export interface PyImport {
  module: string;
  /** The imported attribute; absent when the whole module is bound. */
  name?: string;
}

export interface PyModule {
  path: string;
  imports: Map<string, PyImport>;
  /** Module-level `NAME = expr` bound exactly once. */
  constants: Map<string, string>;
}

/** Modules whose `sleep` waits its first argument in seconds. */
export const SLEEP_MODULES = new Set(['time', 'asyncio', 'gevent', 'eventlet', 'trio', 'anyio', 'curio']);

export const SECOND_MS = 1_000;

const IMPORT_TYPES = new Set(['import_statement', 'import_from_statement']);

/** The key prefix of a star import in an import map (no Python name starts with it). */
export const WILDCARD = '*';

/** Calls that draw a random number: the `random` module, `secrets`, numpy's generator, a jitter helper. */
export const RANDOM_CALL =
  /(^|\.)(random|uniform|randint|randrange|choice|triangular|gauss|normalvariate|expovariate|betavariate|SystemRandom|token_bytes|randbelow)$|^secrets\.|^(np|numpy)\.random\.|jitter/i;

/**
 * What the retry-library checks read of a module — its imports and constants, as text — and, from
 * the same pass, every call of the file.
 */
export function summariseIndexed(path: string, root: Node): { module: PyModule; calls: Node[] } {
  const module: PyModule = { path, imports: new Map(), constants: new Map() };
  const assigned = new Map<string, number>();
  const nodes = descendantsOfTypes(root, INDEX_TYPES);
  // Imports inside functions are common in Python (lazy imports); they bind the same names.
  for (const statement of nodes)
    if (IMPORT_TYPES.has(statement.type)) collectImports(statement, module.imports);
  for (const statement of namedChildren(root)) {
    if (statement.type === 'expression_statement') {
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
  return { module, calls: nodes.filter((node) => node.type === 'call') };
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
    // `from settings import *` binds every public name of the module: keyed apart, one per module.
    if (namedChildren(statement).some((c) => c.type === 'wildcard_import'))
      imports.set(`${WILDCARD}${module}`, { module });
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

const INDEX_TYPES = new Set(['call', 'import_statement', 'import_from_statement']);

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

/** One argument of a call as the helpers below read it; a keyword argument with its name and value. */
interface Argument {
  node: Node;
  type: string;
  name?: string;
  value?: Node | null;
}

/**
 * A call's arguments, read from the tree once per call node: the walk, the lowering and the wait
 * checks each ask for them (positional, by keyword, the first), and every read crosses into the engine.
 */
const argumentsOf = oncePerNode((call: Node): Argument[] => {
  const args = field(call, 'arguments');
  if (!args) return [];
  return namedChildren(args).map((node) => {
    const type = node.type;
    return type === 'keyword_argument'
      ? { node, type, name: field(node, 'name')?.text ?? '', value: field(node, 'value') }
      : { node, type };
  });
});

/** The first positional argument of a call, or the keyword argument with one of `keywords`. */
export function firstArgument(call: Node, keywords: readonly string[]): Node | null {
  for (const arg of argumentsOf(call)) {
    if (arg.type === 'keyword_argument') {
      if (keywords.includes(arg.name!)) return arg.value ?? null;
      continue;
    }
    if (SPLATS.has(arg.type)) return null;
    return arg.node;
  }
  return null;
}

const SPLATS = new Set(['list_splat', 'dictionary_splat']);

/** Keyword arguments of a call by name. */
export function keywordArguments(call: Node): Map<string, { keyword: Node; value: Node }> {
  const found = new Map<string, { keyword: Node; value: Node }>();
  for (const { node, type, name, value } of argumentsOf(call))
    if (type === 'keyword_argument' && name && value) found.set(name, { keyword: node, value });
  return found;
}

/** Positional arguments of a call (before any keyword). */
export function positionalArguments(call: Node): Node[] {
  return argumentsOf(call)
    .filter((arg) => arg.type !== 'keyword_argument' && !SPLATS.has(arg.type))
    .map((arg) => arg.node);
}

/** Whether a call spreads a list or a mapping into its arguments (`f(*args, **kwargs)`). */
export function spreadsArguments(call: Node): boolean {
  return argumentsOf(call).some((arg) => SPLATS.has(arg.type));
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
  if (module === DJANGO_SETTINGS) return djangoSettingsPaths(fromPath);
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
  // A package of a monorepo installed from its own folder (`libs/shared/shared/retry.py` for
  // `shared.retry`, `pip install -e libs/shared`): the module anywhere in the tree, when its dotted
  // name is specific enough (a package and a module) not to be some other file's name.
  if (module.includes('.')) candidates.push(`**/${rest}.py`, `**/${rest}/__init__.py`);
  return [...new Set(candidates)];
}

/** `from django.conf import settings`: a proxy of the project's own settings module. */
const DJANGO_SETTINGS = 'django.conf.settings';

/**
 * Where the project's Django settings module may be, nearest the reading file first: `settings.py`
 * (or a `settings/` package) in its folder or a folder above it, where `startproject` puts it beside
 * `urls.py` and `wsgi.py`. A settings module elsewhere (named only by `DJANGO_SETTINGS_MODULE`) is not
 * found, and the value stays unresolved.
 */
function djangoSettingsPaths(fromPath: string): string[] {
  const candidates: string[] = [];
  for (let dir = posix.dirname(fromPath); ; dir = posix.dirname(dir)) {
    const base = dir === '.' ? 'settings' : `${dir}/settings`;
    candidates.push(`${base}.py`, `${base}/__init__.py`);
    if (dir === '.' || dir === '/' || dir === '') break;
  }
  return candidates;
}
