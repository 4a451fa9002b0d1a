import { ATTEMPT_NAME } from '../../context.js';
import type { Node } from '../tree-sitter/runtime.js';
import { ancestorPath, lineOf } from '../tree-sitter/syntax.js';
import type { RetryEvidence } from './report.js';
import type { FailurePath } from '../../flow/ir.js';
import { loopLimit } from '../tree-sitter/loop-limit.js';
export type { FailurePath };

/**
 * "Is this wait a pause between attempts?" (RULES.md section 1) over a tree-sitter tree. The walk is
 * the same for every language analysed here; a `ContextGrammar` says what a catch, an error branch, a
 * loop and a success exit look like in one language (Java and C# share one, Rust has its own).
 */

export interface ContextGrammar {
  /** Node types that start a new function: a wait inside a lambda does not belong to the loop around it. */
  functions: ReadonlySet<string>;
  loops: ReadonlySet<string>;
  /** The failure path `ancestor` puts the wait on (`child` is its child on the way to the wait), if any. */
  failureAt(ancestor: Node, child: Node): FailurePath | null;
  /** A statement before the wait, in the same loop body, that leaves the loop when the attempt succeeded. */
  successExit(statement: Node): FailurePath | null;
  /** A statement after the wait, in its block, that gives up (rethrows): then the wait is not a retry. */
  givesUp(statement: Node): boolean;
  /** Statement-list nodes (blocks) whose children are statements. */
  blocks: ReadonlySet<string>;
  /** Names declared by a counting loop's header (`for (int attempt = 0; …)`, `for attempt in 0..5`). */
  loopVariables(loop: Node): string[];
  /** Names stepped by one (`attempt++`, `attempt += 1`) anywhere under `node`. */
  steppedNames(node: Node): string[];
  /** The name a function is called by, for recursion (null for lambdas). */
  functionName(fn: Node): string | null;
  /** Whether `name(…)` is called somewhere under `fn`. */
  callsName(fn: Node, name: string): boolean;
  /** Parameter names of a function, for attempt counters passed down a recursion. */
  parameterNames(fn: Node): string[];
  /** How the evidence names the loop: `a for loop`, `a \`loop\``. */
  loopWord(loop: Node): string;
}

/**
 * The ancestors of a wait up to its function, nearest first, and that function: read once, from one
 * descent of the tree (each `parent` step is a descent of its own), for every walk up below.
 */
interface Lineage {
  /** Every ancestor, nearest first, up to the root. */
  path: readonly Node[];
  /** The ancestors below the function (all of them at top level). */
  inside: readonly Node[];
  fn: Node | null;
}

function lineageOf(wait: Node, grammar: ContextGrammar): Lineage {
  const path = ancestorPath(wait);
  const at = path.findIndex((node) => grammar.functions.has(node.type));
  return { path, inside: at < 0 ? path : path.slice(0, at), fn: at < 0 ? null : path[at]! };
}

/** The walk from the wait up to its function: the first failure path found, or a success exit before it. */
function failurePath(wait: Node, { inside }: Lineage, grammar: ContextGrammar): FailurePath | null {
  // A block of one pass of a loop: the loop body, or a block nested in it (`using (…) { … }`), where a
  // success exit before the wait leaves the loop as well. Nothing below the function is a function.
  let outermostLoop = -1;
  inside.forEach((node, index) => {
    if (grammar.loops.has(node.type)) outermostLoop = index;
  });
  for (let index = 0; index < inside.length; index += 1) {
    const node = inside[index]!;
    const child = index === 0 ? wait : inside[index - 1]!;
    const path = grammar.failureAt(node, child);
    if (path) return path;
    if (grammar.blocks.has(node.type) && index < outermostLoop) {
      for (const statement of statementsBefore(node, child)) {
        const exit = grammar.successExit(statement);
        if (exit) return exit;
      }
    }
  }
  return null;
}

function statementsBefore(block: Node, child: Node): Node[] {
  const before: Node[] = [];
  for (let index = 0; index < block.namedChildCount; index += 1) {
    const statement = block.namedChild(index);
    if (!statement || statement.startIndex >= child.startIndex) break;
    if (!statement.isExtra) before.push(statement);
  }
  return before;
}

/** The statements after the one holding the wait, in the block that holds it. */
function statementsAfter(wait: Node, { inside }: Lineage, grammar: ContextGrammar): Node[] {
  const at = inside.findIndex((node) => grammar.blocks.has(node.type));
  if (at < 0) return [];
  const block = inside[at]!;
  const statement = at === 0 ? wait : inside[at - 1]!;
  const after: Node[] = [];
  for (let index = 0; index < block.namedChildCount; index += 1) {
    const next = block.namedChild(index);
    if (next && !next.isExtra && next.startIndex >= statement.endIndex) after.push(next);
  }
  return after;
}

/**
 * The retry context of a wait, or null when it is not a pause between attempts: it must be on a
 * failure path, must not give up right after waiting, and the work must run again (a loop around it in
 * the same function, or the function calling itself).
 */
export function retryContext(wait: Node, grammar: ContextGrammar): RetryEvidence | null {
  const lineage = lineageOf(wait, grammar);
  const { fn, inside } = lineage;
  const path = failurePath(wait, lineage, grammar);
  if (!path) return null;
  if (statementsAfter(wait, lineage, grammar).some((statement) => grammar.givesUp(statement))) return null;
  const loop = inside.find((node) => grammar.loops.has(node.type)) ?? null;
  const selfName = fn ? grammar.functionName(fn) : null;
  const recursion = !loop && fn !== null && selfName !== null && grammar.callsName(fn, selfName);
  if (!loop && !recursion) return null;
  const counters = new Set<string>();
  for (const node of inside)
    if (grammar.loops.has(node.type)) for (const name of grammar.loopVariables(node)) counters.add(name);
  if (loop) for (const name of grammar.steppedNames(loop)) counters.add(name);
  if (recursion && fn) {
    for (const name of grammar.parameterNames(fn)) if (ATTEMPT_NAME.test(name)) counters.add(name);
  }
  const names = [...counters];
  const attemptVar = names.find((name) => ATTEMPT_NAME.test(name)) ?? names[0];
  const evidence = [
    path.evidence,
    loop ? `inside ${grammar.loopWord(loop)} (line ${lineOf(loop)})` : `which calls \`${selfName}\` again`,
  ];
  const limit =
    attemptVar === undefined ? undefined : loopLimit(wait, attemptVar, grammar.functions, lineage.path);
  return {
    trigger: path.trigger,
    counters,
    ...(attemptVar === undefined ? {} : { attemptVar }),
    ...(limit ? { limit } : {}),
    evidence,
  };
}
