import { dominant, UNKNOWN, type DelayValue } from '../../delay.js';

/**
 * What the C# and Rust evaluators still share from the Java one: how a local stepped between attempts
 * grows. Java itself now runs on the value-flow engine (`flow/`).
 */

/** How an assignment changes a local between attempts (`*=` grows it exponentially, `+=` linearly). */
export function stepped(
  value: DelayValue,
  operator: string,
  rhs: DelayValue,
  rhsText: string,
  name: string,
): DelayValue {
  if (operator === '*=' || operator === '<<=') {
    return dominant(
      value,
      rhs.kind === 'const' && rhs.ms === 1
        ? value
        : { kind: 'exponential', ...(rhs.kind === 'const' ? { factor: rhs.ms } : {}) },
    );
  }
  if (operator === '+=' || operator === '-=') {
    return dominant(
      value,
      rhs.kind === 'const' && rhs.ms === 0 ? value : rhs.kind === 'const' ? { kind: 'linear' } : rhs,
    );
  }
  if (operator === '=') {
    if (rhs.kind === 'counter') return value;
    const mentionsSelf = new RegExp(`\\b${name}\\b`).test(rhsText);
    if (rhs.kind === 'linear' && mentionsSelf && /\*|<</.test(rhsText)) return { kind: 'exponential' };
    return dominant(value, rhs);
  }
  return dominant(value, UNKNOWN('reassigned'));
}
