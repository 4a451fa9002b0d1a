import { describe, expect, it } from 'vitest';
import { deriveSeed, seededRandom } from '../../src/simulate/rng.js';
import {
  goldenFraction,
  JITTER_STRATEGIES,
  STRATEGY_NAMES,
  type DelayInput,
  type Growth,
  type StrategyName,
} from '../../src/simulate/strategies.js';
import { isAtomic, jitterExpression, type TemplateInput } from '../../src/suggest/templates.js';

const BASE = 1_000;
const CAP = 30_000;
const DRAWS = 20_000;

function input(attempt: number, growth: Growth, random: () => number, clientIndex = 0): DelayInput {
  return { attempt, baseMs: BASE, capMs: CAP, growth, random, clientIndex };
}

/** [lower, upper] each strategy must stay within, per RULES §4. */
function bounds(strategy: StrategyName, attempt: number, growth: Growth): [number, number] {
  const m =
    growth.kind === 'exponential'
      ? Math.min(CAP, BASE * 2 ** attempt)
      : growth.kind === 'none'
        ? BASE
        : Math.min(CAP, growth.ceilingMs(attempt));
  switch (strategy) {
    case 'full':
    case 'golden':
      return [0, m];
    case 'equal':
      return [m / 2, m];
    case 'decorrelated': {
      const upper =
        growth.kind === 'exponential'
          ? Math.min(CAP, BASE * 3 ** (attempt + 1))
          : growth.kind === 'none'
            ? Math.min(CAP, BASE * 3)
            : Math.min(CAP, growth.ceilingMs(attempt) * 3);
      return [BASE, Math.max(BASE, upper)];
    }
  }
}

const GROWTHS: Growth[] = [
  { kind: 'exponential' },
  { kind: 'none' },
  { kind: 'given', ceilingMs: (attempt) => 200 * 2 ** attempt },
];

describe('seeded random', () => {
  it('repeats for a seed, differs between seeds, stays in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const first = Array.from({ length: 100 }, a);
    expect(Array.from({ length: 100 }, b)).toEqual(first);
    expect(Array.from({ length: 100 }, c)).not.toEqual(first);
    expect(first.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(deriveSeed(1, 0)).not.toBe(deriveSeed(1, 1));
    expect(deriveSeed(1, 0)).toBe(deriveSeed(1, 0));
  });
});

describe('jitter strategies', () => {
  for (const name of STRATEGY_NAMES) {
    for (const growth of GROWTHS) {
      it(`${name} stays within its window (${growth.kind})`, () => {
        const random = seededRandom(11);
        for (let attempt = 0; attempt < 8; attempt += 1) {
          const [lower, upper] = bounds(name, attempt, growth);
          const delays = Array.from({ length: 500 }, (_, i) =>
            JITTER_STRATEGIES[name].delayMs(input(attempt, growth, random, i)),
          );
          expect(Math.min(...delays)).toBeGreaterThanOrEqual(lower);
          expect(Math.max(...delays)).toBeLessThanOrEqual(upper);
        }
      });
    }
  }

  it('full jitter averages half its window; equal jitter three quarters', () => {
    const random = seededRandom(3);
    const mean = (name: StrategyName) => {
      let sum = 0;
      for (let i = 0; i < DRAWS; i += 1)
        sum += JITTER_STRATEGIES[name].delayMs(input(2, { kind: 'exponential' }, random));
      return sum / DRAWS;
    };
    expect(mean('full')).toBeCloseTo(2_000, -2);
    expect(mean('equal')).toBeCloseTo(3_000, -2);
  });

  it('decorrelated jitter spreads the very first retry (no U(base, base) herd)', () => {
    const random = seededRandom(5);
    const first = Array.from({ length: 1_000 }, () =>
      JITTER_STRATEGIES.decorrelated.delayMs(input(0, { kind: 'exponential' }, random)),
    );
    expect(Math.min(...first)).toBeLessThan(BASE * 1.1);
    expect(Math.max(...first)).toBeGreaterThan(BASE * 2.9);
  });

  it('seeded draws give the same delays twice', () => {
    const run = () => {
      const random = seededRandom(42);
      return STRATEGY_NAMES.map((name) =>
        JITTER_STRATEGIES[name].delayMs(input(3, { kind: 'exponential' }, random, 17)),
      );
    };
    expect(run()).toEqual(run());
  });

  it('golden jitter is deterministic and spreads consecutive indices evenly', () => {
    const slots = 1_000;
    const counts = new Array<number>(slots).fill(0);
    for (let k = 0; k < slots; k += 1) counts[Math.floor(goldenFraction(k) * slots)]! += 1;
    // Three-distance theorem: no slot gets more than a couple of the indices.
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    const never = () => {
      throw new Error('golden jitter must not draw random numbers');
    };
    expect(JITTER_STRATEGIES.golden.delayMs(input(1, { kind: 'exponential' }, never, 5))).toBeCloseTo(
      goldenFraction(5) * 2 * BASE,
      9,
    );
  });
});

