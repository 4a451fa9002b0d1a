import type { Language } from '../analysis/finding.js';
import { GOLDEN_RATIO_CONJUGATE, type StrategyName } from '../simulate/strategies.js';

/**
 * The few pieces of syntax a jitter expression is built from. One row per language: adding Python,
 * Go or Java support for rewrites means adding a row here, not a new set of templates.
 */
export interface JitterSyntax {
  /** A uniform random number in [0, 1). */
  random: string;
  min(a: string, b: string): string;
  /** `base` raised to `exponent`; callers pass atomic operands. */
  pow(base: string, exponent: string): string;
  /** Fractional part of a non-negative number. */
  frac(x: string): string;
  /** A stable per-client index read from an environment variable (0 when unset). */
  envIndex(variable: string): string;
  /** Imports the expressions need, as the user would write them (empty when built in). */
  imports: string[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const ECMASCRIPT: JitterSyntax = {
  random: 'Math.random()',
  min: (a, b) => `Math.min(${a}, ${b})`,
  pow: (base, exponent) => `${base} ** ${exponent}`,
  frac: (x) => `(${x}) % 1`,
  envIndex: (variable) =>
    IDENTIFIER.test(variable)
      ? `Number(process.env.${variable} ?? 0)`
      : `Number(process.env[${JSON.stringify(variable)}] ?? 0)`,
  imports: [],
};

const PYTHON: JitterSyntax = {
  random: 'random.random()',
  min: (a, b) => `min(${a}, ${b})`,
  pow: (base, exponent) => `${base} ** ${exponent}`,
  frac: (x) => `(${x}) % 1`,
  envIndex: (variable) => `int(os.environ.get(${JSON.stringify(variable)}, "0"))`,
  imports: ['import random', 'import os'],
};

/** Ruby: `rand` is a float in [0, 1); `Array#min` caps; works on ActiveSupport durations too. */
const RUBY: JitterSyntax = {
  random: 'rand',
  min: (a, b) => `[${a}, ${b}].min`,
  pow: (base, exponent) => `${base}**${exponent}`,
  frac: (x) => `(${x}) % 1`,
  envIndex: (variable) => `ENV.fetch(${JSON.stringify(variable)}, "0").to_i`,
  imports: [],
};

/** Languages whose jitter expressions we can write. Rewrites exist for TypeScript and JavaScript. */
export const JITTER_SYNTAX: Partial<Record<Language, JitterSyntax>> = {
  typescript: ECMASCRIPT,
  javascript: ECMASCRIPT,
  python: PYTHON,
  ruby: RUBY,
};

/**
 * The window a patched expression draws from, written in the language (mirrors `Growth` in
 * strategies.ts): `exponential` with an attempt counter, `none` keeping the original upper bound, or
 * `given` when the code already computes a growing delay (`capped`: it already has its own cap).
 */
export type WindowShape =
  | { kind: 'exponential'; base: string; attempt: string }
  | { kind: 'none'; base: string }
  | { kind: 'given'; ceiling: string; capped: boolean; base?: string };

export interface TemplateInput {
  window: WindowShape;
  /** The cap as a literal in the same unit as `base`. */
  cap: string;
  /** Environment variable of the per-client index; required by golden jitter. */
  indexEnv?: string;
}

const EXPONENTIAL_BASE = '2';
const DECORRELATED_BASE = '3';

/**
 * True when `expr` can be an operand of `*` or `+` without parentheses: a name, a number, a call or
 * an already parenthesised expression.
 */
export function isAtomic(expr: string): boolean {
  const text = expr.trim();
  if (/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(text)) return true;
  if (/^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return true;
  const head = /^([A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*)?\(/.exec(text);
  if (!head) return false;
  return closingParenthesis(text, head[0].length - 1) === text.length - 1;
}

/** Index of the `)` matching the `(` at `open`, skipping string literals; -1 when unbalanced. */
function closingParenthesis(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i += 1) {
    const char = text[i];
    if (quote !== null) {
      if (char === '\\') i += 1;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

export function operand(expr: string): string {
  return isAtomic(expr) ? expr.trim() : `(${expr.trim()})`;
}

/** `n + 1` written simply: `retryCount - 1` becomes `retryCount`. */
function nextAttempt(attempt: string): string {
  const minusOne = /^(.*\S)\s*-\s*1$/.exec(attempt.trim());
  return minusOne !== null && isAtomic(minusOne[1]!) ? minusOne[1]! : `${attempt.trim()} + 1`;
}

/** The window's upper bound for full, equal and golden jitter (strategies.ts `windowCeilingMs`). */
function ceiling(syntax: JitterSyntax, input: TemplateInput): string {
  const { window } = input;
  switch (window.kind) {
    case 'exponential':
      return syntax.min(
        input.cap,
        `${operand(window.base)} * ${syntax.pow(EXPONENTIAL_BASE, operand(window.attempt))}`,
      );
    case 'none':
      return window.base;
    case 'given':
      return window.capped ? window.ceiling : syntax.min(input.cap, window.ceiling);
  }
}

/** Decorrelated jitter's upper bound (strategies.ts `decorrelatedCeilingMs`). */
function decorrelatedCeiling(syntax: JitterSyntax, input: TemplateInput): string {
  const { window } = input;
  switch (window.kind) {
    case 'exponential':
      return syntax.min(
        input.cap,
        `${operand(window.base)} * ${syntax.pow(DECORRELATED_BASE, operand(nextAttempt(window.attempt)))}`,
      );
    case 'none':
      return syntax.min(input.cap, `${operand(window.base)} * ${DECORRELATED_BASE}`);
    case 'given':
      return syntax.min(input.cap, `${operand(window.ceiling)} * ${DECORRELATED_BASE}`);
  }
}

type Template = (syntax: JitterSyntax, input: TemplateInput) => string | null;

const TEMPLATES: Record<StrategyName, Template> = {
  full: (syntax, input) => `${syntax.random} * ${operand(ceiling(syntax, input))}`,
  equal: (syntax, input) => `${operand(ceiling(syntax, input))} * (0.5 + ${syntax.random} / 2)`,
  decorrelated: (syntax, input) => {
    const floor = input.window.base;
    if (floor === undefined) return null;
    const upper = decorrelatedCeiling(syntax, input);
    return `${operand(floor)} + ${syntax.random} * (${upper} - ${operand(floor)})`;
  },
  golden: (syntax, input) => {
    if (input.indexEnv === undefined) return null;
    const fraction = syntax.frac(`${syntax.envIndex(input.indexEnv)} * ${GOLDEN_RATIO_CONJUGATE}`);
    return `${operand(fraction)} * ${operand(ceiling(syntax, input))}`;
  },
};

/**
 * The jitter expression for `strategy` in `language`, or null when the language has no row or the
 * strategy cannot be written for this window (golden without an index source, decorrelated without
 * a known base delay).
 */
export function jitterExpression(
  language: Language,
  strategy: StrategyName,
  input: TemplateInput,
): string | null {
  const syntax = JITTER_SYNTAX[language];
  if (syntax === undefined) return null;
  return TEMPLATES[strategy](syntax, input);
}
