import type { AnalysisOptions, LanguageAnalyzer, ModuleHost, SourceInput } from '../../analyzer.js';
import { ATTEMPT_NAME, SERVER_HINT_NAME } from '../../context.js';
import { dominant, minMax, power, UNKNOWN, type DelayValue } from '../../delay.js';
import type { Finding, Language, SourceRange } from '../../finding.js';
import { constMs, foldBinary, numericLiteral, scaled, unitMs } from '../tree-sitter/durations.js';
import { isErrorCondition, isOverload } from './conditions.js';
import { matchBrackets, tokenize, type Token } from './kotlin-tokens.js';
import { toFindings, waitDraft, type Draft, type RetryEvidence } from './report.js';

/**
 * Kotlin, on tokens (see kotlin-tokens.ts): `delay(N)`, `Thread.sleep(N)` and `TimeUnit.X.sleep(N)`
 * in a `catch` block (or an error branch) inside `repeat`, `while`, `do` or `for`, in the same
 * function. Delays fold literals, `N.seconds`-style durations, `Duration.ofSeconds(N)`, arithmetic,
 * `shl`, `pow`, `minOf`/`coerceAtMost`, and `const val`/`val` declared in the same file. Library
 * configuration (Spring, Resilience4j) and cross-file constants are left to the Java analyzer's
 * grammar-based reading; see docs/languages.md for the limits.
 */

