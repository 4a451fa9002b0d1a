import type { HelperSignature } from '../../analysis/analyzer.js';
import type { Finding, WaitForm } from '../../analysis/finding.js';
import type { GrammarName } from '../../analysis/languages/tree-sitter/runtime.js';
import { helperAttempt, helperPlan as waitHelper, type WaitArgument } from '../helper-call.js';
import type { PlannedEdit, RewritePlan } from '../plan.js';
import type { RepoJitterHelper, SuggestOptions } from '../types.js';
import type { CounterSyntax, IntroducedCounter } from '../loop-counter.js';
import { lineInsertion } from './patch-kit.js';

/**
 * Calling the repository's own jitter helper from a Java, Kotlin or C# wait: `Owner.name(attempt)` (or
 * `name(delay)` for one that jitters a given delay), imported when it lives in another package, its
 * value converted to what the wait takes. Whenever the helper cannot be called correctly from the
 * file (package private elsewhere, a required parameter the patch cannot fill, a return type the wait
 * cannot take, a wait whose unit is not known), null, and the patch jitters the wait in place as it
 * would without a helper.
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
  callee(name: string, signature: HelperSignature, fileText: string, filePackage?: string): Code | null;
  kindOf(type: string): ValueKind | null;
  /** `value`, of kind `from`, as the wait takes it; null when there is no conversion. */
  convert(value: string, from: ValueKind, to: WaitKind, fileText: string): Code | null;
  /** Whether a first parameter of `type` takes the wait's own argument. */
  accepts(type: string, wait: WaitKind): boolean;
  /** `ms` milliseconds written for a parameter of `type`, or null for a type that holds no duration. */
  literal(ms: number, type: string, fileText: string): Code | null;
  /** The attempt counter `name` as a first parameter of `type` takes it (Kotlin converts no number itself). */
  attempt(name: string, type: string | undefined, fileText: string): string;
}

/** How a brace language writes its loops, functions, blocks and counter lines. */
interface BlockSyntax {
  grammar: GrammarName;
  loops: ReadonlySet<string>;
  /** Functions and lambdas: a loop outside them does not repeat the wait (and may not capture a counter). */
  functions: ReadonlySet<string>;
  /** Node types whose children are statements. */
  blocks: ReadonlySet<string>;
  declare(name: string): string;
  increment(name: string): string;
  /** `catch` clauses of a `try_statement`, whose `body` is the attempt (Java, C#). */
  handlers?: ReadonlySet<string>;
  reset?(name: string): string;
}

/**
 * The counter syntax of a brace language. A loop whose body is no block has no statement to put the
 * increment before, so the search ends there without a counter.
 */
export function blockCounter(syntax: BlockSyntax): CounterSyntax {
  return {
    grammar: syntax.grammar,
    isLoop: (node) => syntax.loops.has(node.type),
    isFunction: (node) => syntax.functions.has(node.type),
    statementLists: syntax.blocks,
    names: ['attempt', 'retryAttempt'],
    declare: syntax.declare,
    increment: syntax.increment,
    attemptOf: (node) =>
      syntax.handlers?.has(node.type) && node.parent?.type === 'try_statement'
        ? node.parent.childForFieldName('body')
        : null,
    ...(syntax.reset ? { reset: syntax.reset } : {}),
  };
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

/** Parameters after the first that a patch fills: the configured cap, and the wait's own delay as the base. */
const CAP_PARAM = /max|cap|limit|ceil/i;
const BASE_PARAM = /base|initial|start|min|delay|interval|wait|pause|backoff/i;
/** Counts of attempts are not durations, whatever else the name says (`maxRetries`). */
const COUNT_PARAM = /attempt|retr|tries|times|count/i;
/** A name in seconds: the patch reads a helper's numbers as milliseconds, so such a number is not written. */
const IN_SECONDS = /[Ss]ec(?:ond)?s?(?![a-z])/;

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
  const signature = helper?.signature;
  if (!helper || !signature || wait === null || !language.extension.test(helper.path)) return null;
  const returned = signature.returns === undefined ? null : language.kindOf(signature.returns);
  if (!returned || (returned !== 'duration' && IN_SECONDS.test(helper.name))) return null;
  const filePackage = language.packageOf(fileText);
  if (signature.packageOnly && filePackage !== signature.packageName) return null;
  const callee = language.callee(helper.name, signature, fileText, filePackage);
  if (!callee) return null;
  const call = helperArguments({ finding, form, fileText, options, helper, signature, language, wait });
  if (!call) return null;
  const converted = language.convert(`${callee.code}(${call.codes.join(', ')})`, returned, wait, fileText);
  if (!converted) return null;
  const edits: PlannedEdit[] = [];
  for (const extra of [callee.edit, converted.edit, ...call.imports])
    if (extra && !edits.some((e) => e.start === extra.start && e.newText === extra.newText))
      edits.push(extra);
  return waitHelper(options, waitArgument(form), converted.code, language.counter, call.counter, ...edits);
}

