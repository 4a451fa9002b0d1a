import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * C# checked by Mono's compiler, `mcs`. A row is a fragment: its `using`s are often left out and the
 * libraries it uses are absent, and mcs stops before it checks any method body when a declaration
 * names a type it cannot find. So the original is completed first, and both sides get the same
 * completion: the `using` mcs itself says is missing, and a public empty declaration for every other
 * name it cannot find (a namespace in a `using`, an interface for `IName`, an attribute class, an
 * exception, a class). The bodies are then checked; a stub's missing members are errors before and
 * after alike. A file with no `using` at all is compiled, as in an SDK-style project, with the SDK's
 * implicit global usings; syntax newer than mcs's C# 7.3 is written as what it means where that is
 * mechanical (file-scoped namespaces, top-level statements).
 */

/** Passes of completion: each one lets mcs get further into the declarations. */
const ROUNDS = 4;
const IMPLICIT_USINGS = [
  'System',
  'System.Collections.Generic',
  'System.IO',
  'System.Linq',
  'System.Net.Http',
  'System.Threading',
  'System.Threading.Tasks',
];
const USING_DIRECTIVE = /^[ \t]*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?[\w.]+\s*;/m;

interface McsError {
  line: number;
  column: number;
  code: string;
  message: string;
}

const ERROR = /^.*\((\d+),(\d+)\): error (CS\d+): (.*)$/;

