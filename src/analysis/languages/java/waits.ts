import type { Node } from '../tree-sitter/runtime.js';
import { unitMs } from '../tree-sitter/durations.js';
import { descendantsOfTypes, namedChildren, some } from '../tree-sitter/syntax.js';
import { argumentsOf, containsRandom } from './evaluate.js';
import { declarationOf, enclosingTypes, findType, methodsOf, type JavaFile } from './scope.js';
import type { TreeCache } from './tree-cache.js';

/**
 * Places where Java code waits (RULES.md section 5): `Thread.sleep(ms)`, `TimeUnit.SECONDS.sleep(n)`,
 * Guava's `Uninterruptibles.sleepUninterruptibly(n, unit)`, `LockSupport.parkNanos(n)`, and small
 * helper methods that do one of these with a parameter (followed into their bodies, across files).
 */

export interface JavaWait {
  /** The call the comment anchors to. */
  anchor: Node;
  /** The argument a patch replaces. */
  argument: Node;
  /** Milliseconds per unit of `argument` (1 for `Thread.sleep`, 1000 for `TimeUnit.SECONDS.sleep`). */
  unitMs: number;
  /** When the wait is a helper: the expression it sleeps, with the helper's parameter to bind. */
  helper?: { file: JavaFile; parameter: string; inner: Node; innerUnitMs: number; name: string };
  jittered: boolean;
  confidence: 'high' | 'medium';
}

const TIME_UNIT =
  /^(?:(?:java\.util\.concurrent\.)?TimeUnit\.)?(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/;
/** Unresolvable calls with these names are taken as sleeps, at lower confidence. */
const SLEEP_NAME = /^(sleep|sleepQuietly|sleepUninterruptibly|pause|backoffSleep|sleepMillis)$/;
/** A sleep helper is small: it waits, perhaps restores the interrupt flag and logs. */
const MAX_HELPER_CALLS = 4;

/** The built-in wait a call is, if any: which argument is the delay and in which unit. */
export function builtinWait(call: Node): { argument: Node; unitMs: number } | null {
  const object = call.childForFieldName('object')?.text.replace(/\s+/g, '') ?? '';
  const name = call.childForFieldName('name')?.text ?? '';
  const [first, second] = argumentsOf(call);
  if (!first) return null;
  if (name === 'sleep' && /^(java\.lang\.)?Thread$/.test(object)) return { argument: first, unitMs: 1 };
  const timeUnit = TIME_UNIT.exec(object);
  if (name === 'sleep' && timeUnit) return { argument: first, unitMs: unitMs(timeUnit[1]!) ?? 1 };
  if (name === 'sleepUninterruptibly' && /Uninterruptibles$/.test(object)) {
    const unit = second ? TIME_UNIT.exec(second.text.replace(/\s+/g, '')) : null;
    return { argument: first, unitMs: unit ? (unitMs(unit[1]!) ?? 1) : 1 };
  }
  if (name === 'parkNanos' && /LockSupport$/.test(object)) return { argument: second ?? first, unitMs: 1e-6 };
  return null;
}

export class JavaWaitFinder {
  private readonly helpers = new Map<number, Promise<JavaWait['helper'] | null>>();

  constructor(private readonly files: TreeCache) {}

  async find(file: JavaFile): Promise<JavaWait[]> {
    const waits: JavaWait[] = [];
    for (const call of descendantsOfTypes(file.tree.rootNode, new Set(['method_invocation']))) {
      const wait = await this.classify(call, file);
      if (wait) waits.push(wait);
    }
    return waits;
  }

  private async classify(call: Node, file: JavaFile): Promise<JavaWait | null> {
    const builtin = builtinWait(call);
    if (builtin) return { anchor: call, ...builtin, jittered: false, confidence: 'high' };
    const args = argumentsOf(call);
    if (args.length !== 1) return null;
    const name = call.childForFieldName('name')?.text ?? '';
    const object = call.childForFieldName('object');
    let method: { file: JavaFile; node: Node } | null = null;
    if (!object || object.type === 'this') {
      const [type] = enclosingTypes(call);
      const found = type ? methodsOf(type, name).find((m) => parametersOf(m).length === 1) : undefined;
      if (found) method = { file, node: found };
      else if (!type || !inheritsSomething(type)) {
        return SLEEP_NAME.test(name)
          ? { anchor: call, argument: args[0]!, unitMs: 1, jittered: false, confidence: 'medium' }
          : null;
      }
    } else if (object.type === 'identifier' && !declarationOf(object.text, object)) {
      const owner = await findType(file, object.text, this.files);
      const found = owner ? methodsOf(owner.type, name).find((m) => parametersOf(m).length === 1) : undefined;
      if (owner && found) method = { file: owner.file, node: found };
    }
    if (!method) return null;
    const helper = await this.helperOf(method.node, method.file);
    if (!helper) return null;
    return {
      anchor: call,
      argument: args[0]!,
      unitMs: 1,
      helper: { ...helper, name },
      jittered: containsRandom(method.node.childForFieldName('body') ?? method.node),
      confidence: 'high',
    };
  }

  /** A method that waits on its single parameter, and nothing much else. */
  private helperOf(method: Node, file: JavaFile): Promise<JavaWait['helper'] | null> {
    let pending = this.helpers.get(method.id);
    if (!pending) {
      pending = Promise.resolve(analyseHelper(method, file));
      this.helpers.set(method.id, pending);
    }
    return pending;
  }
}

function analyseHelper(method: Node, file: JavaFile): JavaWait['helper'] | null {
  const body = method.childForFieldName('body');
  const [parameter] = parametersOf(method);
  if (!body || !parameter) return null;
  const loops = new Set(['for_statement', 'enhanced_for_statement', 'while_statement', 'do_statement']);
  if (some(body, (node) => loops.has(node.type))) return null;
  const calls = descendantsOfTypes(body, new Set(['method_invocation']));
  if (calls.length > MAX_HELPER_CALLS) return null;
  for (const call of calls) {
    const builtin = builtinWait(call);
    if (!builtin) continue;
    const mentions = some(builtin.argument, (node) => node.type === 'identifier' && node.text === parameter);
    if (mentions) return { file, parameter, inner: builtin.argument, innerUnitMs: builtin.unitMs, name: '' };
  }
  return null;
}

function parametersOf(method: Node): string[] {
  const list = method.childForFieldName('parameters');
  return list
    ? namedChildren(list)
        .filter((p) => p.type === 'formal_parameter')
        .map((p) => p.childForFieldName('name')?.text ?? '')
    : [];
}

/** A class with a superclass may inherit the method; an unresolved call there is not a guess we make. */
function inheritsSomething(type: Node): boolean {
  return type.childForFieldName('superclass') !== null;
}
