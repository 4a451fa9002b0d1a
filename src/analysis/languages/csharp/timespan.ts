import { MAX_HOPS, newTrail, type FlowEngine, type Scope } from '../../flow/engine.js';
import type { Expr, FileFacts } from '../../flow/ir.js';
import type { CsFacts } from './facts.js';

/**
 * Whether a wait's argument is a `TimeSpan` rather than milliseconds: `Task.Delay` and `Thread.Sleep`
 * take either, and a patch must multiply the one and draw a random integer for the other. Answered
 * from the declared types of the locals, members and methods the value comes through, followed by the
 * engine to the class that declares them. False when nothing says so.
 */

const TIMESPAN = /^(System\.)?TimeSpan\??$/;

function typesOf(facts: FileFacts): CsFacts['types'] | undefined {
  return (facts as Partial<CsFacts>).types;
}

export async function isTimeSpan(engine: FlowEngine, expr: Expr, scope: Scope, depth = 0): Promise<boolean> {
  if (depth > MAX_HOPS) return false;
  const types = typesOf(scope.facts);
  const next = (e: Expr, s: Scope = scope) => isTimeSpan(engine, e, s, depth + 1);
  switch (expr.k) {
    case 'neg':
      return next(expr.inner);
    case 'binary':
      return (await next(expr.left)) || (await next(expr.right));
    case 'either':
      for (const option of expr.options) if (await next(option)) return true;
      return false;
    case 'name': {
      const { facts } = scope;
      for (let fn = scope.fn; fn; fn = fn.parent === undefined ? undefined : facts.functions[fn.parent]) {
        const declared = types?.locals[fn.id]?.[expr.name];
        if (declared) return TIMESPAN.test(declared);
        const write = facts.assignments.find(
          (a) => a.fn === fn!.id && a.target.kind === 'name' && a.target.name === expr.name,
        );
        if (write) return next(write.value, { ...scope, fn });
      }
      const top = types?.locals[-1]?.[expr.name];
      return !!top && TIMESPAN.test(top);
    }
    case 'member': {
      // Declared in the object's class or inherited from a base class.
      let owner = await engine.typeOf(expr.object, scope, newTrail());
      for (let hop = 0; owner && hop < MAX_HOPS; hop += 1) {
        const declared = typesOf(owner.facts)?.members[owner.cls.name]?.[expr.name];
        if (declared) return TIMESPAN.test(declared);
        const base = owner.cls.bases[0];
        owner = base ? await engine.classNamed(base, owner.facts) : null;
      }
      return false;
    }
    case 'call': {
      const target = await engine.functionOf(expr.callee, scope);
      const declared = target && typesOf(target.facts)?.returns[target.fn.id];
      return !!declared && TIMESPAN.test(declared);
    }
    default:
      return false;
  }
}
