import type { HelperReference } from '../../analysis/analyzer.js';
import type { Finding, WaitForm } from '../../analysis/finding.js';
import { inlineCode } from '../inline-code.js';
import { plan, type PlannedEdit, type RewritePlan } from '../plan.js';
import type { RepoJitterHelper, SuggestOptions } from '../types.js';
import { introducedCounter, type CounterSyntax } from './counter.js';
import { lineInsertion } from './patch-kit.js';

/**
 * Calling the repository's own jitter helper from a Java, Kotlin or C# wait: `Owner.name(attempt)` (or
 * `name(delay)` for one that jitters a given delay), imported when it lives in another package, its
 * value converted to what the wait takes. Whenever the helper cannot be named from the file (package
 * private elsewhere, more required parameters, a return type the wait cannot take, a wait whose unit
 * is not known), null, and the patch jitters the wait in place as it would without a helper.
 */

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;

/** What a helper gives back, by its declared type. */
export type ValueKind = 'int' | 'long' | 'double' | 'duration';
/** What the wait takes: a number of milliseconds, or a duration object. */
export type WaitKind = 'millis' | 'duration';

/** A piece of code and the import it needs, if any. */
export interface Code {
  code: string;
  edit?: PlannedEdit | null;
}

/** How one language names, imports, converts and counts for a helper. */
export interface HelperLanguage {
  /** The files a helper must be written in to be called. */
  extension: RegExp;
  counter: CounterSyntax;
  /** The package or namespace the file declares. */
  packageOf(fileText: string): string | undefined;
  /** What the call is written with (`Backoff.delayMillis`) and its import; null when the file cannot name it. */
  callee(name: string, reference: HelperReference, fileText: string, filePackage?: string): Code | null;
  kindOf(type: string): ValueKind | null;
  /** `value`, of kind `from`, as the wait takes it; null when there is no conversion. */
  convert(value: string, from: ValueKind, to: WaitKind, fileText: string): Code | null;
  /** Whether a first parameter of `type` takes the wait's own argument. */
  accepts(type: string, wait: WaitKind): boolean;
  /** The attempt counter `name` as a first parameter of `type` takes it (Kotlin converts no number itself). */
  attempt(name: string, type: string | undefined, fileText: string): string;
}

/** Java, Kotlin and C# packages are dotted names; the escape makes one a literal pattern. */
export function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether the file declares `name` as a 64-bit integer (`long attempt`, `var attempt = 0L`, `attempt: Long`). */
export function declaredLong(name: string, fileText: string): boolean {
  const n = escaped(name);
  return new RegExp(
    `\\b(?:long|Long|Int64)\\s+${n}\\b|\\b${n}\\s*:\\s*Long\\b|\\b${n}\\s*=\\s*\\d[\\d_]*L\\b`,
  ).test(fileText);
}

/** The plan that waits the helper's value, or null when the helper does not fit this wait. */
export function helperPlan(
  finding: Finding,
  form: CallForm,
  fileText: string,
  options: SuggestOptions,
  language: HelperLanguage,
  wait: WaitKind | null,
): RewritePlan | null {
  const helper = options.repoHelper;
  const reference = helper?.reference;
  if (!helper || !reference || wait === null || !language.extension.test(helper.path)) return null;
  if (reference.requiredParams !== 1 || reference.returnType === undefined) return null;
  const returned = language.kindOf(reference.returnType);
  if (!returned) return null;
  const filePackage = language.packageOf(fileText);
  if (reference.packageOnly && filePackage !== reference.packageName) return null;
  const callee = language.callee(helper.name, reference, fileText, filePackage);
  if (!callee) return null;
  const argument = helperArgument(finding, form, fileText, helper, language, wait);
  if (!argument) return null;
  const converted = language.convert(`${callee.code}(${argument.code})`, returned, wait, fileText);
  if (!converted) return null;
  const edits: PlannedEdit[] = [
    { start: form.argument.startOffset, end: form.argument.endOffset, newText: converted.code },
  ];
  for (const extra of [callee.edit, converted.edit]) if (extra) edits.push(extra);
  edits.push(...argument.counter);
  const counted = argument.counter.length
    ? ` It takes the attempt, so the patch counts them: ${inlineCode(argument.counter[0]!.newText.trim())} before the loop, ${inlineCode(argument.counter[1]!.newText.trim())} before the wait.`
    : '';
  return plan(
    options.strategy,
    `Wait ${inlineCode(converted.code)} instead of ${inlineCode(form.argumentText)}: the repository already has a jitter helper, ${inlineCode(helper.name)} in ${inlineCode(helper.path)}.${counted}`,
    ...edits,
  );
}

/** The attempt (counted by the loop, or by a counter the patch brings) or the wait's own delay. */
function helperArgument(
  finding: Finding,
  form: CallForm,
  fileText: string,
  helper: RepoJitterHelper,
  language: HelperLanguage,
  wait: WaitKind,
): { code: string; counter: PlannedEdit[] } | null {
  if (!helper.takesAttempt) {
    const type = helper.reference?.firstParamType;
    return type !== undefined && language.accepts(type, wait)
      ? { code: form.argumentText, counter: [] }
      : null;
  }
  const type = helper.reference?.firstParamType;
  if (finding.attemptVar !== undefined)
    return { code: language.attempt(finding.attemptVar, type, fileText), counter: [] };
  const counter = introducedCounter(fileText, form.argument.startOffset, language.counter);
  return counter
    ? { code: language.attempt(counter.name, type, counter.edits[0]!.newText), counter: counter.edits }
    : null;
}

/** How a JVM language writes its imports: `;` after each in Java, nothing in Kotlin. */
export interface JvmImports {
  importLine: RegExp;
  packageLine: RegExp;
  terminator: string;
}

/**
 * `Owner.name` (or a Kotlin top-level `name`), with `import pkg.Owner` when the helper's package is
 * not the file's and no import brings it yet; written fully qualified when the file already has
 * another `Owner`. The default package cannot be imported from elsewhere.
 */
export function jvmCallee(
  name: string,
  reference: HelperReference,
  fileText: string,
  filePackage: string | undefined,
  imports: JvmImports,
): Code | null {
  const member = reference.owner ? `${reference.owner}.${name}` : name;
  const pkg = reference.packageName;
  if ((pkg ?? '') === (filePackage ?? '')) return { code: member };
  if (pkg === undefined) return null;
  const target = reference.owner?.split('.')[0] ?? name;
  const qualified = `${pkg}.${target}`;
  const end = imports.terminator ? `\\s*${escaped(imports.terminator)}` : '\\s*$';
  if (new RegExp(`^import\\s+(?:${escaped(qualified)}|${escaped(pkg)}\\.\\*)${end}`, 'm').test(fileText))
    return { code: member };
  const another = new RegExp(
    `^import\\s+[\\w.]+\\.${escaped(target)}${end}|\\b(?:class|interface|enum|record|object|fun)\\s+${escaped(target)}\\b`,
    'm',
  );
  if (another.test(fileText)) return { code: `${pkg}.${member}` };
  const line = `import ${qualified}${imports.terminator}`;
  return {
    code: member,
    edit: lineInsertion(fileText, line, imports.importLine, /(?!)/, imports.packageLine),
  };
}
