import type { Finding, WaitForm } from '../../analysis/finding.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewriteResult } from '../plan.js';
import type { StrategyName, SuggestOptions } from '../types.js';
import { FAILSAFE_JITTER_FACTOR, SUGGESTED_MULTIPLIER } from '../../simulate/libraries/java.js';
import { describe, lineInsertion, reparsed, stillThere, writtenStrategy } from './patch-kit.js';
import { atom, matchingParen } from '../c-expressions.js';
import { hasThreadLocalRandom } from '../jvm-project.js';
import { JAVA_HELPER, javaWait } from './helper-languages.js';
import { helperPlan } from './repo-helper.js';

export { rewriteKotlin } from './kotlin.js';

/**
 * Java rewrites: a jittered `ThreadLocalRandom.current().nextLong(…)` in place of a fixed sleep (`Math.random()`
 * where the build's Java level or Android `minSdk` predates ThreadLocalRandom), and
 * each JVM library's own switch (RULES.md section 3): Spring Retry `multiplier = 2, random = true`,
 * Spring Framework `jitter`, Resilience4j `IntervalFunction.ofExponentialRandomBackoff`, Failsafe
 * `.withJitter(0.5)`. Every plan is re-parsed with the Java grammar before it is offered.
 */

const RANDOM_IMPORT = 'import java.util.concurrent.ThreadLocalRandom;';
const IMPORT_LINE = /^import\s[^;]+;[^\n]*$/;
const PACKAGE_LINE = /^package\s[^;]+;[^\n]*$/;
const BACKOFF_IMPORT = 'import org.springframework.retry.annotation.Backoff;';
const INTERVAL_IMPORT = 'import io.github.resilience4j.core.IntervalFunction;';

const OLD_PLATFORM =
  'The build targets a platform without `ThreadLocalRandom` (before Java 7, or Android below API 21), so the draw uses `Math.random()`.';

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;
type LibraryForm = Extract<WaitForm, { kind: 'library-option' }>;

function randomImport(text: string): PlannedEdit | null {
  return lineInsertion(
    text,
    RANDOM_IMPORT,
    IMPORT_LINE,
    /import\s+java\.util\.concurrent\.(ThreadLocalRandom|\*)\s*;/,
    PACKAGE_LINE,
  );
}

/** A uniform `long` in [0, n) for an expression `n`. */
type Draw = (n: string) => string;

const THREAD_LOCAL_DRAW: Draw = (n) => `ThreadLocalRandom.current().nextLong(${n})`;
/** Before Java 7 and below Android API 21 there is no ThreadLocalRandom; `Math.random` is everywhere. */
const MATH_RANDOM_DRAW: Draw = (n) => `(long) (Math.random() * (${n}))`;

/** A jittered number of the same unit as `bound` (a `long` expression). */
function jitteredLong(bound: string, strategy: StrategyName, draw: Draw): string {
  const b = atom(bound);
  switch (strategy) {
    case 'equal':
      return `${b} / 2 + ${draw(`${b} / 2 + 1`)}`;
    case 'decorrelated':
      return `${b} + ${draw(`2 * ${b} + 1`)}`;
    default:
      return draw(`${b} + 1`);
  }
}

/** `Duration.ofSeconds(5)` or a `Duration` variable; `Duration.ofSeconds(5).toMillis()` is a number. */
function isDuration(argument: string, fileText: string): boolean {
  const text = argument.trim();
  if (/^Duration\./.test(text)) return !/\.(?:to|get)\w*\(\s*\)$/.test(text);
  const name = /^[A-Za-z_]\w*$/.exec(text)?.[0];
  return name !== undefined && new RegExp(`\\bDuration\\s+${name}\\b`).test(fileText);
}

