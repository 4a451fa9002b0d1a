import type { Expr } from './ir.js';

/**
 * The range one random draw falls in, from the draw's name and arguments, across the languages'
 * standard libraries: a unit draw (`Math.random()`, `random.random()`, `rand.Float64()`,
 * `nextDouble()`, `NextDouble()`, Ruby `rand`), a draw below a bound (`rand.Intn(n)`,
 * `nextInt(n)`, `Next(n)`, `randrange(n)`, `rand(n)`), and a draw between two bounds
 * (`random.uniform(a, b)`, `randint(a, b)`, `nextInt(a, b)`, `Next(a, b)`, `randomInt(a, b)`).
 * An exclusive upper bound is taken as the bound: a range only ever needs to be wide enough.
 * Undefined when the name is not one of these (a draw over a type's whole range, a helper).
 */
export function drawRange(name: string, args: readonly Expr[]): [Expr, Expr] | undefined {
  const last = name.slice(name.lastIndexOf('.') + 1);
  const zero: Expr = { k: 'num', value: 0 };
  if (args.length === 0 && UNIT_DRAW.test(last)) return [zero, { k: 'num', value: 1 }];
  if (args.length === 1 && BOUNDED_DRAW.test(last)) return [zero, args[0]!];
  if (args.length === 2 && (BOUNDED_DRAW.test(last) || BETWEEN_DRAW.test(last))) return [args[0]!, args[1]!];
  return undefined;
}

const UNIT_DRAW = /^(random|rand|Float64|Float32|nextDouble|nextFloat|NextDouble|NextSingle)$/;
const BOUNDED_DRAW =
  /^(Intn|Int31n|Int63n|Int64N|IntN|Uint64N|Uint32N|N|nextInt|nextLong|nextDouble|nextFloat|Next|NextInt64|NextDouble|randrange|randomInt|rand)$/;
const BETWEEN_DRAW = /^(uniform|randint)$/;

/**
 * A random draw as the IR holds it: with its range when the name and arguments give one, and where
 * it draws from (`source`: the generator object, a call only its name makes a draw).
 */
export function randomDraw(
  what: string,
  name: string,
  args: readonly Expr[],
  source: DrawSource = {},
): Extract<Expr, { k: 'random' }> {
  const range = drawRange(name, args);
  return { k: 'random', what, ...source, ...(range ? { range } : {}) };
}

/** Where a draw comes from: the generator object it is a method of, the call only its name makes a draw. */
export type DrawSource = Pick<Extract<Expr, { k: 'random' }>, 'from' | 'via'>;
