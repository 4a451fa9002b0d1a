import type { Delay, Language } from '../../analysis/finding.js';
import { formatDuration } from '../../simulate/duration.js';
import { JITTER_STRATEGIES, type StrategyName } from '../../simulate/strategies.js';
import { jitterExpression, type WindowShape } from '../templates.js';
import { inlineCode } from '../inline-code.js';
import type { SuggestOptions } from '../types.js';

/** What the code waits today and what is in scope to build a jittered wait from. */
export interface JitterRequest {
  language: Language;
  delay: Delay;
  /** Source text of the current delay expression. */
  current: string;
  /** True when `current` already applies a cap (`Math.min(…)`). */
  currentIsCapped: boolean;
  /** Expression of a 0-based attempt number, when one is in scope. */
  attempt?: string;
  /** Units of `current` per millisecond: 1 for milliseconds, 0.001 for seconds. */
  unitScale: number;
  options: SuggestOptions;
}

export interface JitterCode {
  strategy: StrategyName;
  expression: string;
  /** The change in words, with this finding's numbers. */
  description: string;
}

/** Rounds away floating-point noise so `30000 * 0.001` prints as `30`. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function baseMs(delay: Delay): number | undefined {
  return delay.kind === 'fixed' ? delay.ms : delay.baseMs;
}

/** The strategy actually written: golden needs an index source, decorrelated a known floor. */
function resolveStrategy(
  requested: StrategyName,
  options: SuggestOptions,
  hasFloor: boolean,
): { strategy: StrategyName; note?: string } {
  if (requested === 'golden' && options.goldenIndexEnv === undefined) {
    return {
      strategy: 'full',
      note: 'Golden-ratio jitter needs a stable per-client index (`golden_index` in the configuration), so this uses full jitter.',
    };
  }
  if (requested === 'decorrelated' && !hasFloor) {
    return {
      strategy: 'full',
      note: 'Decorrelated jitter needs the base delay, which is not a constant here, so this uses full jitter.',
    };
  }
  return { strategy: requested };
}

function windowOf(request: JitterRequest): WindowShape {
  const { delay, current, attempt } = request;
  if (delay.kind === 'fixed') {
    return attempt === undefined
      ? { kind: 'none', base: current }
      : { kind: 'exponential', base: current, attempt };
  }
  const base = baseMs(delay);
  return {
    kind: 'given',
    ceiling: current,
    capped: request.currentIsCapped,
    ...(base === undefined ? {} : { base: formatNumber(base * request.unitScale) }),
  };
}

function describe(request: JitterRequest, strategy: StrategyName, window: WindowShape): string {
  const ms = baseMs(request.delay);
  const { capMs, goldenIndexEnv } = request.options;
  const base = ms === undefined ? inlineCode(request.current) : formatDuration(ms);
  const cap = formatDuration(capMs);
  const label = JITTER_STRATEGIES[strategy].label;
  let upper: string;
  let lower: string;
  switch (window.kind) {
    case 'none':
      upper =
        strategy === 'decorrelated' && ms !== undefined ? formatDuration(Math.min(capMs, ms * 3)) : base;
      lower =
        strategy === 'decorrelated' ? base : ms === undefined ? `half of ${base}` : formatDuration(ms / 2);
      break;
    case 'exponential':
      upper =
        strategy === 'decorrelated'
          ? `min(${cap}, ${base} · 3^(${window.attempt} + 1))`
          : `min(${cap}, ${base} · 2^${window.attempt})`;
      lower = strategy === 'decorrelated' ? base : 'half of that';
      break;
    case 'given':
      if (strategy === 'decorrelated') upper = `three times the current delay, capped at ${cap}`;
      else upper = window.capped ? 'the current delay' : `the current delay capped at ${cap}`;
      lower = strategy === 'decorrelated' ? base : 'half of that';
      break;
  }
  const phrase: Record<StrategyName, string> = {
    full: `a random wait between 0 and ${upper}`,
    equal: `a random wait between ${lower} and ${upper}`,
    decorrelated: `a random wait between ${lower} and ${upper}`,
    golden: `a wait of frac(k · 0.618…) · ${upper}, where k is this client's index from ${inlineCode(goldenIndexEnv ?? '')}`,
  };
  if (window.kind === 'given') return `Add ${label} to the growing wait: ${phrase[strategy]}.`;
  const grows = window.kind === 'exponential' ? ` that grows with ${inlineCode(window.attempt)}` : '';
  return `Replace the fixed ${base} wait with ${label}${grows}: ${phrase[strategy]}.`;
}

/** The jittered expression replacing `request.current`, or null when the language has no template. */
export function jitterCode(request: JitterRequest): JitterCode | null {
  const window = windowOf(request);
  const { strategy, note } = resolveStrategy(
    request.options.strategy,
    request.options,
    window.base !== undefined,
  );
  const cap = formatNumber(request.options.capMs * request.unitScale);
  const expression = jitterExpression(request.language, strategy, {
    window,
    cap,
    ...(request.options.goldenIndexEnv === undefined ? {} : { indexEnv: request.options.goldenIndexEnv }),
  });
  if (expression === null) return null;
  const description = describe(request, strategy, window) + (note === undefined ? '' : ` ${note}`);
  return { strategy, expression, description };
}
