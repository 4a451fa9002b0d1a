import type { WaitForm } from '../../analysis/finding.js';
import type { PlannedEdit } from '../plan.js';
import { lineInsertion } from './patch-kit.js';
import {
  blockCounter,
  declaredLong,
  jvmCallee,
  type HelperLanguage,
  type ValueKind,
  type WaitKind,
} from './repo-helper.js';

/**
 * Java and Kotlin for `helperPlan`: how each names a helper, converts its value to what the wait
 * takes, and counts attempts. A number is taken as milliseconds only by the waits known to take them.
 */

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;

const JAVA_IMPORTS = {
  importLine: /^import\s[^;]+;[^\n]*$/,
  packageLine: /^package\s[^;]+;[^\n]*$/,
  terminator: ';',
};
const KOTLIN_IMPORTS = { importLine: /^import\s[^\n]+$/, packageLine: /^package\s[^\n]+$/, terminator: '' };

/** The text just before the wait's argument: which call takes it. */
function callBefore(fileText: string, form: CallForm): string {
  return fileText.slice(Math.max(0, form.argument.startOffset - 80), form.argument.startOffset);
}

const JAVA_KINDS: Record<string, ValueKind> = {
  long: 'long',
  Long: 'long',
  int: 'int',
  Integer: 'int',
  short: 'int',
  double: 'double',
  Double: 'double',
  float: 'double',
  Duration: 'duration',
  'java.time.Duration': 'duration',
};

