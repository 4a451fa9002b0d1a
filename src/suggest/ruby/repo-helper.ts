import { posix } from 'node:path';
import type { Finding } from '../../analysis/finding.js';
import { requirePaths } from '../../analysis/languages/ruby/module.js';
import { withLoadedTree, type Node } from '../../analysis/languages/tree-sitter/runtime.js';
import { descendantsOfTypes, field } from '../../analysis/languages/tree-sitter/syntax.js';
import { formatNumber } from '../ecmascript/jitter-code.js';
import { helperArguments, helperAttempt, helperBase, helperPlan, type WaitArgument } from '../helper-call.js';
import { inlineCode } from '../inline-code.js';
import type { CounterSyntax } from '../loop-counter.js';
import type { PlannedEdit, RewritePlan } from '../plan.js';
import type { RepoJitterHelper, SuggestOptions } from '../types.js';

const SECONDS_PER_MS = 0.001;
const CALLS = new Set(['call']);
const RETRY = new Set(['retry']);
/** Calls whose block runs again and again: `loop do`, `5.times do`. */
const LOOP_METHOD = /^(loop|times)$/;

const RUBY_COUNTER: CounterSyntax = {
  grammar: 'ruby',
  // A `begin` whose rescue says `retry` runs again; what comes before it does not.
  isLoop: (node) =>
    /^(while|until|for)$/.test(node.type) ||
    (node.type === 'begin' && descendantsOfTypes(node, RETRY).length > 0) ||
    (/^(do_block|block)$/.test(node.type) && LOOP_METHOD.test(field(node.parent!, 'method')?.text ?? '')),
  isFunction: (node) => /^(method|singleton_method|lambda|do_block|block)$/.test(node.type),
  statementLists: new Set(['body_statement', 'block_body', 'then', 'else', 'do', 'begin', 'ensure']),
  names: ['attempt', 'retry_attempt'],
  declare: (name) => `${name} = 0`,
  increment: (name) => `${name} += 1`,
};

/**
 * `sleep Net::Backoff.delay_for(attempt)`: the wait calls the repository's Ruby helper when it is a
 * module function or singleton method (named through its module), with `require_relative` added when
 * the file does not load the helper's file yet and Rails does not load it by name. Null when the
 * helper has no such name.
 */
export function rubyHelperCall(
  finding: Finding,
  argument: WaitArgument,
  fileText: string,
  options: SuggestOptions,
): RewritePlan | null {
  const helper = options.repoHelper;
  const owner = helper?.signature?.owner;
  if (!helper || !owner || !helper.path.endsWith('.rb')) return null;
  const loaded = autoloaded(helper.path, options) || loads(finding.path, fileText, helper);
  if (loaded === null) return null;
  const attempt = helper.takesAttempt ? helperAttempt(finding, fileText, argument, RUBY_COUNTER) : null;
  if (helper.takesAttempt && !attempt) return null;
  const seconds = (ms: number) => formatNumber(ms * SECONDS_PER_MS);
  const args = helperArguments(helper, {
    first: attempt ? attempt.name : argument.text,
    base: helperBase(finding, argument, seconds),
    cap: seconds(options.capMs),
  });
  if (!args) return null;
  const call = `${owner}.${helper.name}(${args.join(', ')})`;
  const required = loaded ? [] : [requireEdit(fileText, relativeRequire(finding.path, helper.path))];
  return helperPlan(options, argument, call, RUBY_COUNTER, attempt?.counter ?? null, ...required);
}

/** Rails (Zeitwerk) loads what is under `app/` by constant name; a `require_relative` of it would bypass the loader. */
function autoloaded(helperPath: string, options: SuggestOptions): boolean {
  const root = options.project?.rails?.root;
  return root !== undefined && helperPath.startsWith(root === '' ? 'app/' : `${root}/app/`);
}

/** Whether a `require` or `require_relative` of the file loads the helper's file; null when unparsed. */
function loads(fromPath: string, fileText: string, helper: RepoJitterHelper): boolean | null {
  return withLoadedTree('ruby', fileText, (tree) =>
    descendantsOfTypes(tree.rootNode, CALLS).some((call: Node) => {
      const method = field(call, 'method')?.text;
      if ((method !== 'require' && method !== 'require_relative') || field(call, 'receiver')) return false;
      const target = /^\s*\(?\s*['"]([^'"#]+)['"]/.exec(field(call, 'arguments')?.text ?? '')?.[1];
      return !!target && requirePaths(fromPath, target, method === 'require_relative').includes(helper.path);
    }),
  );
}

/** `require_relative '../lib/backoff'`: the helper's path seen from the file's directory, without `.rb`. */
function relativeRequire(fromPath: string, helperPath: string): string {
  return posix.relative(posix.dirname(fromPath), helperPath.replace(/\.rb$/, ''));
}

/** The `require_relative` line: after the file's leading requires, or before its first code. */
function requireEdit(fileText: string, target: string): PlannedEdit {
  const statement = `require_relative '${target}'`;
  const note = `add ${inlineCode(statement)} at the top of the file`;
  let offset = 0;
  let afterRequires = -1;
  let firstCode = fileText.length;
  for (const line of fileText.split('\n')) {
    if (/^require(_relative)?\b/.test(line))
      afterRequires = Math.min(offset + line.length + 1, fileText.length);
    else if (line.trim() !== '' && !line.startsWith('#')) {
      firstCode = offset;
      break;
    }
    offset += line.length + 1;
  }
  if (afterRequires >= 0)
    return { start: afterRequires, end: afterRequires, newText: `${statement}\n`, note };
  return { start: firstCode, end: firstCode, newText: `${statement}\n\n`, note };
}