describe('code templates', () => {
  const cases: Array<{ strategy: StrategyName; input: TemplateInput; expected: string }> = [
    {
      strategy: 'full',
      input: { window: { kind: 'exponential', base: '5000', attempt: 'attempt' }, cap: '30000' },
      expected: 'Math.random() * Math.min(30000, 5000 * 2 ** attempt)',
    },
    {
      strategy: 'full',
      input: { window: { kind: 'none', base: 'RETRY_MS' }, cap: '30000' },
      expected: 'Math.random() * RETRY_MS',
    },
    {
      strategy: 'full',
      input: { window: { kind: 'none', base: 'a + b' }, cap: '30000' },
      expected: 'Math.random() * (a + b)',
    },
    {
      strategy: 'equal',
      input: { window: { kind: 'none', base: '5000' }, cap: '30000' },
      expected: '5000 * (0.5 + Math.random() / 2)',
    },
    {
      strategy: 'decorrelated',
      input: { window: { kind: 'exponential', base: '100', attempt: 'retryCount - 1' }, cap: '30000' },
      expected: '100 + Math.random() * (Math.min(30000, 100 * 3 ** retryCount) - 100)',
    },
    {
      strategy: 'golden',
      input: {
        window: { kind: 'exponential', base: '100', attempt: 'n' },
        cap: '30000',
        indexEnv: 'POD_ORDINAL',
      },
      expected:
        '((Number(process.env.POD_ORDINAL ?? 0) * 0.6180339887498949) % 1) * Math.min(30000, 100 * 2 ** n)',
    },
    {
      strategy: 'full',
      input: {
        window: { kind: 'given', ceiling: 'Math.min(8000, 100 * 2 ** n)', capped: true },
        cap: '30000',
      },
      expected: 'Math.random() * Math.min(8000, 100 * 2 ** n)',
    },
    {
      strategy: 'full',
      input: { window: { kind: 'given', ceiling: '100 * 2 ** n', capped: false }, cap: '30000' },
      expected: 'Math.random() * Math.min(30000, 100 * 2 ** n)',
    },
  ];
  for (const { strategy, input: templateInput, expected } of cases) {
    it(`${strategy} with a ${templateInput.window.kind} window writes ${expected}`, () => {
      expect(jitterExpression('typescript', strategy, templateInput)).toBe(expected);
    });
  }

  it('refuses golden without an index source and decorrelated without a floor', () => {
    expect(
      jitterExpression('typescript', 'golden', { window: { kind: 'none', base: '1' }, cap: '2' }),
    ).toBeNull();
    expect(
      jitterExpression('typescript', 'decorrelated', {
        window: { kind: 'given', ceiling: 'f(n)', capped: true },
        cap: '2',
      }),
    ).toBeNull();
    expect(jitterExpression('go', 'full', { window: { kind: 'none', base: '1' }, cap: '2' })).toBeNull();
  });

  it('has a Python row built from the same pieces', () => {
    expect(
      jitterExpression('python', 'full', {
        window: { kind: 'exponential', base: '0.5', attempt: 'attempt' },
        cap: '30',
      }),
    ).toBe('random.random() * min(30, 0.5 * 2 ** attempt)');
  });

  it('computes what the delay functions compute', () => {
    // Evaluate the written expression with a stubbed Math.random and compare with the strategy itself.
    const draw = 0.37;
    const fakeMath = { random: () => draw, min: Math.min };
    const env = { env: { WORKER_INDEX: '12' } };
    for (const name of STRATEGY_NAMES) {
      for (const attempt of [0, 1, 4, 9]) {
        const written = jitterExpression('typescript', name, {
          window: { kind: 'exponential', base: String(BASE), attempt: 'attempt' },
          cap: String(CAP),
          indexEnv: 'WORKER_INDEX',
        })!;
        const evaluate = new Function('Math', 'process', 'attempt', `return ${written};`) as (
          math: typeof fakeMath,
          process: typeof env,
          attempt: number,
        ) => number;
        const expected = JITTER_STRATEGIES[name].delayMs(
          input(attempt, { kind: 'exponential' }, () => draw, 12),
        );
        expect(evaluate(fakeMath, env, attempt)).toBeCloseTo(expected, 6);
      }
    }
  });

  it('knows which operands need parentheses', () => {
    expect(isAtomic('attempt')).toBe(true);
    expect(isAtomic('this.options.delay')).toBe(true);
    expect(isAtomic('1_000')).toBe(true);
    expect(isAtomic('Math.min(a, b)')).toBe(true);
    expect(isAtomic('(a + b)')).toBe(true);
    expect(isAtomic('a + b')).toBe(false);
    expect(isAtomic('f(a) + g(b)')).toBe(false);
    expect(isAtomic("f(')') + 1")).toBe(false);
  });
});
