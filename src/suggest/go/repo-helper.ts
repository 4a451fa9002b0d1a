import { posix } from 'node:path';
import type { Finding } from '../../analysis/finding.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { descendantsOfTypes } from '../../analysis/languages/tree-sitter/syntax.js';
import { helperArguments, helperAttempt, helperBase, helperPlan, type WaitArgument } from '../helper-call.js';
import type { CounterSyntax } from '../loop-counter.js';
import type { PlannedEdit, RewritePlan } from '../plan.js';
import type { RepoJitterHelper, SuggestOptions } from '../types.js';
import { importEdit, moduleImportEdit, type GoImports } from './imports.js';

const DURATION = 'time.Duration';
const INTEGER = /^u?int(8|16|32|64)?$/;
const MS_PER_SECOND = 1_000;

const GO_COUNTER: CounterSyntax = {
  grammar: 'go',
  isLoop: (node) => node.type === 'for_statement',
  isFunction: (node) => /^(function_declaration|method_declaration|func_literal)$/.test(node.type),
  statementLists: new Set(['statement_list']),
  names: ['attempt', 'retryAttempt'],
  declare: (name) => `${name} := 0`,
  increment: (name) => `${name}++`,
};

/**
 * `time.Sleep(backoff.Delay(attempt, d, 30*time.Second))`: the wait calls the repository's Go helper
 * when it returns a `time.Duration` from an integer attempt (or from a Duration it jitters), and the
 * file can name it: the same package, or an exported function of another package of the same
 * module that Go's `internal/` rule lets this one import. Null when any of that does not hold.
 */
export function goHelperCall(
  finding: Finding,
  argument: WaitArgument,
  fileText: string,
  imports: GoImports,
  options: SuggestOptions,
): RewritePlan | null {
  const helper = options.repoHelper;
  const signature = helper?.signature;
  if (!helper || !signature || !helper.path.endsWith('.go') || signature.returns !== DURATION) return null;
  const firstType = signature.params[0]?.type ?? '';
  if (helper.takesAttempt ? !INTEGER.test(firstType) : firstType !== DURATION) return null;
  if (signature.params.slice(1).some((p) => !p.optional && p.type !== DURATION)) return null;
  const reference = helperReference(finding.path, fileText, helper, imports, options);
  if (!reference) return null;
  const attempt = helper.takesAttempt ? helperAttempt(finding, fileText, argument, GO_COUNTER) : null;
  if (helper.takesAttempt && !attempt) return null;
  const first = attempt
    ? attemptArgument(
        attempt.name,
        firstType,
        attempt.counter ? 'int' : counterType(fileText, argument.start, attempt.name),
      )
    : argument.text;
  const base = helperBase(finding, argument, goDuration);
  const args = helperArguments(helper, { first, base, cap: goDuration(options.capMs) });
  if (!args) return null;
  const call = `${reference.qualifier}${helper.name}(${(args.length > 1 ? args.map(tight) : args).join(', ')})`;
  const edits: PlannedEdit[] = reference.edit ? [reference.edit] : [];
  if (/\btime\./.test(args.join()) && ![...imports.names.values()].includes('time')) {
    const time = importEdit(imports, 'time', '"time"');
    if (time) edits.push(time);
  }
  return helperPlan(options, argument, call, GO_COUNTER, attempt?.counter ?? null, ...edits);
}

/** `backoff.` and the import it needs, '' in the helper's own package; null when the file cannot import it. */
function helperReference(
  fromPath: string,
  fileText: string,
  helper: RepoJitterHelper,
  imports: GoImports,
  options: SuggestOptions,
): { qualifier: string; edit: PlannedEdit | null } | null {
  const dir = posix.dirname(helper.path);
  if (dir === posix.dirname(fromPath)) return { qualifier: '', edit: null };
  const owner = helper.signature!.owner;
  const module = options.project?.goModule;
  if (!module || !/^[A-Z]/.test(helper.name) || owner === 'main' || helper.path.endsWith('_test.go'))
    return null;
  const inModule = (path: string) => module.dir === '' || path.startsWith(`${module.dir}/`);
  if (!inModule(helper.path) || !inModule(fromPath)) return null;
  const relative = posix.relative(module.dir === '' ? '.' : module.dir, dir);
  const importPath = relative === '' ? module.path : `${module.path}/${relative}`;
  if (!internalAllows(dir, posix.dirname(fromPath))) return null;
  // A dot import puts its names in the file's scope; a blank one binds none (then it is imported again).
  for (const [name, path] of imports.names)
    if (path === importPath && name !== '_') return { qualifier: name === '.' ? '' : `${name}.`, edit: null };
  if (imports.names.has(owner) || usesName(fileText, owner)) return null;
  const edit = moduleImportEdit(imports, module.path, importPath);
  return edit ? { qualifier: `${owner}.`, edit } : null;
}

/** Go's rule: a package under `a/internal/` is importable only from within `a`. */
function internalAllows(helperDir: string, fromDir: string): boolean {
  const segments = helperDir.split('/');
  const internal = segments.lastIndexOf('internal');
  if (internal < 0) return true;
  const parent = segments.slice(0, internal).join('/');
  return parent === '' || fromDir === parent || fromDir.startsWith(`${parent}/`);
}

/** Whether the file already uses `name` for something (a variable, a parameter): the package name would be shadowed. */
function usesName(fileText: string, name: string): boolean {
  return (
    withLoadedTree('go', fileText, (tree) =>
      descendantsOfTypes(tree.rootNode, NAMES).some((node: Node) => node.text === name),
    ) ?? true
  );
}

const NAMES = new Set(['identifier', 'package_identifier', 'type_identifier']);

/** The attempt as the helper's parameter type: converted unless it is declared with that type already. */
function attemptArgument(attempt: string, paramType: string, declared: string | null): string {
  return declared === paramType ? attempt : `${paramType}(${attempt})`;
}

/**
 * The type of the counter the wait's function declares: `int` for `attempt := 0` and
 * `for attempt := range 5`, `T` for `var attempt T`; null when it cannot be told.
 */
function counterType(fileText: string, offset: number, name: string): string | null {
  const body =
    withLoadedTree('go', fileText, (tree) => {
      let node: Node | null = tree.rootNode.descendantForIndex(offset);
      while (node && !GO_COUNTER.isFunction(node)) node = node.parent;
      return node?.text ?? null;
    }) ?? '';
  const word = name.replace(/[^\w]/g, '');
  if (new RegExp(`\\b${word}\\s*:=\\s*(range\\s+)?\\d+\\s*[;{\\n]`).test(body)) return 'int';
  return new RegExp(`\\bvar\\s+${word}\\s+(\\w+)`).exec(body)?.[1] ?? null;
}

/** A cap in milliseconds as a Go Duration: `30 * time.Second`. */
function goDuration(ms: number): string {
  return ms % MS_PER_SECOND === 0 ? `${ms / MS_PER_SECOND} * time.Second` : `${ms} * time.Millisecond`;
}

/** Operands joined by spaced binary operators: `2 * time.Second`, `base << n`. */
const SPACED_BINARY = /^[\w.()]+(?: (?:[-+*/%&|^]|<<|>>|&\^) [\w.()]+)+$/;

/** An argument among several as gofmt prints it: `2*time.Second`, its operators unspaced. */
function tight(argument: string): string {
  return SPACED_BINARY.test(argument) ? argument.replace(/ ([-+*/%&|^]|<<|>>|&\^) /g, '$1') : argument;
}
