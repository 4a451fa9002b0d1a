import type { Node } from '../tree-sitter/runtime.js';
import { enclosing, field } from '../tree-sitter/syntax.js';
import type { PyEvaluator } from './evaluate.js';
import {
  firstArgument,
  isModuleSleep,
  qualifiedCallee,
  SECOND_MS,
  type PyFunction,
  type PyModule,
} from './module.js';

/**
 * Places where Python code waits: `time.sleep(N)`, `await asyncio.sleep(N)`, `gevent.sleep(N)` and
 * the like, sleep helpers of the repository (followed to their definitions), and interruptible
 * sleeps on a stop event (`stop_event.wait(N)`).
 */

export interface PyWait {
  /** The call a comment anchors to. */
  call: Node;
  /** The delay argument. */
  delay: Node;
  /** Milliseconds per unit of the delay argument. */
  unitMs: number;
  /** The helper already randomises the wait: never a finding. */
  jittered: boolean;
  helper?: { name: string; path: string };
  confidence: 'high' | 'medium';
}

/** Unresolved callees with these names are taken as sleeps in seconds, at lower confidence. */
const SLEEP_NAME = /^_?(sleep|sleep_for|sleep_seconds|backoff_sleep|pause|nap|snooze)$/;
/** Objects whose `.wait(N)` is a sleep that a shutdown can interrupt (`threading.Event`). */
const STOP_EVENT = /(stop|shutdown|exit|quit|closing|cancel|terminat|halt)\w*$|(^|_)event$/i;
const DELAY_KEYWORDS = ['seconds', 'secs', 'delay', 'timeout', 'duration'];
const CLASS_TYPES = new Set(['class_definition']);

export async function waitOf(call: Node, module: PyModule, evaluator: PyEvaluator): Promise<PyWait | null> {
  const callee = field(call, 'function');
  if (!callee) return null;
  const qualified = qualifiedCallee(callee, module.imports);
  if (isModuleSleep(qualified)) {
    const delay = firstArgument(call, DELAY_KEYWORDS);
    return delay ? { call, delay, unitMs: SECOND_MS, jittered: false, confidence: 'high' } : null;
  }
  const helper = await helperOf(callee, module, evaluator);
  if (helper) {
    const offset = helper.method ? 1 : 0;
    const param = helper.fn.params[helper.fn.sleeps!.param];
    const delay = firstArgumentAt(call, helper.fn.sleeps!.param - offset, param);
    if (!delay) return null;
    return {
      call,
      delay,
      unitMs: helper.fn.sleeps!.unitMs,
      jittered: helper.fn.random,
      helper: helper.path === module.path ? undefined : { name: callee.text, path: helper.path },
      confidence: 'high',
    };
  }
  const name = callee.type === 'attribute' ? (field(callee, 'attribute')?.text ?? '') : callee.text;
  if (
    callee.type === 'attribute' &&
    name === 'wait' &&
    STOP_EVENT.test(field(callee, 'object')?.text ?? '')
  ) {
    const delay = firstArgument(call, ['timeout']);
    return delay ? { call, delay, unitMs: SECOND_MS, jittered: false, confidence: 'medium' } : null;
  }
  if (SLEEP_NAME.test(name) && !definedHere(callee, module)) {
    const delay = firstArgument(call, DELAY_KEYWORDS);
    return delay ? { call, delay, unitMs: SECOND_MS, jittered: false, confidence: 'medium' } : null;
  }
  return null;
}

/** The sleep helper a callee names, if it is one: a function of this module, a method of this class, or imported. */
async function helperOf(
  callee: Node,
  module: PyModule,
  evaluator: PyEvaluator,
): Promise<{ fn: PyFunction; path: string; method: boolean } | null> {
  if (callee.type === 'attribute' && /^(self|cls)$/.test(field(callee, 'object')?.text ?? '')) {
    const cls = enclosing(callee, CLASS_TYPES);
    const className = cls ? field(cls, 'name')?.text : undefined;
    const fn = className
      ? module.methods.get(className)?.get(field(callee, 'attribute')?.text ?? '')
      : undefined;
    return fn?.sleeps ? { fn, path: module.path, method: true } : null;
  }
  const env = { module, fn: null, cls: null, counters: new Set<string>(), depth: 0, evidence: [] };
  const target = await evaluator.functionOf(callee, env);
  return target?.fn.sleeps ? { fn: target.fn, path: target.module.path, method: false } : null;
}

/** A name this module defines or imports is not a sleep by name alone: it was followed and does not wait. */
function definedHere(callee: Node, module: PyModule): boolean {
  if (callee.type !== 'identifier') return false;
  return module.functions.has(callee.text) || module.imports.has(callee.text);
}

function firstArgumentAt(call: Node, index: number, keyword: string | undefined): Node | null {
  const args = field(call, 'arguments');
  if (!args) return null;
  let position = 0;
  for (let i = 0; i < args.namedChildCount; i += 1) {
    const arg = args.namedChild(i);
    if (!arg || arg.isExtra) continue;
    if (arg.type === 'keyword_argument') {
      if (keyword && field(arg, 'name')?.text === keyword) return field(arg, 'value');
      continue;
    }
    if (position === index) return arg;
    position += 1;
  }
  return null;
}
