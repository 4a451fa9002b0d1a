import type { RepoJitterHelper } from './types.js';

/** Parameters after the first that a backoff helper may declare: where the window starts, and its cap. */
const BASE_PARAM = /^(base|initial|min|delay|interval|unit|step)/i;
const CAP_PARAM = /^(cap|max|limit|ceil)/i;

/** The values a call of the helper is given, as the patched language writes them. */
export interface HelperValues {
  /** The attempt, for a helper that takes one; the wait's own delay, for one that jitters a delay. */
  first: string;
  /** Where the wait's window starts, for a `base` parameter; absent when the wait does not say. */
  base?: string;
  /** The configured cap, for a `cap`/`max` parameter. */
  cap: string;
}

/**
 * The arguments of a call of the repository's helper in place of a wait, adapted to its declared
 * parameters: the attempt (or the delay) first, then a base and a cap when it requires them; a
 * parameter a call may leave out ends the list. Null when a required parameter is none of these,
 * or a keyword one: the patch then keeps its own expression.
 */
export function helperArguments(helper: RepoJitterHelper, values: HelperValues): string[] | null {
  const params = helper.signature?.params ?? [];
  if (params.length === 0) return null;
  const args = [values.first];
  for (const param of params.slice(1)) {
    if (param.optional) break;
    if (param.keyword) return null;
    if (BASE_PARAM.test(param.name) && values.base !== undefined) args.push(values.base);
    else if (CAP_PARAM.test(param.name)) args.push(values.cap);
    else return null;
  }
  return args;
}
