import { ERROR_CONDITION, OVERLOAD_SIGNAL, POLLING_CONDITION, SUCCESS_CONDITION } from '../../context.js';

/**
 * The neutral condition vocabulary of context.ts, applied to Java, Kotlin, C# and Rust spellings:
 * accessor calls are read as properties (`response.statusCode() >= 500` as `response.statusCode >= 500`)
 * and each language adds the names its HTTP clients use.
 */

/** Status constants spelled in upper snake case (Spring `HttpStatus`, Rust `StatusCode`). */
export const OVERLOAD_CONSTANT = /\b(TOO_MANY_REQUESTS|SERVICE_UNAVAILABLE|BAD_GATEWAY|GATEWAY_TIMEOUT)\b/;

export interface ConditionWords {
  /** Extra spellings of a failed attempt: `!response.isSuccessful()`, `result.is_err()`. */
  error: RegExp;
  /** Extra spellings of a successful attempt: `response.IsSuccessStatusCode`, `res.is_ok()`. */
  success: RegExp;
}

/** `a.b()` → `a.b`, so accessor calls read like the properties the shared patterns expect. */
export function normaliseCondition(text: string): string {
  return text
    .replace(/\(\s*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function isOverload(text: string): string | null {
  return OVERLOAD_SIGNAL.exec(text)?.[0] ?? OVERLOAD_CONSTANT.exec(text)?.[0] ?? null;
}

export function isErrorCondition(raw: string, words: ConditionWords): boolean {
  const text = normaliseCondition(raw);
  if (words.success.test(text) && !/^!|!\s*\(|\bnot\b/.test(text)) return false;
  if (words.error.test(text)) return true;
  if (POLLING_CONDITION.test(text) && !isOverload(text) && !/err|fail|!.*ok\b/i.test(text)) return false;
  return ERROR_CONDITION.test(text) || isOverload(text) !== null;
}

export function isSuccessCondition(raw: string, words: ConditionWords): boolean {
  const text = normaliseCondition(raw);
  if (words.error.test(text)) return false;
  if (words.success.test(text) && !/^!/.test(text)) return true;
  if (POLLING_CONDITION.test(text) && !/\.ok\b|status/i.test(text)) return false;
  return SUCCESS_CONDITION.test(text);
}
