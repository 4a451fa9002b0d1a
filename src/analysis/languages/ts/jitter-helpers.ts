import { ts } from 'ts-morph';
import type { JitterHelperCandidate } from '../../analyzer.js';
import { ATTEMPT_NAME } from '../../context.js';
import { containsRandom } from './random.js';
import { parseSource } from './modules.js';
import { hasModifier } from './resolve.js';
import { unwrap } from './scope.js';

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;
/** What a delay computation looks like: growth, a cap, or a timer. */
const DELAY_BODY = /\*\*|Math\.pow|Math\.min|<<|setTimeout|\bsleep\b|\bdelay\b/;

/**
 * Exported functions whose bodies draw a random number and compute or wait a delay: the repository's
 * own jitter helpers. A name alone proves nothing (`jitter()` may be a UI shake); the body must do it.
 */
export function findJitterHelpers(path: string, text: string): JitterHelperCandidate[] {
  if (!/random/i.test(text)) return [];
  const file = parseSource(path, text);
  const found: JitterHelperCandidate[] = [];
  const consider = (name: string, fn: ts.SignatureDeclaration & { body?: ts.Node }) => {
    if (!fn.body || !containsRandom(fn.body)) return;
    const body = fn.body.getText(file);
    if (!DELAY_WORDS.test(name) && !DELAY_BODY.test(body)) return;
    // What it gives back or waits decides, not that randomness is somewhere inside: a fetch with a
    // jittered retry inside returns a response, and is no delay to call.
    const returned = returnedValues(fn.body);
    const returnsDraw = returned.some((value) => drawn(value, fn.body!));
    const sleeps = !returnsDraw && returned.length === 0 && /setTimeout|\bsleep\b|\bdelay\(/.test(body);
    if (!returnsDraw && !sleeps) return;
    const first = fn.parameters[0];
    const firstName = first && ts.isIdentifier(first.name) ? first.name.text : '';
    found.push({
      name,
      path,
      takesAttempt: ATTEMPT_NAME.test(firstName) || /^(n|i|count)$/.test(firstName),
      sleeps,
    });
  };
  for (const statement of file.statements) {
    if (!hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
    if (ts.isFunctionDeclaration(statement) && statement.name) consider(statement.name.text, statement);
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer && unwrap(declaration.initializer);
        if (
          init &&
          ts.isIdentifier(declaration.name) &&
          (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
        ) {
          consider(declaration.name.text, init);
        }
      }
    }
  }
  return found;
}

/** The values a function body returns (an arrow's expression body is one), not those of nested functions. */
function returnedValues(body: ts.Node): ts.Expression[] {
  if (!ts.isBlock(body)) return [body as ts.Expression];
  const values: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) values.push(node.expression);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return values;
}

/** A value drawn at random: directly, or a local of the body initialised from a draw. */
function drawn(value: ts.Expression, body: ts.Node): boolean {
  if (containsRandom(value)) return true;
  const inner = unwrap(value);
  if (!ts.isIdentifier(inner)) return false;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found || ts.isFunctionLike(node)) return;
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === inner.text &&
      node.initializer &&
      containsRandom(node.initializer)
    )
      found = true;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}