function mcs(path: string, directory: string, parseOnly: boolean): McsError[] {
  const compile = [
    '-target:library',
    `-out:${join(directory, 'check.dll')}`,
    '-r:System.Core',
    '-r:System.Numerics',
  ];
  const args = ['-langversion:latest', ...(parseOnly ? ['--parse'] : compile), path];
  const result = spawnSync('mcs', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return `${result.stdout ?? ''}\n${result.stderr ?? ''}`.split('\n').flatMap((line) => {
    const match = ERROR.exec(line);
    return match
      ? [{ line: Number(match[1]), column: Number(match[2]), code: match[3]!, message: match[4]! }]
      : [];
  });
}

/** mcs's errors of each file, as code and message without position. */
export function mcsErrors(
  paths: readonly string[],
  directory: string,
  parseOnly = false,
): Map<string, string[]> {
  return new Map(
    paths.map((path) => [path, mcs(path, directory, parseOnly).map((e) => `${e.code} ${e.message}`)]),
  );
}

/**
 * Whether an error is about a stub: a member of a type the fragment's libraries declare, empty here,
 * so what a patch sets on it (`UseJitter` on Polly's options) cannot be judged, or a type of such a
 * library's namespace. mcs names a type it
 * knows with its namespace; a stub, declared at the top level, has none and is not in the original.
 */
export function stubMember(error: string, original: string): boolean {
  const type = /^CS(?:0117|1061) (?:Type )?`(\w+)(?:<[^']*>)?' does not contain a definition for/.exec(
    error,
  )?.[1];
  if (type !== undefined)
    return !new RegExp(`\\b(?:class|struct|interface|record|enum)\\s+${type}\\b`).test(original);
  // A type of a namespace the fragment imports but this machine lacks (`UnityEngine.Random`): its
  // namespace is an empty stub here. Not one the fragment declares itself.
  const namespace =
    /^CS0234 The type or namespace name `\w+' does not exist in the namespace `([\w.]+)'/.exec(error)?.[1];
  if (namespace === undefined) return false;
  const escaped = namespace.replace(/\./g, '\\.');
  return (
    new RegExp(`^\\s*using\\s+${escaped}\\s*;`, 'm').test(original) &&
    !new RegExp(`\\bnamespace\\s+${escaped}\\b`).test(original)
  );
}

/** `<T1, T2>` for a name written with two type arguments at `rest`, or `` when it has none. */
function typeParameters(rest: string): string {
  if (!rest.trimStart().startsWith('<')) return '';
  let depth = 0;
  let count = 1;
  for (const char of rest.trimStart()) {
    if (char === '<') depth += 1;
    else if (char === '>' && --depth === 0) break;
    else if (char === ',' && depth === 1) count += 1;
  }
  return `<${Array.from({ length: count }, (_, i) => `T${i + 1}`).join(', ')}>`;
}

/** The empty declaration that lets mcs resolve the name it could not find at `column` of `line`. */
function stubFor(line: string, column: number): string | undefined {
  const namespace = /^\s*using\s+([\w.]+)\s*;/.exec(line)?.[1];
  if (namespace !== undefined) return `namespace ${namespace} { }`;
  const at = column - 1;
  const name = /^[A-Za-z_]\w*/.exec(line.slice(at))?.[0];
  if (name === undefined) return undefined;
  const parameters = typeParameters(line.slice(at + name.length));
  if (line.slice(0, at).trimEnd().endsWith('['))
    return `public class ${name.replace(/(?<!Attribute)$/, 'Attribute')} : System.Attribute { }`;
  if (/^I[A-Z]/.test(name)) return `public interface ${name}${parameters} { }`;
  return `public class ${name}${parameters}${name.endsWith('Exception') ? ' : System.Exception' : ''} { }`;
}

/** C# 10's file-scoped namespace, which mcs predates, written as the block it means. */
function blockNamespace(source: string): string {
  const declaration = /^([ \t]*namespace\s+[\w.]+)\s*;/m.exec(source);
  if (!declaration) return source;
  const rest = source.slice(declaration.index + declaration[0].length);
  return `${source.slice(0, declaration.index)}${declaration[1]} {${rest}\n}\n`;
}

const TYPE_DECLARATION =
  /^(?:(?:public|internal|static|sealed|abstract|partial|file|readonly|unsafe)\s+)*(?:class|record|struct|interface|enum|delegate)\b/;

/**
 * C# 9's top-level statements, which mcs predates, written as the entry point they mean: the
 * statements after the `using`s, up to the first type declaration, as the body of an async `Main`.
 */
function entryPoint(source: string): string {
  const lines = source.split('\n');
  const start = lines.findIndex((line) => !/^\s*(?:\/\/.*)?$/.test(line) && !USING_DIRECTIVE.test(line));
  const first = lines[start]?.trim();
  if (first === undefined || /^(?:\[|namespace\b|#)/.test(first) || TYPE_DECLARATION.test(first))
    return source;
  const end = lines.findIndex((line, index) => index > start && TYPE_DECLARATION.test(line));
  const stop = end < 0 ? lines.length : end;
  return [
    ...lines.slice(0, start),
    'static class TopLevelStatements { static async System.Threading.Tasks.Task Main() {',
    ...lines.slice(start, stop),
    '} }',
    ...lines.slice(stop),
  ].join('\n');
}

/** C# newer than mcs written as what it means, the same way before and after a patch. */
function desugared(source: string): string {
  return entryPoint(blockNamespace(source));
}

/**
 * The completion of a fragment, to apply to the original and the patched file alike: `using`s before
 * it, stubs after it, a file-scoped namespace as a block, top-level statements as an entry point.
 */
export function completeFragment(fragment: string, directory: string): (source: string) => string {
  const original = desugared(fragment);
  const usings = new Set<string>(USING_DIRECTIVE.test(original) ? [] : IMPLICIT_USINGS);
  const stubs = new Set<string>();
  const text = () => ({
    before: [...usings].map((name) => `using ${name};\n`).join(''),
    after: `\n${[...stubs].join('\n')}\n`,
  });
  for (let round = 0; round < ROUNDS; round += 1) {
    const { before, after } = text();
    const path = join(directory, 'fragment.cs');
    writeFileSync(path, before + original + after);
    const known = usings.size + stubs.size;
    // The lines mcs may point at: the usings and the original (not the stubs after them).
    const lines = (before + original).split('\n');
    for (const error of mcs(path, directory, false)) {
      const line = lines[error.line - 1];
      if (line === undefined) continue;
      const hint = /Are you missing `([\w.]+)' using directive/.exec(error.message)?.[1];
      if (hint !== undefined) usings.add(hint);
      else if (error.code === 'CS0246' || /^\s*using\s/.test(line)) {
        const stub = stubFor(line, error.column);
        if (stub !== undefined) stubs.add(stub);
      }
    }
    if (usings.size + stubs.size === known) break;
  }
  const { before, after } = text();
  return (source) => before + desugared(source) + after;
}