/** JDK waits that take a `long`, so a jittered `long` needs no cast. */
const LONG_WAIT = /(?:\bThread|\b[A-Z]+S|\bSystemClock)\.sleep\s*\(\s*$/;

/**
 * An `int` argument (a literal without `L`, or a name the file declares `int`) of a method other than
 * a JDK wait: the method may take an `int`, which a `long` does not convert to implicitly, so the
 * jittered value is cast back (an `int` converts to whatever the original accepted).
 */
function keepsInt(argument: string, fileText: string, start: number): boolean {
  const text = argument.trim();
  const int =
    /^\d[\d_]*$/.test(text) ||
    (/^[A-Za-z_]\w*$/.test(text) && new RegExp(`\\bint\\s+${text}\\b`).test(fileText));
  return int && !LONG_WAIT.test(fileText.slice(Math.max(0, start - 80), start));
}

function callArgument(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
): RewriteResult {
  const strategy = writtenStrategy(options);
  if (!stillThere(fileText, form.argument.startOffset, form.argument.endOffset, form.argumentText)) {
    return refuse(
      strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise ${inlineCode(form.argumentText)}.`,
    );
  }
  const duration = isDuration(form.argumentText, fileText);
  const wait = javaWait(form, fileText, duration);
  const reused = helperPlan(finding, form, fileText, options, JAVA_HELPER, wait);
  if (reused) return reused;
  const millis = duration ? `${atom(form.argumentText)}.toMillis()` : form.argumentText;
  const grows = finding.delay.kind === 'fixed' && finding.attemptVar !== undefined;
  const cap = String(options.capMs);
  // With an attempt counter the window doubles each attempt, up to the cap (RULES.md section 4).
  const bound = grows
    ? `Math.min(${cap}L, ${atom(millis)} * (1L << Math.min(${finding.attemptVar}, 30)))`
    : finding.delay.kind === 'fixed'
      ? millis
      : `Math.min(${cap}L, ${atom(millis)})`;
  const threadLocal = hasThreadLocalRandom(options.project?.jvm);
  const jittered = jitteredLong(bound, strategy, threadLocal ? THREAD_LOCAL_DRAW : MATH_RANDOM_DRAW);
  const replacement = duration
    ? `Duration.ofMillis(${jittered})`
    : keepsInt(form.argumentText, fileText, form.argument.startOffset)
      ? `(int) (${jittered})`
      : jittered;
  const edits: PlannedEdit[] = [
    { start: form.argument.startOffset, end: form.argument.endOffset, newText: replacement },
  ];
  const imported = threadLocal ? randomImport(fileText) : null;
  if (imported) edits.push(imported);
  const level = threadLocal ? '' : ` ${OLD_PLATFORM}`;
  return plan(strategy, `${describe(strategy, finding, grows)}${level}`, ...edits);
}

/** Inserts `text` (`, a = b`) before the closing parenthesis of an annotation or adds an argument list. */
function annotationArgument(target: string, start: number, addition: string): PlannedEdit {
  const close = target.lastIndexOf(')');
  if (close < 0 || !/^@[\w.]+\s*\(/.test(target))
    return { start: start + target.length, end: start + target.length, newText: `(${addition})` };
  const inner = target.slice(target.indexOf('(') + 1, close).trim();
  return { start: start + close, end: start + close, newText: inner === '' ? addition : `, ${addition}` };
}

function springRetry(finding: Finding, form: LibraryForm, fileText: string): RewriteResult {
  const target = form.targetText;
  const backoff = /@Backoff\s*(\(([^()]*)\))?/.exec(target);
  const description = `Make Spring Retry back off exponentially with random multipliers: \`multiplier = ${SUGGESTED_MULTIPLIER}, random = true\` (ExponentialRandomBackOffPolicy).`;
  if (!backoff) {
    const delay = finding.delay.kind === 'fixed' && finding.delay.ms !== undefined ? finding.delay.ms : 1000;
    const addition = `backoff = @Backoff(delay = ${delay}, multiplier = ${SUGGESTED_MULTIPLIER}, random = true)`;
    const edits: PlannedEdit[] = [annotationArgument(target, form.target.startOffset, addition)];
    const present = /import\s+org\.springframework\.retry\.annotation\.(Backoff|\*)\s*;/;
    const imported = lineInsertion(fileText, BACKOFF_IMPORT, IMPORT_LINE, present, PACKAGE_LINE);
    if (imported) edits.push(imported);
    return plan('library', description, ...edits);
  }
  const args = backoff[2] ?? '';
  const addition = /multiplier\s*=/.test(args)
    ? 'random = true'
    : `multiplier = ${SUGGESTED_MULTIPLIER}, random = true`;
  const backoffStart = form.target.startOffset + backoff.index;
  if (backoff[1] === undefined) {
    const end = backoffStart + backoff[0].length;
    return plan('library', description, { start: end, end, newText: `(${addition})` });
  }
  const close = backoffStart + backoff[0].length - 1;
  const single = /^\s*[^=,]+\s*$/.test(args) && args.trim() !== '';
  // `@Backoff(2000)` names its value implicitly; spell it out before adding named attributes.
  if (single)
    return plan('library', description, {
      start: backoffStart + backoff[0].indexOf('(') + 1,
      end: close,
      newText: `delay = ${args.trim()}, ${addition}`,
    });
  return plan('library', description, {
    start: close,
    end: close,
    newText: args.trim() === '' ? addition : `, ${addition}`,
  });
}

/** Inserts `.call` before a chain's final `.build()` (or at its end). */
function beforeBuild(form: LibraryForm, call: string): PlannedEdit {
  const build = form.targetText.lastIndexOf('.build()');
  const at = form.target.startOffset + (build >= 0 ? build : form.targetText.length);
  return { start: at, end: at, newText: call };
}

function springFramework(finding: Finding, form: LibraryForm): RewriteResult {
  const base = finding.delay.kind === 'fixed' ? finding.delay.ms : finding.delay.baseMs;
  const jitter = Math.max(1, Math.round(base ?? 1000));
  const description = `Add \`jitter\`: Spring then draws each wait from [delay, delay + jitter] (scaled by the multiplier).`;
  if (form.targetText.startsWith('@'))
    return plan(
      'library',
      description,
      annotationArgument(form.targetText, form.target.startOffset, `jitter = ${jitter}`),
    );
  if (/^(new\s+)?([\w.]+\.)?FixedBackOff\s*\(/.test(form.targetText)) {
    return refuse(
      'library',
      'a FixedBackOff has no jitter setting',
      `Use \`ExponentialBackOff\` with \`setJitter(${jitter})\` (Spring Framework 6.1 and later).`,
    );
  }
  if (/^RetryPolicy\s*\.\s*(withDefaults|withMaxRetries)/.test(form.targetText)) {
    return refuse(
      'library',
      'a RetryPolicy factory has no jitter setting',
      `Build the policy with \`RetryPolicy.builder().jitter(Duration.ofMillis(${jitter}))\`.`,
    );
  }
  return plan('library', description, beforeBuild(form, `.jitter(Duration.ofMillis(${jitter}))`));
}

function resilience4j(finding: Finding, form: LibraryForm, fileText: string): RewriteResult {
  const text = form.targetText;
  const description =
    'Use `IntervalFunction.ofExponentialRandomBackoff`: waits grow and each is drawn from ±50% of the interval.';
  const edits: PlannedEdit[] = [];
  const wait = /\.waitDuration\s*\(/.exec(text);
  const exponential = /IntervalFunction\s*\.\s*ofExponentialBackoff\b/.exec(text);
  const fixed = /IntervalFunction\s*\.\s*of\s*\(/.exec(text);
  if (exponential) {
    const start = form.target.startOffset + exponential.index;
    edits.push({
      start,
      end: start + exponential[0].length,
      newText: 'IntervalFunction.ofExponentialRandomBackoff',
    });
  } else if (fixed) {
    const start = form.target.startOffset + fixed.index;
    const open = start + fixed[0].length;
    const close = matchingParen(fileText, open - 1);
    if (close < 0) return refuse('library', 'unbalanced call', description);
    edits.push({
      start,
      end: close + 1,
      newText: `IntervalFunction.ofExponentialRandomBackoff(${fileText.slice(open, close)}, ${SUGGESTED_MULTIPLIER}.0)`,
    });
  } else if (wait) {
    const start = form.target.startOffset + wait.index;
    const open = start + wait[0].length;
    const close = matchingParen(fileText, open - 1);
    if (close < 0) return refuse('library', 'unbalanced call', description);
    edits.push({
      start,
      end: close + 1,
      newText: `.intervalFunction(IntervalFunction.ofExponentialRandomBackoff(${fileText.slice(open, close)}, ${SUGGESTED_MULTIPLIER}.0))`,
    });
  } else if (/\.build\(\)\s*$/.test(text)) {
    edits.push(
      beforeBuild(
        form,
        `.intervalFunction(IntervalFunction.ofExponentialRandomBackoff(500, ${SUGGESTED_MULTIPLIER}.0))`,
      ),
    );
  } else {
    // `RetryConfig.ofDefaults()` / `Retry.ofDefaults(name)`: the same 500 ms start, with growth and randomness.
    const config = `RetryConfig.custom().intervalFunction(IntervalFunction.ofExponentialRandomBackoff(500, ${SUGGESTED_MULTIPLIER}.0)).build()`;
    const retry = /^Retry\s*\.\s*ofDefaults\s*\(([\s\S]*)\)$/.exec(text);
    if (retry)
      edits.push({
        start: form.target.startOffset,
        end: form.target.endOffset,
        newText: `Retry.of(${retry[1]!.trim()}, ${config})`,
      });
    else if (/^RetryConfig\s*\.\s*ofDefaults\s*\(\s*\)$/.test(text))
      edits.push({ start: form.target.startOffset, end: form.target.endOffset, newText: config });
    else return refuse('library', 'no interval setting to replace', `Configure \`${config}\`.`);
  }
  const imported = lineInsertion(
    fileText,
    INTERVAL_IMPORT,
    IMPORT_LINE,
    /import\s+io\.github\.resilience4j\.core\.(IntervalFunction|\*)\s*;/,
    PACKAGE_LINE,
  );
  if (imported) edits.push(imported);
  void finding;
  return plan('library', description, ...edits);
}

/** `RetryTemplate.builder()`: the backoff call becomes `exponentialBackoff(initial, 2, max, true)`. */
function retryTemplate(form: LibraryForm, fileText: string, options: SuggestOptions): RewriteResult {
  const description =
    'Use `exponentialBackoff(initial, 2, max, true)`: the `true` picks each wait at random (ExponentialRandomBackOffPolicy).';
  const call = /\.(fixedBackoff|exponentialBackoff)\s*\(/.exec(form.targetText);
  if (!call) return refuse('library', 'no backoff call in the builder', description);
  const start = form.target.startOffset + call.index;
  const open = start + call[0].length - 1;
  const close = matchingParen(fileText, open);
  if (close < 0) return refuse('library', 'unbalanced call', description);
  const args = fileText.slice(open + 1, close);
  const newText =
    call[1] === 'fixedBackoff'
      ? `.exponentialBackoff(${args.trim()}, ${SUGGESTED_MULTIPLIER}, ${options.capMs}, true)`
      : `.exponentialBackoff(${args.split(',').slice(0, 3).join(',').trim()}, true)`;
  return plan('library', description, { start, end: close + 1, newText });
}

function failsafe(form: LibraryForm): RewriteResult {
  return plan(
    'library',
    `Add \`.withJitter(${FAILSAFE_JITTER_FACTOR})\`: each wait then varies by up to ±50%.`,
    beforeBuild(form, `.withJitter(${FAILSAFE_JITTER_FACTOR})`),
  );
}

export function rewriteJava(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const form = finding.form;
  if (form.kind === 'call-argument')
    return reparsed('java', fileText, callArgument(finding, form, fileText, options));
  if (!stillThere(fileText, form.target.startOffset, form.target.endOffset, form.targetText)) {
    return refuse(
      'library',
      'the library options are not where the finding says (the file changed)',
      `Turn on ${form.library}'s jitter.`,
    );
  }
  const result = ((): RewriteResult => {
    switch (form.library) {
      case 'spring-retry':
        return /^@/.test(form.targetText)
          ? springRetry(finding, form, fileText)
          : retryTemplate(form, fileText, options);
      case 'spring-framework':
        return springFramework(finding, form);
      case 'resilience4j':
        return resilience4j(finding, form, fileText);
      case 'failsafe':
        return failsafe(form);
      default:
        return refuse(
          'library',
          `${form.library} is not a Java library`,
          `Turn on ${form.library}'s jitter.`,
        );
    }
  })();
  return reparsed('java', fileText, result);
}