function waitArgument(form: CallForm): WaitArgument {
  return { start: form.argument.startOffset, end: form.argument.endOffset, text: form.argumentText };
}

interface CallSite {
  finding: Finding;
  form: CallForm;
  fileText: string;
  options: SuggestOptions;
  helper: RepoJitterHelper;
  signature: HelperSignature;
  language: HelperLanguage;
  wait: WaitKind;
}

/**
 * The call's arguments: the attempt (counted by the loop, or by a counter the patch brings) or the
 * wait's own delay, then each further required parameter the patch can fill; null when one is left.
 */
function helperArguments(site: CallSite): {
  codes: string[];
  imports: (PlannedEdit | null | undefined)[];
  counter: IntroducedCounter | null;
} | null {
  const { finding, form, fileText, helper, signature, language, wait } = site;
  const [first, ...rest] = signature.params;
  if (!first) return null;
  const codes: string[] = [];
  const imports: (PlannedEdit | null | undefined)[] = [];
  let counter: IntroducedCounter | null = null;
  if (helper.takesAttempt) {
    const attempt = helperAttempt(finding, fileText, waitArgument(form), language.counter);
    if (!attempt) return null;
    counter = attempt.counter;
    // An introduced counter is declared by the patch: its own declaration tells its type.
    const declared = counter ? language.counter.declare(attempt.name) : fileText;
    codes.push(language.attempt(attempt.name, first.type, declared));
  } else {
    if (first.type === undefined || !language.accepts(first.type, wait)) return null;
    codes.push(form.argumentText);
  }
  for (const param of rest) {
    if (param.optional) break;
    const value = filled(site, param);
    if (!value) return null;
    codes.push(value.code);
    imports.push(value.edit);
  }
  return { codes, imports, counter };
}

/** A further parameter: the cap from the configuration, or the wait's own fixed delay as the base. */
function filled(site: CallSite, param: HelperSignature['params'][number]): Code | null {
  const { finding, form, fileText, options, helper, language, wait } = site;
  if (param.type === undefined || IN_SECONDS.test(param.name) || COUNT_PARAM.test(param.name)) return null;
  if (CAP_PARAM.test(param.name)) return language.literal(options.capMs, param.type, fileText);
  const base = helper.takesAttempt && BASE_PARAM.test(param.name) && finding.delay.kind === 'fixed';
  return base && language.accepts(param.type, wait) ? { code: form.argumentText } : null;
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
  signature: HelperSignature,
  fileText: string,
  filePackage: string | undefined,
  imports: JvmImports,
): Code | null {
  const member = signature.owner ? `${signature.owner}.${name}` : name;
  const pkg = signature.packageName;
  if ((pkg ?? '') === (filePackage ?? '')) return { code: member };
  if (pkg === undefined) return null;
  const target = signature.owner ? signature.owner.split('.')[0]! : name;
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
