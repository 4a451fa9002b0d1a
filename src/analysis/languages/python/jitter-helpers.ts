import type { JitterHelperCandidate, SourceInput } from '../../analyzer.js';
import { ATTEMPT_NAME } from '../../context.js';
import { loadedLanguage, loadLanguage, parseLoaded } from '../tree-sitter/runtime.js';
import { summarise } from './module.js';

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;
const COUNTER_PARAM = /^(n|i|count|retries|attempt_number)$/;

/**
 * Public module-level functions whose bodies draw a random number and compute or wait a delay: the
 * repository's own jitter helpers. A name alone proves nothing; the body must do it.
 */
export function findPythonJitterHelpers(input: SourceInput): JitterHelperCandidate[] {
  if (!/random|secrets|uniform/.test(input.text)) return [];
  const language = loadedLanguage('python');
  if (!language) {
    void loadLanguage('python').catch(() => undefined);
    return [];
  }
  let tree;
  try {
    tree = parseLoaded('python', language, input.text);
  } catch {
    return [];
  }
  try {
    const module = summarise(input.path, tree.rootNode);
    const found: JitterHelperCandidate[] = [];
    for (const [name, fn] of module.functions) {
      if (name.startsWith('_') || !fn.random) continue;
      if (!fn.delayLike && !DELAY_WORDS.test(name)) continue;
      const first = fn.params[0] ?? '';
      found.push({
        name,
        path: input.path,
        takesAttempt: ATTEMPT_NAME.test(first) || COUNTER_PARAM.test(first),
        sleeps: fn.sleeps !== undefined || /sleep/.test(name),
      });
    }
    return found;
  } finally {
    tree.delete();
  }
}
