import type { Node } from '../tree-sitter/runtime.js';
import { clip, descendantsOfTypes, lineOf, namedChildren, oncePerNode, some } from '../tree-sitter/syntax.js';
import { isErrorCondition, isOverload, isSuccessCondition, type ConditionWords } from './conditions.js';
import type { ContextGrammar, FailurePath } from './retry-context.js';

/**
 * The retry-context grammar of the curly-brace languages with `try`/`catch` statements: Java and C#
 * name their nodes almost alike in tree-sitter, so one grammar serves both, given the names that differ.
 */
export interface CFamilyNames {
  functions: readonly string[];
  loops: readonly string[];
  /** Loops over a collection (`for (x : xs)`, `foreach`): pacing when they wait, never counters. */
  forEach: readonly string[];
  blocks: readonly string[];
  catchClause: string;
  /** C# `catch (…) when (…)`: part of the catch, not its body. */
  catchFilter?: string;
  ifStatement: string;
  tryStatement: string;
  throwStatement: string;
  /** Statements that leave the loop: `return`, `break`. */
  exits: readonly string[];
  /** Switch arms whose labels can name a status (`case 429:`). */
  switchArms: readonly string[];
  /** `attempt++`, `--n`. */
  unarySteps: readonly string[];
  assignment: string;
  invocation: string;
  /** The simple name a call invokes when it is a call on `this` or on nothing (for recursion). */
  ownCallName(call: Node): string | null;
  parameters: readonly string[];
  words: ConditionWords;
}

const STATUS_LABEL = /^(408|429|5\d\d)$/;

