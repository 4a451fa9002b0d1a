import type { JitterHelperCandidate, SourceInput } from '../../analyzer.js';
import { ATTEMPT_NAME } from '../../context.js';
import { loadedLanguage, loadLanguage, parseLoaded } from '../tree-sitter/runtime.js';
import { extractPythonFacts } from './facts.js';

/** Words that say a function is about time between attempts (used with the body check, never alone). */
const DELAY_WORDS = /jitter|backoff|delay|sleep|wait|pause|retry|interval|timeout/i;
/** A body that computes or waits a delay. */
const DELAY_BODY = /\*\*|\bmin\(|<<|\bsleep\b|\bdelay\b|backoff/;
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
    const facts = extractPythonFacts(input.path, tree.rootNode, false);
    const lines = input.text.split('\n');
    const found: JitterHelperCandidate[] = [];
    for (const fn of facts.functions) {
      const { name } = fn;
      if (fn.className || fn.parent !== undefined || name.startsWith('_') || !fn.random) continue;
      const body = lines.slice(fn.line - 1, fn.endLine).join('\n');
      if (!DELAY_BODY.test(body) && !DELAY_WORDS.test(name)) continue;
      const first = fn.params[0]?.name ?? '';
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
