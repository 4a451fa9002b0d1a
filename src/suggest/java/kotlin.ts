import type { Finding, WaitForm } from '../../analysis/finding.js';
import { reparseVerdict } from '../../analysis/languages/tree-sitter/runtime.js';
import { applyEdits } from '../edits.js';
import { inlineCode } from '../inline-code.js';
import { plan, refuse, type PlannedEdit, type RewritePlan, type RewriteResult } from '../plan.js';
import type { SuggestOptions } from '../types.js';
import { atom } from '../c-expressions.js';
import { describe, lineInsertion, stillThere, writtenStrategy } from './patch-kit.js';
import { hasKotlinRandom } from '../jvm-project.js';
import { KOTLIN_HELPER, kotlinWait } from './helper-languages.js';
import { helperPlan } from './repo-helper.js';

/**
 * Kotlin rewrites with `kotlin.random.Random`: a `Long` delay becomes `Random.nextLong(…)`, a
 * `kotlin.time.Duration` is multiplied by `Random.nextDouble(…)`, a `java.time.Duration` (which has no
 * `Double` product) is rebuilt from its randomised milliseconds (the JDK's `ThreadLocalRandom` before
 * Kotlin 1.3). The patched file must parse as cleanly
 * as the original (the grammar is loaded: the finding came from a parse of this file).
 */

const RANDOM_IMPORT = 'import kotlin.random.Random';
/** Before Kotlin 1.3 there is no `kotlin.random`; Kotlin/JVM then draws from the JDK. */
const JVM_RANDOM = 'ThreadLocalRandom.current()';
const JVM_RANDOM_IMPORT = 'import java.util.concurrent.ThreadLocalRandom';
const OLD_KOTLIN =
  "The build uses Kotlin before 1.3, which has no `kotlin.random`, so the draw uses the JDK's `ThreadLocalRandom`.";
const IMPORT_LINE = /^import\s[^\n]+$/;
const PACKAGE_LINE = /^package\s[^\n]+$/;
type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;

const DURATION_SUFFIX =
  /\.(nanoseconds|microseconds|milliseconds|seconds|minutes|hours|days)\s*$|^Duration\./;
/** A duration read out as a number (`timeout.toMillis()`, `d.inWholeMilliseconds`). */
const AS_NUMBER = /\.(?:to(?:Millis|Nanos|Seconds|Minutes|Hours|Days|Long|Int)\(\s*\)|inWhole\w+)$/;
const JAVA_DURATION_IMPORT = /^import\s+java\.time\.(Duration|\*)\s*$/m;

/**
 * Which `Duration` the argument is, if it is one: written as a Kotlin duration (`5.seconds`), built
 * by java.time (`Duration.ofSeconds(5)`), or a name the file declares with a `Duration` type, which is
 * java.time's when the file imports it.
 */
function durationKind(argument: string, fileText: string): 'java' | 'kotlin' | null {
  const text = argument.trim();
  if (AS_NUMBER.test(text)) return null;
  const javaImported = JAVA_DURATION_IMPORT.test(fileText);
  if (/^(?:java\.time\.)?Duration\.of/.test(text) || text.startsWith('java.time.')) return 'java';
  if (DURATION_SUFFIX.test(text)) return javaImported && text.startsWith('Duration.') ? 'java' : 'kotlin';
  const name = /^[A-Za-z_]\w*$/.exec(text)?.[0];
  const declared =
    name === undefined
      ? undefined
      : new RegExp(`\\b${name}\\s*:\\s*((?:java\\.time\\.|kotlin\\.time\\.)?Duration)\\b`).exec(
          fileText,
        )?.[1];
  if (declared === undefined) return null;
  if (declared !== 'Duration') return declared.startsWith('java.') ? 'java' : 'kotlin';
  return javaImported ? 'java' : 'kotlin';
}

export function rewriteKotlin(finding: Finding, fileText: string, options: SuggestOptions): RewriteResult {
  const strategy = writtenStrategy(options);
  const form = finding.form;
  if (form.kind !== 'call-argument')
    return refuse(strategy, 'Kotlin library options are not rewritten', "Turn on the library's jitter.");
  if (!stillThere(fileText, form.argument.startOffset, form.argument.endOffset, form.argumentText)) {
    return refuse(
      strategy,
      'the delay argument is not where the finding says (the file changed)',
      `Randomise ${inlineCode(form.argumentText)}.`,
    );
  }
  const duration = durationKind(form.argumentText, fileText);
  const result =
    helperPlan(finding, form, fileText, options, KOTLIN_HELPER, kotlinWait(form, fileText, duration)) ??
    jittered(finding, form, fileText, options, duration);
  const patched = applyEdits(fileText, result.edits);
  return reparseVerdict('kotlin', fileText, patched).valid
    ? result
    : refuse(strategy, 'the patched file does not parse cleanly', result.description);
}

/** The wait drawn at random with `kotlin.random` (or the JDK's generator before Kotlin 1.3). */
function jittered(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
  duration: 'java' | 'kotlin' | null,
): RewritePlan {
  const strategy = writtenStrategy(options);
  const b = atom(form.argumentText);
  const range: Record<string, [string, string]> = {
    full: ['0.0', '1.0'],
    equal: ['0.5', '1.0'],
    decorrelated: ['1.0', '3.0'],
  };
  const [low, high] = range[strategy] ?? range.full!;
  const modern = hasKotlinRandom(options.project?.jvm);
  const random = modern ? 'Random' : JVM_RANDOM;
  const millis = duration === 'java' ? `${b}.toMillis()` : b;
  const drawn =
    strategy === 'full'
      ? `${random}.nextLong(${millis} + 1)`
      : `(${millis} * ${random}.nextDouble(${low}, ${high})).toLong()`;
  const javaDuration = JAVA_DURATION_IMPORT.test(fileText) ? 'Duration' : 'java.time.Duration';
  const replacement =
    duration === 'kotlin'
      ? `${b} * ${random}.nextDouble(${low}, ${high})`
      : duration === 'java'
        ? `${javaDuration}.ofMillis(${drawn})`
        : drawn;
  const edits: PlannedEdit[] = [
    { start: form.argument.startOffset, end: form.argument.endOffset, newText: replacement },
  ];
  const imported = lineInsertion(
    fileText,
    modern ? RANDOM_IMPORT : JVM_RANDOM_IMPORT,
    IMPORT_LINE,
    modern
      ? /^import\s+kotlin\.random\.(Random|\*)\s*$/m
      : /^import\s+java\.util\.concurrent\.(ThreadLocalRandom|\*)\s*$/m,
    PACKAGE_LINE,
  );
  if (imported) edits.push(imported);
  const level = modern ? '' : ` ${OLD_KOTLIN}`;
  return plan(strategy, `${describe(strategy, finding, false)}${level}`, ...edits);
}
