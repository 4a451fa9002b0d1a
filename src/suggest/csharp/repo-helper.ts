import type { HelperSignature } from '../../analysis/analyzer.js';
import type { WaitForm } from '../../analysis/finding.js';
import { CSHARP_FUNCTIONS } from '../../analysis/languages/csharp/retry-context.js';
import { lineInsertion } from '../java/patch-kit.js';
import {
  blockCounter,
  declaredLong,
  escaped,
  type HelperLanguage,
  type ValueKind,
  type WaitKind,
} from '../java/repo-helper.js';

/**
 * C# for `helperPlan`: `Owner.Name(…)` with `using Namespace;` unless the file already sees the
 * namespace (its own, one it is nested in, or a `using` of it), and the value converted between
 * `int` milliseconds and `TimeSpan`.
 */

type CallForm = Extract<WaitForm, { kind: 'call-argument' }>;

const KINDS: Record<string, ValueKind> = {
  int: 'int',
  Int32: 'int',
  long: 'long',
  Int64: 'long',
  double: 'double',
  float: 'double',
  Double: 'double',
  TimeSpan: 'duration',
  'System.TimeSpan': 'duration',
};

/** The waits whose `int` argument is milliseconds. */
const MILLIS_WAIT = /\b(?:Task\.Delay|Thread\.Sleep)\s*\(\s*$/;

/** What a C# wait takes: a `TimeSpan` as is, a number only where .NET says milliseconds. */
export function csharpWait(form: CallForm, fileText: string, timeSpan: boolean): WaitKind | null {
  if (timeSpan) return 'duration';
  const before = fileText.slice(Math.max(0, form.argument.startOffset - 80), form.argument.startOffset);
  return MILLIS_WAIT.test(before) ? 'millis' : null;
}

function namespaceOf(fileText: string): string | undefined {
  return /^\s*namespace\s+([\w.]+)/m.exec(fileText)?.[1];
}

function callee(name: string, signature: HelperSignature, fileText: string, filePackage?: string) {
  if (!signature.owner) return null;
  const code = `${signature.owner}.${name}`;
  const namespace = signature.packageName;
  // A file sees the types of its own namespace and of every namespace enclosing it.
  const sees =
    namespace === undefined ||
    (filePackage !== undefined && (filePackage === namespace || filePackage.startsWith(`${namespace}.`))) ||
    new RegExp(`^\\s*(?:global\\s+)?using\\s+${escaped(namespace)}\\s*;`, 'm').test(fileText);
  if (sees) return { code };
  const line = `using ${namespace};`;
  return { code, edit: lineInsertion(fileText, line, /^using\s+[\w.]+\s*;[^\n]*$/, /(?!)/) };
}

export const CSHARP_HELPER: HelperLanguage = {
  extension: /\.cs$/,
  counter: blockCounter({
    grammar: 'csharp',
    loops: new Set(['while_statement', 'for_statement', 'foreach_statement', 'do_statement']),
    functions: new Set(CSHARP_FUNCTIONS),
    blocks: new Set(['block']),
    declare: (name) => `var ${name} = 0;`,
    increment: (name) => `${name}++;`,
    handlers: new Set(['catch_clause']),
    reset: (name) => `${name} = 0;`,
  }),
  packageOf: namespaceOf,
  callee,
  kindOf: (type) => KINDS[type] ?? null,
  convert: (value, from, to) => {
    if (to === 'duration')
      return { code: from === 'duration' ? value : `TimeSpan.FromMilliseconds(${value})` };
    if (from === 'duration') return { code: `(int)${value}.TotalMilliseconds` };
    return { code: from === 'int' ? value : `(int)${value}` };
  },
  // `int` widens to `long` and `double`; a `TimeSpan` parameter takes a `TimeSpan`.
  accepts: (type, wait) =>
    wait === 'duration' ? KINDS[type] === 'duration' : ['int', 'long', 'double'].includes(KINDS[type] ?? ''),
  literal: (ms, type, fileText) => {
    const kind = KINDS[type];
    if (kind !== 'duration') return kind === undefined ? null : { code: `${ms}` };
    const system = /^\s*(?:global\s+)?using\s+System\s*;/m.test(fileText);
    return { code: `${system ? '' : 'System.'}TimeSpan.FromMilliseconds(${ms})` };
  },
  // A `long` counter narrows to an `int` parameter only by a cast.
  attempt: (name, type, fileText) =>
    type !== undefined && KINDS[type] === 'int' && declaredLong(name, fileText) ? `(int)${name}` : name,
};
