import type { Finding } from '../../analysis/finding.js';
import { helperArguments, helperAttempt, helperBase, helperPlan, type WaitArgument } from '../helper-call.js';
import type { CounterSyntax } from '../loop-counter.js';
import type { RewritePlan } from '../plan.js';
import type { RepoJitterHelper, SuggestOptions } from '../types.js';

const DURATION = /^(?:(?:std|core|tokio)::time::|time::)?Duration$/;
const INTEGER = /^[ui](8|16|32|64|128|size)$/;

const RUST_COUNTER: CounterSyntax = {
  grammar: 'rust',
  isLoop: (node) => /^(loop|while|for)_expression$/.test(node.type),
  isFunction: (node) => /^(function_item|closure_expression|async_block)$/.test(node.type),
  statementLists: new Set(['block']),
  names: ['attempt', 'retry_attempt'],
  declare: (name) => `let mut ${name} = 0;`,
  increment: (name) => `${name} += 1;`,
};

/**
 * `sleep(crate::backoff::delay(attempt))`: the wait calls the repository's Rust helper when it
 * returns a `Duration` from an integer attempt (or from a `Duration` it jitters) and this file's
 * crate can name it by a `crate::` path: both files in the one crate of their package, the helper
 * crate-visible, every module on its path visible here.
 */
export function rustHelperCall(
  finding: Finding,
  argument: WaitArgument,
  fileText: string,
  options: SuggestOptions,
): RewritePlan | null {
  const helper = options.repoHelper;
  const signature = helper?.signature;
  if (!helper || !signature || !DURATION.test(signature.returns ?? '')) return null;
  const firstType = signature.params[0]?.type ?? '';
  if (!(helper.takesAttempt ? INTEGER.test(firstType) : DURATION.test(firstType))) return null;
  if (signature.params.slice(1).some((p) => !DURATION.test(p.type ?? ''))) return null;
  const path = cratePath(finding.path, fileText, helper, options);
  if (!path) return null;
  const attempt = helper.takesAttempt ? helperAttempt(finding, fileText, argument, RUST_COUNTER) : null;
  if (helper.takesAttempt && !attempt) return null;
  // A counter of the loop's own may be of another integer type; one the patch brings is inferred from the call.
  const first = !attempt ? argument.text : attempt.counter ? attempt.name : `${attempt.name} as ${firstType}`;
  const millis = (ms: number) => `std::time::Duration::from_millis(${ms})`;
  const base = helperBase(finding, argument, millis);
  const args = helperArguments(helper, { first, base, cap: millis(options.capMs) });
  if (!args) return null;
  return helperPlan(options, argument, `${path}(${args.join(', ')})`, RUST_COUNTER, attempt?.counter ?? null);
}

/**
 * `crate::retry::backoff::delay`, when the finding's file and the helper's are modules of the same
 * crate (the package has one crate root, `src/lib.rs` or `src/main.rs`; `src/bin/` files are crates
 * of their own) and the modules above the helper's are visible from the finding's module, or the
 * file already names the helper's module by its `crate::` path, which it could not if it were hidden.
 */
function cratePath(
  fromPath: string,
  fileText: string,
  helper: RepoJitterHelper,
  options: SuggestOptions,
): string | null {
  const crate = options.project?.rustCrate;
  if (!crate || crate.roots.length !== 1) return null;
  const from = moduleOf(fromPath, crate.dir);
  const own = moduleOf(helper.path, crate.dir);
  if (!from || !own) return null;
  // A private `mod` is visible to its parent module and below: the finding must be under the parent of
  // the helper's module (the crate root is everyone's), or the file names that module already.
  const parent = own.slice(0, -1);
  const named = new RegExp(`\\bcrate::${own.join('::')}(?![\\w])`).test(fileText);
  if (!named && !parent.every((segment, i) => from[i] === segment)) return null;
  const inline = helper.signature!.owner;
  return ['crate', ...own, ...(inline ? inline.split('::') : []), helper.name].join('::');
}

/** `src/retry/backoff.rs` and `src/retry/backoff/mod.rs` → `['retry', 'backoff']`; null outside the crate. */
function moduleOf(path: string, crateDir: string): string[] | null {
  const src = crateDir === '' ? 'src/' : `${crateDir}/src/`;
  if (!path.startsWith(src) || !path.endsWith('.rs')) return null;
  const segments = path.slice(src.length, -'.rs'.length).split('/');
  if (segments[0] === 'bin') return null;
  if (segments.length === 1 && (segments[0] === 'lib' || segments[0] === 'main')) return [];
  return segments[segments.length - 1] === 'mod' ? segments.slice(0, -1) : segments;
}
