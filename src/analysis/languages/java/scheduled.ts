import { RESTART_NAME } from '../../context.js';
import type { RetryFrame } from '../../flow/ir.js';
import { unitMs } from '../tree-sitter/durations.js';
import type { Node } from '../tree-sitter/runtime.js';
import { descendantsOfTypes, field, lineOf } from '../tree-sitter/syntax.js';
import { FAILURE_HANDLER, JAVA_GRAMMAR } from './context.js';
import type { CallParts } from './lower.js';

/**
 * A reconnect scheduled after a delay from a close or failure handler (RULES.md section 2, "a
 * reconnect scheduled from a close/error handler"): `eventLoop.schedule(() -> connect(), 5,
 * TimeUnit.SECONDS)` in Netty's `channelInactive`, `executor.schedule(this::reconnect, d, unit)` in a
 * `catch`, `timer.schedule(task, ms)`. The delay is the wait; the handler is the failure.
 */

const SCHEDULE = /^(schedule|newTimeout)$/;
const TIME_UNIT = /(?:^|\.)(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/;
const INVOKED = new Set(['method_invocation', 'method_reference', 'object_creation_expression']);
const INVOCATION = new Set(['method_invocation']);
/** Netty's client `Bootstrap`: a task that builds a new one is building a new connection. */
const CONNECTION_BUILDER = /^(io\.netty\.bootstrap\.)?Bootstrap$/;

export interface ScheduledRetry {
  delay: Node;
  unitMs: number;
  frame: RetryFrame;
  /**
   * Set when nothing in the task says it starts the work again: the calls it makes, a retry when one
   * of their callees, followed to its body in whatever file, connects.
   */
  via?: Node[];
}

export function scheduledRetry(call: Node, { name, args }: CallParts): ScheduledRetry | null {
  if (!SCHEDULE.test(name)) return null;
  const [task, delay, unit] = args;
  if (!task || !delay) return null;
  const ms = unit ? unitOf(unit.text) : 1;
  if (ms === null) return null;
  const failure = failureAround(call);
  if (!failure) return null;
  const restarting = restarts(task);
  const via = restarting
    ? []
    : [task, ...descendantsOfTypes(task, INVOCATION)].filter((n) => n.type === 'method_invocation');
  if (!restarting && via.length === 0) return null;
  const frame: RetryFrame = {
    trigger: { kind: 'exception' },
    counters: [],
    evidence: [
      failure,
      `schedules \`${clip(task.text)}\` ${restarting ? 'to run the work again ' : ''}after the delay`,
    ],
  };
  return restarting ? { delay, unitMs: ms, frame } : { delay, unitMs: ms, frame, via };
}

function unitOf(text: string): number | null {
  const match = TIME_UNIT.exec(text.replace(/\s+/g, ''));
  return match ? unitMs(match[1]!) : null;
}

/**
 * The task starts the work again: it calls something named for it (`connect`, `reconnect`, `start`),
 * or builds a new Netty `Bootstrap` (a client's connection factory, made to connect).
 */
function restarts(task: Node): boolean {
  const invoked = [task, ...descendantsOfTypes(task, INVOKED)];
  const names = invoked.map((node) => {
    if (node.type === 'method_reference') return node.lastNamedChild?.text ?? '';
    if (node.type === 'method_invocation') return field(node, 'name')?.text ?? '';
    return '';
  });
  return (
    names.some((name) => name !== '' && (RESTART_NAME.test(name) || RESTART_NAME.test(name.toLowerCase()))) ||
    invoked.some((node) => CONNECTION_BUILDER.test(constructedType(node)))
  );
}

function constructedType(node: Node): string {
  if (node.type !== 'object_creation_expression') return '';
  return (field(node, 'type')?.text ?? '').replace(/<.*$/s, '');
}

/** Why the schedule runs after a failure: a `catch`, an error branch, or a close/failure handler. */
function failureAround(call: Node): string | null {
  let child = call;
  for (let node = call.parent; node; child = node, node = node.parent) {
    if (node.type === 'method_declaration') {
      const name = field(node, 'name')?.text ?? '';
      return FAILURE_HANDLER.test(name) ? `schedules from \`${name}\` (line ${lineOf(node)})` : null;
    }
    const path = JAVA_GRAMMAR.failureAt(node, child);
    if (path) return path.evidence;
  }
  return null;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
