import type { CounterSyntax } from '../loop-counter.js';

/** Python's loops and counter lines: `attempt = 0` before the loop, `attempt += 1` before the wait. */
export const PYTHON_COUNTER: CounterSyntax = {
  grammar: 'python',
  isLoop: (node) => node.type === 'while_statement' || node.type === 'for_statement',
  isFunction: (node) => node.type === 'function_definition' || node.type === 'lambda',
  statementLists: new Set(['block']),
  names: ['attempt', 'retry_attempt'],
  declare: (name) => `${name} = 0`,
  increment: (name) => `${name} += 1`,
};
