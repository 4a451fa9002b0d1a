import { SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import type { Node, Tree } from '../tree-sitter/runtime.js';
import { constMs, foldBinary, numericLiteral, scaled, unitMs } from '../tree-sitter/durations.js';
import { descendantsOfTypes, namedChildren, some } from '../tree-sitter/syntax.js';
import { stepped } from '../java/evaluate.js';
import { directoryOf, joinPath, type TreeCache } from '../java/tree-cache.js';
import { RUST_FUNCTIONS } from './context.js';

/**
 * Constant folding of Rust delay expressions into milliseconds: literals (`5_000`, `500u64`),
 * `Duration::from_secs(5)` and friends, `const`/`static` items (also `Self::DELAY` and
 * `use crate::config::DELAY` in another module file), `let` bindings, `2u64.pow(attempt)`, shifts,
 * `.min(cap)`, and small functions whose body is one expression.
 */

export interface RustFile {
  tree: Tree;
  path: string;
}

export interface RustEnv {
  file: RustFile;
  counters: ReadonlySet<string>;
  bindings?: ReadonlyMap<string, DelayValue>;
  depth: number;
  evidence: string[];
  budget: { steps: number };
}

export const MAX_EVALUATION_STEPS = 2_000;
const MAX_RESOLUTION_DEPTH = 8;

/** Randomness: the rand and fastrand crates, and anything called jitter. */
const RANDOM_TEXT =
  /\b(rand|thread_rng|gen_range|random_range|fastrand|getrandom|OsRng|SmallRng|StdRng)\b|jitter/i;
const PASS_THROUGH = new Set([
  'unwrap',
  'unwrap_or_default',
  'expect',
  'into',
  'clone',
  'as_millis',
  'round',
  'floor',
  'ceil',
  'abs',
]);
const GROWTH = new Set(['pow', 'checked_pow', 'saturating_pow', 'wrapping_pow', 'powi', 'powf']);
const TIMES = new Set(['saturating_mul', 'checked_mul', 'wrapping_mul', 'mul_f64', 'mul_f32', 'mul']);
const DURATION_PER_SECOND = /^(as_secs|as_secs_f64|as_secs_f32)$/;

export function containsRandom(node: Node): boolean {
  return some(
    node,
    (current) =>
      (current.type === 'identifier' || current.type === 'field_identifier') &&
      RANDOM_TEXT.test(current.text),
  );
}

export function argumentsOf(call: Node): Node[] {
  const list = call.childForFieldName('arguments');
  return list ? namedChildren(list) : [];
}

type Declaration =
  | { kind: 'let'; node: Node; scope: Node }
  | { kind: 'parameter' }
  | { kind: 'item'; node: Node; file: RustFile };

/** `const`/`static` items named `name` directly under `container` (a file or an `impl`/`mod` body). */
function itemIn(container: Node, name: string): Node | null {
  return (
    namedChildren(container).find(
      (item) =>
        (item.type === 'const_item' || item.type === 'static_item') &&
        item.childForFieldName('name')?.text === name,
    ) ?? null
  );
}

export function declarationOf(name: string, node: Node, file: RustFile): Declaration | null {
  for (let scope = node.parent; scope; scope = scope.parent) {
    if (scope.type === 'block') {
      for (const statement of namedChildren(scope)) {
        if (statement.startIndex >= node.startIndex) break;
        if (statement.type === 'let_declaration' && statement.childForFieldName('pattern')?.text === name) {
          return { kind: 'let', node: statement, scope: functionOf(scope) ?? scope };
        }
        if (statement.type === 'const_item' || statement.type === 'static_item') {
          if (statement.childForFieldName('name')?.text === name)
            return { kind: 'item', node: statement, file };
        }
      }
    }
    if (RUST_FUNCTIONS.has(scope.type)) {
      const parameters = scope.childForFieldName('parameters');
      const names = parameters
        ? descendantsOfTypes(parameters, new Set(['identifier'])).map((p) => p.text)
        : [];
      if (names.includes(name)) return { kind: 'parameter' };
    }
    if (scope.type === 'declaration_list' || scope.type === 'source_file') {
      const item = itemIn(scope, name);
      if (item) return { kind: 'item', node: item, file };
    }
  }
  return null;
}

function functionOf(node: Node): Node | null {
  for (let current: Node | null = node; current; current = current.parent)
    if (RUST_FUNCTIONS.has(current.type)) return current;
  return null;
}

/** The crate's `src` directory for a file under it, or null. */
export function crateSource(path: string): string | null {
  const index = path.lastIndexOf('/src/');
  if (index >= 0) return path.slice(0, index + 4);
  return path.startsWith('src/') ? 'src' : null;
}

/** Candidate files of module path `segments` (`crate::config` → `src/config.rs`, `src/config/mod.rs`). */
function moduleFiles(base: string, segments: string[]): string[] {
  const stem = joinPath(base, segments.join('/'));
  return [`${stem}.rs`, `${stem}/mod.rs`];
}

export class RustEvaluator {
  constructor(private readonly files: TreeCache) {}

  async evaluate(node: Node, env: RustEnv): Promise<DelayValue> {
    if (env.depth > MAX_RESOLUTION_DEPTH) return UNKNOWN('resolution too deep');
    if (--env.budget.steps < 0) return UNKNOWN('expression too large to evaluate');
    if (node.type === 'integer_literal' || node.type === 'float_literal') {
      const value = numericLiteral(node.text);
      return value === null ? UNKNOWN('not a number') : constMs(value);
    }
    if (SERVER_HINT_NAME.test(node.text)) return { kind: 'server' };
    switch (node.type) {
      case 'parenthesized_expression':
        return node.namedChild(0) ? this.evaluate(node.namedChild(0)!, env) : UNKNOWN('empty');
      case 'type_cast_expression':
        return node.childForFieldName('value')
          ? this.evaluate(node.childForFieldName('value')!, env)
          : UNKNOWN('cast');
      case 'unary_expression': {
        const operand = node.namedChild(0);
        if (!operand) return UNKNOWN('operator');
        const value = await this.evaluate(operand, env);
        if (node.text.startsWith('-') && value.kind === 'const') return { kind: 'const', ms: -value.ms };
        return node.text.startsWith('*') ? value : UNKNOWN('operator');
      }
      case 'reference_expression':
        return node.childForFieldName('value')
          ? this.evaluate(node.childForFieldName('value')!, env)
          : UNKNOWN('reference');
      case 'binary_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        if (!left || !right) return UNKNOWN('operator');
        return foldBinary(
          node.childForFieldName('operator')?.text ?? '',
          await this.evaluate(left, env),
          await this.evaluate(right, env),
        );
      }
      case 'identifier':
        return this.identifier(node, env);
      case 'scoped_identifier':
        return this.scoped(node, env);
      case 'call_expression':
        return this.call(node, env);
      case 'if_expression': {
        const branches = descendantsOfTypes(node, new Set(['block']), new Set(['block'])).map((b) =>
          b.namedChild(b.namedChildCount - 1),
        );
        const values = await Promise.all(
          branches.filter((b): b is Node => b !== null).map((b) => this.evaluate(b, env)),
        );
        return values.length === 0 ? UNKNOWN('if') : minMax('max', values);
      }
      default:
        return UNKNOWN(`cannot evaluate ${node.type}`);
    }
  }

  private async identifier(node: Node, env: RustEnv): Promise<DelayValue> {
    const name = node.text;
    const bound = env.bindings?.get(name);
    if (bound) return bound;
    if (env.counters.has(name)) return { kind: 'counter', name };
    const declaration = declarationOf(name, node, env.file);
    if (declaration) return this.declared(name, declaration, env);
    const imported = await this.imported(name, env.file);
    if (imported) {
      const value = await this.declared(
        name,
        { kind: 'item', node: imported.node, file: imported.file },
        env,
      );
      if (value.kind === 'const') env.evidence.push(`\`${name}\` is ${value.ms} ms (${imported.file.path})`);
      return value;
    }
    return UNKNOWN(`\`${name}\` is not declared in a file that could be read`);
  }

  private async declared(name: string, declaration: Declaration, env: RustEnv): Promise<DelayValue> {
    if (declaration.kind === 'parameter') return UNKNOWN(`\`${name}\` is a parameter`);
    const value = declaration.node.childForFieldName('value');
    if (declaration.kind === 'item') {
      return value
        ? this.evaluate(value, { ...env, file: declaration.file, bindings: undefined, depth: env.depth + 1 })
        : UNKNOWN('no value');
    }
    let result = value
      ? await this.evaluate(value, { ...env, bindings: undefined, depth: env.depth + 1 })
      : UNKNOWN('uninitialised');
    const mutable = namedChildren(declaration.node).some((c) => c.type === 'mutable_specifier');
    if (!mutable) return result;
    for (const assignment of descendantsOfTypes(
      declaration.scope,
      new Set(['assignment_expression', 'compound_assignment_expr']),
    )) {
      if (assignment.childForFieldName('left')?.text !== name) continue;
      const right = assignment.childForFieldName('right')!;
      const rhs = await this.evaluate(right, {
        ...env,
        counters: new Set([...env.counters, name]),
        depth: env.depth + 1,
      });
      const operator =
        assignment.type === 'assignment_expression'
          ? '='
          : (assignment.childForFieldName('operator')?.text ?? '=');
      result = stepped(result, operator, rhs, right.text, name);
    }
    return result;
  }

  /** `use crate::config::RETRY_DELAY;` or `use super::RETRY_DELAY;`: the item in that module's file. */
  private async imported(name: string, file: RustFile): Promise<{ node: Node; file: RustFile } | null> {
    for (const use of descendantsOfTypes(
      file.tree.rootNode,
      new Set(['use_declaration']),
      new Set(['function_item']),
    )) {
      const text = use.text.replace(/\s+/g, '');
      const match = new RegExp(
        `^(?:pub)?use(crate|super|self)::([\\w:]*?)(?:::)?(?:${name}|\\{[^}]*\\b${name}\\b[^}]*\\});$`,
      ).exec(text);
      if (!match) continue;
      const segments = match[2]!.split('::').filter((s) => s !== '');
      const source = crateSource(file.path);
      const base =
        match[1] === 'crate'
          ? source
          : match[1] === 'super'
            ? directoryOf(directoryOf(file.path))
            : directoryOf(file.path);
      if (base === null) continue;
      for (const path of moduleFiles(base, segments)) {
        const tree = await this.files.tree(path);
        const item = tree ? itemIn(tree.rootNode, name) : null;
        if (tree && item) return { node: item, file: { tree, path } };
      }
    }
    return null;
  }

  private async scoped(node: Node, env: RustEnv): Promise<DelayValue> {
    const path = node.childForFieldName('path')?.text ?? '';
    const name = node.childForFieldName('name')?.text ?? '';
    if (path === 'Self') {
      for (let scope = node.parent; scope; scope = scope.parent) {
        if (scope.type === 'impl_item') {
          const body = scope.childForFieldName('body');
          const item = body ? itemIn(body, name) : null;
          if (item) return this.declared(name, { kind: 'item', node: item, file: env.file }, env);
        }
      }
      return UNKNOWN(`\`${node.text}\` could not be followed`);
    }
    // `config::RETRY_DELAY` with `mod config;` beside this file.
    const segments = path.replace(/^(crate|self)::/, '').split('::');
    const base = path.startsWith('crate::') ? crateSource(env.file.path) : directoryOf(env.file.path);
    if (base !== null && segments.every((s) => /^[a-z_][a-z0-9_]*$/.test(s))) {
      for (const candidate of moduleFiles(base, segments)) {
        const tree = await this.files.tree(candidate);
        const item = tree ? itemIn(tree.rootNode, name) : null;
        if (tree && item) {
          const value = await this.declared(
            name,
            { kind: 'item', node: item, file: { tree, path: candidate } },
            env,
          );
          if (value.kind === 'const') env.evidence.push(`\`${node.text}\` is ${value.ms} ms (${candidate})`);
          return value;
        }
      }
    }
    return UNKNOWN(`\`${node.text}\` could not be followed`);
  }

  private async call(node: Node, env: RustEnv): Promise<DelayValue> {
    if (containsRandom(node)) return { kind: 'random' };
    const callee = node.childForFieldName('function');
    const args = argumentsOf(node);
    if (!callee) return UNKNOWN('call');
    if (/env::var|std::env|var_os|dotenv|config/.test(callee.text))
      return UNKNOWN('configuration read at run time');
    if (callee.type === 'scoped_identifier') {
      const path = callee.childForFieldName('path')?.text ?? '';
      const name = callee.childForFieldName('name')?.text ?? '';
      if (/(^|::)Duration$/.test(path)) return this.duration(name, args, env);
      return UNKNOWN(`\`${callee.text}\` could not be followed`);
    }
    if (callee.type === 'field_expression') {
      const receiver = callee.childForFieldName('value');
      const method = callee.childForFieldName('field')?.text ?? '';
      if (!receiver) return UNKNOWN('method');
      const base = await this.evaluate(receiver, env);
      if (PASS_THROUGH.has(method)) return base;
      if (method === 'unwrap_or' && args[0]) return dominant(base, await this.evaluate(args[0], env));
      if (DURATION_PER_SECOND.test(method)) return scaled(base, 1 / 1_000);
      if (GROWTH.has(method) && args[0]) return power(base, await this.evaluate(args[0], env));
      if (TIMES.has(method) && args[0]) return foldBinary('*', base, await this.evaluate(args[0], env));
      if ((method === 'min' || method === 'max') && args[0])
        return minMax(method, [base, await this.evaluate(args[0], env)]);
      if (method === 'saturating_add' || method === 'checked_add')
        return args[0] ? foldBinary('+', base, await this.evaluate(args[0], env)) : base;
      return UNKNOWN(`\`.${method}()\` could not be followed`);
    }
    if (callee.type === 'identifier') return this.ownFunction(callee.text, args, env);
    return UNKNOWN(`\`${callee.text}\` could not be followed`);
  }

  private async duration(name: string, args: Node[], env: RustEnv): Promise<DelayValue> {
    if (name === 'new' && args[0]) {
      const seconds = scaled(await this.evaluate(args[0], env), 1_000);
      return args[1] ? foldBinary('+', seconds, scaled(await this.evaluate(args[1], env), 1e-6)) : seconds;
    }
    const unit = unitMs(name.replace(/_f(32|64)$/, ''));
    if (unit === null || !args[0]) return UNKNOWN(`Duration::${name}`);
    return scaled(await this.evaluate(args[0], env), unit);
  }

  /** `backoff(attempt)` declared in this file with a single expression body: evaluated with the arguments bound. */
  private async ownFunction(name: string, args: Node[], env: RustEnv): Promise<DelayValue> {
    const fn = descendantsOfTypes(env.file.tree.rootNode, new Set(['function_item'])).find(
      (f) => f.childForFieldName('name')?.text === name,
    );
    const body = fn?.childForFieldName('body');
    if (!fn || !body) return UNKNOWN(`\`${name}\` could not be followed`);
    if (containsRandom(body)) return { kind: 'random' };
    const statements = namedChildren(body);
    const tail = statements.length === 1 ? statements[0]! : null;
    const returned =
      tail?.type === 'return_expression'
        ? tail.namedChild(0)
        : tail?.type === 'expression_statement'
          ? null
          : tail;
    if (!returned) return UNKNOWN(`\`${name}\` is too complex to evaluate`);
    const parameters = descendantsOfTypes(fn.childForFieldName('parameters')!, new Set(['parameter'])).map(
      (p) => p.childForFieldName('pattern')?.text ?? '',
    );
    const bindings = new Map<string, DelayValue>();
    for (const [index, parameter] of parameters.entries()) {
      bindings.set(
        parameter,
        args[index] ? await this.evaluate(args[index]!, env) : UNKNOWN('missing argument'),
      );
    }
    return this.evaluate(returned, { ...env, bindings, depth: env.depth + 1 });
  }
}