/** JDK waits whose `long` argument is milliseconds. */
const JAVA_MILLIS_WAIT = /(?:\bThread|\bSystemClock|\bTimeUnit\.MILLISECONDS)\.sleep\s*\(\s*$/;

/** What a Java wait takes: a `Duration` as is, a number only where the JDK says milliseconds. */
export function javaWait(form: CallForm, fileText: string, duration: boolean): WaitKind | null {
  if (duration) return 'duration';
  return JAVA_MILLIS_WAIT.test(callBefore(fileText, form)) ? 'millis' : null;
}

export const JAVA_HELPER: HelperLanguage = {
  extension: /\.java$/,
  counter: blockCounter({
    grammar: 'java',
    loops: new Set(['while_statement', 'for_statement', 'enhanced_for_statement', 'do_statement']),
    functions: new Set(['method_declaration', 'constructor_declaration', 'lambda_expression', 'class_body']),
    blocks: new Set(['block']),
    declare: (name) => `int ${name} = 0;`,
    increment: (name) => `${name}++;`,
    handlers: new Set(['catch_clause']),
    reset: (name) => `${name} = 0;`,
  }),
  packageOf: (fileText) => /^\s*package\s+([\w.]+)\s*;/m.exec(fileText)?.[1],
  callee: (name, reference, fileText, filePackage) =>
    jvmCallee(name, reference, fileText, filePackage, JAVA_IMPORTS),
  kindOf: (type) => JAVA_KINDS[type] ?? null,
  convert: (value, from, to) => {
    if (to === 'duration')
      return {
        code:
          from === 'duration' ? value : `Duration.ofMillis(${from === 'double' ? `(long) ${value}` : value})`,
      };
    if (from === 'duration') return { code: `${value}.toMillis()` };
    return { code: from === 'double' ? `(long) ${value}` : value };
  },
  // A `long` or `double` parameter takes any number; `Long` would not take an `int`.
  accepts: (type, wait) =>
    wait === 'duration' ? JAVA_KINDS[type] === 'duration' : /^(?:long|double|float)$/.test(type),
  literal: (ms, type, fileText) => {
    const kind = JAVA_KINDS[type];
    if (kind !== 'duration')
      return kind === undefined ? null : { code: kind === 'long' ? `${ms}L` : `${ms}` };
    const imported = /^import\s+java\.time\.(?:Duration|\*)\s*;/m.test(fileText);
    return { code: `${imported ? '' : 'java.time.'}Duration.ofMillis(${ms})` };
  },
  // A `long` counter narrows to an `int` parameter only by a cast.
  attempt: (name, type, fileText) =>
    type !== undefined && JAVA_KINDS[type] === 'int' && declaredLong(name, fileText) ? `(int) ${name}` : name,
};

const KOTLIN_KINDS: Record<string, ValueKind> = {
  Long: 'long',
  Int: 'int',
  Double: 'double',
  Duration: 'duration',
  'kotlin.time.Duration': 'duration',
};

/** Kotlin waits taking a `Long` of milliseconds (`delay` takes a `Duration` too). */
const KOTLIN_MILLIS_WAIT = /(?:\bdelay|\bThread\.sleep|\bTimeUnit\.MILLISECONDS\.sleep)\s*\(\s*$/;

const MILLISECONDS_IMPORT = 'import kotlin.time.Duration.Companion.milliseconds';

export function kotlinWait(
  form: CallForm,
  fileText: string,
  duration: 'java' | 'kotlin' | null,
): WaitKind | null {
  if (duration === 'kotlin') return 'duration';
  // A java.time.Duration takes neither a number nor the kotlin.time conversion: the helper is not used.
  if (duration === 'java') return null;
  return KOTLIN_MILLIS_WAIT.test(callBefore(fileText, form)) ? 'millis' : null;
}

/** A number of milliseconds as a `kotlin.time.Duration`, with the import of the extension. */
function inMilliseconds(value: string, fileText: string): { code: string; edit: PlannedEdit | null } {
  const present = /^import\s+kotlin\.time\.Duration\.Companion\.(?:milliseconds|\*)\s*$/m;
  return {
    code: `${value}.milliseconds`,
    edit: lineInsertion(
      fileText,
      MILLISECONDS_IMPORT,
      KOTLIN_IMPORTS.importLine,
      present,
      KOTLIN_IMPORTS.packageLine,
    ),
  };
}

const KOTLIN_COUNTER = blockCounter({
  grammar: 'kotlin',
  loops: new Set(['while_statement', 'for_statement', 'do_while_statement']),
  functions: new Set([
    'function_declaration',
    'lambda_literal',
    'anonymous_function',
    'class_body',
    'getter',
    'setter',
  ]),
  blocks: new Set(['block', 'statements']),
  declare: (name) => `var ${name} = 0`,
  increment: (name) => `${name}++`,
});

export const KOTLIN_HELPER: HelperLanguage = {
  extension: /\.kts?$/,
  counter: KOTLIN_COUNTER,
  packageOf: (fileText) => /^\s*package\s+([\w.]+)/m.exec(fileText)?.[1],
  callee: (name, reference, fileText, filePackage) =>
    jvmCallee(name, reference, fileText, filePackage, KOTLIN_IMPORTS),
  kindOf: (type) => KOTLIN_KINDS[type] ?? null,
  literal: (ms, type, fileText) => {
    const kind = KOTLIN_KINDS[type];
    if (kind === 'duration') return inMilliseconds(`${ms}`, fileText);
    if (kind === undefined) return null;
    return { code: kind === 'long' ? `${ms}L` : kind === 'double' ? `${ms}.0` : `${ms}` };
  },
  convert: (value, from, to, fileText) => {
    if (to === 'millis')
      return {
        code:
          from === 'duration'
            ? `${value}.inWholeMilliseconds`
            : from === 'long'
              ? value
              : `${value}.toLong()`,
      };
    return from === 'duration' ? { code: value } : inMilliseconds(value, fileText);
  },
  // Kotlin converts no number implicitly: only a `Long` parameter takes the wait's `Long`.
  accepts: (type, wait) => (wait === 'duration' ? KOTLIN_KINDS[type] === 'duration' : type === 'Long'),
  attempt: (name, type, fileText) => {
    const long = declaredLong(name, fileText);
    if (type === 'Long' && !long) return `${name}.toLong()`;
    return type === 'Int' && long ? `${name}.toInt()` : name;
  },
};