const MAYBE_RETRY = /\b(delay|sleep)\s*\(/;
const TEST_IMPORT = /^import\s+(org\.junit|io\.kotest|org\.testng|kotlin\.test|io\.mockk)/m;
const TIME_UNIT = /^(NANOSECONDS|MICROSECONDS|MILLISECONDS|SECONDS|MINUTES|HOURS|DAYS)$/;
const RANDOM = /^(Random|ThreadLocalRandom|SecureRandom|nextLong|nextInt|nextDouble|random|jitter)$/;
const LOOP_HEADERS = new Set(['while', 'for', 'do', 'repeat']);
const MAX_STEPS = 2_000;
/** Tokens that continue an expression across a line break. */
const CONTINUES = /^(\.|\?\.|->|=|\+|-|\*|\/|&&|\|\||,|\(|:|\?:)$/;

interface Block {
  open: number;
  close: number;
  /** Tokens from the previous statement boundary up to the `{`. */
  header: Token[];
}

interface KotlinWait {
  call: { start: number; end: number };
  argument: { start: number; end: number; tokens: Token[] };
  unitMs: number;
  tokenIndex: number;
}

class KotlinFile {
  readonly tokens: Token[];
  readonly pairs: Map<number, number>;
  readonly blocks: Block[] = [];

  constructor(readonly text: string) {
    this.tokens = tokenize(text);
    this.pairs = matchBrackets(this.tokens);
    for (const [index, token] of this.tokens.entries()) {
      if (token.text !== '{' || token.kind !== 'punct') continue;
      const close = this.pairs.get(index);
      if (close === undefined) continue;
      this.blocks.push({ open: index, close, header: this.headerOf(index) });
    }
  }

  /** Tokens before `{` back to the start of the construct (`catch (e: X)`, `repeat(3)`, `fun f()`). */
  private headerOf(open: number): Token[] {
    let start = open;
    while (start > 0) {
      const previous = this.tokens[start - 1]!;
      if (previous.text === ';' || previous.text === '{' || previous.text === '}') {
        // `} catch (…) {` and `} else {`: the keyword after the closing brace starts this header.
        break;
      }
      const current = this.tokens[start]!;
      const newline = this.text.slice(previous.end, current.start).includes('\n');
      // A new line starts a new statement unless one side continues the expression.
      if (newline && !CONTINUES.test(current.text) && !CONTINUES.test(previous.text)) break;
      if (previous.text === ')' && this.pairs.has(start - 1)) {
        start = this.pairs.get(start - 1)!;
        continue;
      }
      start -= 1;
    }
    return this.tokens.slice(start, open);
  }

  /** Blocks around token `index`, innermost first. */
  enclosing(index: number): Block[] {
    return this.blocks.filter((b) => b.open < index && b.close > index).sort((a, b) => b.open - a.open);
  }

  range(start: number, end: number): SourceRange {
    const before = this.text.slice(0, start);
    const startLine = before.split('\n').length;
    const startColumn = start - before.lastIndexOf('\n');
    const within = this.text.slice(0, end);
    const endLine = within.split('\n').length;
    const endColumn = end - within.lastIndexOf('\n');
    return { startLine, startColumn, endLine, endColumn, startOffset: start, endOffset: end };
  }

  lineOf(tokenIndex: number): number {
    return this.text.slice(0, this.tokens[tokenIndex]!.start).split('\n').length;
  }
}

function headerWord(block: Block): string {
  const words = block.header.filter((t) => t.kind === 'identifier').map((t) => t.text);
  return words[0] ?? '';
}

function isFunctionHeader(block: Block): boolean {
  return (
    block.header.some((t) => t.text === 'fun') ||
    block.header.some((t) => t.text === 'launch' || t.text === 'async' || t.text === 'thread')
  );
}

function findWaits(file: KotlinFile): KotlinWait[] {
  const waits: KotlinWait[] = [];
  const { tokens } = file;
  for (let index = 0; index < tokens.length; index += 1) {
    const token = tokens[index]!;
    const next = tokens[index + 1];
    if (token.kind !== 'identifier' || next?.text !== '(') continue;
    const previous = tokens[index - 1];
    const beforePrevious = tokens[index - 2];
    let unit: number | null = null;
    let start = token.start;
    if (token.text === 'delay' && previous?.text !== '.' && previous?.text !== 'fun') unit = 1;
    if (token.text === 'sleep' && previous?.text === '.' && beforePrevious?.text === 'Thread') {
      unit = 1;
      start = beforePrevious.start;
    }
    if (
      token.text === 'sleep' &&
      previous?.text === '.' &&
      beforePrevious &&
      TIME_UNIT.test(beforePrevious.text)
    ) {
      unit = unitMs(beforePrevious.text);
      start = (
        tokens[index - 3]?.text === '.' && tokens[index - 4]?.text === 'TimeUnit'
          ? tokens[index - 4]!
          : beforePrevious
      ).start;
    }
    if (unit === null) continue;
    const close = file.pairs.get(index + 1);
    if (close === undefined || close === index + 2) continue;
    const argument = tokens.slice(index + 2, close);
    if (topLevelComma(argument)) continue;
    waits.push({
      call: { start, end: tokens[close]!.end },
      argument: { start: argument[0]!.start, end: argument[argument.length - 1]!.end, tokens: argument },
      unitMs: unit,
      tokenIndex: index,
    });
  }
  return waits;
}

function topLevelComma(tokens: readonly Token[]): boolean {
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(' || token.text === '[' || token.text === '{') depth += 1;
    else if (token.text === ')' || token.text === ']' || token.text === '}') depth -= 1;
    else if (token.text === ',' && depth === 0) return true;
  }
  return false;
}

function retryContext(file: KotlinFile, wait: KotlinWait): RetryEvidence | null {
  const blocks = file.enclosing(wait.tokenIndex);
  let failure: RetryEvidence['trigger'] | null = null;
  let evidence = '';
  let loop: Block | null = null;
  for (const block of blocks) {
    if (isFunctionHeader(block)) break;
    const word = headerWord(block);
    if (!failure && word === 'catch') {
      const overload = isOverload(file.text.slice(block.header[0]!.start, file.tokens[block.close]!.end));
      failure = { kind: 'exception', ...(overload ? { detail: overload } : {}) };
      evidence = `waits in a \`catch\` block (line ${file.lineOf(block.open)})${overload ? ` that handles \`${overload}\`` : ''}`;
    } else if (!failure && word === 'if') {
      const condition = file.text.slice(block.header[0]!.end, file.tokens[block.open - 1]!.end);
      if (
        isErrorCondition(condition.replace(/^\s*\(|\)\s*$/g, ''), {
          error: /\bisFailure\b|!\s*[\w.]*isSuccessful/,
          success: /\bisSuccess(ful)?\b/,
        })
      ) {
        failure = { kind: 'status', detail: condition.trim() };
        evidence = `waits when \`${condition.trim()}\` holds (line ${file.lineOf(block.open)})`;
      }
    } else if (!failure && block.header.some((t) => t.text === 'onFailure' || t.text === 'recover')) {
      failure = { kind: 'exception' };
      evidence = `waits in an \`onFailure\` handler (line ${file.lineOf(block.open)})`;
    }
    if (failure && !loop && (LOOP_HEADERS.has(word) || block.header.some((t) => t.text === 'repeat')))
      loop = block;
    if (failure && loop) break;
  }
  if (!failure || !loop) return null;
  // A `throw` after the wait in its own block: the wait gives up rather than tries again.
  const own = blocks[0]!;
  if (file.tokens.slice(wait.tokenIndex, own.close).some((t) => t.text === 'throw')) return null;
  const counters = new Set<string>();
  const arrow = file.tokens.slice(loop.open + 1, loop.open + 4);
  if (headerWord(loop) === 'repeat' || loop.header.some((t) => t.text === 'repeat')) {
    if (arrow[1]?.text === '->' && arrow[0]?.kind === 'identifier') counters.add(arrow[0].text);
  }
  if (headerWord(loop) === 'for') {
    const variable = loop.header.find(
      (t, i) => t.kind === 'identifier' && loop!.header[i + 1]?.text === 'in',
    );
    if (variable) counters.add(variable.text);
  }
  const body = file.tokens.slice(loop.open, loop.close);
  for (const [i, token] of body.entries()) {
    if (token.kind !== 'identifier') continue;
    if (
      body[i + 1]?.text === '++' ||
      body[i - 1]?.text === '++' ||
      (body[i + 1]?.text === '+=' && body[i + 2]?.text === '1')
    )
      counters.add(token.text);
  }
  const names = [...counters];
  const attemptVar = names.find((n) => ATTEMPT_NAME.test(n)) ?? names[0];
  const word = headerWord(loop) || 'repeat';
  return {
    trigger: failure,
    counters,
    ...(attemptVar ? { attemptVar } : {}),
    evidence: [evidence, `inside a \`${word}\` loop (line ${file.lineOf(loop.open)})`],
  };
}

/** `val`/`const val`/`var` declarations of the file (the first of each name): name → initializer tokens. */
function constants(file: KotlinFile): Map<string, Token[]> {
  const found = new Map<string, Token[]>();
  const { tokens } = file;
  for (let index = 0; index < tokens.length; index += 1) {
    // `var`s too: their initial value, grown by `*=`/`+=` in `growth`.
    if (
      (tokens[index]!.text !== 'val' && tokens[index]!.text !== 'var') ||
      tokens[index + 1]?.kind !== 'identifier'
    )
      continue;
    const name = tokens[index + 1]!.text;
    let cursor = index + 2;
    if (tokens[cursor]?.text === ':')
      while (cursor < tokens.length && tokens[cursor]!.text !== '=' && tokens[cursor]!.text !== '\n')
        cursor += 1;
    if (tokens[cursor]?.text !== '=') continue;
    const start = cursor + 1;
    let end = start;
    const line = file.text.slice(0, tokens[start]?.start ?? 0).split('\n').length;
    while (end < tokens.length && file.text.slice(0, tokens[end]!.start).split('\n').length === line) {
      const close = file.pairs.get(end);
      end = close !== undefined && close > end ? close + 1 : end + 1;
    }
    if (!found.has(name)) found.set(name, tokens.slice(start, end));
  }
  return found;
}

/** A small precedence-climbing evaluator over tokens. */
class Expression {
  private index = 0;
  private steps = MAX_STEPS;

  constructor(
    private readonly tokens: Token[],
    private readonly names: Map<string, Token[]>,
    private readonly counters: ReadonlySet<string>,
    private readonly depth: number,
  ) {}

  evaluate(): DelayValue {
    if (this.tokens.some((t) => RANDOM.test(t.text))) return { kind: 'random' };
    if (this.tokens.some((t) => SERVER_HINT_NAME.test(t.text))) return { kind: 'server' };
    const value = this.binary(0);
    return this.index < this.tokens.length ? UNKNOWN('unsupported expression') : value;
  }

  private static readonly PRECEDENCE: Record<string, number> = {
    shl: 1,
    '+': 2,
    '-': 2,
    '*': 3,
    '/': 3,
    '%': 3,
  };

  private binary(minimum: number): DelayValue {
    let left = this.postfix();
    for (;;) {
      const operator = this.tokens[this.index]?.text ?? '';
      const precedence = Expression.PRECEDENCE[operator];
      if (precedence === undefined || precedence < minimum) return left;
      this.index += 1;
      const right = this.binary(precedence + 1);
      left = foldBinary(operator === 'shl' ? '<<' : operator, left, right);
    }
  }

  private postfix(): DelayValue {
    let value = this.primary();
    while (this.tokens[this.index]?.text === '.' && this.tokens[this.index + 1]?.kind === 'identifier') {
      const name = this.tokens[this.index + 1]!.text;
      this.index += 2;
      const args = this.tokens[this.index]?.text === '(' ? this.arguments() : [];
      const unit = unitMs(name.replace(/^(inWhole|to)/, ''));
      if (/^(seconds|milliseconds|minutes|hours|nanoseconds|microseconds)$/.test(name) && unit !== null)
        value = scaled(value, unit);
      else if (/^(toLong|toInt|toDouble|inWholeMilliseconds|toMillis)$/.test(name)) continue;
      else if (name === 'pow' && args[0]) value = power(value, args[0]);
      else if ((name === 'coerceAtMost' || name === 'coerceAtLeast') && args[0])
        value = minMax(name === 'coerceAtMost' ? 'min' : 'max', [value, args[0]]);
      else if (name === 'times' && args[0]) value = foldBinary('*', value, args[0]);
      else return UNKNOWN(`.${name}`);
    }
    return value;
  }

  private arguments(): DelayValue[] {
    const open = this.index;
    let depth = 0;
    const groups: Token[][] = [[]];
    for (this.index = open; this.index < this.tokens.length; this.index += 1) {
      const token = this.tokens[this.index]!;
      if (token.text === '(') {
        depth += 1;
        if (depth === 1) continue;
      }
      if (token.text === ')') {
        depth -= 1;
        if (depth === 0) break;
      }
      if (token.text === ',' && depth === 1) groups.push([]);
      else groups[groups.length - 1]!.push(token);
    }
    this.index += 1;
    return groups
      .filter((g) => g.length > 0)
      .map((g) => new Expression(g, this.names, this.counters, this.depth + 1).evaluate());
  }

  private primary(): DelayValue {
    if (--this.steps < 0) return UNKNOWN('expression too large');
    const token = this.tokens[this.index];
    if (!token) return UNKNOWN('empty');
    this.index += 1;
    if (token.kind === 'number') {
      const value = numericLiteral(token.text);
      return value === null ? UNKNOWN('number') : constMs(value);
    }
    if (token.text === '-') {
      const inner = this.postfix();
      return inner.kind === 'const' ? { kind: 'const', ms: -inner.ms } : inner;
    }
    if (token.text === '(') {
      const value = this.binary(0);
      if (this.tokens[this.index]?.text === ')') this.index += 1;
      return value;
    }
    if (token.kind !== 'identifier') return UNKNOWN(token.text);
    // Qualified calls: Duration.ofSeconds(5), TimeUnit.SECONDS.toMillis(5), Math.pow(2.0, n), minOf(a, b).
    if (token.text === 'Duration' && this.tokens[this.index]?.text === '.') {
      const name = this.tokens[this.index + 1]?.text ?? '';
      this.index += 2;
      const [arg] = this.arguments();
      const unit = unitMs(name);
      return arg && unit !== null ? scaled(arg, unit) : UNKNOWN(`Duration.${name}`);
    }
    if (
      token.text === 'TimeUnit' &&
      this.tokens[this.index + 2]?.text === '.' &&
      this.tokens[this.index + 3]?.text === 'toMillis'
    ) {
      const unit = unitMs(this.tokens[this.index + 1]?.text ?? '');
      this.index += 4;
      const [arg] = this.arguments();
      return arg && unit !== null ? scaled(arg, unit) : UNKNOWN('TimeUnit');
    }
    if ((token.text === 'Math' || token.text === 'kotlin') && this.tokens[this.index]?.text === '.') {
      const name = this.tokens[this.index + 1]?.text ?? '';
      this.index += 2;
      const args = this.arguments();
      if (name === 'pow' && args[0] && args[1]) return power(args[0], args[1]);
      if ((name === 'min' || name === 'max') && args.length > 0) return minMax(name, args);
      return UNKNOWN(`Math.${name}`);
    }
    if ((token.text === 'minOf' || token.text === 'maxOf') && this.tokens[this.index]?.text === '(') {
      return minMax(token.text === 'minOf' ? 'min' : 'max', this.arguments());
    }
    if (this.counters.has(token.text)) return { kind: 'counter', name: token.text };
    const declared = this.names.get(token.text);
    if (declared && this.depth < 6) {
      return new Expression(declared, this.names, this.counters, this.depth + 1).evaluate();
    }
    return UNKNOWN(`\`${token.text}\` is not a constant of this file`);
  }
}

/** Local `var`s stepped in the loop (`delayMs *= 2`) make the delay grow. */
function growth(file: KotlinFile, wait: KotlinWait, value: DelayValue): DelayValue {
  const names = wait.argument.tokens.filter((t) => t.kind === 'identifier').map((t) => t.text);
  const { tokens } = file;
  for (let index = 0; index < tokens.length - 1; index += 1) {
    if (!names.includes(tokens[index]!.text)) continue;
    const operator = tokens[index + 1]!.text;
    if (operator === '*=') return dominant(value, { kind: 'exponential' });
    if (operator === '+=') return dominant(value, { kind: 'linear' });
  }
  return value;
}

export class KotlinAnalyzer implements LanguageAnalyzer {
  readonly language: Language = 'kotlin';
  readonly extensions = ['.kt', '.kts'] as const;

  async analyze(input: SourceInput, _host: ModuleHost, options: AnalysisOptions): Promise<Finding[]> {
    if (!MAYBE_RETRY.test(input.text) || TEST_IMPORT.test(input.text)) return [];
    const file = new KotlinFile(input.text);
    const names = constants(file);
    const drafts: Draft[] = [];
    for (const wait of findWaits(file)) {
      if (inTestFunction(file, wait)) continue;
      const context = retryContext(file, wait);
      if (!context) continue;
      const raw = new Expression(wait.argument.tokens, names, context.counters, 0).evaluate();
      const value = growth(file, wait, scaled(raw, wait.unitMs));
      const draft = waitDraft(
        {
          anchor: {
            range: file.range(wait.call.start, wait.call.end),
            text: input.text.slice(wait.call.start, wait.call.end),
          },
          argument: {
            range: file.range(wait.argument.start, wait.argument.end),
            text: input.text.slice(wait.argument.start, wait.argument.end),
          },
          confidence: 'medium',
        },
        context,
        value,
        options,
      );
      if (draft) drafts.push(draft);
    }
    return toFindings(drafts, input.path, this.language);
  }
}

function inTestFunction(file: KotlinFile, wait: KotlinWait): boolean {
  return file.enclosing(wait.tokenIndex).some((block) => {
    if (!block.header.some((t) => t.text === 'fun')) return false;
    const before = file.text.slice(Math.max(0, block.header[0]!.start - 120), block.header[0]!.start);
    return /@(Test|ParameterizedTest)\b[^@]*$/.test(before);
  });
}
