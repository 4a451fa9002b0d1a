import type { Node } from '../tree-sitter/runtime.js';
import { field } from '../tree-sitter/syntax.js';
import type { GoEnv, GoEvaluator } from './evaluate.js';
import { callArguments, qualified } from './package.js';

/**
 * Places where Go code waits: `time.Sleep(d)`, a receive from `time.After(d)` (alone or as a
 * `select` case), a mock clock's `Sleep`/`After`, and sleep helpers of the package or module
 * (followed to their definitions).
 */

export interface GoWait {
  call: Node;
  delay: Node;
  jittered: boolean;
  helper?: { name: string; path: string };
  confidence: 'high' | 'medium';
}

/** Unresolved callees with these names are taken as sleeps, at lower confidence. */
const SLEEP_NAME =
  /^(sleep|Sleep|sleepCtx|SleepCtx|sleepContext|SleepContext|sleepWithContext|SleepWithContext|pause|Pause|wait|Wait)$/;
/** Injected clocks (`benbjohnson/clock`, `k8s.io/utils/clock`) sleep like `time`. */
const CLOCK_OPERAND = /(^|\.)(clock|clk|Clock)$/;
/** Go's predeclared functions: never a sleep helper, and not worth reading the package to learn that. */
const BUILTINS = new Set([
  'append',
  'cap',
  'clear',
  'close',
  'complex',
  'copy',
  'delete',
  'imag',
  'len',
  'make',
  'max',
  'min',
  'new',
  'panic',
  'print',
  'println',
  'real',
  'recover',
]);
/** Arguments that are not the delay: a context, a logger. */
const NOT_A_DELAY = /^(ctx|context|c|log|logger)$|Context\(\)$/;

/**
 * A cheap first cut before the failure path is checked: a wait passes its duration, and a function
 * of the standard library (other than `time`) never sleeps for the caller.
 */
export function mayWait(call: Node, env: GoEnv): boolean {
  if (callArguments(call).length === 0) return false;
  const callee = field(call, 'function');
  if (callee?.type === 'identifier') return !BUILTINS.has(callee.text);
  if (callee?.type !== 'selector_expression') return false;
  const path = env.file.imports.get(field(callee, 'operand')?.text ?? '');
  return path === undefined || path === 'time' || path.split('/')[0]!.includes('.');
}

export async function waitOf(call: Node, env: GoEnv, evaluator: GoEvaluator): Promise<GoWait | null> {
  const callee = field(call, 'function');
  if (!callee) return null;
  const args = callArguments(call);
  const name = qualified(callee, env.file.imports);
  if (name === 'time.Sleep')
    return args[0] ? { call, delay: args[0], jittered: false, confidence: 'high' } : null;
  if (name === 'time.After')
    return args[0] && isReceived(call) ? { call, delay: args[0], jittered: false, confidence: 'high' } : null;
  const member = callee.type === 'selector_expression' ? (field(callee, 'field')?.text ?? '') : callee.text;
  if (callee.type === 'selector_expression' && CLOCK_OPERAND.test(field(callee, 'operand')?.text ?? '')) {
    if (member === 'Sleep' || (member === 'After' && isReceived(call)))
      return args[0] ? { call, delay: args[0], jittered: false, confidence: 'high' } : null;
  }
  const helper =
    callee.type === 'identifier' && BUILTINS.has(callee.text)
      ? null
      : await evaluator.functionOf(callee, env);
  if (helper?.fn.sleeps) {
    const delay = args[helper.fn.sleeps.param];
    if (!delay) return null;
    return {
      call,
      delay,
      jittered: helper.fn.random,
      helper: helper.fn.path === env.file.path ? undefined : { name: callee.text, path: helper.fn.path },
      confidence: 'high',
    };
  }
  if (
    !helper &&
    SLEEP_NAME.test(member) &&
    !(callee.type === 'selector_expression' && env.file.imports.has(field(callee, 'operand')?.text ?? ''))
  ) {
    const delay = args.find((arg) => !NOT_A_DELAY.test(arg.text));
    return delay ? { call, delay, jittered: false, confidence: 'medium' } : null;
  }
  return null;
}

/** `<-time.After(d)`, possibly as a `select` case: the receive is what waits. */
function isReceived(call: Node): boolean {
  const parent = call.parent;
  return parent?.type === 'unary_expression' && field(parent, 'operator')?.text === '<-';
}
