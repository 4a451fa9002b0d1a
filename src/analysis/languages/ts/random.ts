import { ts } from 'ts-morph';
import { unwrap } from './scope.js';

/** Callees that draw a random number (by their last name), wherever they come from. */
const RANDOM_CALLEES =
  /^(random|randomInt|getRandomValues|randomBytes|randomFillSync|randomUUID|nextDouble|sample|shuffle)$/;

/** Any source of randomness in a subtree (not following calls): `Math.random()`, `crypto.randomInt`, `_.random`. */
export function containsRandom(node: ts.Node): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(current)) {
      const callee = unwrap(current.expression);
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (isRandomCallee(name)) {
        found = true;
        return;
      }
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

/** A callee whose name says it draws a random number (or jitters a value). */
export function isRandomCallee(name: string): boolean {
  return RANDOM_CALLEES.test(name) || /jitter/i.test(name);
}
