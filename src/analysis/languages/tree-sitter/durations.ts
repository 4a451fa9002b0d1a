import { combine, UNKNOWN, type ArithmeticOp, type DelayValue } from '../../delay.js';

/**
 * Literal evaluation shared by the tree-sitter languages: numeric literals in their many spellings,
 * duration units in their many names, and scaling a folded value into milliseconds.
 */

/**
 * Type suffixes numeric literals may carry: Java/Kotlin `L`, `f`, `d`; C# `m`, `UL`; Rust `u64`,
 * `_i32`, `f64`, `usize`. Hex literals keep their digits (`0xFF` ends in `F`, which is a digit there).
 */
const NUMBER_SUFFIX = /(?:_?(?:[iu](?:8|16|32|64|128|size)|f32|f64)|[uU]?[lL]{0,2}[uU]?|[fFdDmM])$/;

/**
 * The value of a numeric literal as written in Python, Go, Ruby, Java, Kotlin, C# or Rust:
 * digit separators (`5_000`, `5'000` is not supported by any of them), `0x`/`0o`/`0b` prefixes,
 * Go and Python `0o17` and legacy `017` octal, exponents, type suffixes. Null when it is not a number.
 */
export function numericLiteral(text: string): number | null {
  let body = text.trim().replace(/_/g, '');
  if (body === '') return null;
  const radix = /^0([xXoObB])([0-9a-fA-F]+)$/.exec(body);
  if (radix) {
    const base = { x: 16, o: 8, b: 2 }[radix[1]!.toLowerCase() as 'x' | 'o' | 'b'];
    const value = Number.parseInt(radix[2]!, base);
    return Number.isNaN(value) ? null : value;
  }
  const hexWithSuffix = /^0[xX]([0-9a-fA-F]+?)(?:[uU]?[lL]{1,2}|[iu](?:8|16|32|64|128|size))$/.exec(body);
  if (hexWithSuffix) return Number.parseInt(hexWithSuffix[1]!, 16);
  // Go's and C's legacy octal `0755`; Python 3 rejects it, so only digits 0-7 qualify.
  if (/^0[0-7]+$/.test(body)) return Number.parseInt(body, 8);
  body = body.replace(NUMBER_SUFFIX, '');
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return null;
  const value = Number(body);
  return Number.isFinite(value) ? value : null;
}

/** Milliseconds per unit, keyed by a normalised unit word (see `unitMs`). */
const UNIT_MS: Record<string, number> = {
  nanosecond: 1e-6,
  nano: 1e-6,
  ns: 1e-6,
  microsecond: 1e-3,
  micro: 1e-3,
  us: 1e-3,
  µs: 1e-3,
  millisecond: 1,
  milli: 1,
  ms: 1,
  second: 1_000,
  sec: 1_000,
  s: 1_000,
  minute: 60_000,
  min: 60_000,
  m: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  d: 86_400_000,
};

/**
 * Milliseconds per unit named in any of the spellings duration APIs use: Go `time.Second`, Java
 * `TimeUnit.SECONDS` / `Duration.ofSeconds` / `ChronoUnit.MILLIS`, Rust `Duration::from_secs` /
 * `from_millis`, C# `TimeSpan.FromSeconds`, Ruby ActiveSupport `5.seconds`, Kotlin `5.seconds`.
 * Null for anything else.
 */
export function unitMs(name: string): number | null {
  let word = name
    .replace(/^(from_|from|of|to)(?=[A-Z_]|[a-z])/i, '')
    .replace(/^_/, '')
    .toLowerCase();
  if (word in UNIT_MS) return UNIT_MS[word]!;
  word = word.replace(/s$/, '');
  if (word in UNIT_MS) return UNIT_MS[word]!;
  return null;
}

/**
 * `value` with its milliseconds multiplied by `factor` (a value in seconds times 1000). The shape is
 * kept; only the numbers it carries are scaled.
 */
export function scaled(value: DelayValue, factor: number): DelayValue {
  switch (value.kind) {
    case 'const':
      return { kind: 'const', ms: roundMs(value.ms * factor) };
    case 'linear':
    case 'exponential':
    case 'random': {
      const span = value.span?.map(([lo, hi]) => [roundMs(lo * factor), roundMs(hi * factor)] as const);
      const baseMs =
        value.kind === 'random' || value.baseMs === undefined
          ? {}
          : { baseMs: roundMs(value.baseMs * factor) };
      return { ...value, ...baseMs, ...(span ? { span } : {}) };
    }
    case 'server':
      return value.capMs === undefined ? value : { ...value, capMs: roundMs(value.capMs * factor) };
    default:
      return value;
  }
}

/** Binary floating point makes `0.1 * 1000` 100.00000000000001; a delay needs no such precision. */
function roundMs(ms: number): number {
  return Number(ms.toPrecision(12));
}

/**
 * Operator tokens of the tree-sitter languages mapped to the arithmetic `combine` understands.
 * Python's `//` floors, which does not change a delay's shape; `**` is Python, Ruby and Rust-less.
 */
export const OPERATORS: Readonly<Record<string, ArithmeticOp>> = {
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '//': '/',
  '%': '%',
  '**': '**',
  '<<': '<<',
  '>>': '>>',
};

/** Folds `left op right` (operator as written in source); unknown for non-arithmetic operators. */
export function foldBinary(operator: string, left: DelayValue, right: DelayValue): DelayValue {
  const op = OPERATORS[operator];
  if (!op) return UNKNOWN(`operator \`${operator}\``);
  const folded = combine(op, left, right);
  // `//` floors: 7 // 2 is 3, as the program would compute it.
  return operator === '//' && folded.kind === 'const' ? { kind: 'const', ms: Math.floor(folded.ms) } : folded;
}

/** A constant in milliseconds, or unknown when the number is not finite. */
export function constMs(ms: number): DelayValue {
  return Number.isFinite(ms) ? { kind: 'const', ms: roundMs(ms) } : UNKNOWN('not a finite number');
}