export function cFamilyGrammar(names: CFamilyNames): ContextGrammar {
  const loops = new Set(names.loops);
  const exits = new Set(names.exits);
  // C#'s `yield break;` leaves an iterator (a Unity coroutine) as `return` leaves a method.
  const isExit = (statement: Node): boolean =>
    exits.has(statement.type) ||
    (statement.type === 'yield_statement' && /^yield\s+break\b/.test(statement.text));
  const switchArms = new Set(names.switchArms);

  const leaves = (statement: Node | null): boolean => {
    if (!statement) return false;
    if (isExit(statement)) return true;
    return names.blocks.includes(statement.type) && namedChildren(statement).some(isExit);
  };

  const conditionOf = (node: Node): string => {
    const condition = node.childForFieldName('condition');
    return condition ? condition.text.replace(/^\((.*)\)$/s, '$1') : '';
  };

  const failureAt = (ancestor: Node, child: Node): FailurePath | null => {
    if (ancestor.type === names.catchClause) {
      if (names.catchFilter && child.type === names.catchFilter) return null;
      const overload = isOverload(ancestor.text);
      return {
        trigger: { kind: 'exception', ...(overload ? { detail: overload } : {}) },
        evidence: `waits in a \`catch\` block (line ${lineOf(ancestor)})${overload ? ` that handles \`${overload}\`` : ''}`,
      };
    }
    if (ancestor.type === names.ifStatement) {
      const condition = conditionOf(ancestor);
      const consequence = ancestor.childForFieldName('consequence');
      const alternative = ancestor.childForFieldName('alternative');
      const inThen = consequence?.equals(child) ?? false;
      const inElse = alternative !== null && (alternative.equals(child) || contains(alternative, child));
      if (
        (inThen && isErrorCondition(condition, names.words)) ||
        (inElse && isSuccessCondition(condition, names.words))
      ) {
        return {
          trigger: {
            kind: /status|\b[45]\d\d\b|success/i.test(condition) ? 'status' : 'exception',
            detail: clip(condition),
          },
          evidence: `waits when \`${clip(condition)}\` ${inThen ? 'holds' : 'fails'} (line ${lineOf(ancestor)})`,
        };
      }
    }
    if (
      (ancestor.type === 'while_statement' || ancestor.type === 'do_statement') &&
      ancestor.childForFieldName('body')?.equals(child)
    ) {
      // `while (!response.isSuccessful() && count < 3) { sleep(…); response = chain.proceed(…); }`: the
      // loop runs again only while the last attempt failed.
      const condition = conditionOf(ancestor);
      if (isErrorCondition(condition, names.words)) {
        return {
          trigger: {
            kind: /status|\b[45]\d\d\b|success/i.test(condition) ? 'status' : 'exception',
            detail: clip(condition),
          },
          evidence: `waits in a loop that runs while \`${clip(condition)}\` (line ${lineOf(ancestor)})`,
        };
      }
    }
    if (switchArms.has(ancestor.type)) {
      const label = statusLabel(ancestor);
      if (label) {
        return {
          trigger: { kind: 'status', detail: `case ${label}` },
          evidence: `waits for \`case ${label}\` (line ${lineOf(ancestor)})`,
        };
      }
    }
    return null;
  };

  const statusLabel = (arm: Node): string | null => {
    for (const child of namedChildren(arm)) {
      if (!/label|pattern|literal/.test(child.type)) continue;
      const text = child.text.replace(/^case\s+|:$|->$/g, '').trim();
      for (const part of text.split(/\s*,\s*|\s*\|\s*|\s+or\s+/)) {
        if (STATUS_LABEL.test(part) || isOverload(part)) return part;
      }
    }
    return null;
  };

  const successExit = (statement: Node): FailurePath | null => {
    if (statement.type === names.ifStatement && leaves(statement.childForFieldName('consequence'))) {
      const condition = conditionOf(statement);
      if (isSuccessCondition(condition, names.words)) {
        return {
          trigger: { kind: 'status', detail: clip(condition) },
          evidence: `waits only after \`${clip(condition)}\` failed (line ${lineOf(statement)})`,
        };
      }
    }
    if (statement.type === names.tryStatement) {
      const body = statement.childForFieldName('body');
      const hasCatch = namedChildren(statement).some((c) => c.type === names.catchClause);
      if (body && hasCatch && returnsOnSuccess(body)) {
        return {
          trigger: { kind: 'exception' },
          evidence: `waits after a \`try\` that returns on success (line ${lineOf(statement)})`,
        };
      }
    }
    return null;
  };

  const returnsOnSuccess = (block: Node): boolean =>
    namedChildren(block).some(
      (s) =>
        isExit(s) ||
        (s.type === names.ifStatement &&
          leaves(s.childForFieldName('consequence')) &&
          isSuccessCondition(conditionOf(s), names.words)),
    );

  return {
    functions: new Set(names.functions),
    loops,
    blocks: new Set(names.blocks),
    failureAt,
    successExit,
    givesUp: (statement) => statement.type === names.throwStatement,
    loopVariables: oncePerNode((loop) => {
      if (names.forEach.includes(loop.type)) return [];
      const init = loop.childForFieldName('init') ?? loop.childForFieldName('initializer');
      if (!init) return [];
      return descendantsOfTypes(init, new Set(['variable_declarator']))
        .map((declarator) => declarator.childForFieldName('name')?.text ?? '')
        .filter((name) => name !== '');
    }),
    steppedNames: oncePerNode((node) => {
      const stepped: string[] = [];
      for (const step of descendantsOfTypes(node, new Set([...names.unarySteps, names.assignment]))) {
        if (step.type === names.assignment) {
          const left = step.childForFieldName('left');
          const operator = step.childForFieldName('operator')?.text;
          const right = step.childForFieldName('right')?.text;
          if (left?.type === 'identifier' && (operator === '+=' || operator === '-=') && right === '1') {
            stepped.push(left.text);
          }
          continue;
        }
        const match = /^(?:\+\+|--)\s*([A-Za-z_]\w*)$|^([A-Za-z_]\w*)\s*(?:\+\+|--)$/.exec(step.text);
        if (match) stepped.push(match[1] ?? match[2]!);
      }
      return stepped;
    }),
    functionName: (fn) => (fn.type.includes('lambda') ? null : (fn.childForFieldName('name')?.text ?? null)),
    callsName: (fn, name) =>
      some(fn, (node) => node.type === names.invocation && names.ownCallName(node) === name, new Set()),
    parameterNames: (fn) => {
      const list = fn.childForFieldName('parameters');
      if (!list) return [];
      return descendantsOfTypes(list, new Set(names.parameters))
        .map((parameter) => parameter.childForFieldName('name')?.text ?? '')
        .filter((name) => name !== '');
    },
    loopWord: (loop) =>
      names.forEach.includes(loop.type)
        ? 'a for-each loop'
        : loop.type.startsWith('while')
          ? 'a while loop'
          : loop.type.startsWith('do')
            ? 'a do…while loop'
            : loop.type === 'labeled_statement'
              ? `a \`goto ${loop.namedChild(0)?.text ?? ''}\` loop`
              : 'a for loop',
  };
}

function contains(outer: Node, inner: Node): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}
