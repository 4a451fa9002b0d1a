import type { CounterSyntax } from '../loop-counter.js';

/**
 * Python's loops and counter lines: `attempt = 0` before the loop, `attempt += 1` before the wait,
 * and `attempt = 0` again at the end of the `try` body an `except` around the wait guards.
 */
export const PYTHON_COUNTER: CounterSyntax = {
  grammar: 'python',
  isLoop: (node) => node.type === 'while_statement' || node.type === 'for_statement',
  isFunction: (node) => node.type === 'function_definition' || node.type === 'lambda',
  statementLists: new Set(['block']),
  names: ['attempt', 'retry_attempt'],
  declare: (name) => `${name} = 0`,
  increment: (name) => `${name} += 1`,
  attemptOf: (node) =>
    node.type === 'except_clause' && node.parent?.type === 'try_statement'
      ? node.parent.childForFieldName('body')
      : null,
  reset: (name) => `${name} = 0`,
};
