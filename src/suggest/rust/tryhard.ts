import { TRYHARD_CAP_EVIDENCE } from '../../analysis/languages/rust/libraries.js';
import type { Finding, WaitForm } from '../../analysis/finding.js';
import { inlineCode } from '../inline-code.js';
import { atom } from '../c-expressions.js';
import { plan, refuse, type RewriteResult } from '../plan.js';
import type { StrategyName } from '../types.js';

type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

/** The wait of each tryhard strategy for attempt `attempt` (1 for the first retry), as tryhard computes it. */
const WINDOWS: Record<string, (delay: string) => string> = {
  fixed_backoff: (delay) => delay,
  linear_backoff: (delay) => `${delay}.saturating_mul(attempt)`,
  exponential_backoff: (delay) => `${delay}.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))`,
};

/**
 * tryhard has no jitter option: its strategies become a `custom_backoff` closure that draws each wait
 * at random below the strategy's own window. `.max_delay` clamps after the closure, so the window is
 * capped inside it first — clamping random waits afterwards would pile every late retry onto the cap.
 */
export function tryhardRewrite(
  finding: Finding,
  form: LibraryForm,
  randomFactor: ((strategy: StrategyName) => string) | null,
  strategy: StrategyName,
  capMs: number,
): RewriteResult {
  const written = /^(\w+)\s*\(([\s\S]*)\)$/.exec(form.targetText);
  const window = written ? WINDOWS[written[1]!] : undefined;
  const words =
    'tryhard has no jitter option: replace the strategy with `.custom_backoff(|attempt, _: &_| …)` returning a random share of its delay.';
  if (!written || !window) return refuse(strategy, 'unexpected tryhard strategy', words);
  if (!randomFactor)
    return refuse(strategy, 'the crate does not depend on `rand`', `Add \`rand\` to Cargo.toml; ${words}`);
  const grown = window(atom(written[2]!.trim()));
  const attempt = /\battempt\b/.test(grown) ? 'attempt' : '_';
  const capped = finding.evidence.find((e) => e.startsWith(TRYHARD_CAP_EVIDENCE));
  // A fixed delay needs no cap of ours; a growing one does, before the random draw.
  const cap = capped
    ? capped.slice(TRYHARD_CAP_EVIDENCE.length).trim().replace(/^`|`$/g, '')
    : attempt === '_'
      ? null
      : `std::time::Duration::from_millis(${capMs})`;
  const bounded = cap ? `${grown}.min(${cap})` : grown;
  return plan(
    strategy,
    `tryhard has no jitter option: a ${inlineCode('custom_backoff')} closure draws each wait at random from the ${inlineCode(written[1]!)} delay${cap ? `, capped at ${inlineCode(cap)}` : ''}.`,
    {
      start: form.target.startOffset,
      end: form.target.endOffset,
      newText: `custom_backoff(|${attempt}, _: &_| ${bounded}.mul_f64(${randomFactor(strategy)}))`,
    },
  );
}
