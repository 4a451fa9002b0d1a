import type { JitterHelperCandidate, SourceInput } from '../../analyzer.js';
import { ATTEMPT_NAME } from '../../context.js';
import { loadedLanguage, loadLanguage, parseLoaded } from '../tree-sitter/runtime.js';
import { extractKotlinFacts } from './facts.js';

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;
/** A body that computes or waits a delay. */
const DELAY_BODY = /\bpow\(|\bshl\b|minOf\(|coerceAtMost|\bdelay\(|\bsleep\(|backoff/i;
const COUNTER_PARAM = /^(n|i|count|retries|retryCount|attemptNumber)$/;

/**
 * Public top-level functions whose bodies draw a random number and compute or wait a delay: the
 * repository's own jitter helpers. A name alone proves nothing; the body must do it. Synchronous by
 * the interface, so it needs the grammar loaded (it is once a Kotlin file has been analysed, the only
 * time a Kotlin patch could reuse a helper); before that it starts the load and reports none.
 */
export function findKotlinJitterHelpers(input: SourceInput): JitterHelperCandidate[] {
  if (!/Random|random|jitter/.test(input.text)) return [];
  const language = loadedLanguage('kotlin');
  if (!language) {
    void loadLanguage('kotlin').catch(() => undefined);
    return [];
  }
  let tree;
  try {
    tree = parseLoaded('kotlin', language, input.text);
  } catch {
    return [];
  }
  try {
    const facts = extractKotlinFacts(input.path, tree.rootNode, false);
    const lines = input.text.split('\n');
    const found: JitterHelperCandidate[] = [];
    for (const fn of facts.functions) {
      const { name } = fn;
      if (fn.className || fn.parent !== undefined || !fn.random) continue;
      const body = lines.slice(fn.line - 1, fn.endLine).join('\n');
      if (/\b(private|internal)\b[^\n]*\bfun\b/.test(lines[fn.line - 1] ?? '')) continue;
      if (!DELAY_BODY.test(body) && !DELAY_WORDS.test(name)) continue;
      const first = fn.params[0]?.name ?? '';
      found.push({
        name,
        path: input.path,
        takesAttempt: ATTEMPT_NAME.test(first) || COUNTER_PARAM.test(first),
        sleeps: fn.sleeps !== undefined || /\bdelay\(|\bsleep\(/.test(body),
      });
    }
    return found;
  } finally {
    tree.delete();
  }
}
